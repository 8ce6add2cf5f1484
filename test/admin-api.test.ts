import { readFileSync } from 'node:fs';
import { parseApiKey } from '../src/auth/api-key.ts';
import { createServer } from 'node:net';
import { validate } from '@readme/openapi-parser';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { getTenant } from '../src/services/tenants.ts';
import { writeUsageBatch } from '../src/usage/write-usage-batch.ts';
import { AdminClient, eventually } from './helpers/admin.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { epochSeconds, generateTestKey, signToken } from './helpers/identity-provider.ts';
import { callTool, freshWindow } from './helpers/limits.ts';
import { connectClient, postMcp, rpc } from './helpers/mcp.ts';
import { type LoopbackUpstream, startPetstore } from './helpers/petstore.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';

let database: TempDatabase;
let server: RunningServer;
let admin: AdminClient;
let petstore: LoopbackUpstream;

beforeAll(async () => {
  database = await tempDatabase();
  const port = await freePort();
  const signingKey = await generateKeyPair('EdDSA', { extractable: true });
  server = await startServer({
    TOKEN_SIGNING_KEY: await exportPKCS8(signingKey.privateKey),
    DATABASE_URL: database.url,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ADMIN_TOKEN,
    SECRETS_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 9).toString('base64url')}`,
    KEY_CACHE_TTL_SECONDS: '0',
    USAGE_FLUSH_INTERVAL_MS: '20',
    CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
  });
  admin = await AdminClient.connect(server.url, ADMIN_TOKEN);
  petstore = await startPetstore();
});

afterAll(async () => {
  await petstore?.close();
  await server?.stop();
  database?.dispose();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({ type: `urn:tenant-mcp:problem:${type}`, status });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
}

async function mcpStatus(key: string): Promise<number> {
  return (await postMcp(server.url, rpc('ping'), { Authorization: `Bearer ${key}` })).status;
}

describe('tenants', () => {
  it('creates a tenant and answers 201 with it and its location', async () => {
    const res = await admin.post('/tenants', { slug: 'acme', name: 'Acme Inc.', scopes: ['math', 'notes:*'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('Location')).toBe('/admin/tenants/acme');
    expect(res.body).toMatchObject({ slug: 'acme', name: 'Acme Inc.', scopes: ['math', 'notes:*'], status: 'active' });
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });

  it('refuses a second tenant with the same slug with 409', async () => {
    expectProblem(await admin.post('/tenants', { slug: 'acme', scopes: ['math'] }), 409, 'conflict');
  });

  it('refuses malformed scope patterns with 400, from the same rule the CLI uses', async () => {
    const res = await admin.post('/tenants', { slug: 'bad-scopes', scopes: ['Math!'] });
    expectProblem(res, 400, 'invalid');
    expect(res.body.detail).toContain('Invalid scope "Math!"');
  });

  it('gets a tenant by slug, and answers 404 for an unknown one', async () => {
    const res = await admin.get('/tenants/acme');
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Acme Inc.');
    expectProblem(await admin.get('/tenants/nobody'), 404, 'not-found');
  });

  it('lists tenants a page at a time with an opaque cursor', async () => {
    for (const slug of ['t-1', 't-2', 't-3', 't-4']) expect((await admin.post('/tenants', { slug, scopes: ['math'] })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin.get(`/tenants?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((t: { slug: string }) => t.slug));
      cursor = res.body.next;
    } while (cursor);
    expect(seen).toEqual(['acme', 't-1', 't-2', 't-3', 't-4']);
  });

  it('changes name and scopes, and only what is given', async () => {
    const res = await admin.patch('/tenants/t-1', { scopes: ['math', 'notes:read'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ slug: 't-1', name: 't-1', scopes: ['math', 'notes:read'], status: 'active' });
    expect((await admin.patch('/tenants/t-1', { name: 'Tee One' })).body).toMatchObject({ name: 'Tee One', scopes: ['math', 'notes:read'] });
  });

  it("suspends a tenant, which refuses its keys on /mcp, and resumes it", async () => {
    const key = (await admin.post('/tenants/t-2/keys', { scopes: ['math'] })).body.key;
    expect(await mcpStatus(key)).toBe(200);
    expect((await admin.patch('/tenants/t-2', { status: 'suspended' })).body.status).toBe('suspended');
    expect(await mcpStatus(key)).toBe(401);
    const suspended = await admin.get('/tenants?status=suspended');
    expect(suspended.body.items.map((t: { slug: string }) => t.slug)).toEqual(['t-2']);
    expect((await admin.patch('/tenants/t-2', { status: 'active' })).body.status).toBe('active');
    expect(await mcpStatus(key)).toBe(200);
  });

  it('refuses an update with nothing to change, or of an unknown tenant', async () => {
    expectProblem(await admin.patch('/tenants/t-1', {}), 400, 'invalid');
    expectProblem(await admin.patch('/tenants/nobody', { name: 'x' }), 404, 'not-found');
  });
});

describe('keys', () => {
  let created: any;

  it('creates a key, shows its secret once, with snippets for PUBLIC_URL', async () => {
    const res = await admin.post('/tenants/acme/keys', { scopes: ['math'], name: 'laptop', expiresIn: '30d' });
    expect(res.status).toBe(201);
    created = res.body;
    expect(created).toMatchObject({ tenant: 'acme', name: 'laptop', scopes: ['math'], revokedAt: null });
    expect(created.key).toMatch(new RegExp(`^tmcp_${created.id}_`));
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(30 * 86_400_000);
    const url = `${server.url}/mcp`;
    expect(created.snippets.url).toBe(url);
    expect(created.snippets.claudeDesktop.config.mcpServers['tenant-mcp'].env).toEqual({ AUTH_HEADER: `Bearer ${created.key}` });
    expect(created.snippets.vscode.config.servers['tenant-mcp']).toEqual({ type: 'http', url, headers: { Authorization: `Bearer ${created.key}` } });
    expect(created.snippets.inspector).toContain(`--cli ${url} --transport http --header "Authorization: Bearer ${created.key}"`);
  });

  it("connects the official MCP client with the Cursor snippet's url and headers as given", async () => {
    const { url, headers } = created.snippets.cursor.config.mcpServers['tenant-mcp'];
    const client = await connectClient(new URL(url).origin, headers);
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    expect(result.content).toEqual([{ type: 'text', text: '42' }]);
    await client.close();
  });

  it('lists keys without their secret or digest, a page at a time', async () => {
    await admin.post('/tenants/acme/keys', { scopes: ['notes:read'] });
    const first = await admin.get('/tenants/acme/keys?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await admin.get(`/tenants/acme/keys?limit=1&cursor=${encodeURIComponent(first.body.next)}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next).toBeNull();
    const all = [...first.body.items, ...second.body.items];
    expect(all.map((k) => k.name)).toEqual(['laptop', 'default']);
    const text = JSON.stringify(all);
    expect(text).not.toContain(parseApiKey(created.key)!.secret);
    expect(text).not.toMatch(/secret|hash|"key"/i);
  });

  it("refuses scopes outside the tenant's, a bad lifetime, and an unknown tenant", async () => {
    const outside = await admin.post('/tenants/acme/keys', { scopes: ['admin:*'] });
    expectProblem(outside, 400, 'invalid');
    expect(outside.body.detail).toContain('is not allowed for tenant "acme"');
    expectProblem(await admin.post('/tenants/acme/keys', { scopes: ['math'], expiresIn: 'forever' }), 400, 'invalid');
    expectProblem(await admin.post('/tenants/nobody/keys', { scopes: ['math'] }), 404, 'not-found');
    expectProblem(await admin.get('/tenants/nobody/keys'), 404, 'not-found');
  });

  it('revokes a key, which /mcp then refuses; revoking again is not an error', async () => {
    expect(await mcpStatus(created.key)).toBe(200);
    const res = await admin.post(`/keys/${created.id}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: created.id, revokedAt: expect.any(String) });
    expect(await mcpStatus(created.key)).toBe(401);
    expect((await admin.post(`/keys/${created.id}/revoke`)).body.revokedAt).toBe(res.body.revokedAt);
    expectProblem(await admin.post('/keys/nosuchkey/revoke'), 404, 'not-found');
  });
});

describe('trusted issuers', () => {
  const IDP = 'https://login.idp.test/';

  beforeAll(async () => {
    for (const slug of ['idp-co', 'org-a', 'org-b']) expect((await admin.post('/tenants', { slug, scopes: ['math', 'notes:*'] })).status).toBe(201);
  });

  it("registers an inline public JWK whose tokens then work on /mcp, and removing it refuses them", async () => {
    const key = await generateTestKey('ES256', 'idp-1');
    const res = await admin.post('/tenants/idp-co/issuers', { issuer: IDP, jwk: key.publicJwk, algorithms: ['ES256'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tenant: 'idp-co', issuer: IDP, jwksUri: null, inlineKeys: 1, audience: null, algorithms: ['ES256'], scopeClaim: 'scope', tenantClaim: null });
    expect(res.body.id).toMatch(/^iss_/);

    const token = await signToken(key, { iss: IDP, aud: `${server.url}/mcp`, sub: 'alice', scope: 'math', iat: epochSeconds(), exp: epochSeconds(300) });
    const client = await connectClient(server.url, { Authorization: `Bearer ${token}` });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['add', 'multiply', 'whoami']);
    await client.close();

    const removed = await admin.request('DELETE', `/tenants/idp-co/issuers/${res.body.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual(res.body);
    expect(await mcpStatus(token)).toBe(401); // KEY_CACHE_TTL_SECONDS is 0 here
  });

  it('registers a JWKS URI or a PEM public key, and lists them oldest first in one page', async () => {
    const byUri = await admin.post('/tenants/idp-co/issuers', { issuer: 'https://acme.auth0.test/', jwksUri: 'https://acme.auth0.test/.well-known/jwks.json', audience: 'api://tenant-mcp', scopeClaim: 'permissions' });
    expect(byUri.status).toBe(201);
    expect(byUri.body).toMatchObject({ jwksUri: 'https://acme.auth0.test/.well-known/jwks.json', inlineKeys: 0, audience: 'api://tenant-mcp', scopeClaim: 'permissions' });
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const byPem = await admin.post('/tenants/idp-co/issuers', { issuer: 'https://keys.globex.test', jwk: await exportSPKI(publicKey) });
    expect(byPem.status).toBe(201);
    expect(byPem.body).toMatchObject({ inlineKeys: 1, jwksUri: null });

    const list = await admin.get('/tenants/idp-co/issuers');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [byUri.body, byPem.body], next: null });
    expect((await admin.get('/tenants/org-a/issuers')).body).toEqual({ items: [], next: null });
  });

  it('lets tenants share an issuer only by distinct values of one tenant claim (409 otherwise)', async () => {
    const key = await generateTestKey('EdDSA', 'shared');
    const shared = { issuer: 'https://shared.idp.test', jwk: { keys: [key.publicJwk] }, tenantClaim: 'org_id' };
    expect((await admin.post('/tenants/org-a/issuers', { ...shared, tenantClaimValue: 'a' })).status).toBe(201);
    expect((await admin.post('/tenants/org-b/issuers', { ...shared, tenantClaimValue: 'b' })).status).toBe(201);
    const taken = await admin.post('/tenants/idp-co/issuers', { ...shared, tenantClaimValue: 'a' });
    expectProblem(taken, 409, 'conflict');
    expect(taken.body.detail).toContain('Tenant "org-a" already trusts issuer');
    expectProblem(await admin.post('/tenants/org-a/issuers', { ...shared, tenantClaimValue: 'z' }), 409, 'conflict');
    expectProblem(await admin.post('/tenants/idp-co/issuers', { issuer: shared.issuer, jwk: shared.jwk }), 409, 'conflict');
  });

  it("answers 404 for an unknown tenant or issuer, and for another tenant's issuer", async () => {
    const [ofA] = (await admin.get('/tenants/org-a/issuers')).body.items;
    expectProblem(await admin.request('DELETE', `/tenants/org-b/issuers/${ofA.id}`), 404, 'not-found');
    expect((await admin.get('/tenants/org-a/issuers')).body.items).toHaveLength(1);
    expectProblem(await admin.request('DELETE', '/tenants/org-a/issuers/iss_nosuchissuer'), 404, 'not-found');
    expectProblem(await admin.get('/tenants/nobody/issuers'), 404, 'not-found');
    expectProblem(await admin.post('/tenants/nobody/issuers', { issuer: IDP, jwksUri: 'https://x.test/jwks' }), 404, 'not-found');
  });

  it('refuses, with the same rules as the CLI, what the issuer service refuses', async () => {
    const key = await generateTestKey('ES256', 'k');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const cases: [unknown, RegExp][] = [
      [{ issuer: IDP }, /Give either a JWKS URI or a public key/],
      [{ issuer: IDP, jwksUri: 'https://x.test/jwks', jwk: key.publicJwk }, /Give either a JWKS URI or a public key/],
      [{ issuer: IDP, jwksUri: 'http://idp.example.com/jwks' }, /use https:\/\//],
      [{ issuer: IDP, jwk: await exportPKCS8(privateKey) }, /is a private key/],
      [{ issuer: IDP, jwk: { ...key.publicJwk, d: 'secret' } }, /private or secret key material/],
      [{ issuer: IDP, jwk: key.publicJwk, algorithms: ['HS256'] }, /Algorithm HS256 is not allowed/],
      [{ issuer: server.url, jwk: key.publicJwk }, /this server's own \(PUBLIC_URL\)/],
      [{ issuer: IDP, jwk: key.publicJwk, tenantClaim: 'org_id' }, /Give a tenant claim and its value together/],
    ];
    for (const [body, detail] of cases) {
      const res = await admin.post('/tenants/idp-co/issuers', body);
      expectProblem(res, 400, 'invalid');
      expect(res.body.detail, JSON.stringify(body)).toMatch(detail);
    }
    const shape = await admin.post('/tenants/idp-co/issuers', { issuer: 42, jwk: key.publicJwk, keys: [] });
    expectProblem(shape, 400, 'invalid');
    expect(shape.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer: '/issuer' }), expect.objectContaining({ in: 'body', pointer: '' })]));
  });
});

describe('token minting', () => {
  beforeAll(async () => {
    expect((await admin.post('/tenants', { slug: 'minty', scopes: ['math', 'notes:*'] })).status).toBe(201);
  });

  it("mints a token that the official MCP client uses on /mcp, seeing only its scopes' tools", async () => {
    const res = await admin.post('/tenants/minty/tokens', { scopes: ['notes:read'], subject: 'user-42', ttl: '10m' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', tenant: 'minty', subject: 'user-42', scopes: ['notes:read'] });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.issuedAt)).toBe(600_000);
    expect(res.headers.get('Cache-Control')).toBe('no-store');

    const client = await connectClient(server.url, { Authorization: `Bearer ${res.body.token}` });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['note_get', 'note_list', 'whoami']);
    expect((await client.callTool({ name: 'note_list', arguments: {} })).isError).toBeFalsy();
    await client.close();

    const events = await eventually(() => admin.get('/usage/events?tenant=minty&tool=note_list'), (r) => r.body.items.length === 1, 'the note_list event');
    expect(events.body.items[0]).toMatchObject({ subject: 'user-42', keyId: null, outcome: 'ok' });
    expect(server.output()).not.toContain(res.body.token.split('.')[2]);
  });

  it('defaults to 15 minutes and refuses more than 24 hours', async () => {
    const res = await admin.post('/tenants/minty/tokens', { scopes: ['math'] });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.issuedAt)).toBe(900_000);
    expect(res.body.subject).toBeNull();
    const long = await admin.post('/tenants/minty/tokens', { scopes: ['math'], ttl: '2d' });
    expectProblem(long, 400, 'invalid');
    expect(long.body.detail).toMatch(/at most 24h/);
    expectProblem(await admin.post('/tenants/minty/tokens', { scopes: ['math'], ttl: 'forever' }), 400, 'invalid');
  });

  it("refuses scopes outside the tenant's, no scopes, an unknown or a suspended tenant", async () => {
    const outside = await admin.post('/tenants/minty/tokens', { scopes: ['github:read'] });
    expectProblem(outside, 400, 'invalid');
    expect(outside.body.detail).toContain('is not allowed for tenant "minty"');
    expect((await admin.post('/tenants/minty/tokens', { scopes: [] })).body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/scopes' })]);
    expectProblem(await admin.post('/tenants/nobody/tokens', { scopes: ['math'] }), 404, 'not-found');
    await admin.patch('/tenants/minty', { status: 'suspended' });
    expect((await admin.post('/tenants/minty/tokens', { scopes: ['math'] })).body.detail).toMatch(/is suspended/);
    await admin.patch('/tenants/minty', { status: 'active' });
  });
});

describe('usage', () => {
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    await admin.post('/tenants', { slug: 'metered', scopes: ['math'] });
    const res = await admin.post('/tenants/metered/keys', { scopes: ['math'] });
    key = res.body.key;
    keyId = res.body.id;
  });

  it('lists the events of real tool calls, filtered, a page at a time', async () => {
    const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
    await expect(client.callTool({ name: 'note_get', arguments: { key: 'x' } })).rejects.toThrow(/Unknown tool/); // not granted: denied
    await client.close();

    const all = await eventually(() => admin.get('/usage/events?tenant=metered'), (r) => r.body.items.length === 4, 'four usage events');
    expect(all.body.items.map((e: { tool: string; outcome: string }) => `${e.tool}:${e.outcome}`)).toEqual(['add:ok', 'add:ok', 'add:ok', 'note_get:denied']);
    expect(all.body.items[0]).toMatchObject({ tenant: 'metered', keyId, subject: null });

    const denied = await admin.get('/usage/events?tenant=metered&outcome=denied');
    expect(denied.body.items).toHaveLength(1);
    expect((await admin.get(`/usage/events?keyId=${keyId}&tool=add`)).body.items).toHaveLength(3);

    const page1 = await admin.get('/usage/events?tenant=metered&limit=3');
    const page2 = await admin.get(`/usage/events?tenant=metered&limit=3&cursor=${encodeURIComponent(page1.body.next)}`);
    expect([...page1.body.items, ...page2.body.items]).toEqual(all.body.items);
    expect(page2.body.next).toBeNull();
    expect((await admin.get('/usage/events?tenant=metered&since=2000-01-01&until=2000-01-02')).body.items).toEqual([]);
  });

  it('aggregates per tenant, key, tool and day: calls, errors, denied, percentiles and bytes', async () => {
    await admin.post('/tenants', { slug: 'billing', scopes: ['math'] });
    const tenantId = (await getTenant(database.db, 'billing')).id;
    const day1 = Date.UTC(2026, 0, 10, 8);
    const day2 = Date.UTC(2026, 0, 11, 8);
    const event = (at: number, tool: string, outcome: 'ok' | 'tool_error' | 'denied' | 'unauthenticated', durationMs: number) =>
      ({ at: new Date(at), tenantId, keyId: 'k1', tool, outcome, durationMs, requestBytes: 100, responseBytes: 1000 }) as const;
    await writeUsageBatch(database.db, [
      ...Array.from({ length: 20 }, (_, i) => event(day1 + i, 'add', i === 0 ? 'tool_error' : 'ok', (i + 1) * 10)),
      event(day1, 'multiply', 'denied', 5),
      event(day2, 'add', 'ok', 7),
      event(day2, 'add', 'unauthenticated', 0),
    ]);

    const res = await admin.get('/usage/aggregates?tenant=billing&groupBy=day,tool');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { day: '2026-01-10', tool: 'add', calls: 20, ok: 19, errors: 1, denied: 0, rateLimited: 0, p50Ms: 100, p95Ms: 190, requestBytes: 2000, responseBytes: 20000 },
      { day: '2026-01-10', tool: 'multiply', calls: 1, ok: 0, errors: 0, denied: 1, rateLimited: 0, p50Ms: 5, p95Ms: 5, requestBytes: 100, responseBytes: 1000 },
      { day: '2026-01-11', tool: 'add', calls: 2, ok: 1, errors: 0, denied: 1, rateLimited: 0, p50Ms: 0, p95Ms: 7, requestBytes: 200, responseBytes: 2000 },
    ]);

    const total = await admin.get('/usage/aggregates?tenant=billing&since=2026-01-11&until=2026-01-12');
    expect(total.body.items).toEqual([{ calls: 2, ok: 1, errors: 0, denied: 1, rateLimited: 0, p50Ms: 0, p95Ms: 7, requestBytes: 200, responseBytes: 2000 }]);

    const none = await admin.get('/usage/aggregates?tenant=t-3');
    expect(none.body.items).toEqual([{ calls: 0, ok: 0, errors: 0, denied: 0, rateLimited: 0, p50Ms: null, p95Ms: null, requestBytes: 0, responseBytes: 0 }]);
    expect((await admin.get('/usage/aggregates?tenant=t-3&groupBy=day')).body.items).toEqual([]);

    const perTenant = await admin.get('/usage/aggregates?groupBy=tenant,key&tool=multiply');
    expect(perTenant.body.items).toEqual([expect.objectContaining({ tenant: 'billing', keyId: 'k1', calls: 1, denied: 1 })]);

    const page1 = await admin.get('/usage/aggregates?tenant=billing&groupBy=day,tool&limit=2');
    expect(page1.body.items).toEqual(res.body.items.slice(0, 2));
    const page2 = await admin.get(`/usage/aggregates?tenant=billing&groupBy=day,tool&limit=2&cursor=${encodeURIComponent(page1.body.next)}`);
    expect(page2.body).toEqual({ items: res.body.items.slice(2), next: null });
  });

  it('refuses bad filters with 400 and an unknown tenant with 404', async () => {
    expectProblem(await admin.get('/usage/aggregates?groupBy=tenant,planet'), 400, 'invalid');
    expectProblem(await admin.get('/usage/events?since=yesterday'), 400, 'invalid');
    expectProblem(await admin.get('/usage/events?outcome=great'), 400, 'invalid');
    expectProblem(await admin.get('/usage/events?tenant=nobody'), 404, 'not-found');
  });
});

describe('limits', () => {
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    await admin.post('/tenants', { slug: 'limited', scopes: ['math'] });
    const res = await admin.post('/tenants/limited/keys', { scopes: ['math'] });
    key = res.body.key;
    keyId = res.body.id;
  });

  it('sets a tenant rate of 2/min, after which the third tools/call in the minute gets 429', async () => {
    const res = await admin.patch('/tenants/limited/limits', { rate: '2/min' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tenant: 'limited', keyId: null, tool: null, rate: '2/minute', quota: null });
    await freshWindow(60_000, 5_000);
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) statuses.push((await callTool(server.url, key, 'add', { a: i, b: 1 }, i)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('lists tenant-wide, per-tool and per-key limits, and removes one with none', async () => {
    expect((await admin.patch('/tenants/limited/limits', { quota: '1000/month', tool: 'add' })).body).toMatchObject({ tool: 'add', rate: null, quota: '1000/month' });
    const perKey = await admin.patch(`/keys/${keyId}/limits`, { rate: '10/hour' });
    expect(perKey.status).toBe(200);
    expect(perKey.body).toEqual({ tenant: 'limited', keyId, tool: null, rate: '10/hour', quota: null });
    expect((await admin.get('/tenants/limited/limits')).body).toEqual({
      items: [
        { tenant: 'limited', keyId: null, tool: null, rate: '2/minute', quota: null },
        { tenant: 'limited', keyId: null, tool: 'add', rate: null, quota: '1000/month' },
        { tenant: 'limited', keyId, tool: null, rate: '10/hour', quota: null },
      ],
    });
    expect((await admin.patch('/tenants/limited/limits', { rate: 'none' })).body).toMatchObject({ tool: null, rate: null, quota: null });
    expect((await admin.patch(`/keys/${keyId}/limits`, { rate: 'none' })).status).toBe(200);
    expect((await admin.get('/tenants/limited/limits')).body.items).toEqual([{ tenant: 'limited', keyId: null, tool: 'add', rate: null, quota: '1000/month' }]);
    expect((await admin.get('/tenants/t-3/limits')).body).toEqual({ items: [] });
  });

  it('refuses, with the same rules as the CLI, a bad rate, quota or tool, or nothing to set', async () => {
    const rate = await admin.patch('/tenants/limited/limits', { rate: '5/fortnight' });
    expectProblem(rate, 400, 'invalid');
    expect(rate.body.detail).toContain('Invalid rate "5/fortnight"');
    expect((await admin.patch(`/keys/${keyId}/limits`, { quota: '10/week' })).body.detail).toContain('Invalid quota "10/week"');
    expect((await admin.patch('/tenants/limited/limits', { rate: '1/min', tool: 'launch' })).body.detail).toContain('Unknown tool "launch"');
    expectProblem(await admin.patch('/tenants/limited/limits', {}), 400, 'invalid');
    const shape = await admin.patch('/tenants/limited/limits', { rate: 5, burst: 3 });
    expectProblem(shape, 400, 'invalid');
    expect(shape.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer: '/rate' })]));
  });

  it('answers 404 for an unknown tenant or key', async () => {
    expectProblem(await admin.get('/tenants/nobody/limits'), 404, 'not-found');
    expectProblem(await admin.patch('/tenants/nobody/limits', { rate: '1/min' }), 404, 'not-found');
    expectProblem(await admin.patch('/keys/nokey/limits', { rate: '1/min' }), 404, 'not-found');
  });
});

describe('OAuth clients and grants', () => {
  it('registers, lists and removes a client; a confidential one gets its secret once', async () => {
    const created = await admin.post('/oauth/clients', { name: 'Acme app', redirectUris: ['https://app.acme.example/cb'], confidential: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'registered', name: 'Acme app', confidential: true, clientSecret: expect.stringMatching(/^tmcs_/) });
    const listed = await admin.get('/oauth/clients');
    const mine = listed.body.items.find((c: { clientId: string }) => c.clientId === created.body.clientId);
    expect(mine).toBeDefined();
    expect(mine.clientSecret).toBeUndefined();
    expect((await admin.request('DELETE', `/oauth/clients/${created.body.clientId}`)).body).toEqual({ clientId: created.body.clientId });
    expectProblem(await admin.request('DELETE', `/oauth/clients/${created.body.clientId}`), 404, 'not-found');
  });

  it('refuses a client whose redirect URI is plain http to another host', async () => {
    expectProblem(await admin.post('/oauth/clients', { name: 'Bad', redirectUris: ['http://evil.example/cb'] }), 400, 'invalid');
  });

  it('lists and revokes grants by tenant', async () => {
    const { createGrant } = await import('../src/oauth/grants.ts');
    const tenant = (await admin.post('/tenants', { slug: 'oauth-co', scopes: ['math'] })).body;
    const client = (await admin.post('/oauth/clients', { name: 'Grant holder', redirectUris: ['https://app.example/cb'] })).body;
    const user = { tenantId: tenant.id, subject: 'user-1', method: 'oidc' as const };
    await createGrant(database.db, { user, clientId: client.clientId, scopes: ['math'], resource: `${server.url}/mcp`, redirectUri: 'https://app.example/cb', codeChallenge: 'c'.repeat(43) });
    const listed = await admin.request('GET', '/oauth/grants?tenant=oauth-co');
    expect(listed.body.items).toEqual([expect.objectContaining({ tenant: 'oauth-co', subject: 'user-1', clientId: client.clientId, revokedAt: null })]);
    expect((await admin.post('/oauth/grants/revoke', { tenant: 'oauth-co' })).body).toEqual({ revoked: 1 });
    expect((await admin.request('GET', '/oauth/grants?tenant=oauth-co')).body.items).toEqual([]);
    expect((await admin.request('GET', '/oauth/grants?tenant=oauth-co&includeRevoked=true')).body.items[0].revokedReason).toBe('revoked by an operator');
    expectProblem(await admin.post('/oauth/grants/revoke', { id: 'no-such-grant' }), 404, 'not-found');
  });
});

describe('sign-in providers', () => {
  it('adds, lists, shows and removes providers without ever answering the client secret', async () => {
    expect((await admin.post('/tenants', { slug: 'sso-co', scopes: ['math'] })).status).toBe(201);
    const company = await admin.post('/sign-in-providers', {
      kind: 'company',
      name: 'Example Corp',
      issuer: 'https://login.example.com/',
      clientId: 'tenant-mcp',
      clientSecret: 'upstream-secret-never-answered',
      tenantClaim: 'org',
      scopeClaim: 'mcp_scopes',
    });
    expect(company.status).toBe(201);
    expect(company.body).toMatchObject({ kind: 'company', tenant: null, clientAuth: 'client_secret', secretKeyId: 'k1', tenantClaim: 'org' });
    const sso = await admin.post('/sign-in-providers', { kind: 'tenant', tenant: 'sso-co', name: 'SSO Co', issuer: 'https://sso.example.com', clientId: 'c', emailDomains: ['sso.example'] });
    expect(sso.status).toBe(201);
    const listed = await admin.get('/sign-in-providers');
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([company.body.id, sso.body.id]));
    expect((await admin.get('/sign-in-providers?tenant=sso-co')).body.items.map((p: { id: string }) => p.id)).toEqual([sso.body.id]);
    const shown = await admin.get(`/sign-in-providers/${company.body.id}`);
    expect(shown.status).toBe(200);
    for (const res of [company, listed, shown]) expect(JSON.stringify(res.body)).not.toContain('upstream-secret-never-answered');
    expectProblem(await admin.post('/sign-in-providers', { kind: 'tenant', tenant: 'sso-co', name: 'Again', issuer: 'https://x.example.com', clientId: 'd', emailDomains: ['sso.example'] }), 409, 'conflict');
    expectProblem(await admin.post('/sign-in-providers', { kind: 'company', name: 'No claim', issuer: 'https://y.example.com', clientId: 'e' }), 400, 'invalid');
    expect((await admin.request('DELETE', `/sign-in-providers/${sso.body.id}`)).status).toBe(200);
    expectProblem(await admin.get(`/sign-in-providers/${sso.body.id}`), 404, 'not-found');
    expectProblem(await admin.request('DELETE', `/sign-in-providers/${sso.body.id}`), 404, 'not-found');
  });

  it('sets, changes and removes the admin rule that lets users sign in to /portal', async () => {
    const added = await admin.post('/sign-in-providers', { kind: 'tenant', tenant: 'sso-co', name: 'Portal SSO', issuer: 'https://portal-sso.example.com', clientId: 'p', adminClaim: 'groups', adminValues: ['mcp-admins'] });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ adminClaim: 'groups', adminValues: ['mcp-admins'] });
    const id = added.body.id as string;
    const changed = await admin.patch(`/sign-in-providers/${id}`, { name: 'Portal SSO 2', adminValues: 'mcp-admins, owners' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'Portal SSO 2', adminClaim: 'groups', adminValues: ['mcp-admins', 'owners'] });
    const removed = await admin.patch(`/sign-in-providers/${id}`, { adminClaim: null });
    expect(removed.body).toMatchObject({ adminClaim: null, adminValues: null });
    expectProblem(await admin.patch(`/sign-in-providers/${id}`, { adminValues: ['x'] }), 400, 'invalid'); // values without a claim
    expectProblem(await admin.patch(`/sign-in-providers/${id}`, { adminClaim: 'groups' }), 400, 'invalid'); // a claim without values
    expectProblem(await admin.patch(`/sign-in-providers/${id}`, { issuer: 'https://elsewhere.example' }), 400, 'invalid');
    expectProblem(await admin.patch('/sign-in-providers/sip_aaaaaaaaaaaa', { name: 'x' }), 404, 'not-found');
    expectProblem(await admin.post('/sign-in-providers', { kind: 'tenant', tenant: 'sso-co', name: 'Half', issuer: 'https://half.example.com', clientId: 'h', adminValues: 'x' }), 400, 'invalid');
  });

  it("reads and changes a tenant's sign-in methods", async () => {
    expect((await admin.get('/tenants/sso-co/sign-in-methods')).body).toEqual({ apiKey: true, company: true, tenantSso: true });
    const changed = await admin.patch('/tenants/sso-co/sign-in-methods', { apiKey: false });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ apiKey: false, company: true, tenantSso: true });
    expect((await admin.get('/tenants/sso-co/sign-in-methods')).body.apiKey).toBe(false);
    expectProblem(await admin.patch('/tenants/sso-co/sign-in-methods', { password: true }), 400, 'invalid');
    expectProblem(await admin.get('/tenants/nobody/sign-in-methods'), 404, 'not-found');
  });
});

describe('validation and errors', () => {
  it('lists every validation issue with where it is', async () => {
    const res = await admin.post('/tenants', { slug: 'Not A Slug', scopes: 'math', plan: 'gold' });
    expectProblem(res, 400, 'invalid');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', pointer: '/slug', detail: expect.any(String) },
        { in: 'body', pointer: '/scopes', detail: expect.any(String) },
        { in: 'body', pointer: '', detail: expect.stringContaining('plan') },
      ]),
    );
  });

  it('validates query and path parameters too', async () => {
    const limit = await admin.get('/tenants?limit=5000');
    expectProblem(limit, 400, 'invalid');
    expect(limit.body.errors).toEqual([{ in: 'query', pointer: '/limit', detail: expect.any(String) }]);
    const slug = await admin.get('/tenants/UPPER');
    expectProblem(slug, 400, 'invalid');
    expect(slug.body.errors[0]).toMatchObject({ in: 'path', pointer: '/slug' });
  });

  it('refuses a tampered cursor', async () => {
    expectProblem(await admin.get('/tenants?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid');
    expectProblem(await admin.get('/usage/events?cursor=%%%'), 400, 'invalid');
  });

  it('answers malformed JSON, a missing body, a wrong media type and an oversized body with problems', async () => {
    expectProblem(await admin.post('/tenants', '{"slug":'), 400, 'invalid');
    expectProblem(await admin.request('POST', '/tenants'), 400, 'invalid');
    expectProblem(await admin.request('POST', '/tenants', { body: 'slug=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type');
    expectProblem(await admin.post('/tenants', { slug: 'big', scopes: ['math'], name: 'x'.repeat(70_000) }), 413, 'too-large');
  });

  it('answers an unknown admin path with a 404 problem', async () => {
    expectProblem(await admin.get('/planets'), 404, 'not-found');
    expectProblem(await admin.request('DELETE', '/tenants/acme'), 404, 'not-found');
  });
});

describe('connectors', () => {
  const document = JSON.parse(readFileSync(new URL('../examples/petstore/openapi.json', import.meta.url), 'utf8'));

  it('adds an OpenAPI connector, lists, shows, refreshes and removes it, with documented answers', async () => {
    await admin.post('/tenants', { slug: 'pets', scopes: ['petstore:*'] });
    const added = await admin.post('/connectors', { name: 'petstore', kind: 'openapi', document, url: petstore.url, credential: 'secret', secretHeader: 'X-Api-Key' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'petstore', kind: 'openapi', credential: 'secret', secretHeader: 'X-Api-Key', tenantSecrets: 0 });
    expect(added.body.tools.map((t: { name: string }) => t.name)).toEqual(['petstore_listPets', 'petstore_createPet', 'petstore_getPet', 'petstore_deletePet']);
    expectProblem(await admin.post('/connectors', { name: 'petstore', kind: 'mcp', url: 'https://mcp.example.com/mcp', credential: 'none' }), 409, 'conflict');
    expectProblem(await admin.post('/connectors', { name: 'Bad Name', kind: 'mcp', url: 'https://mcp.example.com/mcp', credential: 'none' }), 400, 'invalid');
    expect((await admin.get('/connectors')).body.items.map((c: { name: string }) => c.name)).toEqual(['petstore']);
    expect((await admin.get('/connectors/petstore')).body.id).toBe(added.body.id);
    expectProblem(await admin.get('/connectors/nope'), 404, 'not-found');

    const secret = await admin.request('PUT', '/connectors/petstore/secrets/pets', { body: { secret: 'pets-upstream-token-123' } });
    expect(secret.status).toBe(200);
    expect(JSON.stringify(secret.body)).not.toContain('pets-upstream-token-123');
    expect((await admin.get('/connectors/petstore')).body.tenantSecrets).toBe(1);
    expect((await admin.request('DELETE', '/connectors/petstore/secrets/pets')).status).toBe(204);
    expectProblem(await admin.request('DELETE', '/connectors/petstore/secrets/pets'), 404, 'not-found');

    const refreshed = await admin.post('/connectors/petstore/refresh', { document, selection: { include: { tags: ['pets'] }, exclude: { operationIds: ['deletePet'] } } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.tools.map((t: { name: string }) => t.name)).not.toContain('petstore_deletePet');
    const removed = await admin.request('DELETE', '/connectors/petstore');
    expect(removed.status).toBe(200);
    expectProblem(await admin.request('DELETE', '/connectors/petstore'), 404, 'not-found');
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(admin.document).toMatchObject({ openapi: '3.1.0', servers: [{ url: `${server.url}/admin` }] });
    const result = await validate(structuredClone(admin.document) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  it('documents exactly the routes the admin app serves', async () => {
    const { app } = createApp({ db: database.db, config: parseConfig({ ADMIN_TOKEN }) });
    const served = app.routes
      .filter((r) => r.path.startsWith('/admin/') && r.method !== 'ALL' && !['/admin/openapi.json', '/admin/reference'].includes(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/^\/admin/, '').replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(admin.document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(new Set(served)).toEqual(new Set(documented));
  });

  it('needs the admin credential for every documented operation', async () => {
    const anonymous = await AdminClient.connect(server.url);
    for (const [path, item] of Object.entries(anonymous.document.paths)) {
      for (const method of Object.keys(item)) {
        const res = await anonymous.request(method.toUpperCase(), path.replace(/\{\w+\}/g, 'x'));
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it('is rendered as a self-contained reference page listing every operation', async () => {
    const res = await fetch(`${server.url}/admin/reference`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|@import|url\(/i);
    for (const path of Object.keys(admin.document.paths)) expect(html).toContain(`<code>${path}</code>`);
  });

  it('was followed by every documented operation with documented answers in this suite', () => {
    const documented = Object.entries(admin.document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect([...admin.exercised].sort()).toEqual(documented.sort());
  });
});
