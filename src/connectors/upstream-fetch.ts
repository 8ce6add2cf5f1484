import { TtlCache } from '../auth/ttl-cache.ts';
import { checkOutboundHost, type OutboundHostRules } from '../http/outbound-host.ts';

/** `fetch` as connectors call it; the production one is `upstreamFetch`. */
export type UpstreamFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** The safety rules every request to a connector's upstream follows. */
export interface UpstreamFetchOptions extends OutboundHostRules {
  /** Reading a larger body fails with an Error saying so. */
  maxResponseBytes: number;
  /** Redirects followed on the same origin; default 3. Never to another origin. */
  maxRedirects?: number;
  /** The underlying fetch; default the runtime's. */
  fetch?: typeof fetch;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// How long an origin that passed the address checks is trusted without resolving it again.
const CHECKED_ORIGIN_TTL_MS = 60_000;
// A Response with one of these statuses cannot be given a body.
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * A fetch for connector upstreams: https only (http only to an allowed private host), public
 * addresses unless the host is allowed, no credentials in the URL, redirects followed only on the
 * same origin, and a body that fails to read past `maxResponseBytes`. Rejects with an Error whose
 * message says what was refused; never echoes request headers, which carry credentials.
 */
export function upstreamFetch(options: UpstreamFetchOptions): UpstreamFetch {
  const doFetch = options.fetch ?? fetch;
  const maxRedirects = options.maxRedirects ?? 3;
  // Origins that passed the checks lately: a DNS lookup per call would put I/O on every tool call.
  const passed = new TtlCache<string, true>({ ttlMs: CHECKED_ORIGIN_TTL_MS, maxEntries: 1024 });
  const checked = async (input: string) => {
    const parsed = URL.canParse(input) ? new URL(input) : undefined;
    if (parsed && !parsed.username && !parsed.password && passed.get(parsed.origin)) return parsed.href;
    const href = await checkedUpstreamUrl(input, options);
    passed.set(new URL(href).origin, true);
    return href;
  };
  return async function fetchUpstream(input, init = {}) {
    let url = await checked(input);
    let request: RequestInit = { ...init, redirect: 'manual' };
    for (let redirects = 0; ; redirects++) {
      const response = await doFetch(url, request);
      if (!REDIRECT_STATUSES.has(response.status)) return capped(response, options.maxResponseBytes);
      await response.body?.cancel();
      const location = response.headers.get('Location');
      if (!location) throw new Error(`The upstream answered ${response.status} without a Location`);
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) {
        throw new Error(`The upstream redirected to another host (${next.host}); redirects are followed only on the same host`);
      }
      if (redirects >= maxRedirects) throw new Error(`The upstream redirected more than ${maxRedirects} times`);
      url = next.href;
      // 303, and 301/302 after a POST, continue as GET without a body (Fetch standard, "HTTP-redirect fetch").
      const method = (request.method ?? 'GET').toUpperCase();
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        request = { ...request, method: 'GET', body: undefined };
      }
    }
  };
}

/** The URL as text once it passes the rules, or an Error saying why it may not be fetched. */
export async function checkedUpstreamUrl(input: string, rules: OutboundHostRules): Promise<string> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error('The upstream URL is not a valid absolute URL');
  }
  const privateAllowed = rules.allowedPrivateHosts.includes(url.hostname.toLowerCase());
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && privateAllowed)) {
    throw new Error(`The upstream URL must use https (http only for a host in CONNECTOR_ALLOWED_PRIVATE_HOSTS): ${url.protocol}//${url.host}`);
  }
  if (url.username || url.password) throw new Error('The upstream URL must not carry credentials; use the connector\'s credential settings');
  try {
    await checkOutboundHost(url, rules);
  } catch (error) {
    throw new Error(`The upstream ${url.host} is refused: ${(error as Error).message} (allow it with CONNECTOR_ALLOWED_PRIVATE_HOSTS)`);
  }
  return url.href;
}

/** The response with a body that errors once more than `maxBytes` have arrived. */
function capped(response: Response, maxBytes: number): Response {
  const tooLarge = () => new Error(`The upstream response is larger than the ${maxBytes}-byte limit`);
  const declared = Number(response.headers.get('Content-Length') ?? Number.NaN);
  if (declared > maxBytes) {
    void response.body?.cancel();
    return new Response(new ReadableStream({ start: (controller) => controller.error(tooLarge()) }), response);
  }
  // Within a declared length the body cannot grow past it (the HTTP layer enforces Content-Length).
  if (!response.body || NULL_BODY_STATUSES.has(response.status) || declared <= maxBytes) return response;
  let size = 0;
  const limit = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > maxBytes) controller.error(tooLarge());
      else controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(limit), response);
}
