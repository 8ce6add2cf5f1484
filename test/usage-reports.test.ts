import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type UsageEvent, type UsageOutcome } from '../src/db/schema.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { writeUsageBatch } from '../src/usage/write-usage-batch.ts';
import { runCli, runMain } from './helpers/cli.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const day1 = today - 2 * DAY; // UTC midnights
const day2 = today - DAY;
const iso = (ms: number) => new Date(ms).toISOString();

let database: TempDatabase;
let keyId: string;
const env = () => ({ DATABASE_URL: database.url });

function event(tenantId: string | null, at: number, fields: Partial<UsageEvent> & { outcome: UsageOutcome }): UsageEvent {
  return { at: new Date(at), tenantId, keyId: null, subject: null, tool: 'add', durationMs: 1, requestBytes: 100, responseBytes: 10, ...fields };
}

beforeAll(async () => {
  database = await tempDatabase();
  const alpha = await createTenant(database.db, { slug: 'alpha', scopes: 'math' });
  const beta = await createTenant(database.db, { slug: 'beta', scopes: 'math' });
  keyId = (await createKey(database.db, { tenant: 'alpha', scopes: 'math' })).id;
  const outcomes: UsageOutcome[] = [...Array<UsageOutcome>(15).fill('ok'), 'tool_error', 'tool_error', 'error', 'invalid', 'rate_limited'];
  await writeUsageBatch(database.db, [
    // alpha, add, day 1: durations 1..20 ms
    ...outcomes.map((outcome, i) => event(alpha.id, day1 + 3_600_000 + i * 1000, { outcome, keyId, durationMs: i + 1 })),
    // alpha, multiply, day 2
    ...([5, 5, 5, 100] as const).map((durationMs, i) =>
      event(alpha.id, day2 + 7_200_000 + i * 1000, { outcome: i === 2 ? 'denied' : 'ok', keyId, tool: 'multiply', durationMs, responseBytes: 20 }),
    ),
    // beta, day 2: a call and a refused credential
    event(beta.id, day2 + 60_000, { outcome: 'ok', durationMs: 7, userAgent: 'agent, "quoted"' }),
    event(beta.id, day2 + 120_000, { outcome: 'unauthenticated', tool: null, durationMs: 0, responseBytes: 0 }),
    // alpha, 200 days ago
    ...[0, 1, 2].map((i) => event(alpha.id, today - 200 * DAY + i, { outcome: 'ok' })),
  ]);
});

afterAll(() => database?.dispose());

async function sequentially<T>(runs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (const run of runs) results.push(await run());
  return results;
}

const zero = { ok: 0, errors: 0, denied: 0, rateLimited: 0 };

describe('usage reports from the CLI', () => {
  it('summarizes calls, errors, denied, rate-limited, p50/p95 duration and bytes per tenant and tool', async () => {
    const run = await runMain(['usage', 'summary', '--since', '30d', '--by', 'tenant,tool', '--format', 'json'], env());
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([
      { tenant: 'alpha', tool: 'add', calls: 20, ...zero, ok: 15, errors: 4, rateLimited: 1, p50Ms: 10, p95Ms: 19, requestBytes: 2000, responseBytes: 200 },
      { tenant: 'alpha', tool: 'multiply', calls: 4, ...zero, ok: 3, denied: 1, p50Ms: 5, p95Ms: 100, requestBytes: 400, responseBytes: 80 },
      { tenant: 'beta', tool: null, calls: 1, ...zero, denied: 1, p50Ms: 0, p95Ms: 0, requestBytes: 100, responseBytes: 0 },
      { tenant: 'beta', tool: 'add', calls: 1, ...zero, ok: 1, p50Ms: 7, p95Ms: 7, requestBytes: 100, responseBytes: 10 },
    ]);
    const oneTool = await runMain(['usage', 'summary', '--tool', 'multiply', '--by', 'day', '--format', 'json'], env());
    expect(JSON.parse(oneTool.stdout)).toEqual([{ day: iso(day2).slice(0, 10), calls: 4, ...zero, ok: 3, denied: 1, p50Ms: 5, p95Ms: 100, requestBytes: 400, responseBytes: 80 }]);
  });

  it('summarizes per key and day, within --since and --until, as a table and as CSV', async () => {
    const args = ['usage', 'summary', '--tenant', 'alpha', '--since', iso(day1), '--until', iso(today), '--by', 'key,day'];
    const table = await runMain(args, env());
    const csv = await runMain([...args, '--format', 'csv'], env());
    expect(table.stdout.split('\n')[0]).toMatch(/^keyId\s+day\s+calls\s+ok\s+errors\s+denied\s+rateLimited\s+p50Ms\s+p95Ms\s+requestBytes\s+responseBytes$/);
    expect(csv.stdout.trim().split('\n')).toEqual([
      'keyId,day,calls,ok,errors,denied,rateLimited,p50Ms,p95Ms,requestBytes,responseBytes',
      `${keyId},${iso(day1).slice(0, 10)},20,15,4,0,1,10,19,2000,200`,
      `${keyId},${iso(day2).slice(0, 10)},4,3,0,1,0,5,100,400,80`,
    ]);
  });

  it('exports the raw events of a time range as NDJSON, JSON and CSV, in write order', async () => {
    const range = ['--since', iso(day2), '--until', iso(today)];
    const ndjson = await runMain(['usage', ...range, '--format', 'ndjson'], env());
    const json = await runMain(['usage', ...range, '--format', 'json'], env());
    const csv = await runMain(['usage', ...range, '--format', 'csv'], env());
    const lines = ndjson.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => [e.tenant, e.tool, e.outcome])).toEqual([
      ['alpha', 'multiply', 'ok'],
      ['alpha', 'multiply', 'ok'],
      ['alpha', 'multiply', 'denied'],
      ['alpha', 'multiply', 'ok'],
      ['beta', 'add', 'ok'],
      ['beta', null, 'unauthenticated'],
    ]);
    expect(lines[4]).toEqual({
      id: expect.any(Number), at: iso(day2 + 60_000), tenant: 'beta', keyId: null, subject: null, tool: 'add', outcome: 'ok',
      durationMs: 7, requestBytes: 100, responseBytes: 10, protocolVersion: null, userAgent: 'agent, "quoted"', clientId: null,
    });
    expect(JSON.parse(json.stdout)).toEqual(lines);
    const rows = csv.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('at,tenant,keyId,subject,tool,outcome,durationMs,requestBytes,responseBytes,protocolVersion,userAgent,clientId,upstreamStatus,upstreamMs');
    expect(rows[5]).toBe(`${iso(day2 + 60_000)},beta,,,add,ok,7,100,10,,"agent, ""quoted""",`);
    expect(rows).toHaveLength(7);
  });

  it('streams every page of a large export', async () => {
    const tenant = await createTenant(database.db, { slug: 'bulk', scopes: 'math' });
    const at = today - 5 * DAY;
    const events = Array.from({ length: 12_000 }, (_, i) => event(tenant.id, at + Math.floor(i / 3), { outcome: 'ok', durationMs: i }));
    for (let i = 0; i < events.length; i += 1_000) await writeUsageBatch(database.db, events.slice(i, i + 1_000));
    const run = await runCli(['usage', '--tenant', 'bulk', '--format', 'ndjson'], env());
    const durations = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).durationMs as number);
    // Every event once, in write order, across the 5,000-event pages.
    expect(durations.length).toBe(12_000);
    expect(durations.every((d, i) => d === i)).toBe(true);
  });

  it('prunes events older than a duration and reports how many', async () => {
    const before = await runMain(['usage', '--tenant', 'alpha', '--format', 'json'], env());
    expect(JSON.parse(before.stdout)).toHaveLength(27);
    const pruned = await runMain(['usage', 'prune', '--older-than', '90d'], env());
    expect(pruned.stdout).toMatch(/^Deleted 3 usage events from before \d{4}-\d\d-\d\dT/);
    const after = await runMain(['usage', '--tenant', 'alpha', '--format', 'json'], env());
    expect(JSON.parse(after.stdout)).toHaveLength(24);
  });

  it('rejects bad report options with a clear message', async () => {
    const runs = await sequentially(
      [['usage', 'summary', '--by', 'week'], ['usage', '--format', 'xml'], ['usage', '--since', '2026-02-01', '--until', '2026-01-01'], ['usage', 'prune']].map(
        (args) => () => runMain(args, env()),
      ),
    );
    expect(runs.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [1, 'tenant-mcp: Invalid grouping "week": use a comma list of tenant, key, tool, day'],
      [1, 'tenant-mcp: Unknown format "xml": use table, json, ndjson or csv'],
      [1, 'tenant-mcp: --until must be later than --since'],
      [1, 'tenant-mcp: Missing --older-than'],
    ]);
  });
});

describe('limits from the CLI', () => {
  it('sets, narrows, lists and removes limits', async () => {
    const run = (...args: string[]) => runMain(args, env());
    expect((await run('tenant', 'update', 'beta', '--rate', '5/min', '--quota', '1000/month')).stdout).toBe('Limit for tenant beta: rate 5/minute, quota 1000/month.\n');
    expect((await run('tenant', 'update', 'beta', '--tool', 'add', '--rate', '2/hour')).stdout).toBe('Limit for tenant beta (tool add): rate 2/hour, quota none.\n');
    expect((await run('key', 'update', keyId, '--tool', 'multiply', '--quota', '50/month')).stdout).toBe(
      `Limit for tenant alpha (key ${keyId}, tool multiply): rate none, quota 50/month.\n`,
    );
    expect((await run('tenant', 'limits', 'beta')).stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['key', 'tool', 'rate', 'quota'],
      ['all keys', 'all tools', '5/minute', '1000/month'],
      ['all keys', 'add', '2/hour', '-'],
    ]);
    expect((await run('tenant', 'update', 'beta', '--tool', 'add', '--rate', 'none')).stdout).toBe('Removed the limit for tenant beta (tool add).\n');
    expect(JSON.parse((await run('tenant', 'limits', 'beta', '--json')).stdout)).toEqual([
      { tenant: 'beta', keyId: null, tool: null, rate: '5/minute', quota: '1000/month' },
    ]);
  });

  it('rejects bad limits with a clear message', async () => {
    const runs = await sequentially(
      [
        ['tenant', 'update', 'beta', '--rate', '5/week'],
        ['tenant', 'update', 'beta', '--quota', '10/day'],
        ['tenant', 'update', 'beta', '--tool', 'nope', '--rate', '1/min'],
        ['tenant', 'update', 'beta', '--tool', 'add'],
        ['tenant', 'update', 'beta'],
        ['key', 'update', 'nokey', '--rate', '1/min'],
      ].map((args) => () => runMain(args, env())),
    );
    expect(runs.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [1, 'tenant-mcp: Invalid rate "5/week": use <n>/min, <n>/hour or <n>/day with 1 <= n <= 1000000000, or none'],
      [1, 'tenant-mcp: Invalid quota "10/day": use <n>/month with 1 <= n <= 1000000000, or none'],
      [1, expect.stringMatching(/^tenant-mcp: Unknown tool "nope": known tools are add, multiply/)],
      [1, 'tenant-mcp: --tool needs --rate or --quota'],
      [1, 'tenant-mcp: Nothing to update: give --scopes, --name, --suspend, --resume, --rate or --quota'],
      [1, 'tenant-mcp: No key "nokey"'],
    ]);
  });
});
