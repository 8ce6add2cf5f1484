import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { SecretBox, sealedKeyId, secretKeySettingProblem } from '../src/crypto/secret-box.ts';
import { secretsKey } from './helpers/secrets.ts';

describe('SecretBox', () => {
  it('opens what it sealed, and seals the same secret differently each time', async () => {
    const box = await SecretBox.fromSettings(secretsKey('k1'));
    const a = await box.seal('client-secret-value', 'row:1');
    const b = await box.seal('client-secret-value', 'row:1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('client-secret-value');
    expect(a).toMatch(/^sb1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealedKeyId(a)).toBe('k1');
    expect(await box.open(a, 'row:1')).toBe('client-secret-value');
  });

  it('refuses a value moved to another context or altered in any byte', async () => {
    const box = await SecretBox.fromSettings(secretsKey('k1'));
    const sealed = await box.seal('s3cret', 'row:1');
    await expect(box.open(sealed, 'row:2')).rejects.toThrow('it was altered, or sealed for another place');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    await expect(box.open(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'row:1')).rejects.toThrow('it was altered');
    await expect(box.open('plain text', 'row:1')).rejects.toThrow('not in the sb1 format');
  });

  it('opens values sealed with an old key after rotation, and reports them stale', async () => {
    const old = secretsKey('k1');
    const sealedBefore = await (await SecretBox.fromSettings(old)).seal('s3cret', 'row:1');
    const rotated = await SecretBox.fromSettings(secretsKey('k2'), [old]);
    expect(rotated.isStale(sealedBefore)).toBe(true);
    expect(await rotated.open(sealedBefore, 'row:1')).toBe('s3cret');
    const resealed = await rotated.seal('s3cret', 'row:1');
    expect(rotated.isStale(resealed)).toBe(false);
    const withoutOld = await SecretBox.fromSettings(secretsKey('k2'));
    await expect(withoutOld.open(sealedBefore, 'row:1')).rejects.toThrow('its key "k1" is neither SECRETS_ENCRYPTION_KEY nor in SECRETS_ENCRYPTION_OLD_KEYS');
  });

  it('accepts openssl base64 and refuses short keys, missing ids and reused ids without echoing the key', async () => {
    expect(secretKeySettingProblem(`k1:${Buffer.alloc(32, 7).toString('base64')}`)).toBeUndefined();
    expect(secretKeySettingProblem('k1:c2hvcnQ=')).toBe('key "k1" must be 32 bytes (AES-256), got 5');
    expect(secretKeySettingProblem(Buffer.alloc(32, 7).toString('base64url'))).toMatch(/^expected <key id>:/);
    const key = secretsKey('k1');
    await expect(SecretBox.fromSettings(key, [secretsKey('k1')])).rejects.toThrow('key id "k1" is used twice');
    expect(secretKeySettingProblem('k1:!!!!')).not.toContain('!!!!');
  });
});

describe('SECRETS_ENCRYPTION_KEY settings', () => {
  it('refuses a malformed key at startup, naming the setting but never its value', () => {
    const short = `k1:${Buffer.from('too-short-to-be-a-key').toString('base64url')}`;
    expect(() => parseConfig({ SECRETS_ENCRYPTION_KEY: short })).toThrow('SECRETS_ENCRYPTION_KEY: key "k1" must be 32 bytes (AES-256), got 21');
    try {
      parseConfig({ SECRETS_ENCRYPTION_KEY: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short.slice(3));
    }
  });

  it('refuses old keys without a current one, and two keys with one id', () => {
    expect(() => parseConfig({ SECRETS_ENCRYPTION_OLD_KEYS: secretsKey('k1') })).toThrow('SECRETS_ENCRYPTION_OLD_KEYS: needs SECRETS_ENCRYPTION_KEY');
    expect(() => parseConfig({ SECRETS_ENCRYPTION_KEY: secretsKey('k1'), SECRETS_ENCRYPTION_OLD_KEYS: `${secretsKey('k0')},${secretsKey('k1')}` })).toThrow('every secrets encryption key needs its own id');
  });
});
