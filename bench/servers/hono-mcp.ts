// A reference: the least @hono/mcp needs to serve one tool statelessly. A fresh McpServer and
// transport per request (never shared: GHSA-345p-7cg4-v4c7), JSON answers, one shared Ajv
// validator. No auth, no scopes, no logging.
import { pathToFileURL } from 'node:url';
import { StreamableHTTPTransport } from '@hono/mcp';
import { serve } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { Hono } from 'hono';
import { z } from 'zod';

// Without it every McpServer builds its own Ajv instance.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/** Also run in-process by bench/in-process.ts. */
export const app = new Hono();
app.post('/mcp', async (c) => {
  const server = new McpServer({ name: 'hono-mcp-minimal', version: '1.0.0' }, { jsonSchemaValidator });
  server.registerTool('add', { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  const transport = new StreamableHTTPTransport({ enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c);
  } finally {
    await server.close();
  }
});

// Serves only when run as a program, not when bench/in-process.ts imports the app.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000);
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
    console.log(`hono-mcp-minimal listening on http://127.0.0.1:${info.port}/mcp`);
  });
}
