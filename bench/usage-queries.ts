/**
 * Times the usage report queries on a libSQL file holding 1 million events (90 days, 50 tenants,
 * 500 keys, 8 tools), with the covering indexes of migration 0002 and, for comparison, the narrow
 * `(at)` and `(tenant_id, at)` indexes of migration 0000. The two index sets take turns on the same
 * data, three passes each, so that a busy machine slows both alike. Not part of `npm test`:
 *
 * The overview part compares the rollups (migration 0005) with reading the events, on the
 * same file; the write part measures what keeping the rollups costs a usage write, by the writer
 * (now) and by the per-row triggers of migration 0005 (before).
 *
 *   npm run bench:usage [-- --events 1000000] [-- --part reports|overview|write]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/database.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { OverviewPage } from '../src/console/overview-page.tsx';
import { aggregateUsage, listUsage, pruneUsage, type UsageFilter, type UsageGrouping, usageOverview } from '../src/services/usage.ts';
import type { UsageEvent } from '../src/db/schema.ts';
import { batchClientOf, usageBatchStatements, writeUsageBatch } from '../src/usage/write-usage-batch.ts';
import { assets } from '../src/web/assets.ts';
import { timeRange } from '../src/web/time-range.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, part: { type: 'string', default: 'all' } } });
const events = Number(values.events);
/** `reports` (the report queries and index comparison), `overview` (the console's overview), `write` (rollup cost), or `all`. */
const part = values.part;
const DAY = 86_400_000;
const end = Date.UTC(2026, 10, 1);
const start = end - 90 * DAY;

/** Writes `count` events spread evenly from `from` over `spanMs` into `target`, with their rollups, 1,000 per transaction. */
async function fill(target: Database, count: number, from: number, spanMs: number): Promise<void> {
  // Outcomes about 90% ok, 2% each of tool_error, denied, invalid, rate_limited and error;
  // durations 1-362 ms, skewed low.
  const int = (n: number) => Math.floor(Math.random() * n);
  const tools = ['add', 'multiply', 'whoami', 'note_put', 'note_get', 'note_list', 'note_delete', 'github_readme'];
  const errors = ['tool_error', 'denied', 'invalid', 'rate_limited', 'error'] as const;
  const step = Math.floor(spanMs / count);
  for (let i = 0; i < count; i += 1000) {
    const batch: UsageEvent[] = [];
    for (let j = i; j < Math.min(i + 1000, count); j++) {
      batch.push({
        at: new Date(from + j * step),
        tenantId: `tenant-${int(50)}`,
        keyId: `key${int(500)}`,
        subject: null,
        tool: tools[int(8)]!,
        outcome: int(100) < 90 ? 'ok' : errors[int(5)]!,
        durationMs: int(20) * int(20) + 1,
        requestBytes: 100 + int(900),
        responseBytes: 50 + int(5000),
        protocolVersion: '2025-11-25',
        userAgent: 'bench/1.0',
      });
    }
    await writeUsageBatch(target, batch);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);

if (part === 'all' || part === 'reports') await reports();
if (part === 'all' || part === 'overview') await overview();
if (part === 'all' || part === 'write') await writeCost();

/** The report queries on 90 days of events, with covering and narrow indexes. */
async function reports(): Promise<void> {
const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-'));
const { db, close } = await openDatabase(`file:${join(dir, 'bench.db')}`);
await migrateDatabase(db);

await db.run(sql`
  insert into tenants (id, slug, name, scopes)
  with recursive n(i) as (select 0 union all select i + 1 from n where i < 49)
  select 'tenant-' || i, 'tenant-' || i, 'Tenant ' || i, '["*"]' from n`);

let t = performance.now();
// Events spread evenly over 90 days.
await fill(db, events, start, 90 * DAY);
const fillMs = performance.now() - t;

const indexSets = {
  covering: [
    'create index usage_events_at_cover_idx on usage_events (at, tenant_id, key_id, tool, outcome, duration_ms, request_bytes, response_bytes)',
    'create index usage_events_tenant_at_cover_idx on usage_events (tenant_id, at, key_id, tool, outcome, duration_ms, request_bytes, response_bytes)',
  ],
  narrow: ['create index usage_events_at_idx on usage_events (at)', 'create index usage_events_tenant_at_idx on usage_events (tenant_id, at)'],
};
type IndexSet = keyof typeof indexSets;
async function use(set: IndexSet): Promise<number> {
  for (const name of ['usage_events_at_cover_idx', 'usage_events_tenant_at_cover_idx', 'usage_events_at_idx', 'usage_events_tenant_at_idx']) {
    await db.run(sql.raw(`drop index if exists ${name}`));
  }
  for (const statement of indexSets[set]) await db.run(sql.raw(statement));
  await db.run(sql`vacuum`);
  const [size] = await db.all<{ n: number }>(sql`select page_count * page_size as n from pragma_page_count(), pragma_page_size()`);
  return Number(size!.n) / 1e6;
}

const last30 = new Date(end - 30 * DAY);
const lastDay = new Date(end - DAY);
/** What `tenant-mcp usage --format ndjson` does: every page of 5,000 events. */
async function exportAll(filter: UsageFilter): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await listUsage(db, { ...filter, limit: 5_000, cursor });
    n += page.items.length;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return n;
}
const summary = async (filter: UsageFilter, groupBy: UsageGrouping[]) => `${(await aggregateUsage(db, { ...filter, groupBy })).items.length} groups`;
const queries: [string, () => Promise<string>][] = [
  ['summary, all 90 days, by tenant', () => summary({}, ['tenant'])],
  ['summary, all 90 days, by tenant,tool,day', () => summary({}, ['tenant', 'tool', 'day'])],
  ['summary, last 30 days, by tenant,day', () => summary({ since: last30 }, ['tenant', 'day'])],
  ['summary, one tenant, last 30 days, by key,tool,day', () => summary({ tenant: 'tenant-7', since: last30 }, ['key', 'tool', 'day'])],
  ['summary, one tenant, last 30 days, by day', () => summary({ tenant: 'tenant-7', since: last30 }, ['day'])],
  ['export, one tenant, last 30 days', async () => `${await exportAll({ tenant: 'tenant-7', since: last30 })} events`],
  ['export, all tenants, last day', async () => `${await exportAll({ since: lastDay })} events`],
  ['export, all tenants, all 90 days', async () => `${await exportAll({})} events`],
  ['console overview, last 30 days (by day, top tenants and tools)', async () => `${(await usageOverview(db, { since: last30, until: new Date(end), bucketMs: DAY })).totals.calls} events`],
];

const times: Record<string, Record<IndexSet, number[]>> = {};
const results: Record<string, string> = {};
const sizes: Partial<Record<IndexSet, number>> = {};
for (let pass = 0; pass < 3; pass++) {
  for (const set of ['narrow', 'covering'] as const) {
    sizes[set] = await use(set);
    for (const [name, run] of queries) {
      await run(); // warm the page cache, as a server that runs reports regularly would be
      const t0 = performance.now();
      results[name] = await run();
      ((times[name] ??= { covering: [], narrow: [] })[set]).push(performance.now() - t0);
    }
  }
}

await use('covering');
t = performance.now();
const pruned = await pruneUsage(db, new Date(end - 60 * DAY));
const pruneMs = performance.now() - t;

console.info(`# ${events.toLocaleString('en')} events; load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.info(`fill: ${(fillMs / 1000).toFixed(1)} s; database file: ${sizes.covering!.toFixed(0)} MB with covering indexes, ${sizes.narrow!.toFixed(0)} MB with narrow ones\n`);
console.info('| query (median of 3) | covering indexes | narrow indexes | result |\n|---|---:|---:|---|');
for (const [name] of queries) console.info(`| ${name} | ${ms(median(times[name]!.covering))} | ${ms(median(times[name]!.narrow))} | ${results[name]} |`);
console.info(`| prune --older-than 60d, covering indexes (once) | ${ms(pruneMs)} | | ${pruned} events deleted |`);

close();
rmSync(dir, { recursive: true, force: true });

}

/** The console's 30-day overview, and rendering its page. */
async function overview(): Promise<void> {
// The console's overview, 30 days, on a file whose events all fall within them.
const dir30 = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-'));
const recent = await openDatabase(`file:${join(dir30, 'bench.db')}`);
await migrateDatabase(recent.db);
await recent.db.run(sql`
  insert into tenants (id, slug, name, scopes)
  with recursive n(i) as (select 0 union all select i + 1 from n where i < 49)
  select 'tenant-' || i, 'tenant-' || i, 'Tenant ' || i, '["*"]' from n`);
const now = Date.now();
const fillStart = performance.now();
await fill(recent.db, events, now - 30 * DAY, 30 * DAY);
const fillSeconds = (performance.now() - fillStart) / 1000;
const range = timeRange({ range: '30d' }, now);
const overviewMs: number[] = [];
const eventsMs: number[] = [];
const renderMs: number[] = [];
let html = '';
let total = 0;
let eventsTotal = 0;
// The rollups and the events take turns, so that a busy machine slows both alike.
for (let pass = 0; pass < 4; pass++) {
  const t0 = performance.now();
  const overview = await usageOverview(recent.db, { since: range.since, until: range.until, bucketMs: range.bucketMs });
  const t1 = performance.now();
  html = String(await OverviewPage({ csrf: 'x'.repeat(32), range, overview }));
  const t2 = performance.now();
  eventsTotal = (await usageOverview(recent.db, { since: range.since, until: range.until, bucketMs: range.bucketMs, eventsOnly: true })).totals.calls;
  const t3 = performance.now();
  total = overview.totals.calls;
  if (pass > 0) {
    overviewMs.push(t1 - t0); // the first pass warms the page cache, as a console in use would be
    renderMs.push(t2 - t1);
    eventsMs.push(t3 - t2);
  }
}
const [rollupRows] = await recent.db.all<{ r: number; l: number }>(sql`select (select count(*) from usage_rollup_daily) as r, (select count(*) from usage_latency_hourly) as l`);
const summaryMs: number[] = [];
for (let pass = 0; pass < 3; pass++) {
  const t0 = performance.now();
  await aggregateUsage(recent.db, { since: range.since, until: range.until, groupBy: ['day'] });
  summaryMs.push(performance.now() - t0);
}
const svgBytes = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].reduce((n, m) => n + m[0].length, 0);
console.info(`\n# console overview, last 30 days, ${total.toLocaleString('en')} events within them (median of 3, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
console.info('| step | time |\n|---|---:|');
console.info(`| usageOverview from the rollups (whole hours and days) and the events (the partial ones at the ends) | ${ms(median(overviewMs))} |`);
console.info(`| usageOverview from the events only (before the rollups: 2 scans of the covering index) | ${ms(median(eventsMs))} |`);
console.info(`| render the page (hono/jsx, server-side SVG) | ${ms(median(renderMs))} |`);
console.info(`| for comparison: usage summary by day over the same 30 days (aggregateUsage, no top lists) | ${ms(median(summaryMs))} |`);
console.info(`\nboth give ${total === eventsTotal ? 'the same' : 'DIFFERENT'} call counts; rollup rows: ${rollupRows!.r.toLocaleString('en')} in usage_rollup_daily, ${rollupRows!.l.toLocaleString('en')} in usage_latency_hourly; fill (writeUsageBatch, 1,000 events and their rollups per transaction): ${fillSeconds.toFixed(1)} s`);
console.info(`\npage: ${(html.length / 1024).toFixed(1)} KiB of HTML, of which ${(svgBytes / 1024).toFixed(1)} KiB inline SVG; JavaScript shipped: ${assets['app.js'].body.length} bytes (copy buttons only)`);
recent.close();
rmSync(dir30, { recursive: true, force: true });
}

/**
 * What keeping the rollups costs a usage write: the recorder's transactions (marker, events,
 * rollup upserts: usageBatchStatements) against the same transactions without the upserts on a
 * file carrying migration 0005's per-row triggers (as before migration 0006 dropped them), and
 * without any rollups. The three files take turns transaction by transaction, so a busy machine
 * slows all alike; the median transaction is reported (the write is synchronous on a file, so its
 * wall time is CPU time of the event loop). Then prune: in SQL per chunk against the delete trigger.
 */
async function writeCost(): Promise<void> {
  const triggerSql = readFileSync(new URL('../migrations/0005_usage_rollup.sql', import.meta.url), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.replace(/^--.*$/gm, '').trim())
    .filter((s) => /^CREATE TRIGGER `usage_events_rollup_(insert|delete)`/.test(s));
  const ways = ['rollups by the writer (now)', 'rollups by triggers (migration 0005)', 'no rollups'] as const;
  const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-'));
  const files = [];
  for (const [i, way] of ways.entries()) {
    const opened = await openDatabase(`file:${join(dir, `${i}.db`)}`);
    await migrateDatabase(opened.db);
    if (i === 1) for (const statement of triggerSql) await opened.db.run(sql.raw(statement));
    files.push({ way, ...opened, client: batchClientOf(opened.db) });
  }
  // As a server writes them: all in the current hour and day; `spread`: 50 tenants × 4 tools and
  // durations up to 400 ms, else one tenant calling `add` in 0-2 ms (the load of `npm run bench`).
  const event = (i: number, spread: boolean): UsageEvent => ({
    at: new Date(),
    tenantId: spread ? `tenant-${i % 50}` : 'tenant-0',
    keyId: `key${i % 500}`,
    subject: null,
    tool: spread ? ['add', 'multiply', 'whoami', 'note_put'][i % 4]! : 'add',
    outcome: spread && i % 10 === 0 ? 'tool_error' : 'ok',
    durationMs: spread ? (i * 7919) % 400 : i % 3,
    requestBytes: 200,
    responseBytes: 800,
    protocolVersion: '2025-11-25',
    userAgent: 'bench/1.0',
  });
  const rows: string[] = [];
  let written = 0;
  for (const [size, spread] of [[1, false], [8, false], [8, true], [16, false], [500, false], [500, true]] as const) {
    const rounds = Math.max(100, Math.round(Math.min(events, 100_000) / 4 / size));
    const wall = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const file of files) {
        const batch = Array.from({ length: size }, (_, j) => event(written + j, spread));
        const t0 = performance.now();
        let statements = usageBatchStatements(batch, crypto.randomUUID());
        if (file.way !== ways[0]) statements = statements.filter((s) => !/usage_rollup_daily|usage_latency_hourly/.test(s.sql));
        await file.client.batch(statements, 'write');
        if (r >= rounds / 10) wall.set(file.way, [...(wall.get(file.way) ?? []), (performance.now() - t0) * 1000]);
      }
      written += size;
    }
    for (const way of ways) {
      const us = median(wall.get(way)!);
      rows.push(`| ${size === 500 ? '`buffered` batch' : '`commit` group'} of ${size}, ${spread ? '50 tenants × 4 tools' : 'one tenant and tool'} | ${way} | ${us.toFixed(0)} µs | ${(us / size).toFixed(1)} µs |`);
    }
  }
  console.info(`\n# usage writes: median transaction, the three files in turn (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
  console.info('| transaction | rollups | per transaction | per event |\n|---|---|---:|---:|');
  for (const row of rows) console.info(row);

  // Prune half of what each file holds, in chunks of 2,000 (trigger file: plain deletes, the trigger subtracts).
  console.info('\n| prune, chunks of 2,000 | per event deleted |\n|---|---:|');
  for (const file of files.slice(0, 2)) {
    const [{ n }] = (await file.db.all(sql`select count(*) as n from usage_events`)) as [{ n: number }];
    const [{ at }] = (await file.db.all(sql`select at from usage_events order by id limit 1 offset ${Math.floor(Number(n) / 2)}`)) as [{ at: number }];
    const t0 = performance.now();
    let deleted = 0;
    if (file.way === ways[0]) deleted = await pruneUsage(file.db, new Date(Number(at)));
    else {
      for (;;) {
        const r = await file.db.run(sql`delete from usage_events where id in (select id from usage_events where at < ${at} limit 2000)`);
        deleted += r.rowsAffected;
        if (r.rowsAffected < 2000) break;
      }
    }
    console.info(`| ${file.way} | ${(((performance.now() - t0) * 1000) / deleted).toFixed(1)} µs |`);
  }
  for (const file of files) file.close();
  rmSync(dir, { recursive: true, force: true });
}
