import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageEvents } from '../src/db/schema.ts';
import { createKey } from '../src/services/keys.ts';
import { setLimits } from '../src/services/limits.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { callTool, freshWindow, waitFor } from './helpers/limits.ts';
import { connectClient, modernRequest, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;

beforeAll(async () => {
  database = await tempDatabase();
  server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

/** A tenant with the given limits (set before its first call, so no cache is stale) and one key. */
async function tenantWith(slug: string, limits: { rate?: string; quota?: string }, scopes = 'math') {
  const tenant = await createTenant(database.db, { slug, scopes });
  await setLimits(database.db, slug, limits);
  const key = await createKey(database.db, { tenant: slug, scopes });
  return { tenant, key: key.key, keyId: key.id };
}

describe('rate limits and quotas on one instance', () => {
  it('refuses the sixth call within the minute with 429, Retry-After and a JSON-RPC error', async () => {
    const { key } = await tenantWith('five-a-minute', { rate: '5/min' });
    await freshWindow(60_000, 5_000);
    for (let i = 1; i <= 5; i++) expect((await callTool(server.url, key, 'add', { a: i, b: 1 }, i)).status).toBe(200);
    const refused = await callTool(server.url, key, 'add', { a: 6, b: 1 }, 6);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await refused.json();
    expect(body).toMatchObject({
      jsonrpc: '2.0',
      id: 6,
      error: { code: -32029, data: { reason: 'rate_limited', limit: 5, per: 'minute', retryAfterSeconds: retryAfter } },
    });
    expect(body.error.message).toBe(`Rate limit exceeded: at most 5 calls per minute for this tenant. Retry after ${retryAfter} s.`);
  });

  it('charges 2026-07-28 calls from the same budget as legacy ones, and refuses them alike', async () => {
    const { key } = await tenantWith('two-a-minute-both-eras', { rate: '2/min' });
    await freshWindow(60_000, 5_000);
    const modernCall = (id: number) => {
      const { body, headers } = modernRequest('tools/call', { name: 'add', arguments: { a: id, b: 1 } }, { id });
      return postMcp(server.url, body, { Authorization: `Bearer ${key}`, ...headers });
    };
    expect((await modernCall(1)).status).toBe(200);
    expect((await callTool(server.url, key, 'add', { a: 2, b: 1 }, 2)).status).toBe(200);
    const refused = await modernCall(3);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ id: 3, error: { code: -32029, data: { reason: 'rate_limited', limit: 2 } } });
  });

  it('does not charge initialize, ping or tools/list', async () => {
    const { key } = await tenantWith('one-an-hour', { rate: '1/hour' });
    await freshWindow(3_600_000, 5_000);
    const headers = { Authorization: `Bearer ${key}` };
    const init = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    for (let i = 0; i < 3; i++) {
      for (const body of [init, rpc('ping'), rpc('tools/list')]) expect((await postMcp(server.url, body, headers)).status).toBe(200);
    }
    expect((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status).toBe(200);
    expect((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status).toBe(429);
    for (const body of [init, rpc('ping'), rpc('tools/list')]) expect((await postMcp(server.url, body, headers)).status).toBe(200);
  });

  it('logs each refused call as rate_limited', async () => {
    const { tenant, key } = await tenantWith('logged', { rate: '2/hour' });
    await freshWindow(3_600_000, 5_000);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await callTool(server.url, key, 'multiply', { a: 2, b: 3 })).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    const events = await waitFor(async () => {
      const rows = await database.db.select().from(usageEvents).where(eq(usageEvents.tenantId, tenant.id));
      return rows.length === 5 ? rows : undefined;
    });
    expect(events.map((e) => e.outcome).sort()).toEqual(['ok', 'ok', 'rate_limited', 'rate_limited', 'rate_limited']);
    expect(events.every((e) => e.tool === 'multiply')).toBe(true);
  });

  it('shows the refusal to a user of the official MCP client', async () => {
    const { key } = await tenantWith('sdk-user', { rate: '1/day' });
    await freshWindow(86_400_000, 5_000);
    const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
    expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content).toEqual([{ type: 'text', text: '3' }]);
    await expect(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toThrow(/429|Rate limit exceeded: at most 1 call per day/);
    await client.close();
  });

  it('answers a tool the caller cannot see with Unknown tool, not 429, and does not charge it', async () => {
    const { key } = await tenantWith('hidden', { rate: '1/hour' }, 'math,notes:*');
    const mathOnly = (await createKey(database.db, { tenant: 'hidden', scopes: 'math' })).key;
    await freshWindow(3_600_000, 5_000);
    for (let i = 0; i < 3; i++) {
      const res = await callTool(server.url, mathOnly, 'note_get', { key: 'x' }, 7);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 7, error: { code: -32602, message: 'Unknown tool: note_get' } });
    }
    expect((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status).toBe(200);
    expect((await callTool(server.url, mathOnly, 'note_get', { key: 'x' })).status).toBe(200);
  });

  it('refuses calls past a monthly quota until the month ends', async () => {
    const { key } = await tenantWith('quota', { quota: '3/month' });
    const untilNextMonth = () => Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1) - Date.now();
    if (untilNextMonth() < 5_000) await new Promise((r) => setTimeout(r, untilNextMonth() + 50)); // one month for all calls
    for (let i = 0; i < 3; i++) expect((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status).toBe(200);
    const refused = await callTool(server.url, key, 'add', { a: 1, b: 1 });
    expect(refused.status).toBe(429);
    const now = new Date();
    const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    const retryAfter = Number(refused.headers.get('Retry-After'));
    expect(Math.abs(retryAfter - (monthEnd - now.getTime()) / 1000)).toBeLessThan(60);
    const body = await refused.json();
    expect(body.error.message).toBe(`Monthly quota exceeded: at most 3 calls per month for this tenant. It resets at ${new Date(monthEnd).toISOString()}.`);
    expect(body.error.data.reason).toBe('quota_exceeded');
  });

  it('limits one tool with a per-tool limit and leaves the others alone', async () => {
    const { key } = await tenantWith('tool-limit', { rate: '100/hour' });
    await setLimits(database.db, 'tool-limit', { tool: 'multiply', rate: '1/hour' });
    await freshWindow(3_600_000, 5_000);
    expect((await callTool(server.url, key, 'multiply', { a: 2, b: 2 })).status).toBe(200);
    const refused = await callTool(server.url, key, 'multiply', { a: 2, b: 2 });
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.message).toMatch(/^Rate limit exceeded: at most 1 call per hour for tool multiply\./);
    for (let i = 0; i < 3; i++) expect((await callTool(server.url, key, 'add', { a: 2, b: 2 })).status).toBe(200);
  });

  it("limits one key with a per-key limit, while the tenant's limit caps all its keys together", async () => {
    const { key: first, keyId } = await tenantWith('key-limit', { rate: '4/hour' });
    const second = (await createKey(database.db, { tenant: 'key-limit', scopes: 'math' })).key;
    await setLimits(database.db, undefined, { keyId, rate: '2/hour' });
    await freshWindow(3_600_000, 5_000);
    const statuses = async (key: string, n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status);
      return out;
    };
    expect(await statuses(first, 3)).toEqual([200, 200, 429]);
    expect(await statuses(second, 3)).toEqual([200, 200, 429]);
  });
});
