import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant, updateTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { connectClient, postMcp, rpc } from '../helpers/mcp.ts';
import { NODE_ENTRY, type RunningServer, root, startServer } from '../helpers/server.ts';
import { waitForUsage } from '../helpers/usage.ts';

let database: TempDatabase;
let server: RunningServer;
let mathKey: string;
let readerKey: string;
let wideKey: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:read' });
  mathKey = (await createKey(database.db, { tenant: 'acme', scopes: 'math' })).key;
  readerKey = (await createKey(database.db, { tenant: 'acme', scopes: 'notes:read' })).key;
  await createTenant(database.db, { slug: 'wide', scopes: '*' });
  wideKey = (await createKey(database.db, { tenant: 'wide', scopes: '*' })).key;
  server = await startServer({ DATABASE_URL: database.url, KEY_CACHE_TTL_SECONDS: '1', USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

const callTool = (key: string, params: Record<string, unknown>, id = 1) => postMcp(server.url, rpc('tools/call', params, id), { Authorization: `Bearer ${key}` });

async function expectUnknownTool(res: Response, name: string) {
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body, name).toMatchObject({ error: { code: -32602 } });
  expect(body).not.toHaveProperty('result');
}

describe('attempts to escalate scope', () => {
  it("cannot call a tool the tenant grants but the key does not, nor one the tenant lacks", async () => {
    await expectUnknownTool(await callTool(mathKey, { name: 'note_get', arguments: { key: 'k' } }), 'note_get');
    await expectUnknownTool(await callTool(readerKey, { name: 'note_put', arguments: { key: 'k', value: 'v' } }), 'note_put');
    await expectUnknownTool(await callTool(readerKey, { name: 'github_readme', arguments: { owner: 'a', repo: 'b' } }), 'github_readme');
    const rows = await waitForUsage(database.db, (rows) => rows.filter((r) => r.outcome === 'denied').length >= 3);
    expect(rows.filter((r) => r.outcome === 'denied').map((r) => r.tool)).toEqual(['note_get', 'note_put', 'github_readme']);
  });

  it('cannot reach a tool through a spelling of its name', async () => {
    for (const name of ['NOTE_GET', 'note_get ', ' note_get', 'note_get\u0000', 'note_get/', 'notes:read/note_get', 'note\u005fget\u200b', 'note-get']) {
      await expectUnknownTool(await callTool(mathKey, { name, arguments: { key: 'k' } }), JSON.stringify(name));
    }
  });

  it('cannot widen its grants with _meta, extra params or extra headers', async () => {
    const tricks = [
      { name: 'note_get', arguments: { key: 'k' }, _meta: { scopes: ['*'], authInfo: { scopes: ['*'] }, tenant: 'wide' } },
      { name: 'note_get', arguments: { key: 'k' }, scopes: ['notes:read'], caller: { tenantScopes: ['*'], credentialScopes: ['*'] } },
    ];
    for (const params of tricks) await expectUnknownTool(await callTool(mathKey, params), 'note_get');
    // Only one credential is used: Authorization, when present, wins over X-API-Key.
    const both = await postMcp(server.url, rpc('tools/call', { name: 'note_get', arguments: { key: 'k' } }), { Authorization: `Bearer ${mathKey}`, 'X-API-Key': wideKey });
    await expectUnknownTool(both, 'note_get');
    const listed = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${mathKey}`, 'X-API-Key': wideKey, 'X-Tenant': 'wide', 'X-Scopes': '*' });
    expect((await listed.json()).result.tools.map((t: { name: string }) => t.name).sort()).toEqual(['add', 'multiply', 'whoami']);
  });

  it('sees only its own tools listed, with its own scopes reported', async () => {
    const client = await connectClient(server.url, { Authorization: `Bearer ${readerKey}` });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['note_get', 'note_list', 'whoami']);
    const me = await client.callTool({ name: 'whoami', arguments: {} });
    expect(me.structuredContent).toMatchObject({ tenant: 'acme', tenantScopes: ['math', 'notes:read'], credentialScopes: ['notes:read'] });
    await client.close();
  });

  it('cannot be issued a key wider than its tenant', async () => {
    for (const scopes of ['notes:*', 'notes:write', '*', 'math,github:read']) {
      await expect(createKey(database.db, { tenant: 'acme', scopes }), scopes).rejects.toBeInstanceOf(AppError);
    }
  });

  it("loses a tool within the cache bound when the tenant's plan is narrowed", async () => {
    await createTenant(database.db, { slug: 'shrinking', scopes: 'math,notes:read' });
    const key = (await createKey(database.db, { tenant: 'shrinking', scopes: 'math,notes:read' })).key;
    expect((await (await callTool(key, { name: 'note_list', arguments: {} })).json()).result).toBeDefined();
    await updateTenant(database.db, 'shrinking', { scopes: 'math' });
    await new Promise((r) => setTimeout(r, 1_100)); // KEY_CACHE_TTL_SECONDS=1 for this server
    await expectUnknownTool(await callTool(key, { name: 'note_list', arguments: {} }), 'note_list');
  });
});

describe('test fixtures', () => {
  it('are not served in a normal start, even to a key granted everything', async () => {
    const tools = await (await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${wideKey}` })).json();
    expect(tools.result.tools.map((t: { name: string }) => t.name)).not.toContain('test_slow');
    await expectUnknownTool(await callTool(wideKey, { name: 'test_slow', arguments: { ms: 1 } }), 'test_slow');
    const resources = await (await postMcp(server.url, rpc('resources/list'), { Authorization: `Bearer ${wideKey}` })).json();
    expect(resources).toMatchObject({ error: { code: -32601 } });
  });

  it('refuse to start unless NODE_ENV=test', () => {
    const run = spawnSync(process.execPath, NODE_ENTRY, {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: database.url, TEST_FIXTURES: '1', NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/TEST_FIXTURES serves test-only tools and is refused unless NODE_ENV=test/);
  });

  it('are invisible, when on, to keys without the test-fixtures scope', async () => {
    const withFixtures = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'test', TEST_FIXTURES: '1' });
    try {
      const auth = { Authorization: `Bearer ${readerKey}` };
      const tools = await (await postMcp(withFixtures.url, rpc('tools/list'), auth)).json();
      expect(tools.result.tools.map((t: { name: string }) => t.name).filter((n: string) => n.startsWith('test_'))).toEqual([]);
      expect(await (await postMcp(withFixtures.url, rpc('resources/list'), auth)).json()).toMatchObject({ error: { code: -32601 } });
      expect(await (await postMcp(withFixtures.url, rpc('prompts/list'), auth)).json()).toMatchObject({ error: { code: -32601 } });
      const wide = await (await postMcp(withFixtures.url, rpc('prompts/list'), { Authorization: `Bearer ${wideKey}` })).json();
      expect(wide.result.prompts.length).toBeGreaterThan(0); // `*` grants test-fixtures too
    } finally {
      await withFixtures.stop();
    }
  });
});
