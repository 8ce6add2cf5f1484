import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';
import { sseMessages } from './helpers/sse.ts';
import { waitForUsage } from './helpers/usage.ts';

let database: TempDatabase;
let server: RunningServer;
let auth: Record<string, string>;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,test-fixtures' });
  auth = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'acme', scopes: 'math,test-fixtures' })).key}` };
  server = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'test', TEST_FIXTURES: '1', USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

const progressCall = (id: number, accept = 'application/json, text/event-stream') =>
  postMcp(server.url, rpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: `p${id}` } }, id), { ...auth, Accept: accept });

describe('streamed answers (SSE)', () => {
  it('streams progress notifications and then the result when the call asks for progress', async () => {
    const res = await progressCall(1);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
    const messages = [];
    for await (const m of sseMessages(res)) messages.push(m);
    expect(messages.map((m) => m.params?.progress ?? 'result')).toEqual([0, 50, 100, 'result']);
    expect(messages[0]).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'p1', total: 100 } });
    expect(messages.at(-1)).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'Progress tool completed' }] } });
  });

  it('answers plain JSON when the client does not accept an event stream, even with a progress token', async () => {
    const res = await progressCall(2, 'application/json');
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ id: 2, result: { content: [{ text: 'Progress tool completed' }] } });
  });

  it('answers plain JSON when nothing needs streaming', async () => {
    const res = await postMcp(server.url, rpc('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }, 3), auth);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ id: 3, result: { content: [{ text: '5' }] } });
  });

  it('streams the log messages of a tool declared streaming, and offers the logging capability', async () => {
    const client = await connectClient(server.url, auth);
    expect(client.getServerCapabilities()?.logging).toEqual({});
    const logged: unknown[] = [];
    const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logged.push(n.params.data));
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(logged).toEqual(['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    await client.close();
  });

  it('reports progress to the official client', async () => {
    const client = await connectClient(server.url, auth);
    const seen: number[] = [];
    const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => void seen.push(p.progress) });
    expect(seen).toEqual([0, 50, 100]);
    expect(result.content).toEqual([{ type: 'text', text: 'Progress tool completed' }]);
    await client.close();
  });

  it('logs a streamed call with its outcome and the exact bytes sent', async () => {
    const res = await progressCall(41);
    const body = new Uint8Array(await res.arrayBuffer());
    const rows = await waitForUsage(database.db, (rows) => rows.some((r) => r.tool === 'test_tool_with_progress' && r.responseBytes === body.byteLength));
    expect(rows.filter((r) => r.responseBytes === body.byteLength).map((r) => r.outcome)).toContain('ok');
  });

  it('logs a streamed call whose client went away before the end as cancelled', async () => {
    const controller = new AbortController();
    const res = await postMcp(server.url, rpc('tools/call', { name: 'test_slow', arguments: { ms: 30_000 }, _meta: { progressToken: 'gone' } }, 42), auth, controller.signal);
    const messages = sseMessages(res);
    expect((await messages.next()).value).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'gone', progress: 0 } });
    controller.abort();
    await waitForUsage(database.db, (rows) => rows.some((r) => r.tool === 'test_slow' && r.outcome === 'cancelled'));
  });
});
