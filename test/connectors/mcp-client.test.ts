import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callUpstreamTool } from '../../src/connectors/mcp/call-upstream-tool.ts';
import { LegacySessionCache } from '../../src/connectors/mcp/legacy-session-cache.ts';
import { listUpstreamTools } from '../../src/connectors/mcp/list-upstream-tools.ts';
import { UpstreamMcpError } from '../../src/connectors/mcp/upstream-mcp-error.ts';
import {
  releaseSlowCalls,
  startLegacyStatefulUpstream,
  startLegacyStatelessUpstream,
  startModernUpstream,
  type Upstream,
} from './mcp-upstreams.ts';

const credentials = { Authorization: 'Bearer tenant-a-upstream-token', 'X-Tenant': 'tenant-a' };
const signal = () => AbortSignal.timeout(10_000);
const text = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

const kinds = [
  { kind: 'a legacy stateless v1 server', start: startLegacyStatelessUpstream, era: 'legacy' as const },
  { kind: 'a legacy stateful v1 server', start: startLegacyStatefulUpstream, era: 'legacy' as const },
  { kind: 'a 2026-07-28 v2 server', start: startModernUpstream, era: 'modern' as const },
];

describe.each(kinds)('against $kind', ({ start, era }) => {
  let upstream: Upstream;
  let sessions: LegacySessionCache;
  beforeAll(async () => {
    upstream = await start();
  });
  afterAll(() => upstream.stop());
  afterEach(() => {
    releaseSlowCalls();
    upstream.requests.length = 0;
  });
  const options = () => ({ fetch: globalThis.fetch, headers: credentials, signal: signal(), sessions });

  it(`lists its tools in the ${era} era with their schemas and annotations`, async () => {
    sessions = new LegacySessionCache();
    const list = await listUpstreamTools(upstream.url, options());
    expect(list.era).toBe(era);
    expect(list.protocolVersion).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
    expect(list.tools.map((tool) => tool.name).sort()).toEqual(era === 'modern' ? ['echo', 'fail', 'regional', 'slow'] : ['echo', 'fail', 'slow']);
    const echo = list.tools.find((tool) => tool.name === 'echo')!;
    expect(echo).toMatchObject({ title: 'Echo', description: 'Says the text back', annotations: { readOnlyHint: true } });
    expect(echo.inputSchema).toMatchObject({ type: 'object', properties: { text: { type: 'string' } } });
    expect(echo.outputSchema).toMatchObject({ type: 'object', properties: { said: { type: 'string' }, length: { type: 'number' } } });
  });

  it('sends the given headers on every request of the exchange', async () => {
    sessions = new LegacySessionCache();
    const list = await listUpstreamTools(upstream.url, options());
    await callUpstreamTool(upstream.url, 'echo', { text: 'hi' }, { ...options(), era: list.era, protocolVersion: list.protocolVersion, sessions: new LegacySessionCache() });
    const methods = upstream.requests.map((request) => request.method);
    expect(methods).toContain('tools/list');
    expect(methods).toContain('tools/call');
    if (era === 'legacy') expect(methods).toEqual(expect.arrayContaining(['initialize', 'notifications/initialized']));
    for (const request of upstream.requests) {
      expect(request.headers.authorization).toBe(credentials.Authorization);
      expect(request.headers['x-tenant']).toBe('tenant-a');
    }
  });

  it('calls a tool and passes its content and structuredContent through', async () => {
    sessions = new LegacySessionCache();
    const list = await listUpstreamTools(upstream.url, options());
    const { result, status } = await callUpstreamTool(upstream.url, 'echo', { text: 'héllo' }, { ...options(), era: list.era, protocolVersion: list.protocolVersion });
    expect(status).toBe(200);
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([{ type: 'text', text: 'echo: héllo' }]);
    expect(result.structuredContent).toEqual({ said: 'héllo', length: 5 });
  });

  it("passes a tool's own isError result through", async () => {
    sessions = new LegacySessionCache();
    const { result, status } = await callUpstreamTool(upstream.url, 'fail', {}, { ...options(), era, protocolVersion: era === 'modern' ? '2026-07-28' : '2025-11-25' });
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'the widget is broken' }], isError: true });
  });

  it('turns a call the signal aborts (a slow upstream) into an isError result', async () => {
    sessions = new LegacySessionCache();
    const list = await listUpstreamTools(upstream.url, options());
    const { result, status } = await callUpstreamTool(upstream.url, 'slow', {}, { ...options(), signal: AbortSignal.timeout(300), era: list.era, protocolVersion: list.protocolVersion });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('The upstream did not answer in time');
    expect([null, 200]).toContain(status); // null when the headers had not come yet, 200 when an event stream had begun
  });

  it('reports a cancelled call (not a timeout) as cancelled', async () => {
    sessions = new LegacySessionCache();
    const controller = new AbortController();
    const pending = callUpstreamTool(upstream.url, 'slow', {}, { ...options(), signal: controller.signal, era, protocolVersion: era === 'modern' ? '2026-07-28' : '2025-11-25' });
    setTimeout(() => controller.abort(), 200);
    const { result } = await pending;
    expect(result).toEqual({ content: [{ type: 'text', text: 'The call to the upstream was cancelled' }], isError: true });
  });
});

describe('legacy sessions', () => {
  let upstream: Awaited<ReturnType<typeof startLegacyStatefulUpstream>>;
  beforeAll(async () => {
    upstream = await startLegacyStatefulUpstream();
  });
  afterAll(() => upstream.stop());
  afterEach(() => {
    upstream.requests.length = 0;
  });
  const call = (sessions: LegacySessionCache, headers: Record<string, string>, value = 'x') =>
    callUpstreamTool(upstream.url, 'echo', { text: value }, { fetch: globalThis.fetch, headers, signal: signal(), era: 'legacy', protocolVersion: '2025-11-25', sessions });

  it('keeps the session between calls with the same headers: one request per later call', async () => {
    const sessions = new LegacySessionCache();
    await call(sessions, credentials);
    expect(upstream.requests.map((request) => request.method)).toEqual(['initialize', 'notifications/initialized', 'tools/call']);
    upstream.requests.length = 0;
    const { result } = await call(sessions, { 'x-tenant': 'tenant-a', authorization: credentials.Authorization }, 'again');
    expect(text(result)).toBe('echo: again');
    expect(upstream.requests.map((request) => request.method)).toEqual(['tools/call']);
    expect(upstream.sessions.has(upstream.requests[0]!.headers['mcp-session-id'] as string)).toBe(true);
  });

  it('runs one handshake for concurrent first calls with the same headers', async () => {
    const sessions = new LegacySessionCache();
    const results = await Promise.all([call(sessions, credentials, 'one'), call(sessions, credentials, 'two')]);
    expect(results.map(({ result }) => text(result))).toEqual(['echo: one', 'echo: two']);
    expect(upstream.requests.filter((request) => request.method === 'initialize')).toHaveLength(1);
  });

  it('never shares a session between different headers', async () => {
    const sessions = new LegacySessionCache();
    await call(sessions, credentials);
    await call(sessions, { ...credentials, Authorization: 'Bearer tenant-b-upstream-token', 'X-Tenant': 'tenant-b' });
    const calls = upstream.requests.filter((request) => request.method === 'tools/call');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers['mcp-session-id']).not.toBe(calls[1]!.headers['mcp-session-id']);
    expect(upstream.requests.filter((request) => request.method === 'initialize')).toHaveLength(2);
    expect(sessions.size).toBe(2);
  });

  it('opens a new session once when the upstream has ended the kept one', async () => {
    const sessions = new LegacySessionCache();
    await call(sessions, credentials);
    upstream.endSessions();
    upstream.requests.length = 0;
    const { result, status } = await call(sessions, credentials, 'after restart');
    expect(status).toBe(200);
    expect(text(result)).toBe('echo: after restart');
    expect(upstream.requests.map((request) => request.method)).toEqual(['tools/call', 'initialize', 'notifications/initialized', 'tools/call']);
  });

  it('hands the listing handshake to the next call with the same headers', async () => {
    const sessions = new LegacySessionCache();
    await listUpstreamTools(upstream.url, { fetch: globalThis.fetch, headers: credentials, signal: signal(), sessions });
    upstream.requests.length = 0;
    await call(sessions, credentials);
    expect(upstream.requests.map((request) => request.method)).toEqual(['tools/call']);
  });

  it('forgets the least recently used session beyond its bound', async () => {
    const sessions = new LegacySessionCache({ maxEntries: 2 });
    for (const tenant of ['a', 'b', 'c']) await call(sessions, { 'X-Tenant': tenant });
    expect(sessions.size).toBe(2);
    upstream.requests.length = 0;
    await call(sessions, { 'X-Tenant': 'a' });
    expect(upstream.requests[0]!.method).toBe('initialize');
  });

  it('forgets a session left unused longer than its idle time', async () => {
    const sessions = new LegacySessionCache({ idleMs: 0 });
    await call(sessions, credentials);
    await new Promise((resolve) => setTimeout(resolve, 5));
    upstream.requests.length = 0;
    await call(sessions, credentials);
    expect(upstream.requests[0]!.method).toBe('initialize');
  });
});
