import type { Context } from 'hono';

/** A request body read whole; or refused for being larger than the limit; or cut off (the client went away mid-body). */
export type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too_large' | 'unreadable' };

/**
 * How /mcp reads a request's body and learns that its client went away. The default uses the
 * Fetch API's `Request`, which every runtime has; an entry may inject a faster native path.
 */
export interface RequestReader {
  /** The whole body, refused once it exceeds `maxBytes` (the rest is then drained, within {@link DRAIN_BOUNDS}). */
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

/**
 * How much of an oversized body is read and discarded before the 413 is sent with
 * `Connection: close`. A server that closes a socket with unread bytes in it makes the kernel send
 * a reset, and the client, still sending, sees that instead of the answer; past these bounds it may.
 */
export const DRAIN_BOUNDS = { bytes: 16 * 1024 * 1024, ms: 2000 } as const;

/** Reads a Fetch body stream into `body`; the same loop as the Node reader's, over `getReader()`. */
async function readStream(stream: ReadableStream<Uint8Array>, body: BodyCollector): Promise<BodyRead> {
  const reader = stream.getReader();
  try {
    while (!body.tooLarge) {
      const { done, value } = await reader.read();
      if (done) return body.result();
      body.push(value);
    }
    await discardRest(reader);
  } catch {
    return body.tooLarge ? body.result() : UNREADABLE;
  } finally {
    reader.releaseLock();
  }
  return body.result();
}

/** Reads and drops what is left of a body, within {@link DRAIN_BOUNDS}; then cancels the rest. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DRAIN_BOUNDS.ms)));
  let drained = 0;
  try {
    while (drained <= DRAIN_BOUNDS.bytes) {
      const next = await Promise.race([reader.read(), timedOut]);
      if (next === 'timeout' || next.done) break;
      drained += next.value.byteLength;
    }
  } finally {
    clearTimeout(timer);
  }
  await reader.cancel().catch(() => {});
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
