// A throwaway fetch handler that drives the mcp connector client inside another runtime: served by
// `deno serve` and by workerd (wrangler's unstable_startWorker) in test/connectors/mcp-runtimes.test.ts.
// GET /?url=<upstream /mcp URL> lists the upstream's tools, calls echo and fail, and answers what came back.
import { callUpstreamTool } from '../../src/connectors/mcp/call-upstream-tool.ts';
import { listUpstreamTools } from '../../src/connectors/mcp/list-upstream-tools.ts';

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url).searchParams.get('url');
    if (!url) return new Response('Give ?url=', { status: 400 });
    const headers = { Authorization: 'Bearer runtime-probe-token' };
    const signal = AbortSignal.timeout(10_000);
    const list = await listUpstreamTools(url, { fetch: (input, init) => fetch(input, init), headers, signal });
    const options = { fetch: (input: string, init?: RequestInit) => fetch(input, init), headers, signal, era: list.era, protocolVersion: list.protocolVersion };
    const echo = await callUpstreamTool(url, 'echo', { text: 'from afar' }, options);
    const fail = await callUpstreamTool(url, 'fail', {}, options);
    const down = await callUpstreamTool('http://127.0.0.1:9/mcp', 'echo', {}, options);
    return Response.json({ era: list.era, tools: list.tools.map((tool) => tool.name).sort(), echo, fail, down });
  },
};
