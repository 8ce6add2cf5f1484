import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { listUsage } from '../src/services/usage.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let math: Record<string, string>;
let notes: Record<string, string>;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  math = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'acme', scopes: 'math' })).key}` };
  notes = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'acme', scopes: 'notes:read' })).key}` };
  server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '600000' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

async function listTools(auth: Record<string, string>, id: number) {
  const res = await postMcp(server.url, rpc('tools/list', {}, id), auth);
  expect(res.status).toBe(200);
  return (await res.json()) as { id: number; result: { tools: { name: string; inputSchema: unknown }[] } };
}

describe('the MCP handler', () => {
  it('answers every tools/list exactly as the first, separately for each visible tool set', async () => {
    const first = { math: await listTools(math, 1), notes: await listTools(notes, 1) };
    expect(first.math.result.tools.map((t) => t.name).sort()).toEqual(['add', 'multiply', 'whoami']);
    expect(first.notes.result.tools.map((t) => t.name).sort()).toEqual(['note_get', 'note_list', 'whoami']);
    for (let id = 2; id < 6; id++) {
      const [a, b] = await Promise.all([listTools(math, id), listTools(notes, id)]);
      expect(a).toEqual({ ...first.math, id });
      expect(b).toEqual({ ...first.notes, id });
    }
  });

  it('answers a notification with an empty 202 of known length', async () => {
    const res = await postMcp(server.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), math);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-length')).toBe('0');
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(await res.text()).toBe('');
  });

  it('logs the exact sizes of each tools/call request and answer', async () => {
    const bodies = [rpc('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, 'x'), rpc('tools/call', { name: 'whoami', arguments: {} }, 7)];
    const sizes: [number, number][] = [];
    for (const body of bodies) {
      const res = await postMcp(server.url, body, math);
      sizes.push([Buffer.byteLength(body), (await res.arrayBuffer()).byteLength]);
    }
    expect(await server.stop('SIGTERM')).toBe(0);
    const rows = (await listUsage(database.db, {})).items.filter((r) => r.tool === 'add' || r.tool === 'whoami');
    expect(rows.map((r) => [r.requestBytes, r.responseBytes])).toEqual(sizes);
    expect(rows.map((r) => r.outcome)).toEqual(['ok', 'ok']);
  });
});
