// The floor: Hono + @hono/node-server, parse the JSON body, answer with a fixed-shape JSON-RPC
// reply. No MCP SDK, no validation beyond what the reply needs.
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const INIT_RESULT = {
  protocolVersion: '2025-11-25',
  capabilities: { tools: { listChanged: true } },
  serverInfo: { name: 'raw-hono', version: '1.0.0' },
};
const TOOLS = {
  tools: [{
    name: 'add',
    description: 'Add two numbers',
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  }],
};

/** The floor's app, also run in-process by bench/in-process.ts. */
export const app = new Hono();
app.post('/mcp', async (c) => {
  const msg = await c.req.json<any>();
  if (msg.id === undefined) return c.body(null, 202); // notification
  switch (msg.method) {
    case 'tools/call': {
      const { a, b } = msg.params.arguments;
      const content = [{ type: 'text', text: String(a + b) }];
      // A 2026-07-28 request (version in _meta) gets the result shape that era requires.
      return c.json({ jsonrpc: '2.0', id: msg.id, result: msg.params._meta ? { content, resultType: 'complete' } : { content } });
    }
    case 'initialize':
      return c.json({ jsonrpc: '2.0', id: msg.id, result: INIT_RESULT });
    case 'tools/list':
      return c.json({ jsonrpc: '2.0', id: msg.id, result: TOOLS });
    default:
      return c.json({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
  }
});

// Serves only when run as a program, not when bench/in-process.ts imports the app.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
    console.log(`raw-hono listening on http://127.0.0.1:${info.port}/mcp`);
  });
}
