import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSqldAuth } from '../helpers/jwt.ts';
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
});
