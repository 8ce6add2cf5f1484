import { DrizzleQueryError } from 'drizzle-orm';

// Error codes (Node/undici socket errors, libSQL client codes, SQLite's busy) that mean the
// database could not be reached or could not serve us right now, as opposed to a bad query.
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'SERVER_ERROR', // libSQL: the server (or a proxy in front of it) answered 5xx
  'HRANA_WEBSOCKET_ERROR',
  'HRANA_CLOSED_ERROR',
  'CLIENT_CLOSED',
  'SQLITE_BUSY',
]);

// How runtimes word a network failure of fetch(): undici, Deno, workerd.
const fetchFailure = /^(fetch failed|error sending request|network connection lost)/i;

/**
 * True when `error` comes from the database layer and means the database is unreachable or busy,
 * an infrastructure failure that retrying later can fix (answered 503), not a bug or bad input.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let fromDatabase = false;
  let unreachable = false;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DrizzleQueryError || e.name === 'LibsqlError' || e.name === 'LibsqlBatchError') fromDatabase = true;
    const code = (e as { code?: unknown }).code;
    if ((typeof code === 'string' && unreachableCodes.has(code)) || (e instanceof TypeError && fetchFailure.test(e.message))) unreachable = true;
  }
  return fromDatabase && unreachable;
}
