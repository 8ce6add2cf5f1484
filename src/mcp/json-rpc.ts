import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** JSON-RPC error codes we answer with ourselves. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Server-defined: the HTTP layer refused the request (origin, size, method). */
  Refused: -32000,
  /** Server-defined: a rate limit or quota refused a tools/call (sent with HTTP 429). */
  RateLimited: -32029,
} as const;

/** A JSON-RPC error response, as MCP clients expect to read it. */
export function jsonRpcError(
  status: ContentfulStatusCode,
  code: number,
  message: string,
  id: string | number | null = null,
  headers?: HeadersInit,
): Response {
  return Response.json({ jsonrpc: '2.0', id, error: { code, message } }, { status, headers });
}
