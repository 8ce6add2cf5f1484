import { JsonRpcCode, jsonRpcError } from '../mcp/json-rpc.ts';

/** How long a client should wait before retrying after a 503, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** The 503 answer for an infrastructure failure (the database is unreachable): a JSON-RPC error with Retry-After. */
export function serviceUnavailable(id: string | number | null = null): Response {
  return jsonRpcError(503, JsonRpcCode.InternalError, 'Service unavailable: the database cannot be reached right now. Retry shortly.', id, {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}
