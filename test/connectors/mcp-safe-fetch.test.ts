// The mcp connector client through the production safe fetch (src/connectors/upstream-fetch.ts),
// with loopback allowed as the tests' private host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUpstreamTool } from '../../src/connectors/mcp/call-upstream-tool.ts';
import { LegacySessionCache } from '../../src/connectors/mcp/legacy-session-cache.ts';
import { listUpstreamTools } from '../../src/connectors/mcp/list-upstream-tools.ts';
import { upstreamFetch } from '../../src/connectors/upstream-fetch.ts';
import { startLegacyStatefulUpstream, startModernUpstream, startRawUpstream, type Upstream } from './mcp-upstreams.ts';

const headers = { Authorization: 'Bearer safe-fetch-token' };
const loopback = upstreamFetch({ allowedPrivateHosts: ['127.0.0.1'], maxResponseBytes: 4000 });
const options = (fetch = loopback) => ({ fetch, headers, signal: AbortSignal.timeout(10_000), sessions: new LegacySessionCache() });

describe.each([
  ['a 2026-07-28 upstream', startModernUpstream],
  ['a legacy stateful upstream (answering as event streams)', startLegacyStatefulUpstream],
])('through the safe fetch, %s', (_kind, start) => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await start();
  });
  afterAll(() => upstream.stop());

  it('lists and calls as with the plain fetch', async () => {
    const list = await listUpstreamTools(upstream.url, options());
    const { result, status } = await callUpstreamTool(upstream.url, 'echo', { text: 'safe' }, { ...options(), era: list.era, protocolVersion: list.protocolVersion });
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: 'echo: safe' }], structuredContent: { said: 'safe', length: 4 } });
  });

  it('turns an answer over the size limit into an isError result with the status', async () => {
    const list = await listUpstreamTools(upstream.url, options());
    const { result, status } = await callUpstreamTool(upstream.url, 'echo', { text: 'x'.repeat(5000) }, { ...options(), era: list.era, protocolVersion: list.protocolVersion });
    expect(status).toBe(200);
    expect(result).toEqual({ content: [{ type: 'text', text: "Cannot read the upstream's answer: The upstream response is larger than the 4000-byte limit" }], isError: true });
  });
});

describe('the safe fetch refusing', () => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startRawUpstream((_body, res) => res.writeHead(307, { Location: 'http://127.0.0.2:9/mcp' }).end());
  });
  afterAll(() => upstream.stop());

  it('a loopback upstream that is not allowed is an isError result with no status', async () => {
    const strict = upstreamFetch({ allowedPrivateHosts: [], maxResponseBytes: 4000 });
    const { result, status } = await callUpstreamTool(upstream.url, 'echo', {}, { ...options(strict), era: 'modern', protocolVersion: '2026-07-28' });
    expect(status).toBeNull();
    expect(result.isError).toBe(true);
    expect(result.content[0]).toMatchObject({ text: expect.stringMatching(/^Cannot reach the upstream: The upstream URL must use https/) });
    expect(upstream.requests).toHaveLength(0);
  });

  it('a redirect to another host is an isError result, and listing throws', async () => {
    const { result, status } = await callUpstreamTool(upstream.url, 'echo', {}, { ...options(), era: 'modern', protocolVersion: '2026-07-28' });
    expect(status).toBeNull();
    expect(result.content[0]).toMatchObject({ text: expect.stringMatching(/^Cannot reach the upstream: The upstream redirected to another host/) });
    await expect(listUpstreamTools(upstream.url, options())).rejects.toThrow(/^Cannot reach the upstream: The upstream redirected to another host/);
  });
});
