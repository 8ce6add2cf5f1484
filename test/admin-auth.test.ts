import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { AdminClient } from './helpers/admin.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { epochSeconds, generateTestKey, type JwksServer, signToken, startJwksServer, type TestKey } from './helpers/identity-provider.ts';
import { postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';
const ADMIN_ISSUER = 'https://login.example.test/';
const ADMIN_AUDIENCE = 'tenant-mcp-admin';

let database: TempDatabase;
let on: RunningServer;
let off: RunningServer;
let tenantKey: string;
let jwks: JwksServer;
let idpKey: TestKey;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: '*' });
  tenantKey = (await createKey(database.db, { tenant: 'acme', scopes: '*' })).key;
  idpKey = await generateTestKey('ES256', 'ops');
  jwks = await startJwksServer([idpKey.publicJwk]);
  // `on` accepts both kinds of admin credential and has no TOKEN_SIGNING_KEY.
  const adminJwt = { ADMIN_JWT_ISSUER: ADMIN_ISSUER, ADMIN_JWT_JWKS_URI: jwks.url, ADMIN_JWT_AUDIENCE: ADMIN_AUDIENCE };
  // OAuth off: otherwise the Node entry would generate a signing key.
  [on, off] = await Promise.all([startServer({ DATABASE_URL: database.url, ADMIN_TOKEN, OAUTH_ENABLED: 'false', ...adminJwt }), startServer({ DATABASE_URL: database.url })]);
});

afterAll(async () => {
  await Promise.all([on?.stop(), off?.stop(), jwks?.close()]);
  database?.dispose();
});

async function getTenants(server: RunningServer, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/admin/tenants`, { headers });
  return { status: res.status, challenge: res.headers.get('WWW-Authenticate'), type: res.headers.get('Content-Type'), body: await res.json() };
}

describe('admin authentication', () => {
  it('accepts the admin token as a bearer credential', async () => {
    const res = await getTenants(on, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.body.items.map((t: { slug: string }) => t.slug)).toEqual(['acme']);
  });

  it('accepts an admin JWT besides the admin token when both are configured, and documents both', async () => {
    const token = await signToken(idpKey, { iss: ADMIN_ISSUER, aud: ADMIN_AUDIENCE, scope: 'tenant-mcp:admin', iat: epochSeconds(), exp: epochSeconds(60) });
    expect((await getTenants(on, { Authorization: `Bearer ${token}` })).status).toBe(200);
    const client = await AdminClient.connect(on.url);
    expect(client.document).toMatchObject({ security: [{ adminToken: [] }, { adminJwt: [] }] });
    const wrongAudience = await signToken(idpKey, { iss: ADMIN_ISSUER, aud: 'https://elsewhere.test', scope: 'tenant-mcp:admin', iat: epochSeconds(), exp: epochSeconds(60) });
    expect((await getTenants(on, { Authorization: `Bearer ${wrongAudience}` })).status).toBe(401);
  });

  it('answers token minting with a 501 problem when the server has no signing key', async () => {
    const client = await AdminClient.connect(on.url, ADMIN_TOKEN);
    const res = await client.post('/tenants/acme/tokens', { scopes: ['math'] });
    expect(res.status).toBe(501);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: 'urn:tenant-mcp:problem:not-configured', status: 501 });
    expect(res.body.detail).toMatch(/cannot mint tokens: start it with TOKEN_SIGNING_KEY/);
  });

  it('answers a missing credential with 401, a Bearer challenge and a problem', async () => {
    const res = await getTenants(on);
    expect(res).toMatchObject({ status: 401, challenge: 'Bearer realm="tenant-mcp admin"', type: 'application/problem+json' });
    expect(res.body).toMatchObject({ type: 'urn:tenant-mcp:problem:unauthorized', status: 401 });
  });

  it('refuses a wrong token, a near miss, another scheme and the token in X-API-Key', async () => {
    for (const headers of [
      { Authorization: 'Bearer wrong-token' },
      { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` },
      { Authorization: `Bearer ${ADMIN_TOKEN}x` },
      { Authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` },
      { 'X-API-Key': ADMIN_TOKEN },
    ] as Record<string, string>[]) {
      const res = await getTenants(on, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(ADMIN_TOKEN.slice(0, 12));
    }
  });

  it("refuses a tenant's valid API key on admin routes", async () => {
    expect((await postMcp(on.url, rpc('ping'), { Authorization: `Bearer ${tenantKey}` })).status).toBe(200);
    const res = await getTenants(on, { Authorization: `Bearer ${tenantKey}` });
    expect(res.status).toBe(401);
    expect(res.challenge).toBe('Bearer realm="tenant-mcp admin", error="invalid_token"');
    expect(res.body.detail).toMatch(/Tenant API keys cannot be used on the admin API/);
  });

  it('does not accept the admin token on /mcp', async () => {
    expect((await postMcp(on.url, rpc('ping'), { Authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(401);
  });

  it('is off, answering 404 everywhere under /admin, when no admin token is configured', async () => {
    for (const path of ['/admin/tenants', '/admin/openapi.json', '/admin/reference', '/admin']) {
      const res = await fetch(`${off.url}${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status, path).toBe(404);
    }
  });

  it('refuses to start with a weak admin token, or one shaped like a tenant key', () => {
    expect(() => parseConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: use at least 32 characters/);
    expect(() => parseConfig({ ADMIN_TOKEN: `tmcp_${'a'.repeat(40)}` })).toThrow(/ADMIN_TOKEN: must not look like a tenant API key/);
    expect(() => parseConfig({ ADMIN_TOKEN: `${'a'.repeat(20)} ${'a'.repeat(20)}` })).toThrow(/ADMIN_TOKEN: must not contain spaces/);
  });
});
