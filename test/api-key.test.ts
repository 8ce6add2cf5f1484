import { describe, expect, it } from 'vitest';
import { constantTimeEqual, generateApiKey, hashSecret, parseApiKey } from '../src/auth/api-key.ts';

describe('API keys', () => {
  it('carries a public id and a 256-bit secret, and stores only its digest', async () => {
    const { id, key, secretHash } = await generateApiKey();
    const parsed = parseApiKey(key);
    expect(parsed?.id).toBe(id);
    expect(Buffer.from(parsed!.secret, 'base64url')).toHaveLength(32);
    expect(secretHash).toBe(await hashSecret(parsed!.secret));
    expect(secretHash).not.toContain(parsed!.secret);
  });

  it('never repeats', async () => {
    const keys = await Promise.all(Array.from({ length: 200 }, () => generateApiKey()));
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    expect(new Set(keys.map((k) => k.id)).size).toBe(200);
  });

  it('refuses tokens that are not shaped like a key', async () => {
    const { key } = await generateApiKey();
    for (const bad of ['', 'tmcp_', key.slice(0, -1), `${key}x`, key.replace('tmcp_', 'tmcq_'), `${key.slice(0, 5)}ABCDEFGHIJKL${key.slice(17)}`]) {
      expect(parseApiKey(bad), bad).toBeNull();
    }
  });

  it('compares digests in full', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
