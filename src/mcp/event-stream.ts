import type { AnyTool } from '../tools/index.ts';

/**
 * True when a request should be answered as an SSE stream rather than one JSON body: it is a
 * `tools/call`, the client accepts `text/event-stream`, and either the client asked for progress
 * (`_meta.progressToken`) or the tool is declared `streaming` (it sends log messages). Everything
 * else takes the cheaper JSON path, where notifications would be dropped.
 */
export function answersWithEventStream(accept: string | undefined, message: object, tools: readonly AnyTool[]): boolean {
  if (!accept?.includes('text/event-stream')) return false;
  const m = message as { method?: unknown; params?: { name?: unknown; _meta?: { progressToken?: unknown } } };
  if (m.method !== 'tools/call') return false;
  const token = m.params?._meta?.progressToken;
  if (typeof token === 'string' || typeof token === 'number') return true;
  return tools.some((t) => t.streaming === true && t.name === m.params?.name);
}

/**
 * Passes a streamed response through unchanged while counting its bytes, and calls `onEnd` once:
 * when the body has been read to its end (`completed`), or when the client went away first.
 */
export function observeBody(response: Response, onEnd: (bytes: number, completed: boolean) => void): Response {
  if (!response.body) {
    onEnd(0, true);
    return response;
  }
  const reader = response.body.getReader();
  let bytes = 0;
  let ended = false;
  const end = (completed: boolean) => {
    if (ended) return;
    ended = true;
    onEnd(bytes, completed);
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          end(true);
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        end(false);
      }
    },
    async cancel(reason) {
      end(false);
      await reader.cancel(reason).catch(() => {});
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const sseEncoder = new TextEncoder();

/** One SSE event carrying a JSON-RPC message, framed as the SDK frames it. */
function sseFrame(message: object): Uint8Array {
  return sseEncoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

/**
 * An SSE answer written without the SDK's transport: `work` may `send` notifications that relate
 * to the request, and resolves with its final JSON-RPC response, which ends the stream. `onEnd`
 * gets the bytes written and whether the stream ran to its end (false when the client left first).
 * `beforeEnd`, if given, sees the final response and the stream's size with it, and returns what to
 * send instead (a usage row is committed there before the result goes out).
 */
export function eventStream(
  work: (send: (message: object) => void) => Promise<object>,
  onEnd: (bytes: number, completed: boolean) => void,
  beforeEnd?: (final: object, bytes: number) => Promise<object>,
): Response {
  let bytes = 0;
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (message: object) => {
        if (!open) return;
        const chunk = sseFrame(message);
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      };
      void work(write).then(
        async (final) => {
          if (beforeEnd) final = await beforeEnd(final, bytes + sseFrame(final).byteLength);
          write(final);
          if (!open) return;
          open = false;
          controller.close();
          onEnd(bytes, true);
        },
        (error) => {
          if (!open) return;
          open = false;
          controller.error(error);
          onEnd(bytes, false);
        },
      );
    },
    cancel() {
      if (!open) return;
      open = false;
      onEnd(bytes, false);
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' } });
}
