import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/node/database.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { runCli } from '../helpers/cli.ts';
import { makeSqldAuth } from '../helpers/jwt.ts';
import { connectClient } from '../helpers/mcp.ts';
import { type Sqld, startSqld } from '../helpers/sqld.ts';
import { nodeTarget } from '../helpers/targets.ts';

// A libSQL server that checks JWTs (as Turso does): the CLI and the Node server authenticate
// with DATABASE_AUTH_TOKEN, and refuse to work without it.
let dir: string;
let sqld: Sqld;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-jwt-'));
  const auth = await makeSqldAuth(join(dir, 'pub.pem'));
  sqld = await startSqld({ authJwtKeyFile: join(dir, 'pub.pem') });
  env = { DATABASE_URL: sqld.libsqlUrl, DATABASE_AUTH_TOKEN: await auth.token('rw') };
});

afterAll(async () => {
  await sqld?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('sqld with JWT auth', () => {
  it('refuses the CLI without DATABASE_AUTH_TOKEN, in one line', async () => {
    const { code, stderr } = await runCli(['migrate'], { DATABASE_URL: sqld.libsqlUrl });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tenant-mcp: Cannot open database libsql:\/\/127\.0\.0\.1:\d+: .*(401|Unauthorized)/i)]);
  });

  it('lets the CLI migrate with DATABASE_AUTH_TOKEN, and the server use the token', async () => {
    expect(await runCli(['migrate'], env)).toMatchObject({ code: 0, stdout: 'Database is up to date.\n' });
    const { db, close } = await openDatabase(env.DATABASE_URL!, env.DATABASE_AUTH_TOKEN);
    try {
      await createTenant(db, { slug: 'acme', scopes: 'math' });
      const { key, id } = await createKey(db, { tenant: 'acme', scopes: 'math' });
      const server = await nodeTarget(env);
      try {
        const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
        expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([{ type: 'text', text: '5' }]);
        await client.close();
      } finally {
        expect(await server.stop()).toBe(0); // the graceful stop writes the usage row
      }
      expect((await listUsage(db, {})).items).toEqual([expect.objectContaining({ tenant: 'acme', keyId: id, tool: 'add', outcome: 'ok' })]);
    } finally {
      close();
    }
  });

  it('stops the Node server at start without DATABASE_AUTH_TOKEN, saying why', async () => {
    await expect(nodeTarget({ DATABASE_URL: sqld.libsqlUrl })).rejects.toThrow(/exited with 1[\s\S]*Cannot open database libsql:\/\/127\.0\.0\.1:\d+:/);
  });
});
