import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { tenants, usageBatches, usageEvents } from '../src/db/schema.ts';
import { migrateDatabase, type OpenDatabase, openDatabase } from '../src/node/database.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { UsageRecorder } from '../src/usage/usage-recorder.ts';
import { batchClientOf, type UsageStatement } from '../src/usage/write-usage-batch.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { modernRequest, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';
import { type Sqld, startSqld } from './helpers/sqld.ts';
import { sseMessages } from './helpers/sse.ts';
import { addCallEvent } from './helpers/usage.ts';

let database: TempDatabase;
let tenantId: string;

beforeAll(async () => {
  database = await tempDatabase();
  tenantId = (await createTenant(database.db, { slug: 'acme', scopes: 'math,test-fixtures' })).id;
});

afterAll(() => database?.dispose());

const event = (requestBytes: number) => addCallEvent(tenantId, requestBytes);

async function rowsWith(db: Database, requestBytes: number[]) {
  const rows = await db.select().from(usageEvents).where(sql`${usageEvents.requestBytes} in ${requestBytes}`);
  return rows.sort((a, b) => a.requestBytes - b.requestBytes);
}

const options = { durability: 'commit' as const, flushIntervalMs: 600_000, batchSize: 500, maxBuffered: 1000 };

describe('group commit in the usage recorder', () => {
  it('commits events arriving within the window in one transaction, and resolves every caller once it is written', async () => {
    const recorder = new UsageRecorder(database.db, { ...options, commitWindowMs: 50 });
    const sizes = [1001, 1002, 1003, 1004, 1005];
    const committed = await Promise.all(sizes.map((n) => recorder.commit(event(n))));
    expect(committed).toEqual([true, true, true, true, true]);
    const rows = await rowsWith(database.db, sizes);
    expect(rows.map((r) => r.requestBytes)).toEqual(sizes);
    // One transaction, one batch id.
    const [batches] = await database.db.select({ n: sql<number>`count(distinct ${usageBatches.id})` }).from(usageBatches);
    expect(Number(batches!.n)).toBe(1);
    expect(await recorder.close()).toBe(0);
  });

  it('starts a full group at once rather than waiting for its window', async () => {
    const recorder = new UsageRecorder(database.db, { ...options, batchSize: 3, commitWindowMs: 600_000 });
    const committed = await Promise.all([2001, 2002, 2003].map((n) => recorder.commit(event(n))));
    expect(committed).toEqual([true, true, true]);
    expect(await recorder.close()).toBe(0);
  });

  it('commits a group as soon as every request under way has joined it, without waiting out the window', async () => {
    const recorder = new UsageRecorder(database.db, { ...options, commitWindowMs: 600_000 });
    const releaseA = recorder.hold();
    const releaseB = recorder.hold();
    const first = recorder.commit(event(7001));
    await new Promise((r) => setTimeout(r, 50));
    expect(recorder.buffered).toBe(1); // the second request may still join: the group waits
    const second = recorder.commit(event(7002));
    expect(await Promise.all([first, second])).toEqual([true, true]);
    releaseA();
    releaseB();
    // A request that ends without a row lets the others' group go.
    const releaseC = recorder.hold();
    const releaseD = recorder.hold();
    const third = recorder.commit(event(7003));
    await new Promise((r) => setTimeout(r, 50));
    expect(recorder.buffered).toBe(1);
    releaseD();
    expect(await third).toBe(true);
    releaseC();
    expect((await rowsWith(database.db, [7001, 7002, 7003])).map((r) => r.requestBytes)).toEqual([7001, 7002, 7003]);
    expect(await recorder.close()).toBe(0);
  });

  it('lets a group that grew in a turn of the event loop wait one more, for requests that arrived meanwhile', async () => {
    const writes: number[] = [];
    const writer = batchClientOf(database.db);
    const client = { batch: (statements: UsageStatement[], mode: 'write') => (writes.push(statements.length), writer.batch(statements, mode)) };
    const recorder = new UsageRecorder(database.db, { ...options, commitWindowMs: 600_000, client });
    // Each request is released once answered, as the /mcp handler does.
    const releaseA = recorder.hold();
    const first = recorder.commit(event(7101)).then((ok) => (releaseA(), ok));
    // Arrives after the turn in which the first joined (a connection read in the next poll).
    const second = new Promise<boolean>((resolve) =>
      setImmediate(() => {
        const releaseB = recorder.hold();
        void recorder.commit(event(7102)).then((ok) => (releaseB(), resolve(ok)));
      }),
    );
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(writes).toHaveLength(1); // one transaction for both
    expect((await rowsWith(database.db, [7101, 7102])).map((r) => r.requestBytes)).toEqual([7101, 7102]);
    // Alone, a request's group still commits without waiting out the window.
    const releaseC = recorder.hold();
    expect(await recorder.commit(event(7103))).toBe(true);
    releaseC();
    expect(writes).toHaveLength(2);
    expect(await recorder.close()).toBe(0);
  });

  it('commits a group still waiting for its window on close, for a graceful stop', async () => {
    const recorder = new UsageRecorder(database.db, { ...options, commitWindowMs: 600_000 });
    const waiting = [2501, 2502].map((n) => recorder.commit(event(n)));
    expect(recorder.buffered).toBe(2);
    expect(await recorder.close()).toBe(0);
    expect(await Promise.all(waiting)).toEqual([true, true]);
    expect((await rowsWith(database.db, [2501, 2502])).map((r) => r.requestBytes)).toEqual([2501, 2502]);
  });

  it('on a local file, writes no batch marker, and writes a failed group once, as errors, on the next flush', async () => {
    const markers = async () => Number((await database.db.select({ n: sql<number>`count(*)` }).from(usageBatches))[0]!.n);
    const before = await markers();
    const recorder = new UsageRecorder(database.db, { ...options, commitWindowMs: 0, localFile: true, onError: () => {} });
    expect(await recorder.commit(event(6001))).toBe(true);
    // A local transaction that fails has rolled back: retried without asking whether it committed.
    await database.db.run(sql.raw(`create trigger "refuse_for_test" before insert on "usage_events" when new."request_bytes" in (6002, 6003) begin select raise(abort, 'refused for the test'); end`));
    try {
      expect(await Promise.all([recorder.commit(event(6002)), recorder.commit(event(6003))])).toEqual([false, false]);
    } finally {
      await database.db.run(sql.raw('drop trigger "refuse_for_test"'));
    }
    await recorder.flush();
    const rows = await rowsWith(database.db, [6001, 6002, 6003]);
    expect(rows.map((r) => [r.requestBytes, r.outcome])).toEqual([
      [6001, 'ok'],
      [6002, 'error'],
      [6003, 'error'],
    ]);
    expect(await markers()).toBe(before);
    expect(await recorder.close()).toBe(0);
  });

  describe('when the database cannot be reached', () => {
    let sqld: Sqld;
    let remote: OpenDatabase;

    beforeAll(async () => {
      sqld = await startSqld();
      remote = await openDatabase(sqld.url);
      await migrateDatabase(remote.db);
      await remote.db.insert(tenants).values({ id: tenantId, slug: 'acme', name: 'acme', scopes: ['math'] });
    });

    afterAll(async () => {
      remote?.close();
      await sqld?.stop();
    });

    it('resolves false when the commit fails, then writes the events once, as errors, when the database returns', async () => {
      const errors: unknown[] = [];
      const recorder = new UsageRecorder(remote.db, { ...options, commitWindowMs: 0, onError: (e) => errors.push(e) });
      await sqld.kill();
      try {
        expect(await Promise.all([recorder.commit(event(3001)), recorder.commit(event(3002))])).toEqual([false, false]);
        expect(errors.length).toBe(1);
        expect(recorder.buffered).toBe(2);
      } finally {
        await sqld.restart();
      }
      expect(await rowsWith(remote.db, [3001, 3002])).toEqual([]);
      await recorder.flush();
      const rows = await rowsWith(remote.db, [3001, 3002]);
      expect(rows.map((r) => [r.requestBytes, r.outcome])).toEqual([
        [3001, 'error'],
        [3002, 'error'],
      ]);
      expect(await recorder.close()).toBe(0);
    });

    it('counts a failed group as dropped when keeping it would pass USAGE_BUFFER_MAX', async () => {
      const recorder = new UsageRecorder(remote.db, { ...options, maxBuffered: 2, commitWindowMs: 0, onError: () => {} });
      await sqld.kill();
      try {
        expect(await Promise.all([4001, 4002, 4003].map((n) => recorder.commit(event(n))))).toEqual([false, false, false]);
        expect(recorder.dropped).toBe(3);
        expect(recorder.buffered).toBe(0);
      } finally {
        await sqld.restart();
      }
      expect(await recorder.close()).toBe(0);
      expect(await rowsWith(remote.db, [4001, 4002, 4003])).toEqual([]);
    });
  });
});

describe('USAGE_DURABILITY through the server (Node, file database)', () => {
  // A flush interval of ten minutes: a row present right after its answer was not written by the timer.
  const env = () => ({ DATABASE_URL: database.url, NODE_ENV: 'test', TEST_FIXTURES: '1', USAGE_FLUSH_INTERVAL_MS: '600000' });
  let commit: RunningServer;
  let buffered: RunningServer;
  let auth: Record<string, string>;
  let keyId: string;

  beforeAll(async () => {
    const key = await createKey(database.db, { tenant: 'acme', scopes: 'math,test-fixtures' });
    auth = { Authorization: `Bearer ${key.key}` };
    keyId = key.id;
    [commit, buffered] = await Promise.all([startServer(env()), startServer({ ...env(), USAGE_DURABILITY: 'buffered' })]);
  });

  afterAll(async () => {
    await Promise.all([commit?.stop(), buffered?.stop()]);
  });

  // The request's size identifies the call: the body is padded with spaces to `bytes`.
  const padded = (body: string, bytes: number) => body + ' '.repeat(bytes - body.length);
  const addCall = (bytes: number) => padded(rpc('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }, bytes), bytes);

  it('with commit (the default), has the row of a call committed when its answer arrives', async () => {
    const res = await postMcp(commit.url, addCall(5001), auth);
    expect(res.status).toBe(200);
    const body = await res.text();
    const [row] = await rowsWith(database.db, [5001]);
    expect(row).toMatchObject({ tool: 'add', outcome: 'ok', keyId, requestBytes: 5001, responseBytes: Buffer.byteLength(body) });
  });

  it('with buffered, answers before the row is written', async () => {
    const res = await postMcp(buffered.url, addCall(5002), auth);
    expect(res.status).toBe(200);
    await res.text();
    expect(await rowsWith(database.db, [5002])).toEqual([]);
  });

  it('with commit, writes a streamed call row before its final event, with the bytes of the whole stream', async () => {
    const call = rpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } }, 7);
    const res = await postMcp(commit.url, padded(call, 5003), auth);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
    const [streamA, streamB] = res.body!.tee();
    const size = new Response(streamB).arrayBuffer();
    let rowsAtResult: unknown[] | undefined;
    for await (const message of sseMessages(new Response(streamA))) {
      if ('result' in message) rowsAtResult = await rowsWith(database.db, [5003]);
    }
    expect(rowsAtResult).toEqual([expect.objectContaining({ tool: 'test_tool_with_progress', outcome: 'ok', responseBytes: (await size).byteLength })]);
  });

  it('logs a streamed call once when its client leaves while its row is being committed', async () => {
    // A long commit window holds the final event back; buffered writes would land within 50 ms.
    const slow = await startServer({ ...env(), USAGE_COMMIT_WINDOW_MS: '800', USAGE_FLUSH_INTERVAL_MS: '50' });
    try {
      const controller = new AbortController();
      const call = rpc('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } }, 8);
      const res = await postMcp(slow.url, padded(call, 5005), auth, controller.signal);
      const progress = [];
      for await (const message of sseMessages(res)) {
        progress.push(message);
        if (progress.length === 3) break; // every progress notification; the result waits for the commit
      }
      controller.abort();
      await new Promise((r) => setTimeout(r, 1500));
      expect((await rowsWith(database.db, [5005])).map((r) => r.tool)).toEqual(['test_tool_with_progress']);
    } finally {
      await slow.stop();
    }
  });

  it('with commit, has the row of a 2026-07-28 call committed when its answer arrives', async () => {
    const modern = modernRequest('tools/call', { name: 'add', arguments: { a: 2, b: 3 } });
    const res = await postMcp(commit.url, padded(modern.body, 5006), { ...auth, ...modern.headers });
    expect(res.status).toBe(200);
    const body = await res.text();
    const [row] = await rowsWith(database.db, [5006]);
    expect(row).toMatchObject({ tool: 'add', outcome: 'ok', protocolVersion: '2026-07-28', requestBytes: 5006, responseBytes: Buffer.byteLength(body) });
  });

  it('with commit, writes a streamed 2026-07-28 call row before its final event', async () => {
    const modern = modernRequest('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } });
    const res = await postMcp(commit.url, padded(modern.body, 5007), { ...auth, ...modern.headers });
    expect(res.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
    let rowsAtResult: unknown[] | undefined;
    for await (const message of sseMessages(res)) {
      if ('result' in message) rowsAtResult = await rowsWith(database.db, [5007]);
    }
    expect(rowsAtResult).toEqual([expect.objectContaining({ tool: 'test_tool_with_progress', outcome: 'ok', protocolVersion: '2026-07-28' })]);
  });

  it('keeps refused calls buffered: an unknown tool is answered before its row is written', async () => {
    const res = await postMcp(commit.url, padded(rpc('tools/call', { name: 'no_such_tool', arguments: {} }), 5004), auth);
    expect(await res.json()).toMatchObject({ error: { code: -32602 } });
    expect(await rowsWith(database.db, [5004])).toEqual([]);
  });
});
