// The core of the SDK's stateless example without Express, for bench/in-process.ts: a new
// McpServer per request with one add tool, the SDK's own web-standard Streamable HTTP transport,
// its default SSE answers. A lower bound on what the example costs (it adds Express, body parsing,
// the Host check and Node's request adaptation on top), so ratios against it favour the SDK.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';

/** A fetch handler, as `app.fetch`. */
export const app = {
  async fetch(request: Request): Promise<Response> {
    const server = new McpServer({ name: 'stateless-streamable-http-server', version: '1.0.0' }, { capabilities: { logging: {} } });
    server.registerTool('add', { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    return transport.handleRequest(request);
  },
};
