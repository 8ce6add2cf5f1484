import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { registerClient } from '../../src/oauth/client-store.ts';
import { addSignInProvider } from '../../src/services/sign-in-providers.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { launchChromium, testOutputDir } from '../helpers/chromium.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { pkcePair, type RedirectReceiver, startRedirectReceiver, tokenRequest } from '../helpers/oauth.ts';
import { startIdp, type TestIdp } from '../helpers/oidc-provider.ts';
import { freePort } from '../helpers/proc.ts';
import { secretsKey } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let idp: TestIdp;
let callback: RedirectReceiver;

beforeAll(async () => {
  callback = await startRedirectReceiver();

  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Corp', scopes: 'math' });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  idp = await startIdp({
    clients: [{ clientId: 'acme-sso', clientSecret: 'acme-sso-secret', redirectUris: [`${publicUrl}/oauth/sign-in/oidc/callback`] }],
    accounts: { erin: { email: 'erin@acme.io' } },
  });
  const key = secretsKey('k1');
  const box = await SecretBox.fromSettings(key);
  await addSignInProvider(database.db, box, { kind: 'tenant', tenant: 'acme', name: 'Acme SSO', issuer: idp.issuer, clientId: 'acme-sso', clientSecret: 'acme-sso-secret', emailDomains: 'acme.io' });
  server = await startServer({ DATABASE_URL: database.url, PORT: String(port), PUBLIC_URL: publicUrl, SECRETS_ENCRYPTION_KEY: key, KEY_CACHE_TTL_SECONDS: '0' });
});

afterAll(async () => {
  await server?.stop();
  await idp?.close();
  await callback?.close();
  database?.dispose();
});

describe('OpenID Connect sign-in in headless Chromium', () => {
  it("finds a tenant's SSO from a work email, signs in at the provider and reaches consent, with no CSP violation on our pages", async () => {
    const client = await registerClient(database.db, { name: 'Browser test app', redirectUris: [callback.url] });
    const { verifier, challenge } = await pkcePair();
    const authorize = new URL('/authorize', server.url);
    const params = { response_type: 'code', client_id: client.clientId, redirect_uri: callback.url, code_challenge: challenge, code_challenge_method: 'S256', resource: `${server.url}/mcp`, state: 'oidc-browser' };
    for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);

    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      // CSP violations and script errors on our pages are console errors there; the provider's pages are not ours to judge.
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && m.location().url.startsWith(server.url) && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));

      await page.goto(authorize.href);
      await page.getByLabel('Organisation or work email').fill('erin@acme.io');
      mkdirSync(testOutputDir, { recursive: true });
      await page.screenshot({ path: join(testOutputDir, 'oidc-sign-in-page.png'), fullPage: true });
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('link', { name: 'Continue to Acme SSO' }).click();

      // The provider's own (development) login and consent pages.
      await page.waitForURL((url) => url.origin === idp.issuer);
      await page.locator('input[name="login"]').fill('erin');
      await page.locator('input[name="password"]').fill('any');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByRole('heading', { name: 'Allow Browser test app to use your tools?' }).waitFor();
      expect(await page.textContent('main')).toContain('Acme Corp (acme)');
      await page.getByRole('button', { name: 'Allow' }).click();
      await expect.poll(() => callback.received.length, { timeout: 10_000 }).toBe(1);
      expect(problems).toEqual([]);

      const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code: callback.received[0]!.searchParams.get('code')!, code_verifier: verifier, client_id: client.clientId, redirect_uri: callback.url });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('math');
    } finally {
      await browser.close();
    }
  });
});
