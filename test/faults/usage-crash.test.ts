import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageEvents } from '../../src/db/schema.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { rollupMismatches } from '../helpers/usage.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// The real server on the embedded database is killed with SIGKILL under load from concurrent
// clients, started again on the same file, and the usage log is compared with what the clients saw.
//
// Each client has its own key and makes one call at a time. A call is identified without logging
// its arguments: its body is padded with spaces to a size unique for its key (1000 + its number),
// and the usage row keeps the request's size.

const WORKERS = 8;
const FLUSH_INTERVAL_MS = 1000;
const BATCH_SIZE = 500;
// A buffered write starts at most USAGE_FLUSH_INTERVAL_MS after the first event it holds; allow for
// the write itself and for timers firing late on a busy machine.
const TIMER_SLACK_MS = 1000;

let database: TempDatabase;
const servers: RunningServer[] = [];

beforeAll(async () => {
  database = await tempDatabase();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  database?.dispose();
});

interface Answered {
  size: number;
  /** Date.now() when the client had the whole 200 answer. */
  at: number;
}

interface Client {
  keyId: string;
  answered: Answered[];
  /** The call whose answer had not arrived when the server died, if any. */
  unanswered?: number;
}

async function clientsFor(slug: string): Promise<{ clients: Client[]; keys: string[] }> {
  await createTenant(database.db, { slug, scopes: 'math' });
  const created = await Promise.all(Array.from({ length: WORKERS }, () => createKey(database.db, { tenant: slug, scopes: 'math' })));
  return { clients: created.map((k) => ({ keyId: k.id, answered: [] })), keys: created.map((k) => k.key) };
}

const sizedCall = (size: number) => {
  const body = rpc('tools/call', { name: 'add', arguments: { a: size, b: 1 } }, size);
  return body + ' '.repeat(size - body.length);
};

/** Runs the clients against `server` until it dies; returns when the server was killed (Date.now()). */
async function loadUntilKilled(server: RunningServer, clients: Client[], keys: string[]): Promise<number> {
  let killedAt = 0;
  const loops = clients.map(async (client, i) => {
    for (let size = 1000; ; size++) {
      try {
        const res = await postMcp(server.url, sizedCall(size), { Authorization: `Bearer ${keys[i]}` });
        const body = await res.json();
        expect(res.status).toBe(200);
        expect(body).toMatchObject({ result: { content: [{ text: String(size + 1) }] } });
        client.answered.push({ size, at: Date.now() });
      } catch (error) {
        if (!killedAt) throw error;
        client.unanswered = size;
        return;
      }
    }
  });
  const total = () => clients.reduce((n, c) => n + c.answered.length, 0);
  // Mid-load: well past the first batches, at no particular point of a write.
  while (total() < 1500) await new Promise((r) => setTimeout(r, 10));
  killedAt = Date.now();
  await server.stop('SIGKILL');
  await Promise.all(loops);
  return killedAt;
}

/** The request sizes of each key's usage rows. */
async function rowSizes(keyId: string): Promise<number[]> {
  const rows = await database.db
    .select({ size: usageEvents.requestBytes })
    .from(usageEvents)
    .where(sql`${usageEvents.keyId} = ${keyId}`);
  return rows.map((r) => r.size).sort((a, b) => a - b);
}

async function restartAndCheck(env: Record<string, string>, key: string): Promise<void> {
  const restarted = await startServer(env);
  servers.push(restarted);
  const res = await postMcp(restarted.url, rpc('tools/call', { name: 'add', arguments: { a: 1, b: 1 } }), { Authorization: `Bearer ${key}` });
  expect(res.status).toBe(200);
  await restarted.stop('SIGTERM');
}

describe('a server killed with SIGKILL under load', () => {
  it('with USAGE_DURABILITY=commit, has exactly one usage row for every call it answered', async () => {
    const env = { DATABASE_URL: database.url, USAGE_DURABILITY: 'commit', USAGE_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS) };
    const { clients, keys } = await clientsFor('commit');
    const server = await startServer(env);
    servers.push(server);
    await loadUntilKilled(server, clients, keys);
    await restartAndCheck(env, keys[0]!);

    for (const client of clients) {
      const rows = await rowSizes(client.keyId);
      // Rows of calls answered before the kill (the restart's own call has a different size).
      const before = rows.filter((size) => size >= 1000);
      expect(new Set(before).size, 'no call has two rows').toBe(before.length);
      const answered = client.answered.map((a) => a.size);
      // Every answered call, and at most the one call whose answer was cut off by the kill.
      const expected = before.length > answered.length ? [...answered, client.unanswered] : answered;
      expect(before).toEqual(expected);
    }
    // The rollups were written in the batches' transactions: a kill never splits them from the rows.
    expect(await rollupMismatches(database.db)).toEqual([]);
  }, 120_000);

  it('with USAGE_DURABILITY=buffered, loses only calls answered within the last USAGE_FLUSH_INTERVAL_MS, at most one batch', async () => {
    const env = {
      DATABASE_URL: database.url,
      USAGE_DURABILITY: 'buffered',
      USAGE_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
      USAGE_BATCH_SIZE: String(BATCH_SIZE),
    };
    const { clients, keys } = await clientsFor('buffered');
    const server = await startServer(env);
    servers.push(server);
    const killedAt = await loadUntilKilled(server, clients, keys);
    await restartAndCheck(env, keys[0]!);

    const lost: Answered[] = [];
    for (const client of clients) {
      const rows = await rowSizes(client.keyId);
      const before = rows.filter((size) => size >= 1000);
      expect(new Set(before).size, 'no call has two rows').toBe(before.length);
      const written = new Set(before);
      lost.push(...client.answered.filter((a) => !written.has(a.size)));
      // Nothing is written that was not answered, but the call cut off by the kill.
      for (const size of before) expect(client.answered.some((a) => a.size === size) || size === client.unanswered).toBe(true);
    }
    // One batch, plus the calls answered in the same instant as the one that filled it.
    expect(lost.length).toBeLessThanOrEqual(BATCH_SIZE + WORKERS);
    for (const call of lost) expect(killedAt - call.at).toBeLessThan(FLUSH_INTERVAL_MS + TIMER_SLACK_MS);
    expect(await rollupMismatches(database.db)).toEqual([]);
  }, 120_000);
});
