import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageEvents } from '../src/db/schema.ts';
import { createTenant } from '../src/services/tenants.ts';
import { UsageRecorder } from '../src/usage/usage-recorder.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';

let database: TempDatabase;

beforeAll(async () => {
  database = await tempDatabase();
});

afterAll(() => database?.dispose());

describe('the usage recorder', () => {
  it('writes large batches completely, with every field as given', async () => {
    const tenant = await createTenant(database.db, { slug: 'acme', scopes: 'math' });
    const recorder = new UsageRecorder(database.db, { flushIntervalMs: 600_000, batchSize: 2500, maxBuffered: 10_000 });
    const at = new Date('2026-11-22T10:00:00.123Z');
    for (let i = 0; i < 2345; i++) {
      const odd = i % 2 === 1;
      void recorder.record({
        at: new Date(at.getTime() + i),
        tenantId: odd ? tenant.id : null,
        keyId: odd ? 'abcdefghijkl' : null,
        subject: odd ? null : 'user-1',
        tool: odd ? 'add' : null,
        outcome: odd ? 'ok' : 'unauthenticated',
        durationMs: i,
        requestBytes: 100 + i,
        responseBytes: 200 + i,
        protocolVersion: odd ? '2025-11-25' : null,
        userAgent: odd ? null : 'ua/1 "quoted", émoji ✓',
      });
    }
    expect(await recorder.close()).toBe(0);
    const rows = await database.db.select().from(usageEvents).orderBy(usageEvents.id);
    expect(rows).toHaveLength(2345);
    expect(rows[0]).toEqual({
      id: rows[0]!.id,
      at,
      tenantId: null,
      keyId: null,
      subject: 'user-1',
      tool: null,
      outcome: 'unauthenticated',
      durationMs: 0,
      requestBytes: 100,
      responseBytes: 200,
      protocolVersion: null,
      userAgent: 'ua/1 "quoted", émoji ✓',
      clientId: null,
      upstreamStatus: null,
      upstreamMs: null,
    });
    expect(rows[2343]).toMatchObject({ at: new Date(at.getTime() + 2343), tenantId: tenant.id, keyId: 'abcdefghijkl', subject: null, tool: 'add', outcome: 'ok', durationMs: 2343, protocolVersion: '2025-11-25', userAgent: null });
  });
});
