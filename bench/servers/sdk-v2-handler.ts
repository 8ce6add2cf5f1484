// A reference: the SDK v2 line's own dual-era serving (@modelcontextprotocol/server 2.4,
// `createMcpHandler`), one `add` tool, no auth, on Hono and the same @hono/node-server as the
// product. A fresh McpServer per request from the factory, as the handler requires.
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { z } from 'zod';

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'sdk-v2-handler', version: '1.0.0' });
  server.registerTool('add', { description: 'Add two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }) }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  return server;
});

/** Also run in-process by bench/in-process.ts. */
export const app = new Hono();
app.all('/mcp', (c) => handler.fetch(c.req.raw));

// Serves only when run as a program.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
    console.log(`sdk-v2-handler listening on http://127.0.0.1:${info.port}/mcp`);
  });
}
