import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, revokeKey } from '../src/services/keys.ts';
import { createTenant, updateTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let key: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math' });
  key = (await createKey(database.db, { tenant: 'acme', scopes: 'math' })).key;
  // A resource server only: without the built-in OAuth server, the challenge names no metadata.
  server = await startServer({ DATABASE_URL: database.url, KEY_CACHE_TTL_SECONDS: '1', OAUTH_ENABLED: 'false' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

async function expectRefused(headers: Record<string, string>, challenge = /^Bearer realm="tenant-mcp", error="invalid_token"$/) {
  const res = await postMcp(server.url, rpc('tools/list'), headers);
  expect(res.status).toBe(401);
  expect(res.headers.get('WWW-Authenticate')).toMatch(challenge);
  const body = await res.json();
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  return body as { error: string; error_description: string };
}

describe('authentication', () => {
  it('accepts a key as Authorization: Bearer and as X-API-Key', async () => {
    for (const headers of [{ Authorization: `Bearer ${key}` }, { 'X-API-Key': key }, { Authorization: `bearer ${key}` }] as Record<string, string>[]) {
      const res = await postMcp(server.url, rpc('tools/list'), headers);
      expect(res.status).toBe(200);
    }
  });

  it('lets the official MCP client connect and call a tool', async () => {
    const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(result.content).toEqual([{ type: 'text', text: '5' }]);
    await client.close();
  });

  it('rejects a missing credential with 401 and a bare Bearer challenge', async () => {
    const body = await expectRefused({}, /^Bearer realm="tenant-mcp"$/);
    expect(body.error).toBe('unauthorized');
  });

  it('rejects malformed credentials with 401', async () => {
    const malformed: Record<string, string>[] = [
      { Authorization: 'Basic dXNlcjpwYXNz' },
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer not-a-key' },
      { Authorization: `Bearer ${key} extra` },
      { 'X-API-Key': 'tmcp_short_x' },
    ];
    for (const headers of malformed) {
      await expectRefused(headers);
    }
  });

  it('answers an unknown key id and a tampered secret identically, revealing nothing', async () => {
    const unknownId = key.replace(/^tmcp_[a-z2-7]{12}/, 'tmcp_aaaaaaaaaaaa');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const tampered = key.slice(0, -1) + last;
    const a = await expectRefused({ Authorization: `Bearer ${unknownId}` });
    const b = await expectRefused({ Authorization: `Bearer ${tampered}` });
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).not.toMatch(/acme|tenant "|key "/i);
  });

  it('rejects an expired key', async () => {
    const expired = await createKey(database.db, { tenant: 'acme', scopes: 'math', expiresInMs: 60_000, now: Date.now() - 120_000 });
    await expectRefused({ Authorization: `Bearer ${expired.key}` });
  });

  it('rejects a revoked key within the cache bound', async () => {
    const revoked = await createKey(database.db, { tenant: 'acme', scopes: 'math' });
    expect((await postMcp(server.url, rpc('ping'), { 'X-API-Key': revoked.key })).status).toBe(200);
    await revokeKey(database.db, revoked.id);
    await new Promise((r) => setTimeout(r, 1_100)); // KEY_CACHE_TTL_SECONDS=1 for this server
    await expectRefused({ 'X-API-Key': revoked.key });
  });

  it("refuses a suspended tenant's keys, and accepts them again on resume", async () => {
    await createTenant(database.db, { slug: 'sleepy', scopes: 'math' });
    const sleepy = await createKey(database.db, { tenant: 'sleepy', scopes: 'math' });
    await updateTenant(database.db, 'sleepy', { status: 'suspended' });
    await expectRefused({ 'X-API-Key': sleepy.key });
    await updateTenant(database.db, 'sleepy', { status: 'active' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await postMcp(server.url, rpc('ping'), { 'X-API-Key': sleepy.key })).status).toBe(200);
  });

  it('authenticates GET and unknown paths of /mcp before anything else', async () => {
    const res = await fetch(new URL('/mcp', server.url));
    expect(res.status).toBe(401);
  });
});
