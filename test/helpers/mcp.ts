import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';

/** Connects the official MCP client to `${baseUrl}/mcp` with the given headers. */
export async function connectClient(baseUrl: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'tenant-mcp-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', baseUrl), { requestInit: { headers } }));
  return client;
}

/** Posts one raw JSON-RPC body to /mcp, as a client that does not use the SDK would. */
export function postMcp(baseUrl: string, body: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(new URL('/mcp', baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body,
    signal,
  });
}

/** A JSON-RPC request body. */
export function rpc(method: string, params?: unknown, id: number | string = 1): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
}

/** What the modern client's user answers when a tool asks (elicitation). */
export type ElicitAnswerer = (message: string) => { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean> };

/**
 * Connects the official v2 client (@modelcontextprotocol/client) in the 2026-07-28 era: pinned to
 * that revision (no legacy fallback), declaring elicitation and answering it with `answer`.
 */
export async function connectModernClient(baseUrl: string, headers: Record<string, string>, answer?: ElicitAnswerer): Promise<ModernClient> {
  const client = new ModernClient(
    { name: 'tenant-mcp-test', version: '1.0.0' },
    { capabilities: answer ? { elicitation: { form: {} } } : {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  if (answer) client.setRequestHandler('elicitation/create', async (request) => answer(request.params.message));
  await client.connect(new ModernTransport(new URL('/mcp', baseUrl), { requestInit: { headers } }));
  return client;
}

/** A modern-era request as a client that does not use the SDK would send it: `_meta` in the body and the Mcp-* headers. */
export function modernRequest(method: string, params: Record<string, unknown> = {}, options: { id?: number; capabilities?: object; name?: string } = {}) {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {} };
  const body = JSON.stringify({ jsonrpc: '2.0', id: options.id ?? 1, method, params: { ...params, _meta: { ...meta, ...(params._meta as object | undefined) } } });
  const name = options.name ?? (typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined);
  const headers: Record<string, string> = { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method, ...(name === undefined ? {} : { 'Mcp-Name': name }) };
  return { body, headers };
}
export type { ModernClient };
