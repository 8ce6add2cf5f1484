import { headerValue } from './header-value.ts';
import { postJsonRpc, type PostOptions } from './post-json-rpc.ts';
import { UpstreamMcpError } from './upstream-mcp-error.ts';

/** Which protocol era an upstream speaks, at which revision, and (legacy) the session it issued. */
export interface UpstreamSession {
  era: 'modern' | 'legacy';
  protocolVersion: string;
  sessionId?: string;
}

/** The newest modern revision this client speaks (per-request `_meta`, no `initialize`). */
export const MODERN_REVISION = '2026-07-28';
/** The legacy revision asked for in `initialize`; the server may answer an older one. */
export const LEGACY_REVISION = '2025-11-25';
/** How this server names itself to upstreams. */
export const CLIENT_INFO = { name: 'tenant-mcp-connector', version: '1.0.0' } as const;

let nextId = 1;

/**
 * Sends one request in the session's era: the modern `_meta` envelope and `Mcp-Method`/`Mcp-Name`
 * headers, or the legacy `MCP-Protocol-Version` and `Mcp-Session-Id` headers. Resolves with the
 * result and the HTTP status; a JSON-RPC error throws an `UpstreamMcpError` carrying its code.
 */
export async function sessionRequest(
  url: string,
  session: UpstreamSession,
  request: { method: string; params: Record<string, unknown>; headers?: Record<string, string> },
  options: PostOptions,
): Promise<{ result: Record<string, unknown>; status: number }> {
  const id = nextId++;
  const headers: Record<string, string> = { ...request.headers, 'MCP-Protocol-Version': session.protocolVersion };
  let params = request.params;
  if (session.era === 'modern') {
    headers['Mcp-Method'] = request.method;
    if (typeof params.name === 'string') headers['Mcp-Name'] = headerValue(params.name);
    params = {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': session.protocolVersion,
        'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
        'io.modelcontextprotocol/clientCapabilities': {},
        ...(params._meta as object | undefined),
      },
    };
  } else if (session.sessionId) {
    headers['Mcp-Session-Id'] = session.sessionId;
  }
  const reply = await postJsonRpc(url, { jsonrpc: '2.0', id, method: request.method, params }, { ...options, extraHeaders: headers });
  const { response, status } = reply;
  if (response?.error !== undefined) {
    const error = (response.error ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof error.code === 'number' ? error.code : undefined;
    const message = typeof error.message === 'string' ? error.message.slice(0, 1000) : 'no message';
    throw new UpstreamMcpError(`The upstream answered ${request.method} with JSON-RPC error ${code ?? '(no code)'}: ${message}`, status, code);
  }
  const result = response?.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new UpstreamMcpError(`The upstream answered ${request.method} with a result that is not an object`, status);
  }
  return { result: result as Record<string, unknown>, status };
}
