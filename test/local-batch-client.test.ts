import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenants, usageEvents } from '../src/db/schema.ts';
import { type OpenDatabase, openDatabase } from '../src/node/database.ts';
import { UsageRecorder } from '../src/usage/usage-recorder.ts';
import { usageBatchStatements } from '../src/usage/write-usage-batch.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { addCallEvent } from './helpers/usage.ts';

let database: TempDatabase;
let opened: OpenDatabase;

beforeAll(async () => {
  database = await tempDatabase();
  await database.db.insert(tenants).values({ id: 't1', slug: 'acme', name: 'acme', scopes: ['math'] });
  opened = await openDatabase(database.url);
});

afterAll(() => {
  opened?.close();
  database?.dispose();
});

const event = (requestBytes: number) => addCallEvent('t1', requestBytes);

const rowsWith = async (from: number, to: number) =>
  (await database.db.select({ n: sql<number>`count(*)` }).from(usageEvents).where(sql`${usageEvents.requestBytes} between ${from} and ${to}`))[0]!.n;

describe('the local writer of usage batches (Node, a database file)', () => {
  it('is offered for a file, and not for a database in memory or on a server', async () => {
    expect(opened.usageWriter).toBeDefined();
    const memory = await openDatabase('file::memory:');
    expect(memory.usageWriter).toBeUndefined();
    memory.close();
  });

  it('writes a batch in one transaction, on its own connection, seen by the server connection at once', async () => {
    const results = await opened.usageWriter!.batch(usageBatchStatements([event(101), event(102), event(103)]), 'write');
    expect(results[0]).toEqual({ rowsAffected: 3 });
    expect(Number(await rowsWith(101, 103))).toBe(3);
  });

  it('keeps nothing of a failed batch, and writes the next one', async () => {
    const statements = [...usageBatchStatements([event(201)]), { sql: 'insert into "no_such_table" values (1)', args: [] }];
    await expect(opened.usageWriter!.batch(statements, 'write')).rejects.toThrow(/no_such_table/);
    expect(Number(await rowsWith(201, 201))).toBe(0);
    await opened.usageWriter!.batch(usageBatchStatements([event(202)]), 'write');
    expect(Number(await rowsWith(202, 202))).toBe(1);
  });

  it('serves many distinct statements, past the ones it keeps prepared', async () => {
    // Group sizes 1..100 make 100 distinct multi-row INSERTs; 64 are kept.
    for (let size = 1; size <= 100; size++) {
      await opened.usageWriter!.batch(usageBatchStatements(Array.from({ length: size }, () => event(1000 + size))), 'write');
    }
    expect(Number(await rowsWith(1001, 1100))).toBe((100 * 101) / 2);
  });

  it('backs group commits in the recorder, exactly once each', async () => {
    const recorder = new UsageRecorder(database.db, { durability: 'commit', commitWindowMs: 1, flushIntervalMs: 600_000, batchSize: 50, maxBuffered: 1000, localFile: true, client: opened.usageWriter });
    const committed = await Promise.all(Array.from({ length: 120 }, (_, i) => recorder.commit(event(3000 + i))));
    expect(committed.every(Boolean)).toBe(true);
    expect(Number(await rowsWith(3000, 3119))).toBe(120);
    expect(await recorder.close()).toBe(0);
  });
});
