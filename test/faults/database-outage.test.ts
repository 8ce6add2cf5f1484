import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrateDatabase, openDatabase } from '../../src/node/database.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { modernRequest, postMcp, rpc } from '../helpers/mcp.ts';
import { type Sqld, startSqld } from '../helpers/sqld.ts';
import { expectNoSecretsIn } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { waitForUsage } from '../helpers/usage.ts';

// The server runs against a real libSQL server (sqld), which is stopped in the middle of a
// steady load and started again. Nothing here restarts tenant-mcp.

let sqld: Sqld;
let db: Database;
let closeDb: () => void;
let server: RunningServer;
let cachedKey: string;
let freshKey: string;

const NOTE_VALUE = 'outage-note-value-must-not-be-logged';

beforeAll(async () => {
  sqld = await startSqld();
  ({ db, close: closeDb } = await openDatabase(sqld.url));
  await migrateDatabase(db);
  await createTenant(db, { slug: 'acme', scopes: 'math,notes:*' });
  cachedKey = (await createKey(db, { tenant: 'acme', scopes: 'math,notes:*' })).key;
  freshKey = (await createKey(db, { tenant: 'acme', scopes: 'math' })).key; // first used during the outage
  // Buffered usage: calls that need no database keep being answered (test/faults/usage-durability-outage.test.ts covers commit).
  server = await startServer({ DATABASE_URL: sqld.url, KEY_CACHE_TTL_SECONDS: '30', USAGE_FLUSH_INTERVAL_MS: '100', USAGE_DURABILITY: 'buffered' });
});

afterAll(async () => {
  await server?.stop();
  closeDb?.();
  await sqld?.stop();
});

type Kind = 'note_put' | 'add';
interface Outcome {
  kind: Kind;
  status: number;
  body: any;
  retryAfter: string | null;
}

const call = (kind: Kind, id: number) =>
  rpc('tools/call', kind === 'add' ? { name: 'add', arguments: { a: 2, b: 3 } } : { name: 'note_put', arguments: { key: `k${id % 10}`, value: NOTE_VALUE } }, id);

async function send(kind: Kind, id: number, key = cachedKey): Promise<Outcome> {
  try {
    const res = await postMcp(server.url, call(kind, id), { Authorization: `Bearer ${key}` });
    return { kind, status: res.status, body: await res.json(), retryAfter: res.headers.get('Retry-After') };
  } catch (error) {
    return { kind, status: 0, body: String(error), retryAfter: null }; // the server did not answer at all
  }
}

/** A note_put in the 2026-07-28 era. */
async function sendModern(id: number): Promise<Outcome> {
  const { body, headers } = modernRequest('tools/call', { name: 'note_put', arguments: { key: 'modern', value: NOTE_VALUE } }, { id });
  const res = await postMcp(server.url, body, { Authorization: `Bearer ${cachedKey}`, ...headers });
  return { kind: 'note_put', status: res.status, body: await res.json(), retryAfter: res.headers.get('Retry-After') };
}

/** Calls note_put and add in a loop from a few concurrent clients until stopped. */
function startLoad(workers = 4) {
  const outcomes: Outcome[] = [];
  let running = true;
  let id = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const n = ++id;
      outcomes.push(await send(n % 2 === 0 ? 'note_put' : 'add', n));
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const isUnavailable = (o: Outcome) => o.status === 503;
const succeeded = (o: Outcome) => o.status === 200 && o.body?.result && !o.body.result.isError;

describe('when the libSQL server goes away mid-load', () => {
  let load: ReturnType<typeof startLoad>;
  let duringOutage: Record<string, Outcome | Response> = {};
  let afterRecovery: Outcome;

  beforeAll(async () => {
    load = startLoad();
    await until('the load is running', () => load.outcomes.filter(succeeded).length >= 20);
    await sqld.kill('SIGTERM'); // the outage: data and port are kept for restart()
    const stoppedAt = load.outcomes.length;
    await until('the outage shows', () => load.outcomes.slice(stoppedAt).filter(isUnavailable).length >= 5);
    duringOutage = {
      cachedDbTool: await send('note_put', 10_001),
      modernDbTool: await sendModern(10_005),
      cachedPureTool: await send('add', 10_002),
      uncachedKey: await send('add', 10_003, freshKey),
      health: await fetch(new URL('/healthz', server.url)),
    };
    await sqld.restart();
    const restartedAt = load.outcomes.length;
    await until('note_put succeeds again', () => load.outcomes.slice(restartedAt).filter((o) => o.kind === 'note_put' && succeeded(o)).length >= 5);
    afterRecovery = await send('add', 10_004, freshKey);
    await load.stop();
  }, 60_000);

  it('answers a database-backed tool call with 503, a JSON-RPC error and Retry-After', () => {
    const o = duringOutage.cachedDbTool as Outcome;
    expect(o.status).toBe(503);
    expect(o.retryAfter).toBe('5');
    expect(o.body).toEqual({ jsonrpc: '2.0', id: 10_001, error: { code: -32603, message: 'Service unavailable: the database cannot be reached right now. Retry shortly.' } });
  });

  it('answers a database-backed 2026-07-28 call the same way', () => {
    const o = duringOutage.modernDbTool as Outcome;
    expect(o.status).toBe(503);
    expect(o.retryAfter).toBe('5');
    expect(o.body).toMatchObject({ id: 10_005, error: { code: -32603 } });
  });

  it('answers a key that must be looked up with 503 and Retry-After', () => {
    const o = duringOutage.uncachedKey as Outcome;
    expect(o.status).toBe(503);
    expect(o.retryAfter).toBe('5');
    expect(o.body).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/retry/i) });
  });

  it('keeps serving tools that do not need the database to callers whose key is cached', () => {
    expect((duringOutage.cachedPureTool as Outcome).body).toMatchObject({ result: { content: [{ text: '5' }] } });
  });

  it('stays up: health checks pass and every request got 200 or 503, never a 5xx of another kind or no answer', () => {
    expect((duringOutage.health as Response).status).toBe(200);
    const statuses = new Set(load.outcomes.map((o) => o.status));
    expect([...statuses].sort()).toEqual([200, 503]);
    for (const o of load.outcomes) {
      if (o.status === 200) expect(succeeded(o), JSON.stringify(o.body)).toBe(true); // no tool-error in disguise
      else expect(o.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32603 } });
    }
    expect(load.outcomes.filter((o) => o.kind === 'add').every((o) => o.status === 200)).toBe(true);
  });

  it('recovers without a restart when the database returns', () => {
    expect(afterRecovery.status).toBe(200);
    expect(afterRecovery.body).toMatchObject({ result: { content: [{ text: '5' }] } });
  });

  it('writes the usage events buffered during the outage once the database is back', async () => {
    const answered = [...load.outcomes, duringOutage.cachedDbTool as Outcome, duringOutage.cachedPureTool as Outcome, afterRecovery];
    const adds = answered.filter((o) => o.kind === 'add' && succeeded(o)).length;
    const refused = answered.filter((o) => o.kind === 'note_put' && o.status === 503).length;
    const rows = await waitForUsage(db, (rows) => rows.filter((r) => r.tool === 'add' && r.outcome === 'ok').length >= adds);
    expect(rows.filter((r) => r.tool === 'note_put' && r.outcome === 'error').length).toBeGreaterThanOrEqual(refused);
  });

  it('logged the failures without note contents or secrets', () => {
    const output = server.output();
    expect(output).toMatch(/Tool note_put failed: Database query failed <- TypeError: fetch failed/);
    expect(output).toMatch(/Cannot verify a credential: Database query failed/);
    expect(output).not.toContain(NOTE_VALUE);
    expectNoSecretsIn(output, [cachedKey, freshKey]);
  });
});
