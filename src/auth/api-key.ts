/**
 * API key format: `tmcp_<id>_<secret>`. The id (12 lowercase base32 chars) is public and used
 * for lookup; the secret is 32 random bytes (256 bits) in base64url. Only SHA-256(secret) is
 * stored: the secret is already high-entropy, so a plain digest cannot be brute-forced.
 */

import { toBase64Url } from '../encoding/base64url.ts';

const PREFIX = 'tmcp';
const keyRe = /^tmcp_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A parsed key: its public id and its secret part. */
export interface ParsedApiKey {
  id: string;
  secret: string;
}

/** A freshly generated key: the full token (shown once) and what is stored. */
export interface GeneratedApiKey {
  id: string;
  key: string;
  secretHash: string;
}

/** Generates a new key. */
export async function generateApiKey(): Promise<GeneratedApiKey> {
  const idBytes = crypto.getRandomValues(new Uint8Array(12));
  const id = Array.from(idBytes, (b) => base32[b & 31]).join('');
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  return { id, key: `${PREFIX}_${id}_${secret}`, secretHash: await hashSecret(secret) };
}

/** Splits a presented token into id and secret, or null when it is not shaped like our key. */
export function parseApiKey(token: string): ParsedApiKey | null {
  const m = keyRe.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** True when the token is shaped like one of our API keys (as opposed to, say, a JWT). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(`${PREFIX}_`);
}

/** Computes what is stored for a secret: SHA-256, base64url without padding. */
export type HashSecret = (secret: string) => string | Promise<string>;

/** SHA-256 of the secret, base64url, with Web Crypto (any runtime). */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  return toBase64Url(new Uint8Array(digest));
}

/** Compares two equal-length strings without an early exit, so timing reveals nothing. */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
