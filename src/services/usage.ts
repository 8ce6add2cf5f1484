import { and, asc, eq, gt, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { tenants, type UsageOutcome, usageBatches, usageEvents } from '../db/schema.ts';
import { decodeCursor, fetchLimit, type Page, type PageRequest, pageOf } from './page.ts';
import { getTenant } from './tenants.ts';

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
 * servers' own writes are never held up by one long transaction. Returns how many events went.
 */
export async function pruneUsage(db: Database, before: Date, options: { chunkSize?: number } = {}): Promise<number> {
  const chunkSize = options.chunkSize ?? 10_000;
  let deleted = 0;
  for (;;) {
    const chunk = db.select({ id: usageEvents.id }).from(usageEvents).where(lt(usageEvents.at, before)).limit(chunkSize);
    const { rowsAffected } = await db.delete(usageEvents).where(inArray(usageEvents.id, chunk));
    deleted += rowsAffected;
    if (rowsAffected < chunkSize) break;
  }
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
