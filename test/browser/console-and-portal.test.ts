import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOptions } from '../helpers/chromium.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { createKey } from '../../src/services/keys.ts';
import { connectClient } from '../helpers/mcp.ts';
import { sdkOAuthFlow, startOAuthServer, tokenRequest } from '../helpers/oauth.ts';
import type { RunningServer } from '../helpers/server.ts';
import { waitForUsage } from '../helpers/usage.ts';

// The newcomer's path and the customer's, in real headless Chromium against the real Node server:
// sign in to the console, create a tenant and an administrator key, see real MCP calls on the
// overview chart, then as the customer create a key, call a tool with it, find the call in the chart
// and the explorer, revoke the key, see the next call refused, and sign out. Then an app connected
// through a real OAuth flow shows on the customer page, is revoked there, and its next refresh fails.

const ADMIN_TOKEN = 'browser-admin-token-'.padEnd(48, 'q');
const output = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));
let database: TempDatabase;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(output, { recursive: true });
  database = await tempDatabase();
  // PUBLIC_URL set (the OAuth issuer), so an app can connect through OAuth too.
  server = await startOAuthServer({ DATABASE_URL: database.url, ADMIN_TOKEN, USAGE_FLUSH_INTERVAL_MS: '100' });
  // launch() gives every run a fresh temporary profile (it refuses --user-data-dir).
  browser = await chromium.launch(chromiumOptions);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  database?.dispose();
});

/** Fails the test on any console error or CSP violation the page reports. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function chartTotal(page: Page): Promise<number> {
  return Number(await page.locator('svg[data-chart="calls"]').first().getAttribute('data-total'));
}

describe('console and customer page in Chromium', () => {
  let adminKey = '';
  let customerKey = '';
  let customerKeyId = '';

  it('signs in to the console, creates a tenant and an administrator key, and charts real MCP calls', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/console`);
    await expect.poll(() => page.url()).toContain('/console/login');
    await page.getByLabel('Admin credential').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByLabel('Slug', { exact: true }).fill('acme');
    await page.getByLabel('Name', { exact: true }).fill('Acme Inc.');
    await page.getByLabel('Plan scopes (comma or space separated)').fill('math notes:* tenant:admin');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByText('Created tenant acme.').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('acme admin');
    await page.getByLabel('Scopes (comma or space separated)').fill('tenant:admin math notes:read');
    await page.getByRole('button', { name: 'Create key' }).click();
    adminKey = (await page.locator('#created-key').textContent())!.trim();
    expect(adminKey).toMatch(/^tmcp_/);
    await expect.poll(() => page.getByRole('button', { name: 'Copy the API key' }).count()).toBe(1); // the script ran under the CSP
    await page.screenshot({ path: join(output, 'tenant-page.png'), fullPage: true });

    const client = await connectClient(server.url, { Authorization: `Bearer ${adminKey}` });
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
    await expect(client.callTool({ name: 'note_put', arguments: { key: 'k', value: 'v' } })).rejects.toThrow(/Unknown tool/); // outside its scopes: denied
    await client.close();
    await waitForUsage(database.db, (rows) => rows.filter((r) => r.tenant === 'acme').length >= 4);

    await page.getByRole('link', { name: 'Overview' }).click();
    expect(await chartTotal(page)).toBe(4);
    await expect.poll(() => page.locator('svg[data-chart="calls"] rect.ok').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('svg[data-chart="calls"] rect.denied').count()).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'acme' }).first().waitFor();
    await page.screenshot({ path: join(output, 'overview.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lets the customer sign in, create a key, and use it for a real MCP call', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/portal`);
    await page.getByLabel('Administrator API key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Acme Inc.' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('cursor laptop');
    await page.getByLabel('Scopes (comma or space separated)').fill('math');
    await page.getByRole('button', { name: 'Create key' }).click();
    customerKey = (await page.locator('#created-key').textContent())!.trim();
    customerKeyId = (await page.locator('section.secret').getAttribute('data-key-id'))!;
    await page.getByRole('heading', { name: 'Cursor', exact: true }).waitFor();
    await page.screenshot({ path: join(output, 'customer-page.png'), fullPage: true });

    const client = await connectClient(server.url, { Authorization: `Bearer ${customerKey}` });
    expect(await client.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } })).toMatchObject({ content: [{ text: '42' }] });
    await client.close();
    await waitForUsage(database.db, (rows) => rows.some((r) => r.keyId === customerKeyId));

    await page.goto(`${server.url}/portal?keyId=${customerKeyId}&range=24h`);
    expect(await chartTotal(page)).toBe(1);

    // The operator sees the same call in the explorer.
    const operator = await context.newPage();
    await operator.goto(`${server.url}/console/login`);
    await operator.getByLabel('Admin credential').fill(ADMIN_TOKEN);
    await operator.getByRole('button', { name: 'Sign in' }).click();
    await operator.getByRole('heading', { name: 'Overview' }).waitFor();
    await operator.getByRole('link', { name: 'Usage explorer' }).click();
    await operator.getByLabel('Key id').fill(customerKeyId);
    await operator.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => operator.locator(`tr[data-key-id="${customerKeyId}"][data-tool="multiply"]`).count()).toBe(1);
    expect(await chartTotal(operator)).toBe(1);

    // Revoke it on the customer page: the next call is refused.
    await page.locator(`tr[data-key-row="${customerKeyId}"]`).getByRole('button', { name: /Revoke/ }).click();
    await page.getByText(`Revoked key ${customerKeyId}`).waitFor();
    await expect(connectClient(server.url, { Authorization: `Bearer ${customerKey}` })).rejects.toThrow(/invalid_token/);

    // Sign out of both: the pages send back to sign-in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed out.').waitFor();
    await page.goto(`${server.url}/portal`);
    await expect.poll(() => page.url()).toContain('/portal/login');
    await operator.getByRole('button', { name: 'Sign out' }).click();
    await operator.goto(`${server.url}/console`);
    await expect.poll(() => operator.url()).toContain('/console/login');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows an app connected through OAuth on the customer page, revokes it there, and its next refresh fails', async () => {
    const appKey = await createKey(database.db, { tenant: 'acme', scopes: 'math', name: 'chatgpt' });
    const flow = await sdkOAuthFlow(server.url, appKey.key);
    const clientId = flow.provider.information!.client_id;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/portal/login`);
    await page.getByLabel('Administrator API key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Connected apps' }).waitFor();
    const row = page.locator('tr[data-grant-row]', { hasText: clientId });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('Test MCP app');
    await page.screenshot({ path: join(output, 'connected-apps.png'), fullPage: true });

    await row.getByRole('button', { name: /Revoke Test MCP app/ }).click();
    await page.getByText(/Disconnected the app/).waitFor();
    expect(await page.locator('tr[data-grant-row]', { hasText: clientId }).count()).toBe(0);
    const refused = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: flow.refreshedTokens.refresh_token!, client_id: clientId });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works without JavaScript: forms post and pages render', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/login`);
    await page.getByLabel('Admin credential').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.goto(`${server.url}/console/tenants/acme`);
    await page.getByLabel('Scopes (comma or space separated)').fill('math');
    await page.getByRole('button', { name: 'Create key' }).click();
    expect(await page.locator('#created-key').textContent()).toMatch(/tmcp_/);
    expect(await page.getByRole('button', { name: 'Copy the API key' }).count()).toBe(0);
    await context.close();
  });
});
