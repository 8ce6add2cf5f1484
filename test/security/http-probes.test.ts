import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { rawPost, rawRequest } from '../helpers/raw-http.ts';
import { expectNoSecretsIn } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let key: string;
let auth: Record<string, string>;

const MAX_BODY_BYTES = 1024 * 1024;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  key = (await createKey(database.db, { tenant: 'acme', scopes: 'math,notes:*' })).key;
  auth = { Authorization: `Bearer ${key}` };
  server = await startServer({
    DATABASE_URL: database.url,
    PUBLIC_URL: 'https://mcp.example.test',
    ALLOWED_ORIGINS: 'https://app.example.com',
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

const ping = rpc('ping');

async function expectRpcError(res: Response, status: number, code: number) {
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code, message: expect.any(String) } });
}

describe('Origin and DNS rebinding', () => {
  it('refuses a rebinding request (foreign Host and Origin) with 403, even with a valid key', async () => {
    const res = await rawRequest(server.url, rawPost([`Host: evil.example.com:${new URL(server.url).port}`, 'Origin: http://evil.example.com', `Authorization: Bearer ${key}`], ping));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: -32000 } });
  });

  it('refuses origins that merely resemble an allowed one', async () => {
    for (const origin of ['null', 'https://app.example.com.evil.test', 'http://app.example.com', 'https://app.example.com:8443', 'https://evil.test/https://app.example.com', 'https://mcp.example.test@evil.test']) {
      const res = await postMcp(server.url, ping, { ...auth, Origin: origin });
      expect(res.status, origin).toBe(403);
    }
  });

  it('refuses a CORS preflight from a foreign origin', async () => {
    const res = await fetch(new URL('/mcp', server.url), {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('accepts the allowed origins in any letter case', async () => {
    expect((await postMcp(server.url, ping, { ...auth, Origin: 'HTTPS://APP.EXAMPLE.COM' })).status).toBe(200);
  });
});

describe('protocol version and batches', () => {
  it('answers unsupported MCP-Protocol-Version values with 400 and -32022', async () => {
    for (const version of ['1999-01-01', '2025-11-25x', 'latest', '2025-11-25,2025-06-18', 'x'.repeat(1000)]) {
      const res = await postMcp(server.url, ping, { ...auth, 'MCP-Protocol-Version': version });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: -32022, data: { requested: version } } });
    }
  });

  it('refuses every form of batch array with 400', async () => {
    const init = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    const call = rpc('tools/call', { name: 'add', arguments: { a: 1, b: 2 } });
    for (const body of ['[]', `[${ping}]`, `[${init},${call}]`, `[${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}]`, `[[${ping}]]`]) {
      await expectRpcError(await postMcp(server.url, body, auth), 400, -32600);
    }
  });
});

describe('params that do not fit the method', () => {
  it('are answered with -32602 and a one-line reason, not as an internal error', async () => {
    const cases = [
      [rpc('initialize', { protocolVersion: '2025-11-25', capabilities: null, clientInfo: { name: 't', version: '1' } }, 5), 'params.capabilities'],
      [rpc('tools/call', { name: 'add', arguments: 'a=1' }, 6), 'params.arguments'],
      [rpc('resources/read', { uri: 7 }, 7), 'Method not found'],
    ] as const;
    for (const [body, where] of cases) {
      const answer = await (await postMcp(server.url, body, auth)).json();
      expect(answer.error.code, body).toBe(where === 'Method not found' ? -32601 : -32602);
      expect(answer.error.message).toContain(where);
      expect(answer.error.message).not.toContain('\n');
    }
  });
});

describe('oversized and malformed bodies', () => {
  it('answers a body over the limit with 413, whether its length is declared or streamed', async () => {
    const big = rpc('tools/call', { name: 'add', arguments: { a: 1, b: 2, pad: 'x'.repeat(MAX_BODY_BYTES) } });
    const declared = await postMcp(server.url, big, auth);
    expect(declared.status).toBe(413);
    expect(declared.headers.get('Connection')).toBe('close'); // the rest of the body is not read: the connection must not be reused
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(new URL('/mcp', server.url), {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(res.headers.get('Content-Length')).not.toBe(String(big.length));
    expect(res.status).toBe(413);
  });

  it('answers a body longer than its declared Content-Length without a 5xx', async () => {
    // The surplus reads as a second, malformed request: the HTTP layer refuses it.
    const request = Buffer.concat([rawPost([`Authorization: Bearer ${key}`], ping), Buffer.from('{"extra":'.repeat(100))]);
    const res = await rawRequest(server.url, request);
    expect([200, 400]).toContain(res.status);
  });

  it('lets a client go away mid-body without an error in the log', async () => {
    const { hostname, port } = new URL(server.url);
    const head = rawPost([`Authorization: Bearer ${key}`], 'x'.repeat(1000)).subarray(0, -990); // declares 1000 bytes, sends 10
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(port), hostname, () => {
          socket.write(head);
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    }
    expect((await postMcp(server.url, ping, auth)).status).toBe(200);
    expect(server.output()).not.toMatch(/Unhandled error|aborted/i);
  });

  it('survives deeply nested JSON in every part of a message', async () => {
    const depth = 200_000;
    const nested = '['.repeat(depth) + ']'.repeat(depth);
    const bodies = [
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":${nested},"b":1}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"deep":${nested}}}}`,
      `{"jsonrpc":"2.0","id":${nested},"method":"ping"}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"note_put","arguments":{"key":"k","value":"v","extra":${nested}}}}`,
      nested,
      '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
    ];
    for (const body of bodies) {
      const res = await postMcp(server.url, body, auth);
      expect(res.status, body.slice(0, 80)).toBeLessThan(500);
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0' });
    }
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
  });

  it('answers invalid UTF-8 in a body with 400 and -32700', async () => {
    for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"'), Buffer.from(bytes), Buffer.from('"}}')]);
      const res = await rawRequest(server.url, rawPost([`Authorization: Bearer ${key}`], body));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: -32700 } });
    }
  });
});

describe('invalid bytes in headers', () => {
  const bad = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]);
  const line = (name: string, value: Buffer) => Buffer.concat([Buffer.from(`${name}: `), value]);

  it('refuses a credential with invalid bytes with 401', async () => {
    for (const header of [line('Authorization', Buffer.concat([Buffer.from('Bearer '), bad])), line('X-API-Key', bad), line('Authorization', Buffer.concat([Buffer.from(`Bearer ${key}`), bad]))]) {
      const res = await rawRequest(server.url, rawPost([header], ping));
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body.toString())).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('refuses an Origin or protocol version with invalid bytes with a 4xx', async () => {
    const origin = await rawRequest(server.url, rawPost([`Authorization: Bearer ${key}`, line('Origin', bad)], ping));
    expect(origin.status).toBe(403);
    const version = await rawRequest(server.url, rawPost([`Authorization: Bearer ${key}`, line('MCP-Protocol-Version', bad)], ping));
    expect(version.status).toBe(400);
  });

  it('answers control characters and oversized headers with a 4xx from the HTTP layer', async () => {
    const nul = await rawRequest(server.url, rawPost([`Authorization: Bearer ${key}`, Buffer.from('X-Evil: a\0b')], ping));
    expect(nul.status).toBeGreaterThanOrEqual(400);
    expect(nul.status).toBeLessThan(500);
    const huge = await rawRequest(server.url, rawPost([`Authorization: Bearer ${key}`, `X-Big: ${'a'.repeat(64 * 1024)}`], ping));
    expect(huge.status).toBe(431);
  });

  it('still serves afterwards, and never logged the key', async () => {
    expect((await postMcp(server.url, ping, auth)).status).toBe(200);
    expectNoSecretsIn(server.output(), [key]);
  });
});
