import { abortedError } from './aborted-error.ts';
import { readEventStream } from './read-event-stream.ts';
import type { UpstreamFetch } from '../upstream-fetch.ts';
import { UpstreamMcpError } from './upstream-mcp-error.ts';

/** How to reach the upstream for one POST: the fetch to use, the headers to add (credentials: never echoed), cancellation. */
export interface PostOptions {
  fetch: UpstreamFetch;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** The upstream's answer to one POST: its status, the session it named, and the JSON-RPC response (absent for a notification). */
export interface PostReply {
  status: number;
  sessionId: string | null;
  response?: { result?: unknown; error?: unknown };
}

const bodyExcerpt = 1000;

/**
 * POSTs one JSON-RPC message to a Streamable HTTP endpoint and reads the answer, as JSON or as an
 * event stream (its response event). Every failure throws an `UpstreamMcpError` whose message says
 * what failed; request headers never appear in it.
 */
export async function postJsonRpc(url: string, message: { id?: number; [field: string]: unknown }, options: PostOptions & { extraHeaders?: Record<string, string> }): Promise<PostReply> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'POST',
      headers: {
        ...options.headers,
        ...options.extraHeaders,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(message),
      signal: options.signal,
    });
  } catch (error) {
    throw failure(error, null, options.signal, 'Cannot reach the upstream');
  }
  const status = response.status;
  const sessionId = response.headers.get('mcp-session-id');
  try {
    if (status < 200 || status > 299) {
      const text = await response.text();
      throw new UpstreamMcpError(`The upstream answered ${status}${response.statusText ? ` ${response.statusText}` : ''}: ${text.slice(0, bodyExcerpt)}`, status);
    }
    if (message.id === undefined) {
      await response.body?.cancel();
      return { status, sessionId };
    }
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    let parsed: unknown;
    if (type === 'text/event-stream' && response.body) {
      parsed = await readEventStream(response.body, message.id);
      if (parsed === undefined) throw new UpstreamMcpError('The upstream ended its event stream without answering the request', status);
    } else {
      const text = await response.text();
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new UpstreamMcpError(`The upstream answered ${status} with a body that is not JSON: ${text.slice(0, bodyExcerpt)}`, status);
      }
    }
    if (!isResponse(parsed, message.id)) throw new UpstreamMcpError(`The upstream answered ${status} with something that is not a JSON-RPC response to the request`, status);
    return { status, sessionId, response: parsed };
  } catch (error) {
    throw failure(error, status, options.signal, "Cannot read the upstream's answer");
  }
}

function isResponse(value: unknown, id: number): value is { result?: unknown; error?: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return record.id === id && ('result' in record || 'error' in record);
}

/** An `UpstreamMcpError` for what went wrong: a timeout or cancellation through the signal, or the error's own message. */
function failure(error: unknown, status: number | null, signal: AbortSignal, what: string): UpstreamMcpError {
  if (error instanceof UpstreamMcpError) return error;
  if (signal.aborted) return abortedError(signal, status);
  if (error instanceof SyntaxError) return new UpstreamMcpError(`The upstream answered ${status} with an event that is not JSON`, status);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''; // Node's "fetch failed" says why only in its cause
  return new UpstreamMcpError(`${what}: ${error instanceof Error ? error.message : String(error)}${cause}`, status);
}
