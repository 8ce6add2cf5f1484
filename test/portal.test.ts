import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTool } from '../src/tools/define-tool.ts';
import { createKey, findActiveKey } from '../src/services/keys.ts';
import { setLimits } from '../src/services/limits.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient } from './helpers/mcp.ts';
import { getPage, postForm, signIn } from './helpers/pages.ts';
import { expectNoSecretsIn } from './helpers/secrets.ts';
import { type RunningServer, startServer } from './helpers/server.ts';
import { waitForUsage } from './helpers/usage.ts';

let database: TempDatabase;
let server: RunningServer;
let acmeAdminKey: string;
let acme: Awaited<ReturnType<typeof signIn>>;
let globexKey: { id: string; key: string };

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Inc.', scopes: 'math,notes:*,tenant:admin' });
  await createTenant(database.db, { slug: 'globex', name: 'Globex', scopes: 'math,tenant:admin' });
  acmeAdminKey = (await createKey(database.db, { tenant: 'acme', scopes: 'tenant:admin,math,notes:read', name: 'acme admin' })).key;
  globexKey = await createKey(database.db, { tenant: 'globex', scopes: 'math', name: 'globex app' });
  await setLimits(database.db, 'acme', { quota: '1000/month' });
  server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '100', KEY_CACHE_TTL_SECONDS: '0' });
  acme = await signIn(server.url, '/portal', acmeAdminKey);
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

describe('portal sign-in', () => {
  it('signs in with a key holding tenant:admin and shows only that tenant', async () => {
    expect(acme.response.status).toBe(303);
    const html = await (await getPage(server.url, '/portal', acme.cookie)).text();
    expect(html).toContain('Acme Inc.');
    expect(html).not.toContain('Globex');
    expect(acme.cookie).not.toContain(acmeAdminKey.slice('tmcp_'.length + 13));
    expectNoSecretsIn(server.output(), [acmeAdminKey]);
  });

  it('refuses a valid key without the tenant-admin grant with 403', async () => {
    const res = (await signIn(server.url, '/portal', globexKey.key)).response;
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('does not carry the tenant:admin grant');
  });

  it('refuses a wildcard key: tenant:admin must be named explicitly', async () => {
    await createTenant(database.db, { slug: 'wild', scopes: '*' });
    const wildcard = await createKey(database.db, { tenant: 'wild', scopes: '*' });
    expect((await signIn(server.url, '/portal', wildcard.key)).response.status).toBe(403);
  });

  it('refuses a tenant:admin key when the plan no longer allows it', async () => {
    await createTenant(database.db, { slug: 'narrow', scopes: 'math' });
    // The plan never had tenant:admin, so createKey refuses it: the grant cannot be handed out past the plan.
    await expect(createKey(database.db, { tenant: 'narrow', scopes: 'tenant:admin' })).rejects.toThrow(/not allowed/);
  });

  it('refuses an unknown or malformed key with 401', async () => {
    expect((await signIn(server.url, '/portal', 'tmcp_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')).response.status).toBe(401);
    expect((await signIn(server.url, '/portal', 'not a key')).response.status).toBe(401);
  });
});

describe('portal keys', () => {
  it('creates a key within the plan and its own scopes, shown once with snippets', async () => {
    const res = await postForm(server.url, '/portal/keys', { name: 'cursor', scopes: 'math', csrf: acme.csrf }, { cookie: acme.cookie });
    expect(res.status).toBe(201);
    const html = await res.text();
    const key = /id="created-key"[^>]*>(tmcp_[^<]+)</.exec(html)![1]!;
    expect(html).toContain('Claude Desktop');
    expect(html).toContain('VS Code');
    expect(html).toContain('OAuth URL');
    expect(html).toContain(`${server.url}/mcp`); // the address the page was reached at, when PUBLIC_URL is unset
    expect(await (await getPage(server.url, '/portal', acme.cookie)).text()).not.toContain(key);
    const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
    expect(await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })).toMatchObject({ content: [{ text: '42' }] });
    await client.close();
  });

  it('refuses a key above its own scopes, even when the plan allows it', async () => {
    const res = await postForm(server.url, '/portal/keys', { scopes: 'notes:write', csrf: acme.csrf }, { cookie: acme.cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('beyond your own key');
  });

  it('refuses a form without its CSRF token', async () => {
    expect((await postForm(server.url, '/portal/keys', { scopes: 'math' }, { cookie: acme.cookie })).status).toBe(403);
  });

  it("cannot revoke another tenant's key by id: 404, and the key still works", async () => {
    const res = await postForm(server.url, `/portal/keys/${globexKey.id}/revoke`, { csrf: acme.csrf }, { cookie: acme.cookie });
    expect(res.status).toBe(404);
    expect(await findActiveKey(database.db, globexKey.id)).toBeDefined();
    const client = await connectClient(server.url, { Authorization: `Bearer ${globexKey.key}` });
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await client.close();
  });

  it("cannot see another tenant's usage by key id", async () => {
    await waitForUsage(database.db, (rows) => rows.some((r) => r.keyId === globexKey.id));
    const res = await getPage(server.url, `/portal?keyId=${globexKey.id}&range=24h`, acme.cookie);
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain(`No key &quot;${globexKey.id}&quot; in your tenant`);
    expect(html).not.toContain(`data-key-id="${globexKey.id}"`);
  });

  it("shows this month's quota use from real calls", async () => {
    await waitForUsage(database.db, (rows) => rows.some((r) => r.tenant === 'acme' && r.outcome === 'ok'));
    const html = await (await getPage(server.url, '/portal?range=24h', acme.cookie)).text();
    expect(html).toMatch(/<td class="num">1 of 1000<\/td>/);
    expect(Number(/data-chart="calls" data-total="(\d+)"/.exec(html)![1])).toBe(1);
  });

  it('ends the session once the signed-in key is revoked', async () => {
    const extra = await createKey(database.db, { tenant: 'acme', scopes: 'tenant:admin,math', name: 'short-lived admin' });
    const session = await signIn(server.url, '/portal', extra.key);
    const res = await postForm(server.url, `/portal/keys/${extra.id}/revoke`, { csrf: session.csrf }, { cookie: session.cookie });
    expect(res.status).toBe(303);
    expect((await getPage(server.url, '/portal', session.cookie)).headers.get('Location')).toBe('/portal/login');
  });
});

describe('the tenant-admin grant on /mcp', () => {
  it('never makes a tool visible: a tenant:admin-only key sees only the tools that need no scope', async () => {
    const only = await createKey(database.db, { tenant: 'acme', scopes: 'tenant:admin' });
    const client = await connectClient(server.url, { Authorization: `Bearer ${only.key}` });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['whoami']);
    await client.close();
  });

  it('is a reserved namespace: no tool may declare a tenant: scope', () => {
    expect(() => defineTool({ name: 'sneaky', title: 'x', description: 'x', scopes: ['tenant:admin'], inputSchema: {}, annotations: {}, handler: async () => ({ content: [] }) })).toThrow(
      /reserved for tenant administration/,
    );
  });
});
