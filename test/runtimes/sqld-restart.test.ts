import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/node/database.ts';
import { createTenant, listTenants } from '../../src/services/tenants.ts';
import { type SqldDatabase, sqldDatabase } from '../helpers/sqld-database.ts';

// The sqld helper can take the database away and bring it back, as outage tests need.
let database: SqldDatabase;

afterAll(async () => {
  await database?.dispose();
});

describe('sqld test helper', () => {
  it('kills sqld and restarts it on the same data and port', async () => {
    database = await sqldDatabase();
    const { sqld } = database;
    await createTenant(database.db, { slug: 'acme', scopes: 'math' });
    const before = sqld.pid;
    await sqld.kill();
    await expect(fetch(`${sqld.url}/health`)).rejects.toThrow();
    await sqld.restart();
    expect(sqld.pid).not.toBe(before);
    const again = await openDatabase(sqld.url);
    try {
      expect((await listTenants(again.db)).items.map((t) => t.slug)).toEqual(['acme']);
    } finally {
      again.close();
    }
  });
});
