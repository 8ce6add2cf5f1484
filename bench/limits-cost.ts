/**
 * What rate limits cost per call: the limiter alone, and whole tools/call requests through the
 * app with and without limits, on a local libSQL file. Not part of `npm test`; run it with:
 *
 *   npm run bench:limits [-- --calls 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { createApp } from '../src/app.ts';
import type { Caller } from '../src/auth/caller.ts';
import { parseConfig } from '../src/config.ts';
import { limitCounters } from '../src/db/schema.ts';
import { leaseTokens } from '../src/limits/counter-store.ts';
import { RateLimiter } from '../src/limits/rate-limiter.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { createKey } from '../src/services/keys.ts';
import { setLimits } from '../src/services/limits.ts';
import { createTenant } from '../src/services/tenants.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' } } });
const calls = Number(values.calls);
const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-'));
const url = `file:${join(dir, 'bench.db')}`;
const { db, close } = await openDatabase(url);
await migrateDatabase(db);

const limited = await createTenant(db, { slug: 'limited', scopes: 'math' });
await setLimits(db, 'limited', { rate: '1000000000/day', quota: '1000000000/month' });
await createTenant(db, { slug: 'free', scopes: 'math' });
const keys = { limited: (await createKey(db, { tenant: 'limited', scopes: 'math' })).key, free: (await createKey(db, { tenant: 'free', scopes: 'math' })).key };

// 1. The limiter alone: admit() for a tenant with a rate and a quota (two counters), with the
// default leases of 100, and with leases so large that the loop measures the in-memory path alone.
const caller: Caller = { tenantId: limited.id, tenantSlug: 'limited', keyId: null, keyName: null, subject: null, tenantScopes: ['math'], credentialScopes: ['math'] };
async function admits(leaseMax: number): Promise<number> {
  const limiter = new RateLimiter(db, { failMode: 'open', rulesTtlMs: 10_000, leaseMax, maxEntries: 10_000 });
  await limiter.admit(caller, 'add');
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await limiter.admit(caller, 'add');
  const us = ((performance.now() - t0) * 1000) / calls;
  await limiter.close();
  return us;
}
const before = await db.select().from(limitCounters);
const admitUs = await admits(100);
const afterDefault = await db.select().from(limitCounters);
const leases = (afterDefault[0]!.used - (before[0]?.used ?? 0)) / 100;
const warmUs = await admits(1_000_000);
// One lease round trip, as the limiter makes it for a call with two counters.
const windowStart = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const t = performance.now();
for (let i = 0; i < 200; i++) {
  await leaseTokens(db, [
    { counter: 'bench:a', windowStart, limit: 1e12, want: 100, owed: 0 },
    { counter: 'bench:b', windowStart, limit: 1e12, want: 100, owed: 0 },
  ]);
}
const leaseMs = (performance.now() - t) / 200;

// 2. Whole requests through the app, sequentially, with and without limits.
const app = createApp({ db, config: parseConfig({ DATABASE_URL: url }), log: { info() {}, warn() {}, error() {} } });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } });
async function requests(key: string, n: number): Promise<number> {
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await app.fetch(new Request('http://127.0.0.1:8787/mcp', { method: 'POST', headers, body }));
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    await res.arrayBuffer();
  }
  return ((performance.now() - t0) * 1000) / n;
}
const n = Math.min(calls, 5_000);
await requests(keys.free, 500); // warm up
await requests(keys.limited, 500);
const runs = { free: [] as number[], limited: [] as number[] };
for (let round = 0; round < 3; round++) {
  runs.free.push(await requests(keys.free, n));
  runs.limited.push(await requests(keys.limited, n));
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
await app.close();
const [quota] = await db.select().from(limitCounters).where(eq(limitCounters.counter, `${limited.id}:::month`));

console.info(`# Rate limit cost, ${calls} admits; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.info('| measure | value |\n|---|---:|');
console.info(`| limiter.admit(), rate + quota, leases of 100 (default) | ${admitUs.toFixed(2)} µs per call |`);
console.info(`| database round trips for those | ${leases.toFixed(0)} leases per ${calls} calls |`);
console.info(`| one lease round trip for two counters (local file) | ${leaseMs.toFixed(2)} ms |`);
console.info(`| limiter.admit(), rate + quota, in memory only (one lease for the run) | ${warmUs.toFixed(2)} µs per call |`);
console.info(`| tools/call through the app, no limits (median of 3 × ${n}) | ${median(runs.free).toFixed(0)} µs per call |`);
console.info(`| tools/call through the app, rate + quota (median of 3 × ${n}) | ${median(runs.limited).toFixed(0)} µs per call |`);
console.info(`| quota counter after the run (all ${2 * calls + 2 + 500 + 3 * n} calls; unspent leases returned on close) | ${quota?.used} |`);

close();
rmSync(dir, { recursive: true, force: true });
