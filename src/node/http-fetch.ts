import { type IncomingMessage, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Options for {@link nodeHttpFetch}. */
export interface NodeHttpFetchOptions {
  /** A body longer than this fails the fetch with an Error saying so, before it is all in memory. */
  maxResponseBytes: number;
}

// Connections to upstreams are reused, as the Fetch API's are.
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/**
 * `fetch` for connector upstreams on Node, over node:http: the Fetch API's request and response
 * streams cost about a millisecond of CPU per call on Node 20, more than the rest of a proxied call.
 * It supports what connectors send (a method, headers, a string or byte body, a signal) and never
 * follows redirects (the caller decides); the answer's body is read whole, within the limit.
 */
export function nodeHttpFetch(options: NodeHttpFetchOptions): typeof fetch {
  return function fetchOverHttp(input, init = {}) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError(`Cannot fetch ${url.protocol} URLs`));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return Promise.reject(new TypeError('nodeHttpFetch sends string or byte bodies only'));
    }
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: init.method ?? 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
        readLimited(res, options.maxResponseBytes).then((bytes) => {
          signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const nullBody = status === 204 || status === 205 || status === 304;
          resolve(new Response(nullBody ? null : (bytes as Uint8Array<ArrayBuffer>), { status, statusText: res.statusMessage, headers: responseHeaders }));
        }, fail);
      });
      function fail(error: unknown) {
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(error);
      }
      function onAbort() {
        fail(signal!.reason);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', fail);
      req.end(body ?? undefined);
    });
  };
}

function readLimited(res: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new Error(`The upstream response is larger than the ${maxBytes}-byte limit`);
    if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
      reject(tooLarge());
      return void res.destroy();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        reject(tooLarge()); // first: destroying reports the connection closed
        res.destroy();
      } else chunks.push(chunk);
    });
    res.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('The upstream closed the connection before the answer was complete')));
  });
}
