import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtVerifier } from '../../src/auth/jwt-verifier.ts';
import { loadSigningKey, type SigningKey } from '../../src/auth/signing-key.ts';
import { createTenant, updateTenant } from '../../src/services/tenants.ts';
import { mintToken } from '../../src/services/tokens.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';

const ISSUER = 'https://mcp.example.test';
let database: TempDatabase;
let key: SigningKey;

beforeAll(async () => {
  database = await tempDatabase();
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  key = await loadSigningKey(JSON.stringify(await exportJWK(privateKey)));
});

afterAll(() => database?.dispose());

describe("the verifier's cache of this server's accepted tokens", () => {
  it('reuses an accepted access token only until its exp and the cache TTL, so expiry and suspension still end it', async () => {
    let now = Date.now();
    const verifier = new JwtVerifier(database.db, {
      ownIssuer: ISSUER, resource: `${ISSUER}/mcp`, signingKey: Promise.resolve(key), clockToleranceSeconds: 0,
      jwksTimeoutMs: 1000, jwksCooldownMs: 0, ttlMs: 10_000, maxEntries: 100, now: () => now,
    });
    await createTenant(database.db, { slug: 'cache-co', scopes: 'math' });
    const mint = (ttlMs: number) =>
      mintToken(database.db, key, { tenant: 'cache-co', scopes: 'math', subject: 'key:abc', clientId: 'tmcc_x', ttlMs, issuer: ISSUER, audience: `${ISSUER}/mcp`, now });

    const shortLived = (await mint(5_000)).token;
    const first = await verifier.verify(shortLived);
    expect(first).toMatchObject({ ok: true, caller: { tenantSlug: 'cache-co', clientId: 'tmcc_x', subject: 'key:abc' } });
    expect(await verifier.verify(shortLived)).toBe(first); // the same accepted result, no second verification
    now += 6_000; // past exp, within the cache TTL
    expect(await verifier.verify(shortLived)).toMatchObject({ ok: false, reason: 'expired' });

    const longLived = (await mint(600_000)).token;
    expect((await verifier.verify(longLived)).ok).toBe(true);
    await updateTenant(database.db, 'cache-co', { status: 'suspended' });
    now += 11_000; // the cache TTL has passed
    expect(await verifier.verify(longLived)).toMatchObject({ ok: false, reason: 'suspended' });
  });
});
