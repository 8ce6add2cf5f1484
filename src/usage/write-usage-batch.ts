import { getTableColumns } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { type UsageEvent, usageEvents } from '../db/schema.ts';
import { durationBucket, durationBucketSql } from './duration-bucket.ts';

/** One SQL statement with its arguments, as the libSQL client's `batch` takes it. */
export interface UsageStatement {
  sql: string;
  args: unknown[];
}

/** The part of the libSQL client (drizzle's `$client`, in every build) that runs statements in one transaction. */
export interface BatchClient {
  batch(statements: UsageStatement[], mode: 'write'): Promise<{ rowsAffected: number }[]>;
}

// usage_events columns but the generated id, in a fixed order; drizzle's own encoders map values.
const columns = Object.entries(getTableColumns(usageEvents)).filter(([key]) => key !== 'id') as [keyof UsageEvent, (typeof usageEvents.at)][];
const insertHead = `insert into "usage_events" (${columns.map(([, c]) => `"${c.name}"`).join(', ')}) values `;
const rowPlaceholders = `(${columns.map(() => '?').join(', ')})`;
const dailyHead = 'insert into "usage_rollup_daily" ("day", "tenant_id", "tool", "outcome", "calls", "duration_ms_sum") values ';
const dailyTail = ' on conflict do update set "calls" = "calls" + excluded."calls", "duration_ms_sum" = "duration_ms_sum" + excluded."duration_ms_sum"';
const latencyHead = 'insert into "usage_latency_hourly" ("hour", "scope", "outcome", "bucket", "calls") values ';
const latencyTail = ' on conflict do update set "calls" = "calls" + excluded."calls"';
// Far below SQLite's 32766 bound variables per statement (12 per event row), whatever USAGE_BATCH_SIZE says.
const ROWS_PER_STATEMENT = 1000;
const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * The statements that write `events` and count them in the usage rollups (usage_rollup_daily,
 * usage_latency_hourly), to run in one transaction so that events and rollups commit together:
 * the `usage_batches` marker (when `batchId` is given), multi-row INSERTs of the events, then one
 * upsert row per (day, tenant, tool, outcome) group and per (hour, scope, outcome, duration
 * bucket), summed here. Every writer of usage_events goes through it; prune subtracts in SQL.
 */
export function usageBatchStatements(events: readonly UsageEvent[], batchId?: string): UsageStatement[] {
  const statements: UsageStatement[] = [];
  if (events.length === 0) return statements;
  if (batchId !== undefined) statements.push({ sql: 'insert into "usage_batches" ("id") values (?)', args: [batchId] });
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) statements.push(insertStatement(events.slice(i, i + ROWS_PER_STATEMENT)));
  const { daily, latency } = rollupRows(events);
  for (let i = 0; i < daily.length; i += ROWS_PER_STATEMENT) statements.push(upsert(dailyHead, '(?, ?, ?, ?, ?, ?)', dailyTail, daily.slice(i, i + ROWS_PER_STATEMENT)));
  for (let i = 0; i < latency.length; i += ROWS_PER_STATEMENT) statements.push(upsert(latencyHead, '(?, ?, ?, ?, ?)', latencyTail, latency.slice(i, i + ROWS_PER_STATEMENT)));
  return statements;
}

/**
 * Writes `events` and their rollups in one transaction, for writers other than the recorder
 * (imports, tests, the benchmarks' fill). Rejects when the write fails; nothing is then written.
 */
export async function writeUsageBatch(db: Database, events: readonly UsageEvent[]): Promise<void> {
  const statements = usageBatchStatements(events);
  if (statements.length > 0) await batchClientOf(db).batch(statements, 'write');
}

/**
 * Deletes the events of `ids` that still exist and takes them off the rollups, in one
 * transaction (a concurrent prune that deleted some first leaves nothing to subtract twice).
 * Returns how many events went. Groups left at 0 calls stay; prune drops them.
 */
export async function deleteUsageEvents(db: Database, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const chosen = 'select "value" from json_each(?)';
  const args = [JSON.stringify(ids)];
  const bucket = durationBucketSql('"duration_ms"');
  const results = await batchClientOf(db).batch(
    [
      {
        sql: `update "usage_rollup_daily" set "calls" = "usage_rollup_daily"."calls" - g."calls", "duration_ms_sum" = "usage_rollup_daily"."duration_ms_sum" - g."d"
          from (select "at" / ${DAY} as "day", coalesce("tenant_id", '') as "tenant_id", coalesce("tool", '') as "tool", "outcome", count(*) as "calls", sum("duration_ms") as "d"
            from "usage_events" where "id" in (${chosen}) group by 1, 2, 3, 4) as g
          where "usage_rollup_daily"."day" = g."day" and "usage_rollup_daily"."tenant_id" = g."tenant_id" and "usage_rollup_daily"."tool" = g."tool" and "usage_rollup_daily"."outcome" = g."outcome"`,
        args,
      },
      {
        sql: `update "usage_latency_hourly" set "calls" = "usage_latency_hourly"."calls" - g."calls"
          from (select "at" / ${HOUR} as "hour", "scope", "outcome", ${bucket} as "bucket", count(*) as "calls"
            from (select "at", coalesce("tenant_id", '') as "scope", "outcome", "duration_ms" from "usage_events" where "id" in (${chosen})
              union all select "at", '*', "outcome", "duration_ms" from "usage_events" where "id" in (${chosen}))
            group by 1, 2, 3, 4) as g
          where "usage_latency_hourly"."hour" = g."hour" and "usage_latency_hourly"."scope" = g."scope" and "usage_latency_hourly"."outcome" = g."outcome" and "usage_latency_hourly"."bucket" = g."bucket"`,
        args: [...args, ...args],
      },
      { sql: `delete from "usage_events" where "id" in (${chosen})`, args },
    ],
    'write',
  );
  return results.at(-1)!.rowsAffected;
}

/** The libSQL client under a drizzle database, which writes a list of statements in one transaction. */
export function batchClientOf(db: Database): BatchClient {
  const client = (db as unknown as { $client?: BatchClient }).$client;
  if (typeof client?.batch !== 'function') throw new TypeError('Usage writes need a drizzle libSQL database (with $client)');
  return client;
}

/** The rollup rows `events` add, summed per primary key: each event counts in its tenant's scope and in `*`. */
function rollupRows(events: readonly UsageEvent[]): { daily: unknown[][]; latency: unknown[][] } {
  const daily = new Map<string, unknown[]>();
  const latency = new Map<string, unknown[]>();
  for (const event of events) {
    const at = event.at.getTime();
    const tenant = event.tenantId ?? '';
    const tool = event.tool ?? '';
    // Integer division as SQLite's `at / 86400000`, which the migration's backfill and prune use.
    const day = Math.trunc(at / DAY);
    const dayKey = `${day}\n${tenant}\n${tool}\n${event.outcome}`;
    const row = daily.get(dayKey);
    if (row) {
      (row[4] as number)++;
      (row[5] as number) += event.durationMs;
    } else daily.set(dayKey, [day, tenant, tool, event.outcome, 1, event.durationMs]);
    const hour = Math.trunc(at / HOUR);
    const bucket = durationBucket(event.durationMs);
    for (const scope of [tenant, '*']) {
      const key = `${hour}\n${scope}\n${event.outcome}\n${bucket}`;
      const cell = latency.get(key);
      if (cell) (cell[4] as number)++;
      else latency.set(key, [hour, scope, event.outcome, bucket, 1]);
    }
  }
  return { daily: [...daily.values()], latency: [...latency.values()] };
}

function upsert(head: string, placeholders: string, tail: string, rows: unknown[][]): UsageStatement {
  return { sql: head + new Array(rows.length).fill(placeholders).join(', ') + tail, args: rows.flat() };
}

/** One multi-row INSERT for `events`, with values encoded as drizzle would. */
function insertStatement(events: readonly UsageEvent[]): UsageStatement {
  const args: unknown[] = [];
  for (const event of events) {
    for (const [key, column] of columns) {
      const value = event[key];
      args.push(value === undefined || value === null ? null : column.mapToDriverValue(value as never));
    }
  }
  return { sql: insertHead + new Array(events.length).fill(rowPlaceholders).join(', '), args };
}
