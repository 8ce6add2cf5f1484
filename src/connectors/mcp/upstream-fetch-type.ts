/**
 * The fetch the connectors use towards upstreams: the global `fetch` signature. Production passes
 * the safe one (src/connectors/upstream-fetch.ts, same type); tests pass `globalThis.fetch`.
 */
export type UpstreamFetch = (url: string, init?: RequestInit) => Promise<Response>;
