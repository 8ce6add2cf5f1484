import { and, asc, eq, gt, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { tenants, type UsageOutcome, usageBatches, usageEvents } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { getTenant } from './tenants.ts';

/** A usage event as reports show it. */
export interface UsageRow {
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
}

/** Which events a report covers: one tenant or all, from `since` (inclusive) to `until` (exclusive). */
export interface UsageFilter {
  tenant?: string;
  since?: Date;
  until?: Date;
}

/** Lists usage events in time order, at most `limit` (default 100,000). */
export async function listUsage(db: Database, filter: UsageFilter & { limit?: number }): Promise<UsageRow[]> {
  const limit = filter.limit ?? 100_000;
  const rows: UsageRow[] = [];
  for await (const page of usagePages(db, filter, { pageSize: Math.min(limit, 5_000) })) {
    rows.push(...page.slice(0, limit - rows.length));
    if (rows.length >= limit) break;
  }
  return rows;
}

/**
 * Yields every matching event in time order, a page at a time, so an export of millions of events
 * never holds them all in memory. Pages are read by keyset on (at, id), which the indexes cover.
 */
export async function* usagePages(db: Database, filter: UsageFilter, options: { pageSize?: number } = {}): AsyncGenerator<UsageRow[]> {
  const pageSize = options.pageSize ?? 5_000;
  const tenantId = await tenantIdOf(db, filter.tenant);
  let after: { at: Date; id: number } | undefined;
  for (;;) {
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
      })
      .from(usageEvents)
      .leftJoin(tenants, eq(usageEvents.tenantId, tenants.id))
      .where(
        and(
          ...rangeOf(tenantId, filter),
          // (at, id) > after, written so that `at >= after.at` starts the index range.
          after ? and(gte(usageEvents.at, after.at), or(gt(usageEvents.at, after.at), gt(usageEvents.id, after.id))) : undefined,
        ),
      )
      .orderBy(asc(usageEvents.at), asc(usageEvents.id))
      .limit(pageSize);
    if (rows.length === 0) return;
    const last = rows.at(-1)!;
    after = { at: last.at, id: last.id };
    yield rows.map(({ id: _id, ...r }) => ({ ...r, at: r.at.toISOString() }));
    if (rows.length < pageSize) return;
  }
}

/** What a usage summary can be grouped by. */
export const usageGroups = ['tenant', 'key', 'tool', 'day'] as const;
export type UsageGroup = (typeof usageGroups)[number];

/** One group of a usage summary. Every event counts in `calls` and in exactly one outcome column. */
export interface UsageSummaryRow {
  tenant?: string | null;
  keyId?: string | null;
  tool?: string | null;
  /** UTC day, YYYY-MM-DD. */
  day?: string;
  calls: number;
  ok: number;
  /** Tool failures: `tool_error` (the tool reported one) and `error` (it failed unexpectedly). */
  errors: number;
  invalid: number;
  denied: number;
  unauthenticated: number;
  rateLimited: number;
  /** Median and 95th percentile of durationMs (nearest rank). */
  p50Ms: number;
  p95Ms: number;
  requestBytes: number;
  responseBytes: number;
}

const groupColumns: Record<UsageGroup, string> = { tenant: 'tenant_id', key: 'key_id', tool: 'tool', day: 'day' };

/** Parses a comma-separated `--by` list such as "tenant,day". */
export function parseUsageGroups(input: string): UsageGroup[] {
  const groups = input.split(',').map((g) => g.trim()).filter(Boolean);
  const unknown = groups.filter((g) => !usageGroups.includes(g as UsageGroup));
  if (unknown.length > 0 || groups.length === 0) {
    throw new AppError('invalid', `Invalid grouping "${input}": use a comma list of ${usageGroups.join(', ')}`);
  }
  return usageGroups.filter((g) => groups.includes(g));
}

/** Aggregates events per group: counts by outcome, duration percentiles and bytes. */
export async function summarizeUsage(db: Database, filter: UsageFilter & { by: readonly UsageGroup[] }): Promise<UsageSummaryRow[]> {
  const tenantId = await tenantIdOf(db, filter.tenant);
  const conditions = [
    filter.since ? sql`at >= ${filter.since.getTime()}` : undefined,
    filter.until ? sql`at < ${filter.until.getTime()}` : undefined,
    tenantId ? sql`tenant_id = ${tenantId}` : undefined,
  ].filter((c): c is SQL => c !== undefined);
  const where = conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const columns = filter.by.map((g) => sql.raw(groupColumns[g]));
  const list = sql.join(columns, sql`, `);
  const partition = columns.length > 0 ? sql`partition by ${list}` : sql``;
  const order = sql.join(filter.by.map((g) => sql.raw(g === 'tenant' ? 'tenant_slug' : groupColumns[g])), sql`, `);
  const groupBy = columns.length > 0 ? sql`group by ${list} order by ${order}` : sql``;
  const slug = filter.by.includes('tenant') ? sql`(select slug from tenants where id = tenant_id) as tenant_slug,` : sql``;
  // SQLite has no percentile function. cume_dist() is the share of the group's events at most as
  // slow as this one; the smallest duration whose share reaches p is the nearest-rank p-th percentile.
  const rows = await db.all<Record<string, number | string | null>>(sql`
    with e as (
      select tenant_id, key_id, tool, at / 86400000 as day, outcome, duration_ms, request_bytes, response_bytes
      from usage_events ${where}
    ), ranked as (
      select *, cume_dist() over (${partition} order by duration_ms) as share from e
    )
    select ${columns.length > 0 ? sql`${list},` : sql``} ${slug}
      count(*) as calls,
      sum(outcome = 'ok') as ok,
      sum(outcome in ('tool_error', 'error')) as errors,
      sum(outcome = 'invalid') as invalid,
      sum(outcome = 'denied') as denied,
      sum(outcome = 'unauthenticated') as unauthenticated,
      sum(outcome = 'rate_limited') as rate_limited,
      min(case when share >= 0.5 then duration_ms end) as p50,
      min(case when share >= 0.95 then duration_ms end) as p95,
      sum(request_bytes) as request_bytes,
      sum(response_bytes) as response_bytes
    from ranked ${groupBy}`);
  return rows
    .filter((r) => Number(r.calls) > 0)
    .map((r) => {
      const row: UsageSummaryRow = {
        calls: Number(r.calls),
        ok: Number(r.ok),
        errors: Number(r.errors),
        invalid: Number(r.invalid),
        denied: Number(r.denied),
        unauthenticated: Number(r.unauthenticated),
        rateLimited: Number(r.rate_limited),
        p50Ms: Number(r.p50),
        p95Ms: Number(r.p95),
        requestBytes: Number(r.request_bytes),
        responseBytes: Number(r.response_bytes),
      };
      const groups: Partial<UsageSummaryRow> = {};
      if (filter.by.includes('tenant')) groups.tenant = (r.tenant_slug as string | null) ?? (r.tenant_id as string | null);
      if (filter.by.includes('key')) groups.keyId = r.key_id as string | null;
      if (filter.by.includes('tool')) groups.tool = r.tool as string | null;
      if (filter.by.includes('day')) groups.day = new Date(Number(r.day) * 86_400_000).toISOString().slice(0, 10);
      return { ...groups, ...row };
    });
}

/**
 * Deletes events (and the markers of written batches) older than `before`, in chunks, so the
 * server's own writes are never held up by one long transaction. Returns how many events went.
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

async function tenantIdOf(db: Database, slug: string | undefined): Promise<string | undefined> {
  return slug === undefined ? undefined : (await getTenant(db, slug)).id;
}

function rangeOf(tenantId: string | undefined, filter: UsageFilter): (SQL | undefined)[] {
  return [
    tenantId ? eq(usageEvents.tenantId, tenantId) : undefined,
    filter.since ? gte(usageEvents.at, filter.since) : undefined,
    filter.until ? lt(usageEvents.at, filter.until) : undefined,
  ];
}
