import { createHash } from 'node:crypto';

/**
 * SHA-256 of a key secret, base64url: the same digest as the core's Web Crypto `hashSecret`, but
 * synchronous. On Node, `crypto.subtle.digest` runs as a thread-pool job and costs far more CPU
 * than hashing 43 bytes should; this runs on every authenticated request.
 */
export function hashSecretSync(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
