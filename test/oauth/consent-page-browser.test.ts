import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/oauth/client-store.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { launchChromium, testOutputDir } from '../helpers/chromium.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { pkcePair, type RedirectReceiver, startOAuthServer, startRedirectReceiver, tokenRequest } from '../helpers/oauth.ts';
import type { RunningServer } from '../helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let callback: RedirectReceiver;

beforeAll(async () => {
  callback = await startRedirectReceiver();
  database = await tempDatabase();
  server = await startOAuthServer({ DATABASE_URL: database.url });
});

afterAll(async () => {
  await server?.stop();
  await callback?.close();
  database?.dispose();
});

describe('the sign-in and consent pages in headless Chromium', () => {
  it('lets a user paste a key, narrow the scopes and allow, without script and without CSP violations', async () => {
    await createTenant(database.db, { slug: 'acme', name: 'Acme Corp', scopes: 'math,notes:*' });
    const { key } = await createKey(database.db, { tenant: 'acme', scopes: 'math,notes:*', name: 'laptop' });
    const client = await registerClient(database.db, { name: 'Browser test app', redirectUris: [callback.url] });
    const { verifier, challenge } = await pkcePair();
    const authorize = new URL('/authorize', server.url);
    const params = { response_type: 'code', client_id: client.clientId, redirect_uri: callback.url, code_challenge: challenge, code_challenge_method: 'S256', resource: `${server.url}/mcp`, state: 'browser-state', scope: 'math notes:read notes:write' };
    for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);

    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).origin));

      await page.goto(authorize.href);
      await expect.poll(() => page.title()).toContain('Sign in');
      await page.getByLabel('Your API key').fill(key);
      await page.getByRole('button', { name: 'Sign in with this key' }).click();
      await page.getByRole('heading', { name: 'Allow Browser test app to use your tools?' }).waitFor();
      expect(await page.textContent('main')).toContain('Acme Corp (acme)');
      expect(await page.textContent('main')).toContain('127.0.0.1');
      mkdirSync(testOutputDir, { recursive: true });
      await page.screenshot({ path: join(testOutputDir, 'oauth-consent-page.png'), fullPage: true });

      await page.getByLabel('notes:write').uncheck();
      await page.getByRole('button', { name: 'Allow' }).click();
      await expect.poll(() => callback.received.length, { timeout: 10_000 }).toBe(1);

      expect(problems).toEqual([]);
      expect(new Set(requests)).toEqual(new Set([server.url, new URL(callback.url).origin])); // nothing third-party
      const back = callback.received[0]!;
      expect(back.searchParams.get('state')).toBe('browser-state');
      const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, code_verifier: verifier, client_id: client.clientId, redirect_uri: callback.url });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope.split(' ').sort()).toEqual(['math', 'notes:read']);
    } finally {
      await browser.close();
    }
  });
});
