import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { callUpstreamTool } from '../../src/connectors/mcp/call-upstream-tool.ts';
import { LegacySessionCache } from '../../src/connectors/mcp/legacy-session-cache.ts';
import { listUpstreamTools } from '../../src/connectors/mcp/list-upstream-tools.ts';
import { UpstreamMcpError } from '../../src/connectors/mcp/upstream-mcp-error.ts';
import { startRawUpstream, startModernUpstream, type Upstream } from './mcp-upstreams.ts';

const headers = { Authorization: 'Bearer secret-upstream-token' };
const running: Upstream[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((upstream) => upstream.stop()));
});

async function raw(answer: (body: { id?: number; method?: string }, res: ServerResponse) => void): Promise<Upstream> {
  const upstream = await startRawUpstream(answer);
  running.push(upstream);
  return upstream;
}
function json(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}
const eras = [
  { era: 'modern' as const, protocolVersion: '2026-07-28' },
  { era: 'legacy' as const, protocolVersion: '2025-11-25' },
];
const call = (url: string, era: (typeof eras)[number]) =>
  callUpstreamTool(url, 'echo', { text: 'x' }, { fetch: globalThis.fetch, headers, signal: AbortSignal.timeout(10_000), sessions: new LegacySessionCache(), ...era });

describe.each(eras)('a $era call', (era) => {
  it('to an upstream that is down is an isError result with no status', async () => {
    const upstream = await startRawUpstream(() => {});
    await upstream.stop();
    const { result, status } = await call(upstream.url, era);
    expect(status).toBeNull();
    expect(result.isError).toBe(true);
    expect(result.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/^Cannot reach the upstream: /) });
  });

  it('answered 500 is an isError result with the status and the start of the body', async () => {
    const upstream = await raw((_body, res) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`database exploded ${'x'.repeat(5000)}`));
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(500);
    expect(result.isError).toBe(true);
    const text = (result.content[0] as { text: string }).text;
    expect(text).toMatch(/^The upstream answered 500 Internal Server Error: database exploded x+$/);
    expect(text.length).toBeLessThan(1100);
    expect(text).not.toContain('secret-upstream-token');
  });

  it('never echoes the credentials an upstream reflects in its error page', async () => {
    const upstream = await raw((_body, res) => res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`Bad request. You sent: Authorization=${headers.Authorization}; token secret-upstream-token`));
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(400);
    expect(result.content[0]).toEqual({ type: 'text', text: 'The upstream answered 400 Bad Request: Bad request. You sent: Authorization=[redacted]; token [redacted]' });
  });

  it('answered with a body that is not JSON is an isError result with the status', async () => {
    const upstream = await raw((body, res) => {
      if (body.method === 'tools/call' || body.method === 'initialize') res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>maintenance</html>');
      else res.writeHead(202).end();
    });
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'The upstream answered 200 with a body that is not JSON: <html>maintenance</html>' }], isError: true });
  });

  it('answered with a JSON-RPC error is an isError result naming the code', async () => {
    const upstream = await raw((body, res) => {
      if (body.method === 'initialize') json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } });
      else if (body.id === undefined) res.writeHead(202).end();
      else json(res, { jsonrpc: '2.0', id: body.id, error: { code: -32603, message: 'Inventory service unavailable' } });
    });
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'The upstream answered tools/call with JSON-RPC error -32603: Inventory service unavailable' }], isError: true });
  });

  it('reads the answer from an event stream, past notifications before it', async () => {
    const upstream = await raw((body, res) => {
      if (body.method === 'initialize') return json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } });
      if (body.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } })}\n\n`);
      res.write(`: keep-alive\r\n\r\nevent: message\r\nid: 7\r\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { content: [{ type: 'text', text: 'streamed' }] } })}\r\n\r\n`);
      // the stream stays open: the client stops at its answer
    });
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'streamed' }] });
  });

  it('reads an event whose CRLF line ends are split across chunks, with its data on several lines', async () => {
    const upstream = await raw(async (body, res) => {
      if (body.method === 'initialize') return json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } });
      if (body.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const answer = JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { content: [{ type: 'text', text: 'split' }] } }, null, 1).split('\n');
      for (const line of answer) {
        res.write(`data: ${line}\r`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        res.write('\n');
      }
      res.end('\r\n');
    });
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'split' }] });
  });

  it('whose event stream ends without an answer is an isError result', async () => {
    const upstream = await raw((body, res) => {
      if (body.method === 'initialize') return json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } });
      if (body.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: {} })}\n\n`);
    });
    const { result, status } = await call(upstream.url, era);
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'The upstream ended its event stream without answering the request' }], isError: true });
  });
});

it("does not fail a call because another caller cancelled the legacy handshake it was waiting on", async () => {
  const upstream = await raw((body, res) => {
    if (body.method === 'initialize') {
      setTimeout(() => json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } }), 300);
    } else if (body.id === undefined) res.writeHead(202).end();
    else json(res, { jsonrpc: '2.0', id: body.id, result: { content: [{ type: 'text', text: 'done' }] } });
  });
  const sessions = new LegacySessionCache();
  const options = { fetch: globalThis.fetch, headers, era: 'legacy' as const, protocolVersion: '2025-11-25', sessions };
  const controller = new AbortController();
  const first = callUpstreamTool(upstream.url, 'echo', {}, { ...options, signal: controller.signal });
  const second = callUpstreamTool(upstream.url, 'echo', {}, { ...options, signal: AbortSignal.timeout(10_000) });
  setTimeout(() => controller.abort(), 100);
  expect((await first).result).toEqual({ content: [{ type: 'text', text: 'The call to the upstream was cancelled' }], isError: true });
  expect((await second).result).toEqual({ content: [{ type: 'text', text: 'done' }] });
});

it('ends the wait for a handshake another call started when its own signal ends', async () => {
  let initializeAnswered = false;
  const upstream = await raw((body, res) => {
    if (body.method === 'initialize') {
      setTimeout(() => {
        initializeAnswered = true;
        json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } });
      }, 1500);
    }
    else if (body.id === undefined) res.writeHead(202).end();
    else json(res, { jsonrpc: '2.0', id: body.id, result: { content: [{ type: 'text', text: 'done' }] } });
  });
  const sessions = new LegacySessionCache();
  const options = { fetch: globalThis.fetch, headers, era: 'legacy' as const, protocolVersion: '2025-11-25', sessions };
  const first = callUpstreamTool(upstream.url, 'echo', {}, { ...options, signal: AbortSignal.timeout(10_000) });
  const second = await callUpstreamTool(upstream.url, 'echo', {}, { ...options, signal: AbortSignal.timeout(200) });
  expect(second).toEqual({ status: null, result: { content: [{ type: 'text', text: 'The upstream did not answer in time' }], isError: true } });
  expect(initializeAnswered).toBe(false); // it did not wait for the first call's handshake
  expect((await first).result).toEqual({ content: [{ type: 'text', text: 'done' }] });
  expect(upstream.requests.filter((request) => request.method === 'initialize')).toHaveLength(1);
});

it('turns a 2026-07-28 input_required result into an isError result', async () => {
  const upstream = await raw((body, res) =>
    json(res, { jsonrpc: '2.0', id: body.id, result: { resultType: 'input_required', inputRequests: {}, requestState: 'opaque' } }),
  );
  const { result, status } = await call(upstream.url, eras[0]!);
  expect(status).toBe(200);
  expect(result).toEqual({ content: [{ type: 'text', text: 'The upstream asked for user input (input_required), which a connector cannot relay' }], isError: true });
});

it('sends the 2026-07-28 envelope: _meta in the body and the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers', async () => {
  const upstream = await startModernUpstream();
  running.push(upstream);
  const { result } = await call(upstream.url, eras[0]!);
  expect(result.isError).toBeUndefined();
  expect(upstream.requests).toHaveLength(1);
  expect(upstream.requests[0]!.headers).toMatchObject({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
});

describe('Mcp-Param headers (SEP-2243)', () => {
  it("mirrors a tool's x-mcp-header arguments when given its input schema, as a 2026-07-28 upstream requires", async () => {
    const upstream = await startModernUpstream();
    running.push(upstream);
    const list = await listUpstreamTools(upstream.url, { fetch: globalThis.fetch, headers, signal: AbortSignal.timeout(10_000) });
    const regional = list.tools.find((tool) => tool.name === 'regional')!;
    const options = { fetch: globalThis.fetch, headers, signal: AbortSignal.timeout(10_000), era: list.era, protocolVersion: list.protocolVersion };
    const args = { region: 'Zürich west', count: 3 };

    const without = await callUpstreamTool(upstream.url, 'regional', args, options);
    expect(without.status).toBe(400);
    expect(without.result.isError).toBe(true);
    expect(without.result.content[0]).toMatchObject({ text: expect.stringContaining('Mcp-Param-Region') });

    upstream.requests.length = 0;
    const mirrored = await callUpstreamTool(upstream.url, 'regional', args, { ...options, inputSchema: regional.inputSchema });
    expect(mirrored).toEqual({ status: 200, result: { content: [{ type: 'text', text: '3 in Zürich west' }] } });
    expect(upstream.requests[0]!.headers).toMatchObject({ 'mcp-param-region': `=?base64?${Buffer.from('Zürich west').toString('base64')}?=`, 'mcp-param-count': '3' });
  });
});

describe('listing', () => {
  const list = (url: string) => listUpstreamTools(url, { fetch: globalThis.fetch, headers, signal: AbortSignal.timeout(10_000), sessions: new LegacySessionCache() });
  const tool = (name: string) => ({ name, inputSchema: { type: 'object' } });
  const modern = (body: { id?: number; method?: string }, res: ServerResponse, tools: (cursor: string | undefined) => object) => {
    if (body.method === 'server/discover') return json(res, { jsonrpc: '2.0', id: body.id, result: { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } } });
    const cursor = ((body as { params?: { cursor?: string } }).params ?? {}).cursor;
    json(res, { jsonrpc: '2.0', id: body.id, result: { resultType: 'complete', ...tools(cursor) } });
  };

  it('follows nextCursor pages to the end', async () => {
    const upstream = await raw((body, res) =>
      modern(body, res, (cursor) => (cursor === undefined ? { tools: [tool('a'), tool('b')], nextCursor: 'p2' } : cursor === 'p2' ? { tools: [tool('c')], nextCursor: 'p3' } : { tools: [tool('d')] })),
    );
    const result = await list(upstream.url);
    expect(result).toEqual({ era: 'modern', protocolVersion: '2026-07-28', tools: ['a', 'b', 'c', 'd'].map(tool) });
  });

  it('stops an endless list after 100 pages', async () => {
    let page = 0;
    const upstream = await raw((body, res) => modern(body, res, () => ({ tools: [], nextCursor: `p${++page}` })));
    await expect(list(upstream.url)).rejects.toThrow("The upstream's tool list did not end after 100 pages");
  });

  it('refuses a tool without an object input schema, naming it', async () => {
    const upstream = await raw((body, res) => modern(body, res, () => ({ tools: [{ name: 'broken', inputSchema: 'nope' }] })));
    await expect(list(upstream.url)).rejects.toThrow('The upstream lists the tool "broken" without an object input schema');
  });

  it('falls back to initialize when server/discover is refused, and keeps only plain fields', async () => {
    const upstream = await raw((body, res) => {
      if (body.method === 'server/discover') return json(res, { jsonrpc: '2.0', id: body.id, error: { code: -32601, message: 'Method not found' } });
      if (body.method === 'initialize') return json(res, { jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-03-26', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } });
      if (body.id === undefined) return void res.writeHead(202).end();
      json(res, { jsonrpc: '2.0', id: body.id, result: { tools: [{ ...tool('old'), icons: [{ src: 'x' }], execution: {} }] } });
    });
    expect(await list(upstream.url)).toEqual({ era: 'legacy', protocolVersion: '2025-03-26', tools: [tool('old')] });
    expect(upstream.requests.map((request) => request.method)).toEqual(['server/discover', 'initialize', 'notifications/initialized', 'tools/list']);
    expect(upstream.requests[3]!.headers['mcp-protocol-version']).toBe('2025-03-26');
  });

  it('throws at once, without trying initialize, when the upstream refuses the credentials', async () => {
    const upstream = await raw((_body, res) => res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end('bad token'));
    const failure = list(upstream.url);
    await expect(failure).rejects.toBeInstanceOf(UpstreamMcpError);
    await expect(failure).rejects.toMatchObject({ status: 401, message: 'The upstream answered 401 Unauthorized: bad token' });
    expect(upstream.requests.map((request) => request.method)).toEqual(['server/discover']);
  });

  it('never echoes the credentials in the error it throws', async () => {
    const upstream = await raw((_body, res) => res.writeHead(401).end(`token secret-upstream-token is revoked`));
    await expect(list(upstream.url)).rejects.toThrow('The upstream answered 401 Unauthorized: token [redacted] is revoked');
  });

  it('throws a clear error when the upstream is down', async () => {
    const upstream = await startRawUpstream(() => {});
    await upstream.stop();
    await expect(list(upstream.url)).rejects.toMatchObject({ name: 'UpstreamMcpError', status: null, message: expect.stringMatching(/^Cannot reach the upstream: /) });
  });
});
