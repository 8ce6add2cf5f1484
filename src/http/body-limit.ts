import type { MiddlewareHandler } from 'hono';
import { fetchRequestReader } from './request-reader.ts';

/** Options for {@link bodyLimit}. */
export interface BodyLimitOptions {
  maxBytes: number;
  /** The answer to a body over `maxBytes`; it is sent with `Connection: close`. */
  tooLarge: () => Response;
}

/**
 * Reads a request's body whole before the handlers run, refusing one over `maxBytes`. Unlike
 * hono's bodyLimit, the refusal drains the rest of the body (within DRAIN_BOUNDS) and closes the
 * connection, so a client still sending reads the 413 instead of a reset, and never reuses a
 * connection whose framing the server gave up on.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const { maxBytes, tooLarge } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TypeError('bodyLimit() needs maxBytes, a non-negative integer');
  return async function limitBody(c, next) {
    if (c.req.raw.body === null) return next();
    const read = await fetchRequestReader.body(c, maxBytes);
    if (!read.ok) {
      const refusal = read.reason === 'too_large' ? tooLarge() : new Response(null, { status: 400 });
      // A new Response: @hono/node-server's may ignore headers set after construction.
      const headers = new Headers(refusal.headers);
      headers.set('Connection', 'close');
      return new Response(refusal.body, { status: refusal.status, headers });
    }
    // Handlers read the buffered copy; the stream itself has been consumed.
    c.req.raw = new Request(c.req.raw, { body: read.bytes as Uint8Array<ArrayBuffer> });
    return next();
  };
}
