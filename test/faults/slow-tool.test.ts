import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { connectClient, postMcp, rpc } from '../helpers/mcp.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { sseMessages } from '../helpers/sse.ts';
import { waitForUsage } from '../helpers/usage.ts';

let database: TempDatabase;
let server: RunningServer;
let auth: Record<string, string>;
let otherAuth: Record<string, string>;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,test-fixtures' });
  auth = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'acme', scopes: 'math,test-fixtures', name: 'first' })).key}` };
  otherAuth = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'acme', scopes: 'math,test-fixtures', name: 'second' })).key}` };
  server = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'test', TEST_FIXTURES: '1', TOOL_TIMEOUT_MS: '1000', USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

const slow = (id: number | string, args: { ms: number; ignoreSignal?: boolean }, progressToken?: string) =>
  rpc('tools/call', { name: 'test_slow', arguments: args, ...(progressToken ? { _meta: { progressToken } } : {}) }, id);

/** Waits until the usage log holds a test_slow row with this outcome; returns how many it holds. */
async function expectLogged(outcome: string) {
  const rows = await waitForUsage(database.db, (rows) => rows.some((r) => r.tool === 'test_slow' && r.outcome === outcome));
  return rows.filter((r) => r.tool === 'test_slow' && r.outcome === outcome).length;
}

describe('a slow tool', () => {
  it('is stopped at TOOL_TIMEOUT_MS and answered with an isError result, logged as timeout', async () => {
    const res = await postMcp(server.url, slow(1, { ms: 60_000 }), auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'The test_slow tool did not finish within 1 s and was stopped.' }], isError: true },
    });
    await expectLogged('timeout');
  });

  it('is answered at the timeout even when it ignores its abort signal', async () => {
    const res = await postMcp(server.url, slow(2, { ms: 5_000, ignoreSignal: true }), auth);
    expect(await res.json()).toMatchObject({ id: 2, result: { isError: true, content: [{ text: expect.stringContaining('did not finish within 1 s') }] } });
  });

  it('finishes normally within the timeout', async () => {
    const res = await postMcp(server.url, slow(3, { ms: 10 }), auth);
    expect(await res.json()).toMatchObject({ id: 3, result: { content: [{ text: 'Waited 10 ms.' }] } });
  });
});

describe('cancellation', () => {
  it('aborts the call when the official client cancels it (notifications/cancelled)', async () => {
    const client = await connectClient(server.url, auth);
    const controller = new AbortController();
    const call = client.callTool({ name: 'test_slow', arguments: { ms: 60_000 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort('user pressed stop'), // the first progress report says the tool is running
      timeout: 120_000,
    });
    await expect(call).rejects.toThrow();
    expect(await expectLogged('cancelled')).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('does not let another credential cancel a call, even with the same JSON-RPC id', async () => {
    const res = await postMcp(server.url, slow(7, { ms: 500 }, 'mine'), auth);
    const messages = sseMessages(res);
    expect((await messages.next()).value).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'mine', progress: 0 } });
    const cancel = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'not yours' } });
    expect((await postMcp(server.url, cancel, otherAuth)).status).toBe(202);
    const rest = [];
    for await (const m of messages) rest.push(m);
    expect(rest.at(-1)).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'Waited 500 ms.' }] } });
  });

  it('aborts the call when the client disconnects mid-call, logs it, and keeps serving', async () => {
    const before = await expectLoggedCount('cancelled');
    const controller = new AbortController();
    const pending = postMcp(server.url, slow(8, { ms: 60_000 }), auth, controller.signal).catch((e: Error) => e);
    setTimeout(() => controller.abort(), 200);
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await waitForUsage(database.db, (rows) => rows.filter((r) => r.tool === 'test_slow' && r.outcome === 'cancelled').length > before);
    const res = await postMcp(server.url, rpc('tools/call', { name: 'add', arguments: { a: 1, b: 1 } }, 9), auth);
    expect(await res.json()).toMatchObject({ id: 9, result: { content: [{ text: '2' }] } });
  });
});

async function expectLoggedCount(outcome: string) {
  const rows = await waitForUsage(database.db, () => true);
  return rows.filter((r) => r.tool === 'test_slow' && r.outcome === outcome).length;
}
