import type { Caller } from '../auth/caller.ts';
import type { Database } from '../db/database.ts';
import type { Limit } from '../db/schema.ts';
import { type LeaseRequest, leaseTokens, loadLimits, returnTokens } from './counter-store.ts';
import { type LimitUnit, windowOf } from './windows.ts';

/** What the limiter does when the database cannot be reached. */
export type LimitsFailMode = 'open' | 'closed';

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /**
   * `open`: admit calls anyway, each instance enforcing every limit on its own; `closed`: refuse
   * calls that need the database with 503.
   */
  failMode: LimitsFailMode;
  /** How long a tenant's limits are reused before they are read again. */
  rulesTtlMs: number;
  /** Most tokens one lease takes; a lease is 5% of the limit, at least 1, at most this. */
  leaseMax: number;
  /** Most tenants (and, separately, counters) kept in memory. */
  maxEntries: number;
  now?: () => number;
  /** Reports the database becoming unreachable (once per outage) and reachable again. */
  onUnreachable?: (error: unknown) => void;
  onRecovered?: () => void;
}

/** A limit that applies to a call, as the 429 describes it. */
export interface AppliedLimit {
  kind: 'rate' | 'quota';
  limit: number;
  unit: LimitUnit;
  keyId: string | null;
  tool: string | null;
}

/** The limiter's answer for one call. */
export type Admission =
  | { ok: true }
  | { ok: false; reason: 'limited'; limit: AppliedLimit; resetsAt: number; retryAfterSeconds: number }
  | { ok: false; reason: 'unavailable' };

interface Counter {
  id: string;
  applied: AppliedLimit;
  windowStart: number;
  windowEnd: number;
  /** Tokens leased from the database and not yet spent. */
  tokens: number;
  /** Calls this instance admitted in this window. */
  admitted: number;
  /** Calls admitted without a lease while the database was unreachable, not yet added to it. */
  owed: number;
  /** The database said the window is full (at `checkedAt`). */
  exhausted: boolean;
  checkedAt: number;
  lease: Promise<void> | undefined;
}

interface Rules {
  limits: Limit[];
  loadedAt: number;
  loading: Promise<Limit[]> | undefined;
}

// After a failed database call, the limiter uses its local fallback this long before trying again.
const RETRY_MS = 1_000;
// A full window is asked about again at most this often: other instances may give tokens back.
const RECHECK_MS = 1_000;

/**
 * Enforces rate limits and quotas across every instance that shares the database, without a
 * database round trip per call. Each instance leases tokens for a counter's current window in
 * batches, with one atomic upsert that never grants more than the limit, and spends them locally.
 * So the instances together never admit more than the limit while the database is reachable; the
 * price is that up to one unspent lease per other instance can be refused before the limit is
 * reached. Windows are fixed and UTC-aligned (see {@link windowOf}).
 */
export class RateLimiter {
  readonly #db: Database;
  readonly #options: RateLimiterOptions;
  readonly #now: () => number;
  readonly #rules = new Map<string, Rules>();
  readonly #counters = new Map<string, Counter>();
  #unreachableUntil = 0;
  #degraded = false;
  #admittedWithoutLease = 0;

  constructor(db: Database, options: RateLimiterOptions) {
    this.#db = db;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** For /healthz: whether the database is currently unreachable, and calls admitted without a lease since start. */
  get status(): { failMode: LimitsFailMode; degraded: boolean; admittedWithoutLease: number } {
    return { failMode: this.#options.failMode, degraded: this.#degraded, admittedWithoutLease: this.#admittedWithoutLease };
  }

  /** Decides whether a caller may call a tool now, and charges the call if so. Never throws. */
  async admit(caller: Caller, tool: string): Promise<Admission> {
    const limits = await this.#limitsOf(caller.tenantId);
    if (limits === undefined) return this.#options.failMode === 'open' ? { ok: true } : this.#unavailable();
    const applied = limits.flatMap((l) => appliedLimits(l, caller.keyId, tool));
    if (applied.length === 0) return { ok: true };

    for (;;) {
      const now = this.#now();
      const counters = applied.map((a) => this.#counter(caller.tenantId, a, now));
      const full = counters.find((c) => c.tokens === 0 && c.exhausted && now - c.checkedAt < RECHECK_MS);
      if (full) return this.#limited(full, now);
      if (counters.every((c) => c.tokens > 0)) {
        for (const c of counters) spend(c);
        return { ok: true };
      }
      if (now < this.#unreachableUntil) return this.#withoutDatabase(counters, now);
      // Then look again: the lease may have come back empty, failed, or been spent by concurrent calls.
      await this.#lease(counters.filter((c) => c.tokens === 0));
    }
  }

  /**
   * For a graceful shutdown: gives unspent tokens of current windows back to the database, and
   * reports calls admitted without it, in one round trip.
   */
  async close(): Promise<void> {
    const now = this.#now();
    const current = [...this.#counters.values()].filter((c) => (c.tokens > 0 || c.owed > 0) && now < c.windowEnd);
    const returns = current.map((c) => ({ counter: c.id, windowStart: c.windowStart, tokens: c.tokens - c.owed }));
    for (const c of current) Object.assign(c, { tokens: 0, owed: 0 });
    try {
      await returnTokens(this.#db, returns);
    } catch {
      // Unreturned tokens stay reserved until their windows end: fewer calls admitted, never more.
    }
  }

  /** The database is unreachable: spend leased tokens first, then apply the fail mode. */
  #withoutDatabase(counters: Counter[], now: number): Admission {
    const exhausted = counters.find((c) => c.exhausted && c.tokens === 0);
    if (exhausted) return this.#limited(exhausted, now);
    if (this.#options.failMode === 'closed' && counters.some((c) => c.tokens === 0)) return this.#unavailable();
    // Open: each instance enforces every limit on its own until the database is back.
    const over = counters.find((c) => c.tokens === 0 && c.admitted >= c.applied.limit);
    if (over) return this.#limited(over, now);
    this.#admittedWithoutLease++;
    for (const c of counters) spend(c);
    return { ok: true };
  }

  /** Leases tokens for counters that have none, in one round trip; joins leases already under way. */
  async #lease(counters: Counter[]): Promise<void> {
    this.#request(counters.filter((c) => c.lease === undefined), (c) => leaseSize(c.applied.limit, this.#options.leaseMax));
    await Promise.all(counters.map((c) => c.lease));
  }

  /** Tells the database about calls admitted while it was unreachable, so every instance counts them. */
  #settle(): void {
    const now = this.#now();
    const owing = [...this.#counters.values()].filter((c) => c.owed > 0 && c.lease === undefined && now < c.windowEnd);
    this.#request(owing, () => 0);
  }

  /** Starts one round trip that leases `want(c)` tokens for each counter and hands over what it owes. */
  #request(counters: Counter[], want: (c: Counter) => number): void {
    if (counters.length === 0) return;
    const requests: LeaseRequest[] = counters.map((c) => ({
      counter: c.id,
      windowStart: c.windowStart,
      limit: c.applied.limit,
      want: want(c),
      owed: c.owed,
    }));
    const lease = this.#apply(counters, requests);
    for (const c of counters) c.lease = lease;
  }

  async #apply(counters: Counter[], requests: LeaseRequest[]): Promise<void> {
    try {
      const results = await leaseTokens(this.#db, requests);
      const now = this.#now();
      results.forEach((result, i) => {
        const c = counters[i]!;
        const r = requests[i]!;
        if (c.windowStart !== r.windowStart) return; // a new window began meanwhile: those tokens are void
        c.owed -= r.owed;
        c.tokens += result.granted;
        if (r.want === 0) return;
        c.exhausted = result.granted === 0;
        c.checkedAt = now;
      });
      this.#reachable();
    } catch (error) {
      this.#unreachable(error);
    } finally {
      for (const c of counters) c.lease = undefined;
    }
  }

  async #limitsOf(tenantId: string): Promise<Limit[] | undefined> {
    const now = this.#now();
    let rules = this.#rules.get(tenantId);
    if (rules && now - rules.loadedAt < this.#options.rulesTtlMs) return rules.limits;
    if (rules && now < this.#unreachableUntil) return rules.limits;
    if (!rules) {
      rules = { limits: [], loadedAt: Number.NEGATIVE_INFINITY, loading: undefined };
      this.#remember(this.#rules, tenantId, rules);
    }
    const entry = rules;
    entry.loading ??= loadLimits(this.#db, tenantId).finally(() => (entry.loading = undefined));
    try {
      entry.limits = await entry.loading;
      entry.loadedAt = this.#now();
      this.#reachable();
      return entry.limits;
    } catch (error) {
      this.#unreachable(error);
      // Limits read before the outage still apply; a tenant never read has unknown limits.
      return entry.loadedAt === Number.NEGATIVE_INFINITY ? undefined : entry.limits;
    }
  }

  #counter(tenantId: string, applied: AppliedLimit, now: number): Counter {
    const id = `${tenantId}:${applied.keyId ?? ''}:${applied.tool ?? ''}:${applied.unit}`;
    let c = this.#counters.get(id);
    if (!c) {
      c = { id, applied, windowStart: 0, windowEnd: 0, tokens: 0, admitted: 0, owed: 0, exhausted: false, checkedAt: 0, lease: undefined };
      this.#remember(this.#counters, id, c);
    }
    c.applied = applied; // the limit may have changed since
    if (now >= c.windowEnd) {
      const window = windowOf(applied.unit, now);
      Object.assign(c, { windowStart: window.start, windowEnd: window.end, tokens: 0, admitted: 0, owed: 0, exhausted: false, checkedAt: 0 });
    }
    return c;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > this.#options.maxEntries) map.delete(map.keys().next().value as string);
  }

  #limited(c: Counter, now: number): Admission {
    return { ok: false, reason: 'limited', limit: c.applied, resetsAt: c.windowEnd, retryAfterSeconds: Math.max(1, Math.ceil((c.windowEnd - now) / 1000)) };
  }

  #unavailable(): Admission {
    return { ok: false, reason: 'unavailable' };
  }

  #unreachable(error: unknown): void {
    this.#unreachableUntil = this.#now() + RETRY_MS;
    if (!this.#degraded) this.#options.onUnreachable?.(error);
    this.#degraded = true;
  }

  #reachable(): void {
    this.#unreachableUntil = 0;
    if (!this.#degraded) return;
    this.#degraded = false;
    this.#options.onRecovered?.();
    this.#settle();
  }
}

/** Charges one call to a counter: a leased token, or else a call owed to the database. */
function spend(c: Counter): void {
  c.admitted++;
  if (c.tokens > 0) c.tokens--;
  else c.owed++;
}

/** Lease size: 5% of the limit, at least 1 and at most `max`. */
function leaseSize(limit: number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(limit / 20)));
}

/** The rate and quota of a limit row, if the row applies to this key and tool. */
function appliedLimits(row: Limit, keyId: string | null, tool: string): AppliedLimit[] {
  if ((row.keyId !== '' && row.keyId !== keyId) || (row.tool !== '' && row.tool !== tool)) return [];
  const scope = { keyId: row.keyId || null, tool: row.tool || null };
  const applied: AppliedLimit[] = [];
  if (row.rate !== null && row.rateUnit !== null) applied.push({ kind: 'rate', limit: row.rate, unit: row.rateUnit, ...scope });
  if (row.quota !== null) applied.push({ kind: 'quota', limit: row.quota, unit: 'month', ...scope });
  return applied;
}
