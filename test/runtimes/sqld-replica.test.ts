import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { notes, tenants } from '../../src/db/schema.ts';
import { openDatabase } from '../../src/node/database.ts';
import { createKey, listKeys } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { connectClient } from '../helpers/mcp.ts';
import { type Sqld, startSqld } from '../helpers/sqld.ts';
import { type SqldDatabase, sqldDatabase } from '../helpers/sqld-database.ts';
import { nodeTarget, type Target } from '../helpers/targets.ts';

// Scaling reads out: the server talks only to a sqld replica, which serves reads from its own
// copy and forwards writes to the primary.
let primary: SqldDatabase;
let replica: Sqld;
let replicaDb: { db: Database; close(): void };
let server: Target;
let client: Client;
let keyId: string;

beforeAll(async () => {
  primary = await sqldDatabase({ grpc: true });
  replica = await startSqld({ primaryGrpcUrl: primary.sqld.grpcUrl });
  await createTenant(primary.db, { slug: 'acme', scopes: 'math,notes:*' });
  const key = await createKey(primary.db, { tenant: 'acme', scopes: 'math,notes:*' });
  keyId = key.id;
  replicaDb = await openDatabase(replica.url);
  // Replication is asynchronous: wait until the replica holds the key before the server reads it.
  await vi.waitFor(async () => expect((await listKeys(replicaDb.db, 'acme')).items).toHaveLength(1), { timeout: 10_000, interval: 100 });
  server = await nodeTarget({ DATABASE_URL: replica.url });
  client = await connectClient(server.url, { Authorization: `Bearer ${key.key}` });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  replicaDb?.close();
  await replica?.stop();
  await primary?.dispose();
});

describe('Node server on a sqld replica', () => {
  it('authenticates and calls tools with what the replica reads', async () => {
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([{ type: 'text', text: '5' }]);
  });

  it('writes notes through the replica to the primary, and reads them back', async () => {
    await client.callTool({ name: 'note_put', arguments: { key: 'plan', value: 'replicated' } });
    const [tenant] = await primary.db.select().from(tenants).where(eq(tenants.slug, 'acme'));
    const onPrimary = await primary.db.select().from(notes).where(eq(notes.tenantId, tenant!.id));
    expect(onPrimary).toEqual([expect.objectContaining({ key: 'plan', value: 'replicated' })]);
    await expect
      .poll(async () => (await client.callTool({ name: 'note_get', arguments: { key: 'plan' } })).structuredContent, { timeout: 10_000 })
      .toMatchObject({ key: 'plan', value: 'replicated' });
  });

  it('writes usage rows through the replica to the primary', async () => {
    await client.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
    await expect
      .poll(async () => (await listUsage(primary.db, { tenant: 'acme' })).items.filter((r) => r.tool === 'multiply'), { timeout: 10_000, interval: 200 })
      .toEqual([expect.objectContaining({ keyId, outcome: 'ok' })]);
  });
});
