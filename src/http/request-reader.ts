import type { Context } from 'hono';

/** A request body read whole; or refused for being larger than the limit; or cut off (the client went away mid-body). */
export type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too_large' | 'unreadable' };

/**
 * How /mcp reads a request's body and learns that its client went away. The default uses the
 * Fetch API's `Request`, which every runtime has; an entry may inject a faster native path.
 */
export interface RequestReader {
  /** The whole body, refused (without reading the rest) once it exceeds `maxBytes`. */
  body(c: Context, maxBytes: number): Promise<BodyRead>;
  /** Calls `onGone` if the client disconnects before its answer is sent; returns a function that stops listening. */
  onClientGone(c: Context, onGone: (reason: unknown) => void): () => void;
}

/** Reads through the Fetch API: the `Request` body stream and `Request.signal`. */
export const fetchRequestReader: RequestReader = {
  body(c, maxBytes) {
    const stream = c.req.raw.body;
    if (!stream) return Promise.resolve(EMPTY);
    return readStream(stream, new BodyCollector(declaredLength(c.req.header('Content-Length'), c.req.header('Transfer-Encoding')), maxBytes));
  },
  onClientGone(c, onGone) {
    const signal = c.req.raw.signal;
    const listener = () => onGone(signal.reason);
    if (signal.aborted) {
      listener();
      return () => {};
    }
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  },
};

const EMPTY: BodyRead = { ok: true, bytes: new Uint8Array(0) };
/** The body stream failed before its end: the client disconnected or broke the framing. */
export const UNREADABLE: BodyRead = { ok: false, reason: 'unreadable' };

/** Content-Length when it frames the body (not with Transfer-Encoding, RFC 9112 §6.3), else undefined. */
export function declaredLength(contentLength: string | undefined, transferEncoding: string | undefined): number | undefined {
  if (contentLength === undefined || transferEncoding !== undefined) return undefined;
  const n = Number(contentLength);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Reads a Fetch body stream into `body`; the same loop as the Node reader's, over `getReader()`. */
async function readStream(stream: ReadableStream<Uint8Array>, body: BodyCollector): Promise<BodyRead> {
  if (body.tooLarge) return body.result();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || !body.push(value)) break;
    }
  } catch {
    return UNREADABLE;
  } finally {
    reader.releaseLock();
  }
  return body.result();
}

/**
 * Gathers a body's chunks, counting bytes as they arrive so that an unannounced (chunked) body
 * cannot exceed `maxBytes` either. A declared length over the limit is refused before anything is read.
 */
export class BodyCollector {
  tooLarge: boolean;
  #parts: Uint8Array[] = [];
  #size = 0;
  readonly #maxBytes: number;

  constructor(declared: number | undefined, maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.tooLarge = declared !== undefined && declared > maxBytes;
  }

  /** Adds a chunk; false once the body is over the limit (stop reading). */
  push(chunk: Uint8Array): boolean {
    this.#size += chunk.byteLength;
    if (this.#size > this.#maxBytes) this.tooLarge = true;
    else this.#parts.push(chunk);
    return !this.tooLarge;
  }

  result(): BodyRead {
    if (this.tooLarge) return { ok: false, reason: 'too_large' };
    if (this.#parts.length === 1) return { ok: true, bytes: this.#parts[0]! };
    const bytes = new Uint8Array(this.#size);
    let offset = 0;
    for (const part of this.#parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
    return { ok: true, bytes };
  }
}
