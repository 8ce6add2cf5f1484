import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { makeSqldAuth } from '../helpers/jwt.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { sqldDatabase } from '../helpers/sqld-database.ts';
import { workerTarget } from '../helpers/targets.ts';
import { describeBehaviour } from './behaviour.ts';

// Against a sqld that checks JWTs, as Turso does: the token is bound as a secret, as
// `wrangler secret put DATABASE_AUTH_TOKEN` would bind it.
describeBehaviour('Cloudflare Worker (workerd via wrangler) with sqld and an auth token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-jwt-'));
  const auth = await makeSqldAuth(join(dir, 'pub.pem'));
  const token = await auth.token('rw');
  const database = await sqldDatabase({ authJwtKeyFile: join(dir, 'pub.pem'), authToken: token });
  const target = await workerTarget({ DATABASE_URL: database.sqld.libsqlUrl, DATABASE_AUTH_TOKEN: token }, { secrets: ['DATABASE_AUTH_TOKEN'] });
  return {
    target,
    db: database.db,
    async dispose() {
      await database.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('Worker entry', () => {
  it('answers 500 without details when DATABASE_URL is a file', async () => {
    const target = await workerTarget({ DATABASE_URL: 'file:./data/tenant-mcp.db' });
    try {
      const res = await fetch(new URL('/healthz', target.url));
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'internal_error', error_description: 'The server is misconfigured; see its logs.' });
    } finally {
      await target.stop();
    }
  });

  it('writes usage events held back by a database outage with a later request (USAGE_DURABILITY=buffered)', async () => {
    const database = await sqldDatabase();
    const target = await workerTarget({ DATABASE_URL: database.sqld.url, USAGE_FLUSH_INTERVAL_MS: '100', USAGE_DURABILITY: 'buffered' });
    try {
      await createTenant(database.db, { slug: 'acme', scopes: 'math' });
      const { key } = await createKey(database.db, { tenant: 'acme', scopes: 'math' });
      const add = (a: number) => postMcp(target.url, rpc('tools/call', { name: 'add', arguments: { a, b: 0 } }), { Authorization: `Bearer ${key}` });
      const written = async () => (await listUsage(database.db, {})).items.map((r) => r.tool);
      expect((await add(1)).status).toBe(200); // also caches the key for the outage
      await expect.poll(written, { timeout: 10_000, interval: 100 }).toEqual(['add']);
      await database.sqld.kill();
      expect((await add(2)).status).toBe(200);
      // Let that request's write fail (the interval is 100 ms); its retry timer dies with the request.
      await new Promise((r) => setTimeout(r, 1_000));
      await database.sqld.restart();
      expect((await add(3)).status).toBe(200);
      await expect.poll(written, { timeout: 10_000, interval: 100 }).toEqual(['add', 'add', 'add']);
    } finally {
      await target.stop();
      await database.dispose();
    }
  });

  it('with USAGE_DURABILITY=commit (the default), answers 503 while the database is down, and records that call with a later request', async () => {
    const database = await sqldDatabase();
    const target = await workerTarget({ DATABASE_URL: database.sqld.url, USAGE_FLUSH_INTERVAL_MS: '100' });
    try {
      await createTenant(database.db, { slug: 'acme', scopes: 'math' });
      const { key } = await createKey(database.db, { tenant: 'acme', scopes: 'math' });
      const add = (a: number) => postMcp(target.url, rpc('tools/call', { name: 'add', arguments: { a, b: 0 } }), { Authorization: `Bearer ${key}` });
      const outcomes = async () => (await listUsage(database.db, {})).items.map((r) => r.outcome);
      expect((await add(1)).status).toBe(200); // also caches the key for the outage
      expect(await outcomes()).toEqual(['ok']); // committed before the answer: no waiting
      await database.sqld.kill();
      const refused = await add(2);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('Retry-After')).toBe('5');
      await database.sqld.restart();
      expect((await add(3)).status).toBe(200);
      // The refused call's tool ran: its row is written by a later request, as an error.
      await expect.poll(async () => (await outcomes()).sort(), { timeout: 10_000, interval: 100 }).toEqual(['error', 'ok', 'ok']);
    } finally {
      await target.stop();
      await database.dispose();
    }
  });
});
