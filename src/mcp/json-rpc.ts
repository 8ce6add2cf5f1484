import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** JSON-RPC error codes we answer with ourselves. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Server-defined: the HTTP layer refused the request (origin, size, method). */
  Refused: -32000,
  /** Server-defined: a rate limit or quota refused a tools/call (sent with HTTP 429). */
  RateLimited: -32029,
  /** MCP 2026-07-28: an Mcp-* or MCP-Protocol-Version header is missing or disagrees with the body. */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the request needs a client capability its `_meta` does not declare. */
  MissingRequiredClientCapability: -32021,
  /** MCP 2026-07-28: the requested protocol version is not served here; `data.supported` lists those that are. */
  UnsupportedProtocolVersion: -32022,
} as const;

/** A JSON-RPC error response, as MCP clients expect to read it. */
export function jsonRpcError(
  status: ContentfulStatusCode,
  code: number,
  message: string,
  id: string | number | null = null,
  headers?: HeadersInit,
  data?: unknown,
): Response {
  return Response.json({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }, { status, headers });
}
