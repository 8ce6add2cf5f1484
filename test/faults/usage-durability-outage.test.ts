import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { usageEvents } from '../../src/db/schema.ts';
import { migrateDatabase, openDatabase } from '../../src/node/database.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { waitFor } from '../helpers/limits.ts';
import { type LossyProxy, startLossyProxy } from '../helpers/lossy-proxy.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { type Sqld, startSqld } from '../helpers/sqld.ts';
import { sseMessages } from '../helpers/sse.ts';

// USAGE_DURABILITY=commit (the default) against a real libSQL server (sqld) that is stopped in the
// middle of a steady load and started again; tenant-mcp itself is never restarted. Each client has
// its own key and pads each call's body to a size unique for that key (1000 + its number): the
// usage row keeps the request's size, which identifies the call without logging its arguments.

const WORKERS = 4;

let sqld: Sqld;
let db: Database;
let closeDb: () => void;
let proxy: LossyProxy;
let server: RunningServer;
let behindProxy: RunningServer;

beforeAll(async () => {
  sqld = await startSqld();
  ({ db, close: closeDb } = await openDatabase(sqld.url));
  await migrateDatabase(db);
  proxy = await startLossyProxy({ host: '127.0.0.1', port: Number(new URL(sqld.url).port) });
  // Keys stay cached through the outage; no limits are set, so only usage needs the database.
  const env = { KEY_CACHE_TTL_SECONDS: '30', USAGE_FLUSH_INTERVAL_MS: '100', NODE_ENV: 'test', TEST_FIXTURES: '1' };
  [server, behindProxy] = await Promise.all([startServer({ ...env, DATABASE_URL: sqld.url }), startServer({ ...env, DATABASE_URL: proxy.url })]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), behindProxy?.stop()]);
  await proxy?.close();
  closeDb?.();
  await sqld?.stop();
});

interface Outcome {
  size: number;
  status: number;
  body: any;
  retryAfter: string | null;
}

interface Client {
  keyId: string;
  key: string;
  outcomes: Outcome[];
}

async function clients(slug: string, n: number): Promise<Client[]> {
  await createTenant(db, { slug, scopes: 'math' });
  return Promise.all(
    Array.from({ length: n }, async () => {
      const created = await createKey(db, { tenant: slug, scopes: 'math' });
      return { keyId: created.id, key: created.key, outcomes: [] };
    }),
  );
}

const sizedCall = (size: number) => {
  const body = rpc('tools/call', { name: 'add', arguments: { a: size, b: 1 } }, size);
  return body + ' '.repeat(size - body.length);
};

async function send(s: RunningServer, client: Client, size: number): Promise<Outcome> {
  const res = await postMcp(s.url, sizedCall(size), { Authorization: `Bearer ${client.key}` });
  const outcome = { size, status: res.status, body: await res.json(), retryAfter: res.headers.get('Retry-After') };
  client.outcomes.push(outcome);
  return outcome;
}

/** Each client calls add, one call at a time, until stopped. */
function startLoad(s: RunningServer, all: Client[]) {
  let running = true;
  const loops = all.map(async (client) => {
    for (let size = 1000; running; size++) {
      await send(s, client, size);
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  return {
    count: (status: number) => all.reduce((n, c) => n + c.outcomes.filter((o) => o.status === status).length, 0),
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function rowsOf(keyId: string): Promise<{ size: number; outcome: string }[]> {
  return db
    .select({ size: usageEvents.requestBytes, outcome: usageEvents.outcome })
    .from(usageEvents)
    .where(sql`${usageEvents.keyId} = ${keyId}`);
}

async function health(s: RunningServer): Promise<{ usage: { buffered: number; dropped: number } }> {
  return (await fetch(new URL('/healthz', s.url))).json() as Promise<{ usage: { buffered: number; dropped: number } }>;
}

const answered = (o: Outcome) => o.status === 200 && o.body?.result?.content?.[0]?.text === String(o.size + 1);
const unavailable = (o: Outcome) =>
  o.status === 503 &&
  o.retryAfter === '5' &&
  JSON.stringify(o.body) ===
    JSON.stringify({ jsonrpc: '2.0', id: o.size, error: { code: -32603, message: 'Service unavailable: the database cannot be reached right now. Retry shortly.' } });

describe('with USAGE_DURABILITY=commit, when the libSQL server goes away mid-load', () => {
  let load: ReturnType<typeof startLoad>;
  let all: Client[];
  let rowsAtStop: Map<string, { size: number; outcome: string }[]>;
  let answeredAfterRecovery = 0;
  let streamKey: string;
  const streamed: { status: number; messages: Record<string, any>[] }[] = [];

  const streamedCall = async (id: number) => {
    const body = rpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: `p${id}` } }, id);
    const res = await postMcp(server.url, body, { Authorization: `Bearer ${streamKey}` });
    const messages = [];
    for await (const m of sseMessages(res)) messages.push(m);
    streamed.push({ status: res.status, messages });
  };

  beforeAll(async () => {
    all = await clients('outage', WORKERS);
    await createTenant(db, { slug: 'streams', scopes: 'test-fixtures' });
    streamKey = (await createKey(db, { tenant: 'streams', scopes: 'test-fixtures' })).key;
    await streamedCall(1); // also caches the key for the outage
    load = startLoad(server, all);
    await waitFor(async () => (load.count(200) >= 40 ? true : undefined));
    await sqld.kill(); // SIGKILL: data and port are kept for restart()
    const before503 = load.count(503);
    try {
      await waitFor(async () => (load.count(503) >= before503 + 20 ? true : undefined));
      await streamedCall(2);
    } finally {
      await sqld.restart();
    }
    const before200 = load.count(200);
    await waitFor(async () => (load.count(200) >= before200 + 40 ? true : undefined));
    answeredAfterRecovery = load.count(200) - before200;
    await load.stop();
    // Read at once: a 200 must not depend on any write still to come.
    rowsAtStop = new Map(await Promise.all(all.map(async (c) => [c.keyId, await rowsOf(c.keyId)] as const)));
  }, 90_000);

  it('answers every call with a recorded 200 or a 503 with Retry-After, nothing else', () => {
    for (const client of all) {
      for (const o of client.outcomes) expect(answered(o) || unavailable(o), JSON.stringify(o)).toBe(true);
    }
    expect(load.count(503)).toBeGreaterThanOrEqual(20);
  });

  it('never answers 200 for a call whose usage row is not committed', () => {
    for (const client of all) {
      const rows = rowsAtStop.get(client.keyId)!;
      const sizes = rows.map((r) => r.size);
      for (const o of client.outcomes.filter(answered)) {
        expect(sizes.filter((s) => s === o.size), `call ${o.size}`).toHaveLength(1);
        expect(rows.find((r) => r.size === o.size)!.outcome).toBe('ok');
      }
    }
  });

  it('ends a streamed call whose row cannot be committed with a JSON-RPC error instead of its result', () => {
    const [before, during] = streamed;
    expect(before!.messages.at(-1)).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'Progress tool completed' }] } });
    expect(during!.status).toBe(200); // the stream had begun before the tool ended
    expect(during!.messages.slice(0, -1).map((m) => m.method)).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress']);
    expect(during!.messages.at(-1)).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32603, message: 'Service unavailable: the database cannot be reached right now. Retry shortly.' },
    });
  });

  it('recovers without a restart when the database returns', () => {
    expect(answeredAfterRecovery).toBeGreaterThanOrEqual(40);
  });

  it('writes the rows of the calls answered 503 later, exactly once, as errors (their tool did run)', async () => {
    await waitFor(async () => ((await health(server)).usage.buffered === 0 ? true : undefined));
    expect((await health(server)).usage.dropped).toBe(0);
    for (const client of all) {
      const rows = await rowsOf(client.keyId);
      // Every call has exactly one row: one per size, and the sizes are exactly the calls made.
      expect(rows.map((r) => r.size).sort((a, b) => a - b)).toEqual(client.outcomes.map((o) => o.size));
      for (const o of client.outcomes.filter(unavailable)) {
        // "ok" only if the commit landed but its answer was lost with the server.
        expect(['error', 'ok']).toContain(rows.find((r) => r.size === o.size)!.outcome);
      }
    }
    const errors = (await Promise.all(all.map((c) => rowsOf(c.keyId)))).flat().filter((r) => r.outcome === 'error').length;
    expect(errors).toBeGreaterThanOrEqual(load.count(503) - WORKERS);
    expect(server.output()).toMatch(/Cannot write usage events, will retry/);
  });
});

describe('with USAGE_DURABILITY=commit, when a commit lands but its answer is lost', () => {
  it('answers 503, and writes each call exactly once (the retry finds the group already committed)', async () => {
    const [client] = await clients('lost-answers', 1);
    expect(answered(await send(behindProxy, client!, 1000))).toBe(true);
    proxy.loseAnswers = true;
    try {
      const lost = await Promise.all(Array.from({ length: 20 }, (_, i) => send(behindProxy, client!, 1001 + i)));
      expect(lost.every(unavailable)).toBe(true);
      // The group reached the database; the server could not learn that it did.
      await waitFor(async () => ((await rowsOf(client!.keyId)).length > 1 ? true : undefined));
      await waitFor(async () => (/Cannot write usage events, will retry/.test(behindProxy.output()) ? true : undefined));
    } finally {
      proxy.loseAnswers = false;
    }
    await waitFor(async () => ((await health(behindProxy)).usage.buffered === 0 ? true : undefined));
    const rows = await rowsOf(client!.keyId);
    expect(rows.map((r) => r.size).sort((a, b) => a - b)).toEqual(client!.outcomes.map((o) => o.size));
  }, 60_000);
});
