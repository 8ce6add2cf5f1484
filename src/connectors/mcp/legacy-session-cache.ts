import type { UpstreamSession } from './upstream-session.ts';

/**
 * Legacy sessions kept between calls, so a call needs one round trip instead of three. An entry is
 * keyed by the URL and every header given (they carry per-tenant credentials), so a session is never
 * shared between callers with different credentials. Bounded (least recently used goes first) and
 * forgotten after `idleMs` unused; a session the upstream has ended is dropped by the caller.
 */
export class LegacySessionCache {
  readonly #entries = new Map<string, { session: Promise<UpstreamSession>; usedAt: number }>();
  readonly #maxEntries: number;
  readonly #idleMs: number;

  constructor(options: { maxEntries?: number; idleMs?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 256;
    this.#idleMs = options.idleMs ?? 5 * 60_000;
  }

  /** The session for this URL and headers, opening one with `open` (at most one at a time per key) when none is kept. */
  get(url: string, headers: Record<string, string>, open: () => Promise<UpstreamSession>): Promise<UpstreamSession> {
    const key = cacheKey(url, headers);
    const now = Date.now();
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (entry && now - entry.usedAt <= this.#idleMs) {
      entry.usedAt = now;
      this.#entries.set(key, entry); // most recently used last
      return entry.session;
    }
    const session = open();
    this.#entries.set(key, { session, usedAt: now });
    session.catch(() => this.forget(url, headers, session));
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    return session;
  }

  /** Keeps `session` for this URL and headers, replacing any kept one (the catalog's listing hands its handshake to later calls). */
  keep(url: string, headers: Record<string, string>, session: UpstreamSession): void {
    const key = cacheKey(url, headers);
    this.#entries.delete(key);
    this.#entries.set(key, { session: Promise.resolve(session), usedAt: Date.now() });
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** Drops the kept session for this URL and headers (only `which`, when given: a newer one stays). */
  forget(url: string, headers: Record<string, string>, which?: Promise<UpstreamSession>): void {
    const key = cacheKey(url, headers);
    if (which === undefined || this.#entries.get(key)?.session === which) this.#entries.delete(key);
  }

  /** How many sessions are kept. */
  get size(): number {
    return this.#entries.size;
  }
}

function cacheKey(url: string, headers: Record<string, string>): string {
  const entries = Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]);
  entries.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return JSON.stringify([url, entries]);
}

/** The sessions shared by every call in this process or isolate. */
export const legacySessions = new LegacySessionCache();
