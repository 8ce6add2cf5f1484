import { constantTimeEqual } from '../auth/api-key.ts';
import { toBase64Url } from '../encoding/base64url.ts';

/** RFC 7636 section 4.1: 43-128 characters of the unreserved set. */
const verifierShape = /^[A-Za-z0-9._~-]{43,128}$/;
/** A base64url SHA-256 digest: 43 characters. */
const challengeShape = /^[A-Za-z0-9_-]{43}$/;

/** True when `challenge` is shaped like an S256 code challenge. */
export function isS256Challenge(challenge: string): boolean {
  return challengeShape.test(challenge);
}

/** True when `verifier` hashes (S256) to `challenge`. Compared in constant time. */
export async function verifiesChallenge(verifier: string, challenge: string): Promise<boolean> {
  if (!verifierShape.test(verifier)) return false;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return constantTimeEqual(toBase64Url(new Uint8Array(digest)), challenge);
}
