import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { sqldDatabase } from '../helpers/sqld-database.ts';
import { denoTarget } from '../helpers/targets.ts';
import { describeBehaviour } from './behaviour.ts';

describeBehaviour('Deno (deno serve) with sqld', async () => {
  const database = await sqldDatabase();
  const target = await denoTarget({ DATABASE_URL: database.sqld.url });
  return { target, db: database.db, dispose: () => database.dispose() };
});

describe('Deno entry', () => {
  it('writes buffered usage events on SIGTERM, then exits with 0', async () => {
    const database = await sqldDatabase();
    try {
      await createTenant(database.db, { slug: 'acme', scopes: 'math' });
      const { key } = await createKey(database.db, { tenant: 'acme', scopes: 'math' });
      const target = await denoTarget({ DATABASE_URL: database.sqld.url, USAGE_FLUSH_INTERVAL_MS: '600000', USAGE_DURABILITY: 'buffered' });
      const res = await postMcp(target.url, rpc('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }), { Authorization: `Bearer ${key}` });
      expect(res.status).toBe(200);
      expect((await listUsage(database.db, {})).items).toEqual([]); // still buffered: the interval is ten minutes
      expect(await target.stop()).toBe(0);
      expect((await listUsage(database.db, {})).items.map((r) => [r.tool, r.outcome])).toEqual([['add', 'ok']]);
    } finally {
      await database.dispose();
    }
  });

  it('refuses a file: DATABASE_URL at start with a clear message', async () => {
    await expect(denoTarget({ DATABASE_URL: 'file:./data/tenant-mcp.db' })).rejects.toThrow(
      /exited early with code 1[\s\S]*tenant-mcp: Cannot open database file:\.\/data\/tenant-mcp\.db: this runtime reaches libSQL over HTTP only/,
    );
  });
});
