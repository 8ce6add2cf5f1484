import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database.ts';
import type { UsageEvent } from '../../src/db/schema.ts';
import { type UsageRow, listUsage } from '../../src/services/usage.ts';
import { durationBucketSql } from '../../src/usage/duration-bucket.ts';

/** A successful `add` call of the tenant's, told apart from others by its request size. */
export function addCallEvent(tenantId: string, requestBytes: number): UsageEvent {
  return { at: new Date(), tenantId, keyId: null, subject: null, tool: 'add', outcome: 'ok', durationMs: 1, requestBytes, responseBytes: 10, protocolVersion: null, userAgent: null };
}

/** Polls the usage log until `done(rows)` holds (the server writes it in batches), or fails after `timeoutMs`. */
export async function waitForUsage(db: Database, done: (rows: UsageRow[]) => boolean, timeoutMs = 10_000): Promise<UsageRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items: rows } = await listUsage(db, {});
    if (done(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`The usage log did not reach the expected state; it holds:\n${JSON.stringify(rows.map((r) => [r.tool, r.outcome]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Groups where the usage rollups differ from counting usage_events afresh: empty when they are
 * exact. Emptied groups (0 calls, left by prune until it drops them) count as absent.
 */
export async function rollupMismatches(db: Database): Promise<unknown[]> {
  const bucket = durationBucketSql('duration_ms');
  return db.all(
    sql.raw(`
    with raw as (
      select at / 86400000 as day, coalesce(tenant_id, '') as tenant_id, coalesce(tool, '') as tool, outcome, count(*) as calls, sum(duration_ms) as d
      from usage_events group by 1, 2, 3, 4
    ), kept as (
      select day, tenant_id, tool, outcome, calls, duration_ms_sum as d from usage_rollup_daily where calls <> 0
    ), raw_latency as (
      select at / 3600000 as hour, coalesce(tenant_id, '') as scope, outcome, ${bucket} as bucket, count(*) as calls from usage_events group by 1, 2, 3, 4
      union all
      select at / 3600000 as hour, '*' as scope, outcome, ${bucket} as bucket, count(*) as calls from usage_events group by 1, 2, 3, 4
    ), kept_latency as (
      select hour, scope, outcome, bucket, calls from usage_latency_hourly where calls <> 0
    )
    select 'missing' as side, * from (select * from raw except select * from kept)
    union all select 'extra', * from (select * from kept except select * from raw)
    union all select 'missing latency', *, null from (select * from raw_latency except select * from kept_latency)
    union all select 'extra latency', *, null from (select * from kept_latency except select * from raw_latency)`),
  );
}
