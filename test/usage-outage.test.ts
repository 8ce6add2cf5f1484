import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitCounters, usageEvents } from '../src/db/schema.ts';
import { migrateDatabase, type OpenDatabase, openDatabase } from '../src/node/database.ts';
import { createKey } from '../src/services/keys.ts';
import { setLimits } from '../src/services/limits.ts';
import { createTenant } from '../src/services/tenants.ts';
import { callTool, freshWindow, waitFor } from './helpers/limits.ts';
import { type LossyProxy, startLossyProxy } from './helpers/lossy-proxy.ts';
import { type RunningServer, startServer } from './helpers/server.ts';
import { type Sqld, startSqld } from './helpers/sqld.ts';
import { rollupMismatches } from './helpers/usage.ts';

let sqld: Sqld;
let database: OpenDatabase;
let server: RunningServer;
let smallBuffer: RunningServer;
let failClosed: RunningServer;
let proxy: LossyProxy;
let behindProxy: RunningServer;

interface Health {
  usage: { buffered: number; dropped: number };
  limits: { failMode: string; degraded: boolean; admittedWithoutLease: number };
}

async function health(s: RunningServer): Promise<Health> {
  return (await fetch(new URL('/healthz', s.url))).json() as Promise<Health>;
}

describe('usage and limits through a libSQL server outage', () => {
  beforeAll(async () => {
    sqld = await startSqld();
    database = await openDatabase(sqld.url);
    await migrateDatabase(database.db);
    // Keys and limits stay cached through each outage (which lasts a few seconds).
    // Buffered usage, whose events wait in memory through an outage (test/faults/usage-durability-outage.test.ts covers commit).
    const env = { DATABASE_URL: sqld.url, USAGE_FLUSH_INTERVAL_MS: '100', KEY_CACHE_TTL_SECONDS: '30', USAGE_DURABILITY: 'buffered' };
    proxy = await startLossyProxy({ host: '127.0.0.1', port: Number(new URL(sqld.url).port) });
    [server, smallBuffer, failClosed, behindProxy] = await Promise.all([
      startServer(env),
      startServer({ ...env, USAGE_BUFFER_MAX: '50' }),
      startServer({ ...env, LIMITS_FAIL_MODE: 'closed' }),
      startServer({ ...env, DATABASE_URL: proxy.url }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([server, smallBuffer, failClosed, behindProxy].map((s) => s?.stop()));
    await proxy?.close();
    database?.close();
    await sqld?.stop();
  });

  async function tenantWith(slug: string, limits?: { rate?: string }) {
    const tenant = await createTenant(database.db, { slug, scopes: 'math' });
    if (limits) await setLimits(database.db, slug, limits);
    return { tenant, key: (await createKey(database.db, { tenant: slug, scopes: 'math' })).key };
  }

  async function eventsOf(tenantId: string): Promise<number> {
    const [row] = await database.db.select({ n: sql<number>`count(*)` }).from(usageEvents).where(eq(usageEvents.tenantId, tenantId));
    return Number(row!.n);
  }

  /** Sends n concurrent calls; returns their statuses. */
  async function calls(s: RunningServer, key: string, n: number): Promise<number[]> {
    return (await Promise.all(Array.from({ length: n }, (_, i) => callTool(s.url, key, 'add', { a: i, b: 1 })))).map((r) => r.status);
  }

  /** Runs `during` with the libSQL server stopped, and starts it again whatever happens. */
  async function outage(during: () => Promise<void>): Promise<void> {
    await sqld.kill();
    try {
      await during();
    } finally {
      await sqld.restart();
    }
  }

  it('writes exactly N usage events for N concurrent calls', async () => {
    const { tenant, key } = await tenantWith('concurrent');
    expect(await calls(server, key, 300)).toEqual(Array(300).fill(200));
    await waitFor(async () => ((await health(server)).usage.buffered === 0 ? true : undefined));
    expect(await eventsOf(tenant.id)).toBe(300);
    expect(await rollupMismatches(database.db)).toEqual([]);
  });

  it('buffers events while the database is down and writes each exactly once when it returns', async () => {
    const { tenant, key } = await tenantWith('outage');
    expect(await calls(server, key, 100)).toEqual(Array(100).fill(200));
    // Stopped at once, possibly while those events are being written.
    await outage(async () => {
      expect(await calls(server, key, 100)).toEqual(Array(100).fill(200));
      const during = await health(server);
      expect(during.usage.buffered).toBeGreaterThanOrEqual(100);
      expect(during.usage.dropped).toBe(0);
    });
    expect(await calls(server, key, 100)).toEqual(Array(100).fill(200));
    await waitFor(async () => ((await health(server)).usage.buffered === 0 ? true : undefined));
    expect(await eventsOf(tenant.id)).toBe(300);
    expect(await rollupMismatches(database.db)).toEqual([]);
  });

  it('never writes an event twice when a write commits but its answer is lost', async () => {
    const { tenant, key } = await tenantWith('lost-answers');
    expect(await calls(behindProxy, key, 1)).toEqual([200]);
    await waitFor(async () => ((await eventsOf(tenant.id)) === 1 ? true : undefined));
    proxy.loseAnswers = true;
    try {
      expect(await calls(behindProxy, key, 50)).toEqual(Array(50).fill(200));
      // A batch reached the database, but the server could not learn that it did, and keeps it.
      await waitFor(async () => ((await eventsOf(tenant.id)) > 1 ? true : undefined));
      await waitFor(async () => (/Cannot write usage events, will retry/.test(behindProxy.output()) ? true : undefined));
      expect((await health(behindProxy)).usage.buffered).toBe(50);
    } finally {
      proxy.loseAnswers = false;
    }
    await waitFor(async () => ((await health(behindProxy)).usage.buffered === 0 ? true : undefined));
    expect(await eventsOf(tenant.id)).toBe(51);
    // The rollups were written in the transaction of the batch that committed, and only then.
    expect(await rollupMismatches(database.db)).toEqual([]);
  });

  it('drops the oldest events past USAGE_BUFFER_MAX, logs how many and shows it on /healthz', async () => {
    const { tenant, key } = await tenantWith('overflow');
    expect(await calls(smallBuffer, key, 1)).toEqual([200]);
    await waitFor(async () => ((await eventsOf(tenant.id)) === 1 ? true : undefined));
    await outage(async () => {
      expect(await calls(smallBuffer, key, 80)).toEqual(Array(80).fill(200));
      expect((await health(smallBuffer)).usage).toEqual({ buffered: 50, dropped: 30 });
      await waitFor(async () => (/Usage buffer full: dropped the \d+ oldest usage events \(30 since start\)/.test(smallBuffer.output()) ? true : undefined));
    });
    await waitFor(async () => ((await health(smallBuffer)).usage.buffered === 0 ? true : undefined));
    expect(await eventsOf(tenant.id)).toBe(1 + 50);
    expect((await health(smallBuffer)).usage.dropped).toBe(30);
  });

  it('fails open by default: each instance enforces the limit alone, and the database learns of the calls later', async () => {
    const { tenant, key } = await tenantWith('fail-open', { rate: '5/hour' });
    await freshWindow(3_600_000, 30_000);
    expect(await calls(server, key, 2)).toEqual([200, 200]);
    await outage(async () => {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await health(server)).limits).toMatchObject({ failMode: 'open', degraded: true });
    });
    expect(server.output()).toMatch(/Cannot reach the database for rate limits, failing open/);
    // Once the database is back, the three calls admitted without it count for every instance.
    await waitFor(async () => ((await callTool(server.url, key, 'add', { a: 1, b: 1 })).status === 429 && !(await health(server)).limits.degraded ? true : undefined));
    const [counter] = await database.db.select().from(limitCounters).where(sql`${limitCounters.counter} like ${`${tenant.id}:%`}`);
    expect(counter!.used).toBe(5);
    expect((await callTool(smallBuffer.url, key, 'add', { a: 1, b: 1 })).status).toBe(429);
    expect((await health(server)).limits.degraded).toBe(false);
  });

  it('fails closed when configured: 503 with Retry-After while the database is down', async () => {
    const { key } = await tenantWith('fail-closed', { rate: '100/hour' }); // leases of 5
    await freshWindow(3_600_000, 30_000);
    expect(await calls(failClosed, key, 5)).toEqual(Array(5).fill(200)); // spends the first lease
    await outage(async () => {
      const res = await callTool(failClosed.url, key, 'add', { a: 1, b: 1 }, 'x');
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(await res.json()).toEqual({
        jsonrpc: '2.0',
        id: 'x',
        error: { code: -32603, message: 'Service unavailable: the database cannot be reached right now. Retry shortly.' },
      });
      expect((await health(failClosed)).limits).toMatchObject({ failMode: 'closed', degraded: true });
    });
    await waitFor(async () => ((await callTool(failClosed.url, key, 'add', { a: 1, b: 1 })).status === 200 ? true : undefined));
  });
});
