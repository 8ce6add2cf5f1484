// The official SDK client's OAuth flow once against each runtime besides Node (Node has its own
// suites under test/oauth/). The server signs tokens with the key it is given: these runtimes
// have no data directory to generate one into.
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { sdkOAuthFlow } from '../helpers/oauth.ts';
import { freePort } from '../helpers/proc.ts';
import { sqldDatabase } from '../helpers/sqld-database.ts';
import { denoTarget, type Settings, type Target, workerTarget } from '../helpers/targets.ts';

async function signingKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}

const runtimes: [string, (settings: Settings, port: number) => Promise<Target>][] = [
  ['Deno (deno serve)', (settings, port) => denoTarget(settings, { port })],
  ['Cloudflare Worker (workerd)', (settings, port) => workerTarget(settings, { port, secrets: ['TOKEN_SIGNING_KEY'] })],
];

describe.each(runtimes)('OAuth on %s', (_name, start) => {
  it('lets the SDK client register, sign in with a pasted key, call a tool and refresh', async () => {
    const database = await sqldDatabase();
    const port = await freePort();
    const target = await start({ DATABASE_URL: database.sqld.url, PUBLIC_URL: `http://127.0.0.1:${port}`, TOKEN_SIGNING_KEY: await signingKey(), KEY_CACHE_TTL_SECONDS: '0' }, port);
    try {
      await createTenant(database.db, { slug: 'edge-co', scopes: 'math' });
      const { key } = await createKey(database.db, { tenant: 'edge-co', scopes: 'math' });
      const flow = await sdkOAuthFlow(target.url, key);
      expect(flow.tools).toEqual(['add', 'multiply', 'whoami']);
      expect(flow.sum).toEqual([{ type: 'text', text: '5' }]);
      expect(flow.refreshedTokens.refresh_token).not.toBe(flow.firstTokens.refresh_token);
    } finally {
      await target.stop();
      await database.dispose();
    }
  }, 60_000);
});

describe('a runtime without a data directory and no TOKEN_SIGNING_KEY', () => {
  it('says clearly that TOKEN_SIGNING_KEY is missing and publishes no authorization server (Deno)', async () => {
    const database = await sqldDatabase();
    const target = await denoTarget({ DATABASE_URL: database.sqld.url });
    try {
      expect((await fetch(new URL('/.well-known/oauth-authorization-server', target.url))).status).toBe(404);
      expect(target.output()).toContain('TOKEN_SIGNING_KEY is missing: the OAuth authorization server is off');
    } finally {
      await target.stop();
      await database.dispose();
    }
  });
});
