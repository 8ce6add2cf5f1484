import { and, asc, eq, gt, gte, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { tenants, type UsageOutcome, usageBatches, usageEvents, usageLatencyHourly, usageOutcomes, usageRollupDaily } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bucketDuration, durationBucket } from '../usage/duration-bucket.ts';
import { deleteUsageEvents } from '../usage/write-usage-batch.ts';
import { decodeCursor, fetchLimit, type Page, type PageRequest, pageOf } from './page.ts';
import { getTenant } from './tenants.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A usage event as reports show it. */
export interface UsageRow {
  id: number;
  at: string;
  tenant: string | null;
  keyId: string | null;
  subject: string | null;
  tool: string | null;
  outcome: UsageOutcome;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  protocolVersion: string | null;
  userAgent: string | null;
  /** The OAuth client whose access token made the call, when one did. */
  clientId: string | null;
  /** A connector tool's upstream HTTP status (null when none answered, or for a built-in tool). */
  upstreamStatus: number | null;
  /** How long a connector tool's upstream took, in ms. */
  upstreamMs: number | null;
}

/** Which usage events a report covers. `since` is inclusive, `until` exclusive. */
export interface UsageFilter {
  tenant?: string;
  keyId?: string;
  tool?: string;
  outcome?: UsageOutcome;
  since?: Date;
  until?: Date;
}

/**
 * Lists usage events in the order they were recorded, a page at a time (all when no limit is
 * given). The cursor follows the write order, so a page read later never skips an event that a
 * busy server wrote late.
 */
export async function listUsage(db: Database, filter: UsageFilter & PageRequest): Promise<Page<UsageRow>> {
  const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, z.tuple([z.number().int()]))[0];
  const where = await usageWhere(db, filter);
  const rows = await db
    .select({
      id: usageEvents.id,
      at: usageEvents.at,
      tenant: tenants.slug,
      keyId: usageEvents.keyId,
      subject: usageEvents.subject,
      tool: usageEvents.tool,
      outcome: usageEvents.outcome,
      durationMs: usageEvents.durationMs,
      requestBytes: usageEvents.requestBytes,
      responseBytes: usageEvents.responseBytes,
      protocolVersion: usageEvents.protocolVersion,
      userAgent: usageEvents.userAgent,
      clientId: usageEvents.clientId,
      upstreamStatus: usageEvents.upstreamStatus,
      upstreamMs: usageEvents.upstreamMs,
    })
    .from(usageEvents)
    .leftJoin(tenants, eq(usageEvents.tenantId, tenants.id))
    .where(and(where, after === undefined ? undefined : gt(usageEvents.id, after)))
    .orderBy(asc(usageEvents.id))
    .limit(fetchLimit(filter.limit));
  const { items, next } = pageOf(rows, filter.limit, (r) => [r.id]);
  return { items: items.map((r) => ({ ...r, at: r.at.toISOString() })), next };
}

/** What usage can be grouped by: tenant slug, key id, tool name, and UTC day. */
export const usageGroupings = ['tenant', 'key', 'tool', 'day'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

/**
 * Usage totals for one group. `calls` counts every event (tool calls and refused credentials);
 * it splits into `ok`, `errors` (tool_error, invalid, error), `denied` (denied,
 * unauthenticated) and `rateLimited`. Durations are nearest-rank percentiles over the group's events.
 */
export interface UsageAggregate {
  tenant?: string | null;
  keyId?: string | null;
  tool?: string | null;
  /** YYYY-MM-DD, UTC. */
  day?: string;
  calls: number;
  ok: number;
  errors: number;
  denied: number;
  /** Calls refused by a rate limit or quota. */
  rateLimited: number;
  p50Ms: number | null;
  p95Ms: number | null;
  requestBytes: number;
  responseBytes: number;
}

const groupColumns: Record<UsageGrouping, { alias: string; field: 'tenant' | 'keyId' | 'tool' | 'day'; expr: SQL }> = {
  tenant: { alias: 'g_tenant', field: 'tenant', expr: sql`${tenants.slug}` },
  key: { alias: 'g_key', field: 'keyId', expr: sql`${usageEvents.keyId}` },
  tool: { alias: 'g_tool', field: 'tool', expr: sql`${usageEvents.tool}` },
  day: { alias: 'g_day', field: 'day', expr: sql`strftime('%Y-%m-%d', ${usageEvents.at} / 1000, 'unixepoch')` },
};

/**
 * Aggregates usage events per group (any of tenant, key, tool, day; none gives one total row),
 * ordered by the groupings in the order given, a page at a time. Computed in one SQL query.
 */
export async function aggregateUsage(
  db: Database,
  filter: UsageFilter & PageRequest & { groupBy?: readonly UsageGrouping[] },
): Promise<Page<UsageAggregate>> {
  const offset = filter.cursor === undefined ? 0 : decodeCursor(filter.cursor, z.tuple([z.number().int().min(0)]))[0];
  const where = await usageWhere(db, filter);
  const groups = [...new Set(filter.groupBy ?? [])].map((g) => groupColumns[g]);
  const aliases = groups.length > 0 ? sql.join(groups.map((g) => sql.raw(g.alias)), sql`, `) : undefined;
  const clause = (keyword: string) => (aliases ? sql`${sql.raw(keyword)} ${aliases}` : sql``);
  const selected = groups.map((g) => sql`${g.expr} as ${sql.raw(g.alias)}, `);
  // Durations are first counted per group and value (a histogram, far fewer rows than events),
  // then a running count over each group's histogram finds the nearest-rank percentiles.
  const query = sql`
    with e as (
      select ${sql.join(selected)}${usageEvents.outcome} as outcome, ${usageEvents.durationMs} as d,
        ${usageEvents.requestBytes} as rq, ${usageEvents.responseBytes} as rs
      from ${usageEvents} left join ${tenants} on ${usageEvents.tenantId} = ${tenants.id}
      ${where ? sql`where ${where}` : sql``}
    ), h as (
      select ${aliases ? sql`${aliases}, ` : sql``}d, count(*) as c,
        sum(outcome = 'ok') as ok,
        sum(outcome in ('tool_error', 'invalid', 'error')) as errors,
        sum(outcome in ('denied', 'unauthenticated')) as denied,
        sum(outcome = 'rate_limited') as rate_limited,
        sum(rq) as rq, sum(rs) as rs
      from e group by ${aliases ? sql`${aliases}, ` : sql``}d
    ), r as (
      select *, sum(c) over (${clause('partition by')} order by d rows unbounded preceding) as below, sum(c) over (${clause('partition by')}) as n from h
    )
    select ${aliases ? sql`${aliases}, ` : sql``}
      coalesce(sum(c), 0) as calls, coalesce(sum(ok), 0) as ok, coalesce(sum(errors), 0) as errors, coalesce(sum(denied), 0) as denied, coalesce(sum(rate_limited), 0) as rate_limited,
      min(case when below * 100 >= n * 50 then d end) as p50,
      min(case when below * 100 >= n * 95 then d end) as p95,
      coalesce(sum(rq), 0) as rq, coalesce(sum(rs), 0) as rs
    from r
    ${clause('group by')} ${clause('order by')}
    limit ${fetchLimit(filter.limit)} offset ${offset}`;
  const rows = await db.all<Record<string, string | number | null>>(query);
  const aggregates = rows.map((row): UsageAggregate => ({
    ...Object.fromEntries(groups.map((g) => [g.field, row[g.alias] ?? null])),
    calls: Number(row.calls),
    ok: Number(row.ok),
    errors: Number(row.errors),
    denied: Number(row.denied),
    rateLimited: Number(row.rate_limited),
    p50Ms: row.p50 === null ? null : Number(row.p50),
    p95Ms: row.p95 === null ? null : Number(row.p95),
    requestBytes: Number(row.rq),
    responseBytes: Number(row.rs),
  }));
  return pageOf(aggregates, filter.limit, () => [offset + filter.limit!]);
}

/**
 * Deletes events (and the markers of written batches) older than `before`, in chunks, so the
 * servers' own writes are never held up by one long transaction; each chunk's transaction takes
 * its events off the rollups too ({@link deleteUsageEvents}), so they never count more than is
 * kept. Returns how many events went.
 */
export async function pruneUsage(db: Database, before: Date, options: { chunkSize?: number } = {}): Promise<number> {
  const chunkSize = options.chunkSize ?? 2_000;
  let deleted = 0;
  for (;;) {
    const chunk = await db.select({ id: usageEvents.id }).from(usageEvents).where(lt(usageEvents.at, before)).limit(chunkSize);
    deleted += await deleteUsageEvents(db, chunk.map((row) => row.id));
    if (chunk.length < chunkSize) break;
  }
  // Drop the rollup groups the chunks emptied.
  await db.delete(usageRollupDaily).where(and(lte(usageRollupDaily.day, Math.floor(before.getTime() / DAY)), eq(usageRollupDaily.calls, 0)));
  await db.delete(usageLatencyHourly).where(and(lte(usageLatencyHourly.hour, Math.floor(before.getTime() / HOUR)), eq(usageLatencyHourly.calls, 0)));
  // A batch's marker must outlive any retry of its write; a day is far longer than one takes.
  const markersBefore = new Date(Math.min(before.getTime(), Date.now() - 86_400_000));
  await db.delete(usageBatches).where(lt(usageBatches.writtenAt, markersBefore));
  return deleted;
}

/** The WHERE clause for a usage filter; resolves the tenant slug (not_found when unknown). */
async function usageWhere(db: Database, filter: UsageFilter): Promise<SQL | undefined> {
  const tenantId = filter.tenant === undefined ? undefined : (await getTenant(db, filter.tenant)).id;
  return and(
    tenantId === undefined ? undefined : eq(usageEvents.tenantId, tenantId),
    filter.keyId === undefined ? undefined : eq(usageEvents.keyId, filter.keyId),
    filter.tool === undefined ? undefined : eq(usageEvents.tool, filter.tool),
    filter.outcome === undefined ? undefined : eq(usageEvents.outcome, filter.outcome),
    filter.since === undefined ? undefined : gte(usageEvents.at, filter.since),
    filter.until === undefined ? undefined : lt(usageEvents.at, filter.until),
  );
}

/**
 * How charts stack outcomes: timeout and cancelled count as errors, like tool_error, invalid and
 * error; a 2026-07-28 round that asked the client for input (input_required) went well, so it is ok.
 */
export const outcomeClasses = ['ok', 'error', 'denied', 'rateLimited', 'unauthenticated'] as const;
export type OutcomeClass = (typeof outcomeClasses)[number];
const classOf: Record<UsageOutcome, OutcomeClass> = {
  ok: 'ok',
  input_required: 'ok',
  tool_error: 'error',
  invalid: 'error',
  error: 'error',
  timeout: 'error',
  cancelled: 'error',
  denied: 'denied',
  rate_limited: 'rateLimited',
  unauthenticated: 'unauthenticated',
};

/** Calls in one time bucket, by outcome class, with nearest-rank p50 and p95 durations. */
export interface UsageBucket extends Record<OutcomeClass, number> {
  /** ISO start of the bucket. */
  start: string;
  calls: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** What the console's overview and explorer draw: a timeline and the busiest tenants and tools. */
export interface UsageOverview {
  buckets: UsageBucket[];
  totals: UsageBucket;
  topTenants: { tenant: string | null; calls: number }[];
  topTools: { tool: string | null; calls: number }[];
}

/**
 * Usage between `since` and `until` in buckets of `bucketMs` (aligned to the epoch, so days are
 * UTC days), plus the top `top` tenants and tools. The timeline is read from usage_latency_hourly
 * for the range's whole hours, the top lists from usage_rollup_daily for its whole UTC days, the
 * rest at either end from the events themselves, so counts are exact. Percentiles
 * are nearest-rank over log-scale duration buckets, within 6.25% of {@link aggregateUsage}'s exact
 * ones ({@link durationBucket}). Filtering by key or tool, buckets that are not whole hours, or
 * `eventsOnly` read only the events, with exact percentiles (and take seconds over a million).
 */
export async function usageOverview(
  db: Database,
  filter: UsageFilter & { since: Date; until: Date; bucketMs: number; top?: number; eventsOnly?: boolean },
): Promise<UsageOverview> {
  const bucketMs = Math.trunc(filter.bucketMs);
  if (!(bucketMs >= 60_000)) throw new AppError('invalid', 'A usage bucket must be at least a minute long');
  const firstHour = Math.ceil(filter.since.getTime() / HOUR);
  const endHour = Math.floor(filter.until.getTime() / HOUR);
  const rollup = !filter.eventsOnly && filter.keyId === undefined && filter.tool === undefined && bucketMs % HOUR === 0 && firstHour < endHour;
  const { histogram, split } = rollup ? await rollupParts(db, { ...filter, bucketMs }) : await eventParts(db, filter, bucketMs);

  const first = Math.floor(filter.since.getTime() / bucketMs);
  const last = Math.ceil(filter.until.getTime() / bucketMs) - 1;
  const durations = new Map<number, Map<number, number>>();
  const counts = new Map<number, UsageBucket>();
  const bucket = (b: number): UsageBucket => ({ start: new Date(b * bucketMs).toISOString(), calls: 0, ok: 0, error: 0, denied: 0, rateLimited: 0, unauthenticated: 0, p50Ms: null, p95Ms: null });
  for (let b = first; b <= last; b++) counts.set(b, bucket(b));
  const all = new Map<number, number>();
  for (const row of histogram) {
    const b = Number(row.b);
    const c = Number(row.c);
    const d = Number(row.d);
    const target = counts.get(b) ?? counts.set(b, bucket(b)).get(b)!;
    for (const k of outcomeClasses) target[k] += Number(row[k]);
    target.calls += c;
    const h = durations.get(b) ?? durations.set(b, new Map()).get(b)!;
    h.set(d, (h.get(d) ?? 0) + c);
    all.set(d, (all.get(d) ?? 0) + c);
  }
  const buckets = [...counts.entries()].sort((x, y) => x[0] - y[0]).map(([b, v]) => ({ ...v, ...percentiles(durations.get(b)) }));
  const totals = { ...bucket(first), ...percentiles(all) };
  for (const b of buckets) for (const k of [...outcomeClasses, 'calls'] as const) totals[k] += b[k];

  const top = filter.top ?? 10;
  const sumBy = <K extends 'tenant' | 'tool'>(key: K) => {
    const sums = new Map<string | null, number>();
    for (const row of split) sums.set(row[key], (sums.get(row[key]) ?? 0) + Number(row.c));
    return [...sums.entries()].sort((x, y) => y[1] - x[1] || String(x[0]).localeCompare(String(y[0]))).slice(0, top);
  };
  return {
    buckets,
    totals,
    topTenants: sumBy('tenant').map(([tenant, calls]) => ({ tenant, calls })),
    topTools: sumBy('tool').map(([tool, calls]) => ({ tool, calls })),
  };
}

/** Calls per time bucket and duration, summed per outcome class; and calls per tenant and tool. */
interface OverviewParts {
  histogram: (Record<OutcomeClass, number> & { b: number; d: number; c: number })[];
  split: { tenant: string | null; tool: string | null; c: number }[];
}

// Sums a count column over the outcomes of one class, as "ok", "error", ...
const classSums = (count: string) =>
  sql.join(
    outcomeClasses.map((c) => sql.raw(`sum(case when outcome in (${usageOutcomes.filter((o) => classOf[o] === c).map((o) => `'${o}'`).join(', ')}) then ${count} else 0 end) as "${c}"`)),
    sql`, `,
  );

/**
 * Calls per time bucket and duration among the events matching `where`, exact. Grouped by
 * (bucket, duration) with the outcome classes summed: fewer groups to sort than grouping by
 * outcome too, which is where the time goes (the scan itself reads only the covering index).
 */
function eventHistogram(db: Database, where: SQL | undefined, bucketMs: number): Promise<OverviewParts['histogram']> {
  const width = sql.raw(String(bucketMs)); // a checked integer: keeps the division an integer one
  return db.all(sql`
    select ${usageEvents.at} / ${width} as b, ${usageEvents.durationMs} as d, count(*) as c, ${classSums('1')}
    from ${usageEvents} ${where ? sql`where ${where}` : sql``} group by b, d`);
}

/** Calls per tenant (slug) and tool among the events matching `where`. */
function eventSplit(db: Database, where: SQL | undefined): Promise<OverviewParts['split']> {
  return db.all(sql`
    select ${tenants.slug} as tenant, g.tool as tool, g.c as c
    from (select ${usageEvents.tenantId} as tenant_id, ${usageEvents.tool} as tool, count(*) as c from ${usageEvents} ${where ? sql`where ${where}` : sql``} group by 1, 2) g
    left join ${tenants} on ${tenants.id} = g.tenant_id`);
}

/** The overview's parts from the events alone, with exact durations. */
async function eventParts(db: Database, filter: UsageFilter, bucketMs: number): Promise<OverviewParts> {
  const where = await usageWhere(db, filter);
  return { histogram: await eventHistogram(db, where, bucketMs), split: await eventSplit(db, where) };
}

/**
 * The overview's parts from the rollups: the timeline from usage_latency_hourly for the whole
 * hours of the range, the top lists from usage_rollup_daily for its whole UTC days; the events
 * fill in the rest at either end. Durations become their log-scale bucket's middle, from the
 * rollup and the events alike.
 */
async function rollupParts(db: Database, filter: UsageFilter & { since: Date; until: Date; bucketMs: number }): Promise<OverviewParts> {
  const tenantId = filter.tenant === undefined ? undefined : (await getTenant(db, filter.tenant)).id;
  const [firstHour, endHour] = [Math.ceil(filter.since.getTime() / HOUR), Math.floor(filter.until.getTime() / HOUR)];
  const [firstDay, endDay] = [Math.ceil(filter.since.getTime() / DAY), Math.floor(filter.until.getTime() / DAY)];
  const outcome = (column: typeof usageLatencyHourly.outcome | typeof usageRollupDaily.outcome) => (filter.outcome === undefined ? undefined : eq(column, filter.outcome));
  /** The events of the filter outside [from, to) (ms), within the range. */
  const outside = async (from: number, to: number) =>
    and(
      await usageWhere(db, filter),
      from < to ? or(lt(usageEvents.at, new Date(from)), gte(usageEvents.at, new Date(to))) : undefined,
    );

  const width = sql.raw(String(filter.bucketMs)); // a checked whole number of hours
  const latency = await db.all<OverviewParts['histogram'][number]>(sql`
    select ${usageLatencyHourly.hour} * ${sql.raw(String(HOUR))} / ${width} as b, ${usageLatencyHourly.bucket} as d, sum(calls) as c, ${classSums('calls')}
    from ${usageLatencyHourly}
    where ${and(eq(usageLatencyHourly.scope, tenantId ?? '*'), gte(usageLatencyHourly.hour, firstHour), lt(usageLatencyHourly.hour, endHour), outcome(usageLatencyHourly.outcome))}
    group by b, d`);
  const edgeHours = await eventHistogram(db, await outside(firstHour * HOUR, endHour * HOUR), filter.bucketMs);

  const days = firstDay < endDay
    ? await db.all<OverviewParts['split'][number]>(sql`
      select ${tenants.slug} as tenant, nullif(g.tool, '') as tool, g.c as c
      from (select ${usageRollupDaily.tenantId} as tenant_id, ${usageRollupDaily.tool} as tool, sum(${usageRollupDaily.calls}) as c from ${usageRollupDaily}
        where ${and(gte(usageRollupDaily.day, firstDay), lt(usageRollupDaily.day, endDay), tenantId === undefined ? undefined : eq(usageRollupDaily.tenantId, tenantId), outcome(usageRollupDaily.outcome))}
        group by 1, 2) g
      left join ${tenants} on ${tenants.id} = g.tenant_id`)
    : [];
  const edgeDays = await eventSplit(db, await outside(firstDay * DAY, endDay * DAY));
  return {
    histogram: [...latency.map((row) => ({ ...row, d: bucketDuration(Number(row.d)) })), ...edgeHours.map((row) => ({ ...row, d: bucketDuration(durationBucket(Number(row.d))) }))],
    split: [...days, ...edgeDays],
  };
}

/** Nearest-rank p50 and p95 of a duration histogram (duration -> count). */
function percentiles(histogram: Map<number, number> | undefined): { p50Ms: number | null; p95Ms: number | null } {
  if (!histogram || histogram.size === 0) return { p50Ms: null, p95Ms: null };
  const entries = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const n = entries.reduce((sum, [, c]) => sum + c, 0);
  const rank = (p: number) => {
    let below = 0;
    for (const [d, c] of entries) if ((below += c) * 100 >= n * p) return d;
    return entries.at(-1)![0];
  };
  return { p50Ms: rank(50), p95Ms: rank(95) };
}
