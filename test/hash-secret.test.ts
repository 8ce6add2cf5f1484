import { describe, expect, it } from 'vitest';
import { hashSecret } from '../src/auth/api-key.ts';
import { hashSecretSync } from '../src/node/hash-secret.ts';

describe("the Node entry's secret digest", () => {
  it('equals the Web Crypto digest that keys are stored with', async () => {
    const secrets = ['', 'a', Buffer.alloc(32, 0xff).toString('base64url')];
    for (let i = 0; i < 50; i++) secrets.push(Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'));
    for (const secret of secrets) expect(hashSecretSync(secret), secret).toBe(await hashSecret(secret));
  });
});
