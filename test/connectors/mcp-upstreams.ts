// Real upstream MCP servers on loopback for the mcp connector tests, built with the official SDKs:
// a legacy stateless v1 server, a legacy stateful v1 server (sessions), a 2026-07-28 v2 server, and
// a raw HTTP server for the failures an SDK server does not produce on demand.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, McpServer as ModernMcpServer } from '@modelcontextprotocol/server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A running upstream: its /mcp URL, the headers and JSON-RPC methods of every request it got, and how to stop it. */
export interface Upstream {
  url: string;
  requests: { method: string; headers: IncomingHttpHeaders }[];
  stop(): Promise<void>;
}

/** What the slow tool's handler waits on; resolved by the tests' teardown so nothing hangs. */
const slowRelease = new Set<() => void>();
/** Lets every slow call still running finish. */
export function releaseSlowCalls(): void {
  for (const release of slowRelease) release();
  slowRelease.clear();
}
function slowAnswer(): Promise<void> {
  return new Promise((resolve) => slowRelease.add(resolve));
}

const echoOutput = { said: z.string(), length: z.number() };

/** The same tools on the v1 SDK: echo (with structuredContent), fail (isError), slow (never answers until released). */
function legacyServer(): McpServer {
  const server = new McpServer({ name: 'legacy-upstream', version: '1.0.0' });
  server.registerTool(
    'echo',
    { title: 'Echo', description: 'Says the text back', inputSchema: { text: z.string() }, outputSchema: echoOutput, annotations: { readOnlyHint: true } },
    async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }], structuredContent: { said: text, length: text.length } }),
  );
  server.registerTool('fail', { description: 'Always fails', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'the widget is broken' }], isError: true }));
  server.registerTool('slow', { description: 'Answers when released', inputSchema: {} }, async () => {
    await slowAnswer();
    return { content: [{ type: 'text', text: 'late' }] };
  });
  return server;
}

/** The same tools on the v2 SDK (dual-era, so a client that probes with server/discover gets 2026-07-28). */
function modernServer(): ModernMcpServer {
  const server = new ModernMcpServer({ name: 'modern-upstream', version: '1.0.0' });
  server.registerTool(
    'echo',
    { title: 'Echo', description: 'Says the text back', inputSchema: z.object({ text: z.string() }), outputSchema: z.object(echoOutput), annotations: { readOnlyHint: true } },
    async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }], structuredContent: { said: text, length: text.length } }),
  );
  server.registerTool(
    'regional',
    { description: 'Names the region it was asked for (declares an Mcp-Param header)', inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }), count: z.number().int().meta({ 'x-mcp-header': 'Count' }) }) },
    async ({ region, count }) => ({ content: [{ type: 'text', text: `${count} in ${region}` }] }),
  );
  server.registerTool('fail', { description: 'Always fails', inputSchema: z.object({}) }, async () => ({ content: [{ type: 'text', text: 'the widget is broken' }], isError: true }));
  server.registerTool('slow', { description: 'Answers when released', inputSchema: z.object({}) }, async () => {
    await slowAnswer();
    return { content: [{ type: 'text', text: 'late' }] };
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : undefined;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void> | void): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    try {
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      requests.push({ method: (body as { method?: string } | undefined)?.method ?? req.method ?? '', headers: req.headers });
      await handler(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        releaseSlowCalls();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A legacy stateless server: a fresh McpServer and transport per request, no sessions (the SDK's stateless example). */
export function startLegacyStatelessUpstream(): Promise<Upstream> {
  return listen(async (req, res, body) => {
    const server = legacyServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
}

/** A legacy stateful server (the SDK's session example): sessions by Mcp-Session-Id; `endSessions()` forgets them all. */
export async function startLegacyStatefulUpstream(): Promise<Upstream & { sessions: Map<string, StreamableHTTPServerTransport>; endSessions(): void }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const upstream = await listen(async (req, res, body) => {
    const sessionId = req.headers['mcp-session-id'];
    const known = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (known) return known.handleRequest(req, res, body);
    if (sessionId === undefined && (body as { method?: string } | undefined)?.method === 'initialize') {
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, transport),
      });
      await legacyServer().connect(transport);
      return transport.handleRequest(req, res, body);
    }
    // what the SDK's example answers for an unknown or missing session
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null }));
  });
  const endSessions = () => {
    for (const transport of sessions.values()) void transport.close();
    sessions.clear();
  };
  return {
    ...upstream,
    sessions,
    endSessions,
    async stop() {
      endSessions();
      await upstream.stop();
    },
  };
}

/** A 2026-07-28 server on the v2 SDK's `createMcpHandler` (a fresh McpServer per request). */
export function startModernUpstream(): Promise<Upstream> {
  const handler = createMcpHandler(() => modernServer());
  return listen(async (req, res, body) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const response = await handler.fetch(
      new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    res.on('close', () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
    res.end();
  });
}

/** A raw upstream that answers every request the way `answer` says (for 500s, non-JSON bodies, JSON-RPC errors). */
export function startRawUpstream(answer: (body: { id?: number; method?: string }, res: ServerResponse) => void): Promise<Upstream> {
  return listen((_req, res, body) => answer((body ?? {}) as { id?: number; method?: string }, res));
}
