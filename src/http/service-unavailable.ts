import { JsonRpcCode, jsonRpcError } from '../mcp/json-rpc.ts';

/** How long a client should wait before retrying after a 503, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** What a client is told when the database is unreachable. */
export const SERVICE_UNAVAILABLE_MESSAGE = 'Service unavailable: the database cannot be reached right now. Retry shortly.';

/** The 503 answer for an infrastructure failure (the database is unreachable): a JSON-RPC error with Retry-After. */
export function serviceUnavailable(id: string | number | null = null): Response {
  return jsonRpcError(503, JsonRpcCode.InternalError, SERVICE_UNAVAILABLE_MESSAGE, id, {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}
