import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGrants } from '../src/oauth/grants.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { sdkOAuthFlow, type SdkFlowResult, startOAuthServer, tokenRequest } from './helpers/oauth.ts';
import { getPage, postForm, signIn } from './helpers/pages.ts';
import type { RunningServer } from './helpers/server.ts';

// The customer page's "Connected apps": the signed-in tenant's OAuth grants, made by the official
// SDK client's real OAuth flow, listed and revoked; never another tenant's.

let database: TempDatabase;
let server: RunningServer;
let acme: Awaited<ReturnType<typeof signIn>>;
let acmeFlow: SdkFlowResult;
let globexFlow: SdkFlowResult;

const grantOf = async (tenant: string) => (await listGrants(database.db, { tenant, includeRevoked: true }))[0]!;
const refresh = (flow: SdkFlowResult) =>
  tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: flow.refreshedTokens.refresh_token!, client_id: flow.provider.information!.client_id });

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Inc.', scopes: 'math,tenant:admin' });
  await createTenant(database.db, { slug: 'globex', name: 'Globex', scopes: 'math,tenant:admin' });
  const acmeAdmin = await createKey(database.db, { tenant: 'acme', scopes: 'tenant:admin,math', name: 'acme admin' });
  const acmeApp = await createKey(database.db, { tenant: 'acme', scopes: 'math', name: 'acme app' });
  const globexApp = await createKey(database.db, { tenant: 'globex', scopes: 'math', name: 'globex app' });
  server = await startOAuthServer({ DATABASE_URL: database.url });
  acmeFlow = await sdkOAuthFlow(server.url, acmeApp.key);
  globexFlow = await sdkOAuthFlow(server.url, globexApp.key);
  acme = await signIn(server.url, '/portal', acmeAdmin.key);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

describe('portal key page: the OAuth snippet', () => {
  it('shows the OAuth URL and a VS Code configuration without the key beside the created key', async () => {
    const res = await postForm(server.url, '/portal/keys', { name: 'chatgpt', scopes: 'math', csrf: acme.csrf }, { cookie: acme.cookie });
    expect(res.status).toBe(201);
    const html = await res.text();
    const key = /id="created-key"[^>]*>(tmcp_[^<]+)</.exec(html)![1]!;
    expect(/id="oauth-url"[^>]*>([^<]+)</.exec(html)![1]).toBe(`${server.url}/mcp`);
    expect(html).toContain('ChatGPT');
    const vscodeOAuth = /VS Code with OAuth[\s\S]*?<pre[^>]*>([^<]+)</.exec(html)![1]!;
    expect(vscodeOAuth).toContain(`${server.url}/mcp`);
    expect(vscodeOAuth).not.toContain(key);
    expect(vscodeOAuth).not.toContain('Authorization');
  });
});

describe('portal connected apps', () => {
  it("lists the tenant's own grants with the app's name, scopes and sign-in method, and none of another tenant's", async () => {
    const acmeGrant = await grantOf('acme');
    const globexGrant = await grantOf('globex');
    const html = await (await getPage(server.url, '/portal', acme.cookie)).text();
    expect(html).toContain('Connected apps');
    expect(html).toContain(`data-grant-row="${acmeGrant.id}"`);
    expect(html).toContain('Test MCP app');
    expect(html).toContain(acmeGrant.subject);
    expect(html).toContain('API key');
    expect(html).toContain('OAUTH_ACCESS_TOKEN_TTL_SECONDS');
    expect(html).not.toContain(globexGrant.id);
    expect(html).not.toContain(globexGrant.subject);
  });

  it("refuses to revoke another tenant's grant by id, and changes nothing", async () => {
    const globexGrant = await grantOf('globex');
    const res = await postForm(server.url, `/portal/apps/${globexGrant.id}/revoke`, { csrf: acme.csrf }, { cookie: acme.cookie });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(globexGrant.subject);
    expect((await grantOf('globex')).revokedAt).toBeNull();
    expect((await refresh(globexFlow)).status).toBe(200); // globex's app still refreshes
  });

  it('refuses a revoke posted without its CSRF token, and changes nothing', async () => {
    const acmeGrant = await grantOf('acme');
    const res = await postForm(server.url, `/portal/apps/${acmeGrant.id}/revoke`, {}, { cookie: acme.cookie });
    expect(res.status).toBe(403);
    expect((await grantOf('acme')).revokedAt).toBeNull();
  });

  it('revokes its own grant: the next refresh is refused at once', async () => {
    const acmeGrant = await grantOf('acme');
    const res = await postForm(server.url, `/portal/apps/${acmeGrant.id}/revoke`, { csrf: acme.csrf }, { cookie: acme.cookie });
    expect(res.status).toBe(303);
    const notice = decodeURIComponent(res.headers.get('location')!);
    expect(notice).toContain(`grant ${acmeGrant.id}`);
    expect(notice).toMatch(/within 300 s/);
    expect((await grantOf('acme')).revokedReason).toBe('revoked by the tenant administrator');
    const refused = await refresh(acmeFlow);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(await (await getPage(server.url, '/portal', acme.cookie)).text()).not.toContain(`data-grant-row="${acmeGrant.id}"`);
    // A second revoke finds no live grant.
    expect((await postForm(server.url, `/portal/apps/${acmeGrant.id}/revoke`, { csrf: acme.csrf }, { cookie: acme.cookie })).status).toBe(404);
  });
});

