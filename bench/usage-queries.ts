/**
 * Times the usage report queries on a libSQL file holding 1 million events (90 days, 50 tenants,
 * 500 keys, 8 tools). Not part of `npm test`; run it with:
 *
 *   npx tsx bench/usage-queries.ts [--events 1000000] [--old-indexes]
 *
 * `--old-indexes` swaps the covering indexes for the narrower ones of migration 0000, to show
 * what the covering indexes buy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { aggregateUsage, listUsage, pruneUsage, type UsageFilter, type UsageGrouping } from '../src/services/usage.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, 'old-indexes': { type: 'boolean' } } });
const events = Number(values.events);
const DAY = 86_400_000;
const end = Date.UTC(2026, 10, 1);
const start = end - 90 * DAY;

const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-'));
const { db, close } = await openDatabase(`file:${join(dir, 'bench.db')}`);
await migrateDatabase(db);

if (values['old-indexes']) {
  await db.run(sql`drop index usage_events_at_cover_idx`);
  await db.run(sql`drop index usage_events_tenant_at_cover_idx`);
  await db.run(sql`create index usage_events_at_idx on usage_events (at)`);
  await db.run(sql`create index usage_events_tenant_at_idx on usage_events (tenant_id, at)`);
}

await db.run(sql`
  insert into tenants (id, slug, name, scopes)
  with recursive n(i) as (select 0 union all select i + 1 from n where i < 49)
  select 'tenant-' || i, 'tenant-' || i, 'Tenant ' || i, '["*"]' from n`);

let t = performance.now();
// Events spread evenly over 90 days; outcomes about 90% ok, 3% tool_error, 2% denied, 2% invalid,
// 2% rate_limited, 1% error; durations 1-400 ms skewed low.
await db.run(sql`
  insert into usage_events (at, tenant_id, key_id, subject, tool, outcome, duration_ms, request_bytes, response_bytes, protocol_version, user_agent)
  with recursive n(i) as (select 0 union all select i + 1 from n where i < ${events - 1})
  select
    ${start} + i * ${Math.floor((90 * DAY) / events)},
    'tenant-' || (abs(random()) % 50),
    'key' || (abs(random()) % 500),
    null,
    case abs(random()) % 8 when 0 then 'add' when 1 then 'multiply' when 2 then 'whoami' when 3 then 'note_put'
      when 4 then 'note_get' when 5 then 'note_list' when 6 then 'note_delete' else 'github_readme' end,
    case when abs(random()) % 100 < 90 then 'ok' else
      case abs(random()) % 5 when 0 then 'tool_error' when 1 then 'denied' when 2 then 'invalid' when 3 then 'rate_limited' else 'error' end end,
    (abs(random()) % 20) * (abs(random()) % 20) + 1,
    100 + abs(random()) % 900,
    50 + abs(random()) % 5000,
    '2025-11-25',
    'bench/1.0'
  from n`);
const fillMs = performance.now() - t;

const results: [string, number, string][] = [];
async function time<T>(name: string, run: () => Promise<T>, describe: (value: T) => string): Promise<void> {
  await run(); // warm the page cache, as a server that runs reports regularly would be
  const runs: number[] = [];
  let value!: T;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    value = await run();
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  results.push([name, runs[1]!, describe(value)]);
}

const last30 = new Date(end - 30 * DAY);
const lastDay = new Date(end - DAY);
// What `tenant-mcp usage --format ndjson` does: every page of 5,000 events.
const count = async (filter: UsageFilter) => {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await listUsage(db, { ...filter, limit: 5_000, cursor });
    n += page.items.length;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return n;
};
const summary = async (filter: UsageFilter, groupBy: UsageGrouping[]) => (await aggregateUsage(db, { ...filter, groupBy })).items;
const groups = (rows: unknown[]) => `${rows.length} groups`;

await time('summary, all 90 days, by tenant', () => summary({}, ['tenant']), groups);
await time('summary, all 90 days, by tenant,tool,day', () => summary({}, ['tenant', 'tool', 'day']), groups);
await time('summary, last 30 days, by tenant,day', () => summary({ since: last30 }, ['tenant', 'day']), groups);
await time('summary, one tenant, last 30 days, by key,tool,day', () => summary({ tenant: 'tenant-7', since: last30 }, ['key', 'tool', 'day']), groups);
await time('summary, one tenant, last 30 days, by day', () => summary({ tenant: 'tenant-7', since: last30 }, ['day']), groups);
await time('export, one tenant, last 30 days (all pages)', () => count({ tenant: 'tenant-7', since: last30 }), (n) => `${n} events`);
await time('export, all tenants, last day (all pages)', () => count({ since: lastDay }), (n) => `${n} events`);
await time('export, all tenants, 90 days (all pages)', () => count({}), (n) => `${n} events`);

const plans = await db.all<{ detail: string }>(sql`
  explain query plan select * from usage_events where tenant_id = 'tenant-7' and at >= ${last30.getTime()} and id > 0 order by id limit 5001`);

t = performance.now();
const pruned = await pruneUsage(db, new Date(end - 60 * DAY));
const pruneMs = performance.now() - t;

console.info(`# ${events.toLocaleString('en')} events, ${values['old-indexes'] ? 'old (narrow) indexes' : 'covering indexes'}`);
console.info(`fill: ${(fillMs / 1000).toFixed(1)} s; load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.info('| query | median of 3 | result |\n|---|---:|---|');
for (const [name, ms, result] of results) console.info(`| ${name} | ${ms.toFixed(0)} ms | ${result} |`);
console.info(`| prune --older-than 60d (once) | ${pruneMs.toFixed(0)} ms | ${pruned} events deleted |`);
console.info(`\nexport page plan: ${plans.map((p) => p.detail).join('; ')}`);

close();
rmSync(dir, { recursive: true, force: true });
