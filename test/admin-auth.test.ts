import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';

let database: TempDatabase;
let on: RunningServer;
let off: RunningServer;
let tenantKey: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: '*' });
  tenantKey = (await createKey(database.db, { tenant: 'acme', scopes: '*' })).key;
  [on, off] = await Promise.all([startServer({ DATABASE_URL: database.url, ADMIN_TOKEN }), startServer({ DATABASE_URL: database.url })]);
});

afterAll(async () => {
  await Promise.all([on?.stop(), off?.stop()]);
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
