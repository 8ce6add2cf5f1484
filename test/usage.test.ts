import { parseApiKey } from '../src/auth/api-key.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreatedKey, createKey, listKeys } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { listUsage } from '../src/services/usage.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient, postMcp, rpc } from './helpers/mcp.ts';
import { startServer } from './helpers/server.ts';

let database: TempDatabase;
let key: CreatedKey;
let exitCode: number | null;

// One server run: calls with every outcome, then a graceful stop long before the usage
// flush interval, so every row below was written by the shutdown flush.
beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  key = await createKey(database.db, { tenant: 'acme', scopes: 'math,notes:read' });
  const server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '600000' });
  const client = await connectClient(server.url, { Authorization: `Bearer ${key.key}`, 'User-Agent': 'usage-test/1.0' });
  await client.listTools(); // not a tools/call: not logged
  await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }); // ok
  await client.callTool({ name: 'note_get', arguments: { key: 'missing' } }); // tool_error
  await client.callTool({ name: 'add', arguments: { a: 'x', b: 2 } }); // invalid
  await client.callTool({ name: 'note_put', arguments: { key: 'k', value: 'SECRET-VALUE' } }).catch((e) => expect(e).toBeInstanceOf(McpError)); // denied
  await client.callTool({ name: 'nonexistent', arguments: {} }).catch((e) => expect(e).toBeInstanceOf(McpError)); // invalid
  await client.close();
  await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${key.key.slice(0, -2)}xx` }); // unauthenticated
  await postMcp(server.url, rpc('tools/list'), {}); // no credential: refused, not logged
  exitCode = await server.stop('SIGTERM');
});

afterAll(() => database?.dispose());

describe('usage log', () => {
  it('exits cleanly on SIGTERM after writing every buffered event', () => {
    expect(exitCode).toBe(0);
  });

  it('records one row per tools/call with its outcome, and one per refused credential', async () => {
    const rows = (await listUsage(database.db, {})).items;
    expect(rows.map((r) => [r.tool, r.outcome])).toEqual([
      ['add', 'ok'],
      ['note_get', 'tool_error'],
      ['add', 'invalid'],
      ['note_put', 'denied'],
      ['nonexistent', 'invalid'],
      [null, 'unauthenticated'],
    ]);
    for (const row of rows.slice(0, 5)) {
      expect(row).toMatchObject({ tenant: 'acme', keyId: key.id, subject: null, protocolVersion: '2025-11-25', userAgent: expect.stringContaining('usage-test/1.0') });
      expect(row.durationMs).toBeGreaterThanOrEqual(0);
      expect(row.requestBytes).toBeGreaterThan(0);
      expect(row.responseBytes).toBeGreaterThan(0);
    }
    expect(rows[5]).toMatchObject({ tenant: 'acme', keyId: key.id, outcome: 'unauthenticated' });
  });

  it('stamps last_used_at without a write per request', async () => {
    const [listed] = (await listKeys(database.db, 'acme')).items;
    expect(listed?.lastUsedAt).not.toBeNull();
  });

  it('never stores arguments, results or secrets', () => {
    const files = readdirSync(database.dir).filter((f) => f.startsWith('test.db'));
    expect(files.length).toBeGreaterThan(0);
    const secret = parseApiKey(key.key)!.secret;
    for (const file of files) {
      const bytes = readFileSync(join(database.dir, file)).toString('latin1');
      expect(bytes, file).not.toContain(key.key);
      expect(bytes, file).not.toContain(secret);
      expect(bytes, file).not.toContain('SECRET-VALUE');
    }
  });
});
