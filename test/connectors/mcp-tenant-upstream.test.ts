// tenant-mcp itself as the upstream (one instance proxying another, a SaaS's internal MCP server
// built on this product): the real Node entry, a real libSQL database, an API key as the credential.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callUpstreamTool } from '../../src/connectors/mcp/call-upstream-tool.ts';
import { LegacySessionCache } from '../../src/connectors/mcp/legacy-session-cache.ts';
import { listUpstreamTools } from '../../src/connectors/mcp/list-upstream-tools.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let headers: Record<string, string>;
const signal = () => AbortSignal.timeout(10_000);

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'upstream-co', scopes: 'math' });
  headers = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'upstream-co', scopes: 'math' })).key}` };
  server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '50' });
}, 30_000);
afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

it('lists a tenant-mcp upstream in the 2026-07-28 era and calls its tools', async () => {
  const list = await listUpstreamTools(`${server.url}/mcp`, { fetch: globalThis.fetch, headers, signal: signal() });
  expect(list).toMatchObject({ era: 'modern', protocolVersion: '2026-07-28' });
  expect(list.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['add', 'multiply']));
  const { result, status } = await callUpstreamTool(`${server.url}/mcp`, 'add', { a: 2, b: 40 }, { fetch: globalThis.fetch, headers, signal: signal(), era: list.era, protocolVersion: list.protocolVersion });
  expect(status).toBe(200);
  expect(result.content).toEqual([{ type: 'text', text: '42' }]);
});

it('calls a tenant-mcp upstream in the legacy era on a kept handshake', async () => {
  const sessions = new LegacySessionCache();
  const options = { fetch: globalThis.fetch, headers, signal: signal(), era: 'legacy' as const, protocolVersion: '2025-11-25', sessions };
  const first = await callUpstreamTool(`${server.url}/mcp`, 'multiply', { a: 6, b: 7 }, options);
  const second = await callUpstreamTool(`${server.url}/mcp`, 'add', { a: 1, b: 1 }, { ...options, signal: signal() });
  expect(first).toMatchObject({ status: 200, result: { content: [{ type: 'text', text: '42' }] } });
  expect(second).toMatchObject({ status: 200, result: { content: [{ type: 'text', text: '2' }] } });
  expect(sessions.size).toBe(1);
});

it("reports the upstream's refusal of a bad credential as an isError result with its 401", async () => {
  const { result, status } = await callUpstreamTool(`${server.url}/mcp`, 'add', { a: 1, b: 2 }, {
    fetch: globalThis.fetch,
    headers: { Authorization: 'Bearer tmcp_not_a_real_key' },
    signal: signal(),
    era: 'modern',
    protocolVersion: '2026-07-28',
  });
  expect(status).toBe(401);
  expect(result.isError).toBe(true);
  expect((result.content[0] as { text: string }).text).toMatch(/^The upstream answered 401 Unauthorized: /);
  expect((result.content[0] as { text: string }).text).not.toContain('tmcp_not_a_real_key');
});
