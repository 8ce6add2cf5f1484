import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type UsageEvent, type UsageOutcome } from '../src/db/schema.ts';
import { createTenant } from '../src/services/tenants.ts';
import { aggregateUsage, usageOverview } from '../src/services/usage.ts';
import { bucketDuration, durationBucket } from '../src/usage/duration-bucket.ts';
import { writeUsageBatch } from '../src/usage/write-usage-batch.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { prng } from './helpers/prng.ts';

// The console's overview reads the hourly rollups, which count the same rows as `usage summary`:
// its per-day counts must equal aggregateUsage's for the same days, and its nearest-rank
// percentiles must be the middle of the log-scale bucket holding aggregateUsage's exact ones.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const today = Math.floor(Date.now() / DAY) * DAY;
let database: TempDatabase;

beforeAll(async () => {
  database = await tempDatabase();
  const tenants = [await createTenant(database.db, { slug: 'alpha', scopes: 'math' }), await createTenant(database.db, { slug: 'beta', scopes: 'math' })];
  const r = prng(42);
  const outcomes: UsageOutcome[] = ['ok', 'ok', 'ok', 'ok', 'tool_error', 'denied', 'rate_limited', 'unauthenticated', 'timeout'];
  const events: UsageEvent[] = Array.from({ length: 3000 }, () => ({
    at: new Date(today - 6 * DAY + r.int(7 * DAY)),
    tenantId: r.pick(tenants).id,
    keyId: null,
    subject: null,
    tool: r.pick(['add', 'multiply', 'whoami']),
    outcome: r.pick(outcomes),
    durationMs: r.int(40) * r.int(10),
    requestBytes: 1,
    responseBytes: 1,
  }));
  for (let i = 0; i < events.length; i += 500) await writeUsageBatch(database.db, events.slice(i, i + 500));
});

afterAll(() => database?.dispose());

describe('usageOverview', () => {
  /** The middle of the duration bucket holding `exact`: within 1/16 of it. */
  const bucketed = (exact: number | null) => {
    if (exact === null) return null;
    const value = bucketDuration(durationBucket(exact));
    expect(Math.abs(value - exact)).toBeLessThanOrEqual(exact / 16);
    return value;
  };

  it('counts per UTC day equal usage summary by day, and percentiles are its exact ones bucketed', async () => {
    const since = new Date(today - 6 * DAY);
    const until = new Date(today + DAY);
    const overview = await usageOverview(database.db, { since, until, bucketMs: DAY });
    const { items } = await aggregateUsage(database.db, { since, until, groupBy: ['day'] });
    expect(overview.buckets).toHaveLength(7);
    for (const day of items) {
      const bucket = overview.buckets.find((b) => b.start.slice(0, 10) === day.day)!;
      expect({ calls: bucket.calls, ok: bucket.ok, rateLimited: bucket.rateLimited, denied: bucket.denied + bucket.unauthenticated, p50: bucket.p50Ms, p95: bucket.p95Ms }).toEqual({
        calls: day.calls,
        ok: day.ok,
        rateLimited: day.rateLimited,
        denied: day.denied,
        p50: bucketed(day.p50Ms),
        p95: bucketed(day.p95Ms),
      });
    }
    const [total] = (await aggregateUsage(database.db, { since, until })).items;
    expect([overview.totals.calls, overview.totals.p50Ms, overview.totals.p95Ms]).toEqual([total!.calls, bucketed(total!.p50Ms), bucketed(total!.p95Ms)]);
  });

  it('counts the partial hours at both ends of a range from the events, exactly, with or without a tenant or outcome filter', async () => {
    const since = new Date(today - 5 * DAY + 17 * 60_000 + 123);
    const until = new Date(today - DAY - 41 * 60_000);
    for (const [bucketMs, tenant, outcome] of [[DAY, undefined, undefined], [HOUR, 'beta', undefined], [DAY, undefined, 'denied']] as const) {
      const overview = await usageOverview(database.db, { since, until, bucketMs, tenant, outcome });
      const [total] = (await aggregateUsage(database.db, { since, until, tenant, outcome })).items;
      expect([overview.totals.calls, overview.totals.ok, overview.totals.rateLimited]).toEqual([total!.calls, total!.ok, total!.rateLimited]);
      expect([overview.totals.p50Ms, overview.totals.p95Ms]).toEqual([bucketed(total!.p50Ms), bucketed(total!.p95Ms)]);
      const byTool = (await aggregateUsage(database.db, { since, until, tenant, outcome, groupBy: ['tool'] })).items;
      expect(overview.topTools).toEqual([...byTool].sort((a, b) => b.calls - a.calls).map((t) => ({ tool: t.tool, calls: t.calls })));
    }
  });

  it('keeps exact percentiles when filtered by tool, which the rollups do not split by', async () => {
    const since = new Date(today - 6 * DAY);
    const until = new Date(today + DAY);
    const overview = await usageOverview(database.db, { since, until, bucketMs: DAY, tool: 'add' });
    const [total] = (await aggregateUsage(database.db, { since, until, tool: 'add' })).items;
    expect([overview.totals.calls, overview.totals.p50Ms, overview.totals.p95Ms]).toEqual([total!.calls, total!.p50Ms, total!.p95Ms]);
  });

  it('fills hours without calls, filters by tenant, and ranks tenants and tools by calls', async () => {
    const since = new Date(today - 2 * DAY);
    const until = new Date(today - 2 * DAY + 24 * HOUR);
    const all = await usageOverview(database.db, { since, until, bucketMs: HOUR });
    expect(all.buckets).toHaveLength(24);
    expect(all.buckets.map((b) => b.start)).toEqual(Array.from({ length: 24 }, (_, i) => new Date(since.getTime() + i * HOUR).toISOString()));
    const alpha = await usageOverview(database.db, { tenant: 'alpha', since, until, bucketMs: HOUR });
    expect(alpha.topTenants.map((t) => t.tenant)).toEqual(['alpha']);
    const byTenant = (await aggregateUsage(database.db, { since, until, groupBy: ['tenant'] })).items;
    expect(all.topTenants).toEqual([...byTenant].sort((a, b) => b.calls - a.calls).map((t) => ({ tenant: t.tenant, calls: t.calls })));
    const byTool = (await aggregateUsage(database.db, { since, until, groupBy: ['tool'] })).items;
    expect(all.topTools.map((t) => t.calls)).toEqual(byTool.map((t) => t.calls).sort((a, b) => b - a));
  });

  it('refuses a bucket shorter than a minute', async () => {
    await expect(usageOverview(database.db, { since: new Date(0), until: new Date(DAY), bucketMs: 1000 })).rejects.toThrow(/at least a minute/);
  });
});
