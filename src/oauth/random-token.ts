import { toBase64Url } from '../encoding/base64url.ts';

/** A random, unguessable token: `bytes` random bytes (default 32, 256 bits) in base64url, after an optional prefix. */
export function randomToken(prefix = '', bytes = 32): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}
