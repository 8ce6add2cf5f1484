import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { addSignInProvider } from '../../src/services/sign-in-providers.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { launchChromium, testOutputDir } from '../helpers/chromium.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { connectClient } from '../helpers/mcp.ts';
import { startIdp, type TestIdp } from '../helpers/oidc-provider.ts';
import { freePort } from '../helpers/proc.ts';
import { secretsKey } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A customer's administrator signs in to /portal through the company's OpenID Connect provider
// (a real oidc-provider on loopback), in real headless Chromium against the real Node server.
// The browser reaches the server as localhost and the provider as 127.0.0.1: two sites, as in
// production, so the return from the provider is a cross-site navigation and the SameSite=Strict
// session cookie must still reach /portal.

let database: TempDatabase;
let server: RunningServer;
let idp: TestIdp;
/** The server as the browser reaches it (PUBLIC_URL); `server.url` is its 127.0.0.1 address. */
let site: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Corp', scopes: 'math,notes:*,tenant:admin' });
  await createTenant(database.db, { slug: 'globex', name: 'Globex', scopes: 'math,tenant:admin' });
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  idp = await startIdp({
    clients: [{ clientId: 'tenant-mcp', clientSecret: 'company-client-secret', redirectUris: [`${publicUrl}/oauth/sign-in/oidc/callback`] }],
    accounts: {
      alice: { email: 'alice@acme.test', org: 'acme', groups: ['staff', 'mcp-admins'] },
      bob: { email: 'bob@acme.test', org: 'acme', groups: ['staff'] },
    },
  });
  const key = secretsKey('k1');
  await addSignInProvider(database.db, await SecretBox.fromSettings(key), {
    kind: 'company',
    name: 'Example Corp',
    issuer: idp.issuer,
    clientId: 'tenant-mcp',
    clientSecret: 'company-client-secret',
    tenantClaim: 'org',
    grantScopes: 'math',
    adminClaim: 'groups',
    adminValues: 'mcp-admins',
  });
  // TOKEN_SIGNING_KEY is generated into DATA_DIR on first start: the OAuth server (and its callback) is on.
  site = publicUrl;
  server = await startServer({ DATABASE_URL: database.url, PORT: String(port), PUBLIC_URL: publicUrl, SECRETS_ENCRYPTION_KEY: key, KEY_CACHE_TTL_SECONDS: '0', DATA_DIR: database.dir });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await idp?.close();
  database?.dispose();
});

/** Collects console errors (CSP violations among them) and script errors on our own pages; a refusal page's own 400 is expected. */
function watchErrors(page: Page): string[] {
  const problems: string[] = [];
  const expected = 'Failed to load resource: the server responded with a status of 400';
  page.on('console', (m) => m.type() === 'error' && m.location().url.startsWith(site) && !m.text().startsWith(expected) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** From the portal's sign-in page, through the provider's own login and consent pages. */
async function signInAtProvider(page: Page, account: string): Promise<void> {
  await page.goto(`${site}/portal`);
  await page.getByRole('link', { name: 'Sign in with Example Corp' }).click();
  await page.waitForURL((url) => url.origin === idp.issuer);
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

describe('portal sign-in through OpenID Connect in headless Chromium', () => {
  it('signs an administrator in, shows only their tenant, and creates a key that calls a tool', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const problems = watchErrors(page);
      await signInAtProvider(page, 'alice');

      await page.getByRole('heading', { name: 'Acme Corp' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/portal');
      const main = (await page.textContent('main'))!;
      expect(main).toContain('Signed in as alice@acme.test through Example Corp.');
      expect(main).not.toContain('Globex');

      await page.getByLabel('Name', { exact: true }).fill('cursor');
      await page.getByLabel('Scopes (comma or space separated)').fill('math');
      await page.getByRole('button', { name: 'Create key' }).click();
      const key = (await page.locator('#created-key').textContent())!.trim();
      expect(key).toMatch(/^tmcp_/);
      mkdirSync(testOutputDir, { recursive: true });
      await page.screenshot({ path: join(testOutputDir, 'portal-oidc-signed-in.png'), fullPage: true });
      expect(problems).toEqual([]);

      const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
      try {
        expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).toMatchObject({ content: [{ text: '42' }] });
      } finally {
        await client.close();
      }
    } finally {
      await browser.close();
    }
  });

  it('refuses a user whose admin claim does not match with a clear page, and starts no session', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const problems = watchErrors(page);
      await signInAtProvider(page, 'bob');
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('You signed in with Example Corp, but your account is not an administrator of Acme Corp.');
      await page.screenshot({ path: join(testOutputDir, 'portal-oidc-refused.png'), fullPage: true });
      // The key form is still there, to sign in another way.
      await page.getByLabel('Administrator API key').waitFor();
      expect((await browser.context.cookies()).map((c) => c.name)).not.toContain('tmcp_portal');
      await page.goto(`${site}/portal`);
      expect(new URL(page.url()).pathname).toBe('/portal/login');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
