import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { startOAuthServer } from '../helpers/oauth.ts';
import { startServer } from '../helpers/server.ts';

let database: TempDatabase;

beforeAll(async () => {
  database = await tempDatabase();
});

afterAll(() => database?.dispose());

describe('npm start with no signing key configured', () => {
  it('generates one into the data directory with mode 0600, says so once, and reuses it on the next start', async () => {
    const file = join(database.dir, 'token-signing-key.jwk');
    const first = await startServer({ DATABASE_URL: database.url });
    const jwks = await (await fetch(new URL('/.well-known/jwks.json', first.url))).json();
    await first.stop();
    expect(first.output()).toContain(`Generated a token signing key (Ed25519) in ${file} (mode 0600)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String) });
    expect(first.output()).not.toContain(JSON.parse(readFileSync(file, 'utf8')).d); // the private part is never logged

    const second = await startOAuthServer({ DATABASE_URL: database.url }); // with PUBLIC_URL, for the CLI's token below
    try {
      expect(await (await fetch(new URL('/.well-known/jwks.json', second.url))).json()).toEqual(jwks);
      expect(second.output()).not.toContain('Generated a token signing key');
      expect((await fetch(new URL('/.well-known/oauth-authorization-server', second.url))).status).toBe(200);
      // The CLI mints with the same key, without having been told where it is.
      await runMain(['tenant', 'create', 'acme', '--scopes', 'math'], { DATABASE_URL: database.url, PUBLIC_URL: second.url });
      const minted = await runMain(['token', 'mint', '--tenant', 'acme', '--scopes', 'math', '--json'], { DATABASE_URL: database.url, PUBLIC_URL: second.url });
      expect(minted.code, minted.stderr).toBe(0);
      const { token } = JSON.parse(minted.stdout);
      const res = await fetch(new URL('/mcp', second.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(res.status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
