/**
 * Reads a `text/event-stream` body until the event carrying the JSON-RPC response with `id`, then
 * stops reading. Notifications and server requests on the stream are skipped (a connector has no
 * one to relay them to). Resolves undefined when the stream ends first; throws on malformed JSON.
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, id: number): Promise<Record<string, unknown> | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffered.search(/\r\n|\r|\n/)) >= 0) {
        if (!done && newline === buffered.length - 1 && buffered.endsWith('\r')) break; // a CRLF split across chunks: wait for its LF
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + (buffered.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          const message = dispatch(data, id);
          data = [];
          if (message) return message;
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        // event:, id:, retry: and comments do not change which message is ours
      }
      if (done) return dispatch(data, id);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function dispatch(data: string[], id: number): Record<string, unknown> | undefined {
  if (data.length === 0) return undefined;
  const message: unknown = JSON.parse(data.join('\n'));
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const record = message as Record<string, unknown>;
  return record.id === id && ('result' in record || 'error' in record) ? record : undefined;
}
