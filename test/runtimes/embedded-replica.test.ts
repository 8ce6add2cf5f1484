import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/node/database.ts';
import { createKey, revokeKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { connectClient, postMcp, rpc } from '../helpers/mcp.ts';
import { type Sqld, startSqld } from '../helpers/sqld.ts';
import { nodeTarget, type Target } from '../helpers/targets.ts';

// DATABASE_SYNC_URL: the Node server keeps a local file as an embedded replica of sqld. It
// migrates the primary through it at start, reads locally, and its writes land on the primary.
let dir: string;
let primary: Sqld;
let primaryDb: { db: Database; close(): void };
let server: Target;
let client: Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-embedded-'));
  primary = await startSqld(); // not migrated: the server does it through its replica
  server = await nodeTarget({
    DATABASE_URL: `file:${join(dir, 'replica.db')}`,
    DATABASE_SYNC_URL: primary.url,
    DATABASE_SYNC_INTERVAL_SECONDS: '1',
    KEY_CACHE_TTL_SECONDS: '1',
  });
  primaryDb = await openDatabase(primary.url);
  await createTenant(primaryDb.db, { slug: 'acme', scopes: 'math,notes:*' });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  primaryDb?.close();
  await primary?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Node server with an embedded replica (DATABASE_SYNC_URL)', () => {
  it('sees a key made on the primary, and refuses it once revoked there', async () => {
    const key = await createKey(primaryDb.db, { tenant: 'acme', scopes: 'math,notes:*' });
    const status = async () => (await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${key.key}` })).status;
    await expect.poll(status, { timeout: 10_000, interval: 250 }).toBe(200); // after the next sync
    client = await connectClient(server.url, { Authorization: `Bearer ${key.key}` });
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([{ type: 'text', text: '5' }]);
    await revokeKey(primaryDb.db, key.id);
    await expect.poll(status, { timeout: 10_000, interval: 250 }).toBe(401); // sync interval + key cache TTL
  });

  it('refuses DATABASE_SYNC_URL unless DATABASE_URL is a file for the replica', async () => {
    await expect(openDatabase(primary.url, undefined, { syncUrl: primary.url })).rejects.toThrow(
      /^Cannot open database http:\/\/127\.0\.0\.1:\d+: DATABASE_SYNC_URL needs DATABASE_URL to be the file: path of the local replica$/,
    );
  });

  it('writes notes and usage to the primary, and reads its own writes at once', async () => {
    const key = await createKey(primaryDb.db, { tenant: 'acme', scopes: 'notes:*' });
    const status = async () => (await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${key.key}` })).status;
    await expect.poll(status, { timeout: 10_000, interval: 250 }).toBe(200);
    const notesClient = await connectClient(server.url, { Authorization: `Bearer ${key.key}` });
    try {
      await notesClient.callTool({ name: 'note_put', arguments: { key: 'plan', value: 'on the primary' } });
      expect((await notesClient.callTool({ name: 'note_get', arguments: { key: 'plan' } })).structuredContent).toMatchObject({ value: 'on the primary' });
      const onPrimary = await primaryDb.db.query.notes.findFirst();
      expect(onPrimary).toMatchObject({ key: 'plan', value: 'on the primary' });
      await expect
        .poll(async () => (await listUsage(primaryDb.db, { tenant: 'acme' })).items.filter((r) => r.keyId === key.id).map((r) => r.tool), { timeout: 10_000, interval: 200 })
        .toEqual(['note_put', 'note_get']);
    } finally {
      await notesClient.close();
    }
  });
});
