import { exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { AdminClient } from './helpers/admin.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { b64url, epochSeconds, generateTestKey, type JwksServer, signToken, startJwksServer, type TestKey } from './helpers/identity-provider.ts';
import { connectClient, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

const PUBLIC_URL = 'https://mcp.example.test';
const ADMIN_ISSUER = 'https://login.example.test/';
const ADMIN_AUDIENCE = `${PUBLIC_URL}/admin`;

let database: TempDatabase;
let jwks: JwksServer;
let server: RunningServer;
let idpKey: TestKey;
let admin: AdminClient;

/** An admin-issuer JWT; `claims` override the valid defaults (undefined leaves one out). */
function adminJwt(claims: Record<string, unknown> = {}, key: TestKey = idpKey): Promise<string> {
  return signToken(key, { iss: ADMIN_ISSUER, aud: ADMIN_AUDIENCE, sub: 'ops-bot', scope: 'tenant-mcp:admin', iat: epochSeconds(), exp: epochSeconds(300), ...claims });
}

async function getTenants(token: string) {
  const res = await fetch(`${server.url}/admin/tenants`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, challenge: res.headers.get('WWW-Authenticate'), body: await res.json() };
}

beforeAll(async () => {
  database = await tempDatabase();
  idpKey = await generateTestKey('RS256', 'idp-2026');
  jwks = await startJwksServer([idpKey.publicJwk]);
  const signingKey = await generateKeyPair('EdDSA', { extractable: true });
  server = await startServer({
    DATABASE_URL: database.url,
    PUBLIC_URL,
    TOKEN_SIGNING_KEY: await exportPKCS8(signingKey.privateKey),
    ADMIN_JWT_ISSUER: ADMIN_ISSUER,
    ADMIN_JWT_JWKS_URI: jwks.url,
    KEY_CACHE_TTL_SECONDS: '0',
    JWKS_COOLDOWN_MS: '0', // an unknown kid refetches the admin JWKS at once
  });
  admin = await AdminClient.connect(server.url, await adminJwt());
});

afterAll(async () => {
  await server?.stop();
  await jwks?.close();
  database?.dispose();
});

describe('admin JWTs', () => {
  it('turn the admin API on without ADMIN_TOKEN: a token from the admin issuer with the admin scope is accepted', async () => {
    expect(admin.document).toMatchObject({ security: [{ adminJwt: [] }] });
    const res = await admin.post('/tenants', { slug: 'acme', scopes: ['math', 'tenant-mcp:admin'] });
    expect(res.status).toBe(201);
    expect((await admin.get('/tenants')).body.items.map((t: { slug: string }) => t.slug)).toEqual(['acme']);
    // The scope may sit among others, or in `scp` as an array.
    expect((await getTenants(await adminJwt({ scope: 'openid tenant-mcp:admin profile' }))).status).toBe(200);
    expect((await getTenants(await adminJwt({ scope: undefined, scp: ['tenant-mcp:admin'] }))).status).toBe(200);
  });

  it('refuses a wrong audience, issuer, key or algorithm, and an expired token, with 401 and the reason in the log only', async () => {
    const stranger = await generateTestKey('RS256', 'idp-2026');
    const refused = {
      'wrong audience': await adminJwt({ aud: `${PUBLIC_URL}/mcp` }),
      'wrong issuer': await adminJwt({ iss: 'https://evil.example.test/' }),
      'unknown key': await adminJwt({}, stranger),
      expired: await adminJwt({ iat: epochSeconds(-7200), exp: epochSeconds(-3600) }),
      'no exp': await adminJwt({ exp: undefined }),
      'alg none': `${b64url({ alg: 'none' })}.${b64url({ iss: ADMIN_ISSUER, aud: ADMIN_AUDIENCE, scope: 'tenant-mcp:admin', iat: epochSeconds(), exp: epochSeconds(300) })}.`,
    };
    for (const [what, token] of Object.entries(refused)) {
      const res = await getTenants(token);
      expect(res.status, what).toBe(401);
      expect(res.challenge, what).toBe('Bearer realm="tenant-mcp admin", error="invalid_token"');
      expect(res.body.detail, what).toBe('The admin credential is invalid.');
    }
    expect(server.output()).toMatch(/Refused an admin credential: invalid_token: unexpected "aud" claim value \(admin JWT\)/);
    expect(server.output()).toMatch(/Refused an admin credential: expired: /);
    for (const token of Object.values(refused)) expect(server.output()).not.toContain(token.split('.')[2] || token);
  });

  it('answers a valid token without the tenant-mcp:admin scope with 403 insufficient_scope', async () => {
    for (const scope of ['math', '*', 'tenant-mcp:*', 'tenant-mcp:admin:read']) {
      const res = await getTenants(await adminJwt({ scope }));
      expect(res.status, scope).toBe(403);
      expect(res.challenge).toBe('Bearer realm="tenant-mcp admin", error="insufficient_scope", scope="tenant-mcp:admin"');
      expect(res.body).toMatchObject({ type: 'urn:tenant-mcp:problem:forbidden', status: 403 });
    }
  });

  it("refuses tenant credentials that work on /mcp: an API key, a minted token, a trusted issuer's token", async () => {
    const key = (await admin.post('/tenants/acme/keys', { scopes: ['math'] })).body.key;
    // Minted through the admin API with an admin JWT: its scopes even include the admin one.
    const minted = await admin.post('/tenants/acme/tokens', { scopes: ['math', 'tenant-mcp:admin'], subject: 'eve' });
    expect(minted.status).toBe(201);
    // The admin issuer is also this tenant's identity provider: its tenant tokens are for /mcp.
    expect((await admin.post('/tenants/acme/issuers', { issuer: ADMIN_ISSUER, jwksUri: jwks.url })).status).toBe(201);
    const tenantJwt = await adminJwt({ aud: `${PUBLIC_URL}/mcp`, scope: 'math tenant-mcp:admin' });

    for (const [what, credential] of [['api key', key], ['minted token', minted.body.token], ["trusted issuer's token", tenantJwt]]) {
      const client = await connectClient(server.url, { Authorization: `Bearer ${credential}` });
      expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content, what).toEqual([{ type: 'text', text: '3' }]);
      await client.close();
      expect((await getTenants(credential!)).status, what).toBe(401);
    }
  });

  it('is not a credential for /mcp', async () => {
    expect((await postMcp(server.url, rpc('ping'), { Authorization: `Bearer ${await adminJwt()}` })).status).toBe(401);
  });

  it('answers 401 with a retry hint when the admin JWKS cannot be fetched', async () => {
    jwks.setMode('fail');
    try {
      // An unknown kid makes jose refetch the set, which now fails.
      const rotated = await generateTestKey('RS256', 'idp-2027');
      const res = await getTenants(await adminJwt({}, rotated));
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/cannot be fetched right now/);
    } finally {
      jwks.setMode('serve');
    }
  });
});

describe('admin JWT configuration', () => {
  it('refuses an incomplete, unsafe or self-referring admin issuer', () => {
    expect(() => parseConfig({ ADMIN_JWT_ISSUER: ADMIN_ISSUER })).toThrow(/ADMIN_JWT_ISSUER: set ADMIN_JWT_ISSUER and ADMIN_JWT_JWKS_URI together/);
    expect(() => parseConfig({ ADMIN_JWT_JWKS_URI: 'https://login.example.test/jwks' })).toThrow(/set ADMIN_JWT_ISSUER and ADMIN_JWT_JWKS_URI together/);
    expect(() => parseConfig({ ADMIN_JWT_ISSUER: ADMIN_ISSUER, ADMIN_JWT_JWKS_URI: 'http://login.example.test/jwks' })).toThrow(/ADMIN_JWT_JWKS_URI: use https:\/\//);
    expect(() => parseConfig({ ADMIN_JWT_AUDIENCE: 'x' })).toThrow(/ADMIN_JWT_AUDIENCE: only meaningful with ADMIN_JWT_ISSUER/);
    expect(() => parseConfig({ PUBLIC_URL, ADMIN_JWT_ISSUER: PUBLIC_URL, ADMIN_JWT_JWKS_URI: `${PUBLIC_URL}/.well-known/jwks.json` })).toThrow(/must not be this server's own issuer/);
    expect(parseConfig({ ADMIN_JWT_ISSUER: ADMIN_ISSUER, ADMIN_JWT_JWKS_URI: 'http://127.0.0.1:9/jwks' })).toMatchObject({ ADMIN_JWT_ISSUER: ADMIN_ISSUER });
  });
});
