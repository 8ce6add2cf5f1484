import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let auth: Record<string, string>;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math' });
  auth = { Authorization: `Bearer ${(await createKey(database.db, { tenant: 'acme', scopes: 'math' })).key}` };
  server = await startServer({ DATABASE_URL: database.url, PUBLIC_URL: 'https://mcp.example.test', ALLOWED_ORIGINS: 'https://app.example.com', MAX_BODY_BYTES: '4096' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

async function expectJsonRpcError(res: Response, status: number, code: number) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(body).toMatchObject({ jsonrpc: '2.0', error: { code } });
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
  return body;
}

describe('the /mcp HTTP surface', () => {
  it('answers GET /healthz', async () => {
    const res = await fetch(new URL('/healthz', server.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses a foreign Origin with 403, even with a valid key', async () => {
    const res = await postMcp(server.url, rpc('ping'), { ...auth, Origin: 'http://evil.example' });
    await expectJsonRpcError(res, 403, -32000);
  });

  it('refuses loopback Origins when PUBLIC_URL is not a loopback URL', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8787']) {
      expect((await postMcp(server.url, rpc('ping'), { ...auth, Origin: origin })).status, origin).toBe(403);
    }
  });

  it('refuses a foreign Origin before authenticating', async () => {
    expect((await postMcp(server.url, rpc('ping'), { Origin: 'http://evil.example' })).status).toBe(403);
  });

  it("accepts an allowed Origin, PUBLIC_URL's origin, and no Origin", async () => {
    for (const origin of ['https://app.example.com', 'https://mcp.example.test', undefined]) {
      const res = await postMcp(server.url, rpc('ping'), { ...auth, ...(origin ? { Origin: origin } : {}) });
      expect(res.status, origin).toBe(200);
    }
  });

  it('answers a CORS preflight from an allowed origin', async () => {
    const res = await fetch(new URL('/mcp', server.url), {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
  });

  it('answers GET and DELETE with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(new URL('/mcp', server.url), { method, headers: { ...auth, Accept: 'text/event-stream' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('Allow')).toBe('POST');
    }
  });

  it('refuses JSON-RPC batch arrays', async () => {
    const res = await postMcp(server.url, `[${rpc('ping', undefined, 1)},${rpc('ping', undefined, 2)}]`, auth);
    await expectJsonRpcError(res, 400, -32600);
  });

  it('answers malformed JSON with 400 and -32700', async () => {
    await expectJsonRpcError(await postMcp(server.url, '{"jsonrpc":"2.0",', auth), 400, -32700);
  });

  it('answers invalid UTF-8 with 400 and -32700', async () => {
    const res = await fetch(new URL('/mcp', server.url), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    });
    await expectJsonRpcError(res, 400, -32700);
  });

  it('answers a body over the limit with 413', async () => {
    const big = rpc('tools/call', { name: 'add', arguments: { a: 1, b: 2, pad: 'x'.repeat(5000) } });
    expect((await postMcp(server.url, big, auth)).status).toBe(413);
  });

  it('answers an unsupported MCP-Protocol-Version with 400 and -32022 listing the versions served', async () => {
    const res = await postMcp(server.url, rpc('ping'), { ...auth, 'MCP-Protocol-Version': '1999-01-01' });
    const body = await expectJsonRpcError(res, 400, -32022);
    expect(body).toMatchObject({ id: 1, error: { data: { requested: '1999-01-01', supported: expect.arrayContaining(['2026-07-28', '2025-11-25']) } } });
  });

  it('answers a notification with 202 and no body', async () => {
    const res = await postMcp(server.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), auth);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  });

  it('answers an unknown method with -32601 and a ping with an empty result', async () => {
    expect(await (await postMcp(server.url, rpc('no/such'), auth)).json()).toMatchObject({ error: { code: -32601 } });
    expect(await (await postMcp(server.url, rpc('ping', undefined, 7), auth)).json()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
  });

  it('negotiates the protocol version on initialize', async () => {
    const init = (protocolVersion: string) =>
      postMcp(server.url, rpc('initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 't', version: '1' } }), auth);
    expect(await (await init('2025-11-25')).json()).toMatchObject({ result: { protocolVersion: '2025-11-25', serverInfo: { name: 'tenant-mcp' } } });
    const old = await (await init('2024-01-01')).json();
    expect(old.result.protocolVersion).toBe('2025-11-25');
    expect(old.result).not.toHaveProperty('sessionId');
  });

  it('issues no session id', async () => {
    const res = await postMcp(server.url, rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } }), auth);
    expect(res.headers.get('Mcp-Session-Id')).toBeNull();
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await fetch(new URL('/nope', server.url));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found' });
  });
});
