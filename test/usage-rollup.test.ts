import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { type UsageEvent, type UsageOutcome, usageEvents, usageLatencyHourly, usageRollupDaily } from '../src/db/schema.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { aggregateUsage, pruneUsage, usageOverview } from '../src/services/usage.ts';
import { durationBucket } from '../src/usage/duration-bucket.ts';
import { UsageRecorder } from '../src/usage/usage-recorder.ts';
import { writeUsageBatch } from '../src/usage/write-usage-batch.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { prng } from './helpers/prng.ts';
import { rollupMismatches } from './helpers/usage.ts';

const HOUR = 3_600_000;
const base = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
const outcomes: UsageOutcome[] = ['ok', 'ok', 'ok', 'tool_error', 'denied', 'rate_limited', 'unauthenticated', 'timeout', 'input_required'];

/** `n` events over the 48 hours from `base`, for `tenants` (null: no tenant), seeded. */
function events(n: number, seed: number, tenants: (string | null)[] = ['t1', 't2', null]): UsageEvent[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => ({
    at: new Date(base + r.int(48 * HOUR)),
    tenantId: r.pick(tenants),
    keyId: null,
    subject: null,
    tool: r.pick(['add', 'whoami', null]),
    outcome: r.pick(outcomes),
    durationMs: r.int(50) * r.int(50),
    requestBytes: 1,
    responseBytes: 1,
  }));
}

async function count(db: Database, table: typeof usageRollupDaily | typeof usageLatencyHourly, where = sql`1`): Promise<number> {
  const [row] = await db.all<{ n: number }>(sql`select coalesce(sum(calls), 0) as n from ${table} where ${where}`);
  return Number(row!.n);
}

let database: TempDatabase;

beforeAll(async () => {
  database = await tempDatabase();
});

afterAll(() => database?.dispose());

describe('the usage rollups', () => {
  it('bucket every duration as durationBucket does, and prune takes each off the bucket it was counted in', async () => {
    const durations = [...Array.from({ length: 300 }, (_, i) => i), 511, 512, 1000, 4095, 65_537, 999_999, 2 ** 31 - 1, 2 ** 31, 2 ** 40];
    const hour = base / HOUR - 1000; // an hour of its own
    const written = durations.map((d) => ({ at: new Date(hour * HOUR), tenantId: 'buckets', outcome: 'ok' as const, durationMs: d, requestBytes: 0, responseBytes: 0 }));
    // Two batches: the second adds to the groups the first created.
    await writeUsageBatch(database.db, written.slice(0, 150));
    await writeUsageBatch(database.db, written.slice(150));
    const rows = await database.db.all<{ bucket: number; calls: number }>(sql`select bucket, calls from usage_latency_hourly where hour = ${hour} and scope = 'buckets' order by bucket`);
    const expected = new Map<number, number>();
    for (const d of durations) expected.set(durationBucket(d), (expected.get(durationBucket(d)) ?? 0) + 1);
    expect(rows.map((r) => [Number(r.bucket), Number(r.calls)])).toEqual([...expected.entries()].sort((a, b) => a[0] - b[0]));
    expect(await rollupMismatches(database.db)).toEqual([]);
    // Prune's SQL bucketing must match durationBucket, or it would leave calls in some bucket.
    expect(await pruneUsage(database.db, new Date((hour + 1) * HOUR), { chunkSize: 100 })).toBe(durations.length);
    expect(await count(database.db, usageLatencyHourly, sql`hour = ${hour}`)).toBe(0);
    expect(await count(database.db, usageRollupDaily, sql`tenant_id = 'buckets'`)).toBe(0);
    expect(await rollupMismatches(database.db)).toEqual([]);
  });

  it('count a batch once when its write failed and was retried, and never the failed attempt', async () => {
    const recorder = new UsageRecorder(database.db, { flushIntervalMs: 600_000, batchSize: 500, maxBuffered: 10_000 });
    // The batch's last event makes its transaction fail after its other rows went in.
    await database.db.run(sql`create temp table fail_usage (on_tool text)`);
    await database.db.run(sql`create temp trigger fail_usage_insert before insert on usage_events when new.tool in (select on_tool from fail_usage) begin select raise(abort, 'refused for the test'); end`);
    await database.db.run(sql`insert into fail_usage values ('boom')`);
    const batch = [...events(400, 1), { ...events(1, 2)[0]!, tool: 'boom' }];
    for (const event of batch) void recorder.record(event);
    await recorder.flush();
    expect(recorder.buffered).toBe(401);
    expect(await count(database.db, usageRollupDaily)).toBe(0);
    expect(await count(database.db, usageLatencyHourly)).toBe(0);
    await database.db.run(sql`delete from fail_usage`);
    await recorder.flush();
    expect(recorder.buffered).toBe(0);
    expect(await count(database.db, usageRollupDaily)).toBe(401);
    expect(await count(database.db, usageLatencyHourly, sql`scope = '*'`)).toBe(401);
    expect(await count(database.db, usageLatencyHourly, sql`scope <> '*'`)).toBe(401);
    expect(await rollupMismatches(database.db)).toEqual([]);
    await database.db.run(sql`drop trigger fail_usage_insert`);
  });

  it('stay equal to the events after concurrent group commits, and after prune, which drops the groups it empties', async () => {
    const recorder = new UsageRecorder(database.db, { durability: 'commit', commitWindowMs: 1, flushIntervalMs: 600_000, batchSize: 50, maxBuffered: 10_000 });
    expect(await Promise.all(events(1000, 3).map((e) => recorder.commit(e)))).toEqual(Array(1000).fill(true));
    await recorder.close();
    expect(await rollupMismatches(database.db)).toEqual([]);

    const cutoff = new Date(base + 20 * HOUR + 1234); // inside an hour: that hour keeps its later events
    const [before] = (await aggregateUsage(database.db, { until: cutoff })).items;
    expect(await pruneUsage(database.db, cutoff, { chunkSize: 97 })).toBe(before!.calls);
    expect(await rollupMismatches(database.db)).toEqual([]);
    const [emptied] = await database.db.all<{ n: number }>(sql`select (select count(*) from usage_rollup_daily where calls = 0) + (select count(*) from usage_latency_hourly where calls = 0) as n`);
    expect(Number(emptied!.n)).toBe(0);
    const since = new Date(base);
    const until = new Date(base + 48 * HOUR);
    const [left] = (await aggregateUsage(database.db, { since, until })).items;
    expect((await usageOverview(database.db, { since, until, bucketMs: HOUR })).totals.calls).toBe(left!.calls);
  });

  it('stay exact when two prunes run at once over the same events, each event taken off once', async () => {
    const written = events(600, 5, ['p1', 'p2']).map((e) => ({ ...e, at: new Date(e.at.getTime() - 100 * HOUR) }));
    await writeUsageBatch(database.db, written);
    const cutoff = new Date(base - 100 * HOUR + 24 * HOUR);
    const before = written.filter((e) => e.at < cutoff).length;
    const [a, b] = await Promise.all([pruneUsage(database.db, cutoff, { chunkSize: 50 }), pruneUsage(database.db, cutoff, { chunkSize: 50 })]);
    expect(a + b).toBe(before);
    expect(await rollupMismatches(database.db)).toEqual([]);
  });

  it('refuse to update a usage event, which would leave them stale', async () => {
    const refused = await database.db.run(sql`update usage_events set outcome = 'ok'`).then(() => undefined, (error: Error) => error);
    expect(String((refused?.cause as Error | undefined)?.message)).toMatch(/usage events are append-only/);
  });

  it('are backfilled by their migration from the events recorded before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-test-'));
    const opened = await openDatabase(`file:${join(dir, 'test.db')}`);
    try {
      // The migrations up to the one before the rollups, then events, then the rest.
      const older = join(dir, 'migrations');
      cpSync(new URL('../migrations', import.meta.url).pathname, older, { recursive: true });
      const journalPath = join(older, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
      const at = journal.entries.findIndex((e) => e.tag.endsWith('_usage_rollup'));
      expect(at).toBeGreaterThan(0);
      writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
      await migrate(opened.db, { migrationsFolder: older });
      const old = events(700, 4, ['t1', 't2', 't3', null]);
      for (let i = 0; i < old.length; i += 100) await opened.db.insert(usageEvents).values(old.slice(i, i + 100));
      await migrateDatabase(opened.db);
      expect(await count(opened.db, usageRollupDaily)).toBe(700);
      expect(await rollupMismatches(opened.db)).toEqual([]);
    } finally {
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
