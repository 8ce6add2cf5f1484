import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageEvents } from '../src/db/schema.ts';
import { migrateDatabase, type OpenDatabase, openDatabase } from '../src/node/database.ts';
import { createKey } from '../src/services/keys.ts';
import { setLimits } from '../src/services/limits.ts';
import { createTenant } from '../src/services/tenants.ts';
import { callTool, freshWindow, waitFor } from './helpers/limits.ts';
import { type RunningServer, startServer } from './helpers/server.ts';
import { type Sqld, startSqld } from './helpers/sqld.ts';

let sqld: Sqld;
let database: OpenDatabase;
let servers: RunningServer[] = [];

describe('limits across two server processes on one libSQL server', () => {
  beforeAll(async () => {
    sqld = await startSqld();
    database = await openDatabase(sqld.url);
    await migrateDatabase(database.db);
    const env = { DATABASE_URL: sqld.url, USAGE_FLUSH_INTERVAL_MS: '50' };
    servers = await Promise.all([startServer(env), startServer(env)]);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    database?.close();
    await sqld?.stop();
  });

  async function tenantWith(slug: string, limits: { rate?: string; quota?: string }) {
    const tenant = await createTenant(database.db, { slug, scopes: 'math' });
    await setLimits(database.db, slug, limits);
    return { tenant, key: (await createKey(database.db, { tenant: slug, scopes: 'math' })).key };
  }

  /** Sends `perServer` concurrent calls to each server at once; counts the answers by status. */
  async function burst(key: string, perServer: number) {
    const calls = servers.flatMap((s) => Array.from({ length: perServer }, (_, i) => callTool(s.url, key, 'add', { a: i, b: 1 })));
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    return { admitted: statuses.filter((s) => s === 200).length, refused: statuses.filter((s) => s === 429).length, total: statuses.length };
  }

  it('shares one limit between the instances, call by call', async () => {
    const { key } = await tenantWith('shared', { rate: '5/hour' });
    await freshWindow(3_600_000, 10_000);
    const [a, b] = servers as [RunningServer, RunningServer];
    const statuses = [];
    for (const s of [a, b, a, b, a, b, a]) statuses.push((await callTool(s.url, key, 'add', { a: 1, b: 2 })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('admits at most the limit under concurrent load on both instances (tolerance 0)', async () => {
    // Each round: a fresh tenant, 150 concurrent calls at each instance, against a limit below 300.
    const rounds = [
      { slug: 'burst-rate', limits: { rate: '120/hour' }, limit: 120 },
      { slug: 'burst-quota', limits: { quota: '200/month' }, limit: 200 },
      { slug: 'burst-small', limits: { rate: '7/hour' }, limit: 7 },
    ];
    await freshWindow(3_600_000, 20_000);
    for (const round of rounds) {
      const { tenant, key } = await tenantWith(round.slug, round.limits);
      const result = await burst(key, 150);
      console.info(`two instances, limit ${round.limit}: admitted ${result.admitted} of ${result.total}, refused ${result.refused}`);
      expect(result.admitted + result.refused).toBe(result.total);
      expect(result.admitted).toBeLessThanOrEqual(round.limit);
      // Under-admission is bounded by one unspent lease per other instance (5% of the limit, at least 1).
      expect(result.admitted).toBeGreaterThanOrEqual(round.limit - Math.max(1, Math.floor(round.limit / 20)));
      // Every call, admitted or refused, is one usage event.
      const counts = await waitFor(async () => {
        const rows = await database.db
          .select({ outcome: usageEvents.outcome, n: sql<number>`count(*)` })
          .from(usageEvents)
          .where(eq(usageEvents.tenantId, tenant.id))
          .groupBy(usageEvents.outcome);
        const byOutcome = Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
        return (byOutcome.ok ?? 0) + (byOutcome.rate_limited ?? 0) === result.total ? byOutcome : undefined;
      });
      expect(counts).toEqual({ ok: result.admitted, rate_limited: result.refused });
    }
  });
});
