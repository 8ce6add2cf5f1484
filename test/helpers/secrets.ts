import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';

/**
 * Asserts that captured log output holds none of the given secrets, nor any part of them long
 * enough to matter (for `tmcp_<id>_<secret>` keys: the secret part), nor anything shaped like a key.
 */
export function expectNoSecretsIn(output: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    const secretPart = /^tmcp_[a-z2-7]{12}_(.+)$/.exec(secret)?.[1] ?? secret;
    expect(output.includes(secret), 'a secret appears in the logs').toBe(false);
    expect(output.includes(secretPart), 'the secret part of a key appears in the logs').toBe(false);
  }
  expect(output).not.toMatch(/tmcp_[a-z2-7]{12}_[A-Za-z0-9_-]{20,}/);
  expect(output).not.toMatch(/Bearer\s+\S{20,}/i);
}

/** A fresh SECRETS_ENCRYPTION_KEY value, `<id>:<32 random bytes, base64url>`, as `openssl rand` would make one. */
export function secretsKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64url')}`;
}
