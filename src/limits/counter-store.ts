import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { type Limit, limits } from '../db/schema.ts';

/** A request for tokens of one counter's current window. */
export interface LeaseRequest {
  counter: string;
  windowStart: number;
  limit: number;
  /** Tokens wanted. */
  want: number;
  /** Calls already admitted without a lease (the database was unreachable), to add to `used` first. */
  owed: number;
}

/** What a lease got: `granted` tokens (0 when the window is full), and the window's `used` total after it. */
export interface LeaseResult {
  granted: number;
  used: number;
}

/**
 * Reserves tokens for several counters in one round trip. Each upsert runs atomically in the
 * database: it starts the counter afresh when its window has changed, adds what is owed, and grants
 * at most what is left under the limit, so no two instances are ever granted the same call.
 * A counter whose stored window is newer than the request's (a slower clock) is granted nothing.
 */
export async function leaseTokens(db: Database, requests: readonly LeaseRequest[]): Promise<LeaseResult[]> {
  const statements = requests.map((r) => {
    // In an upsert's SET, column names are the row's values before the update, in every expression.
    const base = sql`(case when window_start = excluded.window_start then used else 0 end)`;
    const grant = (before: unknown) => sql`min(${r.want}, max(0, ${r.limit} - ${before} - ${r.owed}))`;
    return db.all<{ granted: number; used: number }>(sql`
      insert into limit_counters (counter, window_start, used, granted)
      values (${r.counter}, ${r.windowStart}, ${r.owed} + ${grant(0)}, ${grant(0)})
      on conflict (counter) do update set
        window_start = excluded.window_start,
        granted = ${grant(base)},
        used = ${base} + ${r.owed} + ${grant(base)}
      where excluded.window_start >= limit_counters.window_start
      returning granted, used`);
  });
  const results = statements.length === 1 ? [await statements[0]!] : await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
  return results.map((rows) => {
    const row = rows[0];
    return row ? { granted: Number(row.granted), used: Number(row.used) } : { granted: 0, used: Number.NaN };
  });
}

/** Gives unspent tokens back to their windows (a negative count adds calls instead); a past window is left alone. */
export async function returnTokens(db: Database, returns: readonly { counter: string; windowStart: number; tokens: number }[]): Promise<void> {
  const statements = returns.map((r) =>
    db.run(sql`update limit_counters set used = max(0, used - ${r.tokens}) where counter = ${r.counter} and window_start = ${r.windowStart}`),
  );
  if (statements.length > 0) await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
}

/** A tenant's limits. */
export function loadLimits(db: Database, tenantId: string): Promise<Limit[]> {
  return db.select().from(limits).where(eq(limits.tenantId, tenantId));
}
