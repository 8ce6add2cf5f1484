import { postJsonRpc, type PostOptions } from './post-json-rpc.ts';
import { UpstreamMcpError } from './upstream-mcp-error.ts';
import { CLIENT_INFO, LEGACY_REVISION, MODERN_REVISION, sessionRequest, type UpstreamSession } from './upstream-session.ts';

/**
 * Finds which era the upstream speaks: a modern `server/discover` first; when the upstream does not
 * offer 2026-07-28 (a JSON-RPC error, an HTTP error other than 401/403, or a discover result without it),
 * the legacy `initialize` handshake. Unreachable, timed out or refused (401/403) throws as is.
 */
export async function openUpstreamSession(url: string, options: PostOptions): Promise<UpstreamSession> {
  try {
    const { result } = await sessionRequest(url, { era: 'modern', protocolVersion: MODERN_REVISION }, { method: 'server/discover', params: {} }, options);
    const supported = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
    if (supported.includes(MODERN_REVISION)) return { era: 'modern', protocolVersion: MODERN_REVISION };
  } catch (error) {
    if (!(error instanceof UpstreamMcpError) || !isLegacySignal(error)) throw error;
  }
  return initializeUpstream(url, options);
}

/** A failed discover that says "not a modern server" rather than "cannot talk to it". */
function isLegacySignal(error: UpstreamMcpError): boolean {
  // a 5xx is tried too: a legacy server may fail on an unknown method, and initialize's failure is then the one reported
  return error.status !== null && error.status !== 401 && error.status !== 403;
}

/**
 * The legacy handshake: `initialize` (keeping the `Mcp-Session-Id` the upstream issues, if any),
 * then `notifications/initialized`. Resolves with the session at the revision the upstream chose.
 */
export async function initializeUpstream(url: string, options: PostOptions): Promise<UpstreamSession> {
  const request = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: LEGACY_REVISION, capabilities: {}, clientInfo: CLIENT_INFO },
  };
  const reply = await postJsonRpc(url, request, options);
  const error = reply.response?.error as { code?: unknown; message?: unknown } | undefined;
  if (error !== undefined) {
    const message = typeof error?.message === 'string' ? error.message.slice(0, 1000) : 'no message';
    throw new UpstreamMcpError(`The upstream refused initialize with JSON-RPC error ${String(error?.code)}: ${message}`, reply.status, Number(error?.code) || undefined);
  }
  const result = reply.response?.result as { protocolVersion?: unknown } | undefined;
  if (typeof result?.protocolVersion !== 'string') throw new UpstreamMcpError('The upstream answered initialize without a protocol version', reply.status);
  const session: UpstreamSession = { era: 'legacy', protocolVersion: result.protocolVersion, ...(reply.sessionId ? { sessionId: reply.sessionId } : {}) };
  await postJsonRpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, {
    ...options,
    extraHeaders: { 'MCP-Protocol-Version': session.protocolVersion, ...(session.sessionId ? { 'Mcp-Session-Id': session.sessionId } : {}) },
  });
  return session;
}
