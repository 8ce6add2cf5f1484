import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGrants } from '../src/oauth/grants.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { sdkOAuthFlow, type SdkFlowResult, startOAuthServer, tokenRequest } from './helpers/oauth.ts';
import { getPage, postForm, signIn } from './helpers/pages.ts';
import type { RunningServer } from './helpers/server.ts';

// The console's tenant page: the tenant's OAuth clients in use and its grants, made by the official
// SDK client's real OAuth flow, each revocable by the operator within that tenant only.

const ADMIN_TOKEN = 'console-grants-admin-token-'.padEnd(48, 'g');
let database: TempDatabase;
let server: RunningServer;
let operator: Awaited<ReturnType<typeof signIn>>;
let acmeFlow: SdkFlowResult;

const grantOf = async (tenant: string) => (await listGrants(database.db, { tenant, includeRevoked: true }))[0]!;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Inc.', scopes: 'math' });
  await createTenant(database.db, { slug: 'globex', name: 'Globex', scopes: 'math' });
  const acmeApp = await createKey(database.db, { tenant: 'acme', scopes: 'math', name: 'acme app' });
  const globexApp = await createKey(database.db, { tenant: 'globex', scopes: 'math', name: 'globex app' });
  server = await startOAuthServer({ DATABASE_URL: database.url, ADMIN_TOKEN, OAUTH_ACCESS_TOKEN_TTL_SECONDS: '120' });
  acmeFlow = await sdkOAuthFlow(server.url, acmeApp.key);
  await sdkOAuthFlow(server.url, globexApp.key);
  operator = await signIn(server.url, '/console', ADMIN_TOKEN);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

describe('console tenant page: OAuth clients and grants', () => {
  it("shows the tenant's clients in use and its grants with subject, scopes, method, created and last used", async () => {
    const grant = await grantOf('acme');
    const html = await (await getPage(server.url, '/console/tenants/acme', operator.cookie)).text();
    expect(html).toContain('OAuth clients and grants');
    expect(html).toContain('Clients in use');
    expect(html).toContain('Test MCP app');
    expect(html).toContain(grant.clientId);
    expect(html).toContain(`data-grant-row="${grant.id}"`);
    expect(html).toContain(grant.subject);
    expect(html).toContain(grant.lastUsedAt!.slice(0, 16).replace('T', ' '));
    expect(html).toContain('within 120 s (OAUTH_ACCESS_TOKEN_TTL_SECONDS)');
    expect(html).not.toContain((await grantOf('globex')).id);
  });

  it('refuses a revoke posted without its CSRF token, and changes nothing', async () => {
    const grant = await grantOf('acme');
    const res = await postForm(server.url, `/console/tenants/acme/grants/${grant.id}/revoke`, {}, { cookie: operator.cookie });
    expect(res.status).toBe(403);
    expect((await grantOf('acme')).revokedAt).toBeNull();
  });

  it("refuses to revoke a grant through another tenant's page, and changes nothing", async () => {
    const globexGrant = await grantOf('globex');
    const res = await postForm(server.url, `/console/tenants/acme/grants/${globexGrant.id}/revoke`, { csrf: operator.csrf }, { cookie: operator.cookie });
    expect(res.status).toBe(303);
    expect(decodeURIComponent(res.headers.get('location')!)).toContain(`No live grant "${globexGrant.id}" in tenant acme`);
    expect((await grantOf('globex')).revokedAt).toBeNull();
  });

  it('revokes a grant: the next refresh is refused at once', async () => {
    const grant = await grantOf('acme');
    const res = await postForm(server.url, `/console/tenants/acme/grants/${grant.id}/revoke`, { csrf: operator.csrf }, { cookie: operator.cookie });
    expect(res.status).toBe(303);
    expect(decodeURIComponent(res.headers.get('location')!)).toContain(`Revoked grant ${grant.id}`);
    expect((await grantOf('acme')).revokedReason).toBe('revoked by an operator');
    const refused = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: acmeFlow.refreshedTokens.refresh_token!, client_id: acmeFlow.provider.information!.client_id });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(await (await getPage(server.url, '/console/tenants/acme', operator.cookie)).text()).not.toContain(`data-grant-row="${grant.id}"`);
  });
});
