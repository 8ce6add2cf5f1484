import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../src/crypto/secret-box.ts';
import { createKey, findActiveKey } from '../src/services/keys.ts';
import { setSignInMethods } from '../src/services/sign-in-methods.ts';
import { addSignInProvider, listSignInProviders, type SignInProviderInfo, updateSignInProvider } from '../src/services/sign-in-providers.ts';
import { createTenant, updateTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { HttpBrowser, type Page, signInAtIdp } from './helpers/http-browser.ts';
import { connectClient } from './helpers/mcp.ts';
import { startIdp, type TestIdp } from './helpers/oidc-provider.ts';
import { csrfIn, getPage, mergeCookies, postForm } from './helpers/pages.ts';
import { freePort } from './helpers/proc.ts';
import { expectNoSecretsIn, secretsKey } from './helpers/secrets.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

// The customer page's OpenID Connect sign-in over HTTP, against the real Node server, a real
// libSQL file and real OpenID Connect providers (oidc-provider on loopback): who becomes a
// tenant administrator, what they may do, when the session ends, and what the callback refuses.

const COMPANY_SECRET = 'company-portal-client-secret-2c9d41';

let database: TempDatabase;
let server: RunningServer;
let companyIdp: TestIdp;
let ssoIdp: TestIdp;
let company: SignInProviderInfo;
let box: SecretBox;
let encryptionKey: string;
let globexKey: { id: string; key: string };

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Inc.', scopes: 'math,notes:*,tenant:admin' });
  await createTenant(database.db, { slug: 'globex', name: 'Globex', scopes: 'math,tenant:admin' });
  await createTenant(database.db, { slug: 'initech', scopes: 'math,tenant:admin' });
  await createTenant(database.db, { slug: 'noplan', scopes: 'math' });
  globexKey = await createKey(database.db, { tenant: 'globex', scopes: 'math', name: 'globex app' });

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const callback = `${publicUrl}/oauth/sign-in/oidc/callback`;
  companyIdp = await startIdp({
    clients: [
      { clientId: 'tenant-mcp', clientSecret: COMPANY_SECRET, redirectUris: [callback] },
      { clientId: 'plain', clientSecret: 'plain-secret', redirectUris: [callback] },
      { clientId: 'temp', clientSecret: 'temp-secret', redirectUris: [callback] },
    ],
    accounts: {
      alice: { email: 'alice@acme.test', org: 'acme', groups: ['staff', 'mcp-admins'], mcp_scopes: ['math', 'notes:read'] },
      bob: { email: 'bob@acme.test', org: 'acme', groups: ['staff'], mcp_scopes: ['math'] },
      ivan: { email: 'ivan@initech.test', org: 'initech', groups: 'mcp-admins', mcp_scopes: 'math' },
      nick: { email: 'nick@noplan.test', org: 'noplan', groups: 'mcp-admins', mcp_scopes: 'math' },
    },
  });
  ssoIdp = await startIdp({
    clients: [{ clientId: 'globex-sso', redirectUris: [callback] }],
    accounts: { gwen: { email: 'gwen@globex.test', roles: ['owner'] } },
  });

  encryptionKey = secretsKey('k1');
  box = await SecretBox.fromSettings(encryptionKey);
  company = await addSignInProvider(database.db, box, {
    kind: 'company',
    name: 'Example Corp',
    issuer: companyIdp.issuer,
    clientId: 'tenant-mcp',
    clientSecret: COMPANY_SECRET,
    tenantClaim: 'org',
    scopeClaim: 'mcp_scopes',
    adminClaim: 'groups',
    adminValues: ['mcp-admins'],
  });
  await addSignInProvider(database.db, box, { kind: 'company', name: 'Plain Corp', issuer: companyIdp.issuer, clientId: 'plain', clientSecret: 'plain-secret', tenantClaim: 'org' });
  await addSignInProvider(database.db, box, { kind: 'tenant', tenant: 'globex', name: 'Globex SSO', issuer: ssoIdp.issuer, clientId: 'globex-sso', emailDomains: 'globex.test', adminClaim: 'roles', adminValues: 'owner' });

  server = await startServer({ DATABASE_URL: database.url, PORT: String(port), PUBLIC_URL: publicUrl, SECRETS_ENCRYPTION_KEY: encryptionKey, KEY_CACHE_TTL_SECONDS: '0' });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await companyIdp?.close();
  await ssoIdp?.close();
  database?.dispose();
});

/** The href of the link labelled `label` on a page. */
function linkTo(page: Page, label: string): URL {
  const link = [...page.body.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].find((m) => m[2] === label);
  if (!link) throw new Error(`No link "${label}" on ${page.url}:\n${page.body}`);
  return new URL(link[1]!.replace(/&amp;/g, '&'), page.url);
}

/** Opens the portal's sign-in page, follows a provider's link and signs in there; resolves on our callback's answer. */
async function signInWith(browser: HttpBrowser, label: string, account: string): Promise<Page> {
  const login = await browser.open(`${server.url}/portal/login`);
  const atProvider = await browser.open(linkTo(login, label));
  expect(atProvider.url.origin).toBe(companyIdp.issuer);
  return signInAtIdp(browser, atProvider, account);
}

/** The browser's cookies as a Cookie header, for requests made with fetch. */
function cookieHeader(browser: HttpBrowser): string {
  return browser
    .cookieNames()
    .map((n) => `${n}=${browser.cookie(n)}`)
    .join('; ');
}

describe('the portal sign-in page', () => {
  it('offers the providers with an admin rule and the organisation form, beside the key form', async () => {
    const login = await new HttpBrowser().open(`${server.url}/portal/login`);
    expect(login.body).toContain('Administrator API key');
    expect(login.body).toContain('Sign in with Example Corp');
    expect(login.body).not.toContain('Plain Corp');
    expect(login.body).toContain('Organisation or work email');
    expect(login.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
  });
});

describe('an administrator signing in through a company provider', () => {
  let browser: HttpBrowser;

  beforeAll(async () => {
    browser = new HttpBrowser();
    const answer = await signInWith(browser, 'Sign in with Example Corp', 'alice');
    expect(answer.url.pathname).toBe('/oauth/sign-in/oidc/callback');
    expect(answer.status).toBe(200);
    // A page refreshing to /portal, not a redirect: the SameSite=Strict cookie must travel on a navigation of ours.
    expect(answer.body).toContain('<meta http-equiv="refresh" content="0; url=/portal"');
    expect(answer.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(browser.cookie('tmcp_portal')).toBeDefined();
    expect(browser.cookieNames().some((n) => n.startsWith('tmcp_oidc_'))).toBe(false);
  });

  it('sees only their tenant, named as who signed in', async () => {
    const page = await browser.open(`${server.url}/portal`);
    expect(page.url.pathname).toBe('/portal');
    expect(page.body).toContain('<h1>Acme Inc.</h1>');
    expect(page.body).toContain(`Signed in as alice@acme.test through Example Corp.`);
    expect(page.body).not.toContain('Globex');
    expect(server.output()).toContain(`Portal: oidc:${company.id}:alice signed in to acme through provider ${company.id}`);
  });

  it("creates a key within the provider's ceiling that calls a tool, and refuses more", async () => {
    const cookie = cookieHeader(browser);
    const csrf = csrfIn((await browser.open(`${server.url}/portal`)).body);
    const created = await postForm(server.url, '/portal/keys', { name: 'cursor', scopes: 'math', csrf }, { cookie });
    expect(created.status).toBe(201);
    const key = /id="created-key"[^>]*>(tmcp_[^<]+)</.exec(await created.text())![1]!;
    const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
    try {
      expect(await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).toMatchObject({ content: [{ text: '3' }] });
    } finally {
      await client.close();
    }
    expect(server.output()).toMatch(new RegExp(`Portal: oidc:${company.id}:alice of acme created key`));

    // notes:write is in the plan but not in alice's mcp_scopes claim.
    const beyond = await postForm(server.url, '/portal/keys', { scopes: 'notes:write', csrf }, { cookie });
    expect(beyond.status).toBe(400);
    expect(await beyond.text()).toContain('Scope notes:write is beyond what your sign-in allows (math, notes:read)');
    const admin = await postForm(server.url, '/portal/keys', { scopes: 'math tenant:admin', csrf }, { cookie });
    expect(admin.status).toBe(400);
    expect(await admin.text()).toContain('Only your provider creates administrator keys (tenant:admin)');
    expect((await postForm(server.url, '/portal/keys', { scopes: 'math' }, { cookie })).status).toBe(403); // no CSRF token
  });

  it("cannot touch another tenant's keys or usage by id", async () => {
    const cookie = cookieHeader(browser);
    const csrf = csrfIn((await browser.open(`${server.url}/portal`)).body);
    const revoke = await postForm(server.url, `/portal/keys/${globexKey.id}/revoke`, { csrf }, { cookie });
    expect(revoke.status).toBe(404);
    expect(await findActiveKey(database.db, globexKey.id)).toBeDefined();
    const usage = await getPage(server.url, `/portal?keyId=${globexKey.id}`, cookie);
    expect(usage.status).toBe(404);
    expect(await usage.text()).toContain(`No key &quot;${globexKey.id}&quot; in your tenant`);
  });

  it('cannot move its session to another tenant: an edited cookie is refused', async () => {
    const [payload, mac] = browser.cookie('tmcp_portal')!.split('.');
    const session = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const edited = `${Buffer.from(JSON.stringify({ ...session, tenant: 'globex' })).toString('base64url')}.${mac}`;
    const res = await getPage(server.url, '/portal', `tmcp_portal=${edited}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/portal/login');
  });

  it('signs out: the session cookie is cleared', async () => {
    const other = new HttpBrowser();
    await signInWith(other, 'Sign in with Example Corp', 'alice');
    const cookie = cookieHeader(other);
    const csrf = csrfIn((await other.open(`${server.url}/portal`)).body);
    const out = await postForm(server.url, '/portal/logout', { csrf }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().some((c) => /^tmcp_portal=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
  });

  it('never logs the client secret or a session', () => {
    expectNoSecretsIn(server.output(), [COMPANY_SECRET, browser.cookie('tmcp_portal')!]);
  });
});

describe('who is refused', () => {
  it('refuses a user whose admin claim holds none of the admin values, with no session', async () => {
    const browser = new HttpBrowser();
    const answer = await signInWith(browser, 'Sign in with Example Corp', 'bob');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('You signed in with Example Corp, but your account is not an administrator of Acme Inc.');
    expect(answer.body).toContain('Administrator API key');
    expect(browser.cookie('tmcp_portal')).toBeUndefined();
    expect(server.output()).toContain(`Refused a portal sign-in with provider ${company.id}: oidc:${company.id}:bob is not an administrator of acme (claim "groups")`);
  });

  it('never signs anyone in through a provider without an admin rule', async () => {
    const plain = (await listSignInProviders(database.db)).find((p) => p.clientId === 'plain')!;
    const browser = new HttpBrowser();
    const answer = await browser.open(`${server.url}/oauth/sign-in/oidc/start?purpose=portal&provider=${plain.id}`);
    expect(answer.url.origin).toBe(server.url); // never sent to the provider
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Plain Corp does not sign administrators in to this page.');
  });

  it('refuses a sign-in whose provider lost its admin rule while the user was at the provider', async () => {
    const temp = await addSignInProvider(database.db, box, { kind: 'company', name: 'Temp Corp', issuer: companyIdp.issuer, clientId: 'temp', clientSecret: 'temp-secret', tenantClaim: 'org', adminClaim: 'groups', adminValues: 'mcp-admins' });
    const browser = new HttpBrowser();
    const login = await browser.open(`${server.url}/portal/login`);
    const atProvider = await browser.open(linkTo(login, 'Sign in with Temp Corp'));
    await updateSignInProvider(database.db, temp.id, { adminClaim: null });
    const answer = await signInAtIdp(browser, atProvider, 'alice');
    expect(answer.url.pathname).toBe('/oauth/sign-in/oidc/callback');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Temp Corp does not sign administrators in to this page.');
    expect(browser.cookie('tmcp_portal')).toBeUndefined();
  });

  it('refuses an administrator of a suspended tenant', async () => {
    await updateTenant(database.db, 'initech', { status: 'suspended' });
    const browser = new HttpBrowser();
    const answer = await signInWith(browser, 'Sign in with Example Corp', 'ivan');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Organisation &quot;initech&quot; is suspended');
    expect(browser.cookie('tmcp_portal')).toBeUndefined();
  });

  it("refuses an administrator whose tenant's plan does not include tenant:admin", async () => {
    const browser = new HttpBrowser();
    const answer = await signInWith(browser, 'Sign in with Example Corp', 'nick');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('The plan of organisation &quot;noplan&quot; does not include this page (tenant:admin)');
    expect(browser.cookie('tmcp_portal')).toBeUndefined();
  });
});

describe('the session, re-checked on every request', () => {
  async function signedIn(): Promise<HttpBrowser> {
    const browser = new HttpBrowser();
    await signInWith(browser, 'Sign in with Example Corp', 'alice');
    expect((await browser.open(`${server.url}/portal`)).url.pathname).toBe('/portal');
    return browser;
  }

  it("ends when the provider's admin rule changes", async () => {
    const browser = await signedIn();
    await updateSignInProvider(database.db, company.id, { adminValues: 'mcp-admins,mcp-owners' });
    expect((await browser.open(`${server.url}/portal`)).url.pathname).toBe('/portal/login');
    // A new sign-in under the new rule works.
    await signedIn();
  });

  it('ends when the tenant turns the method off', async () => {
    const browser = await signedIn();
    await setSignInMethods(database.db, 'acme', { company: false });
    try {
      expect((await browser.open(`${server.url}/portal`)).url.pathname).toBe('/portal/login');
    } finally {
      await setSignInMethods(database.db, 'acme', { company: true });
    }
  });

  it("ends when the tenant's plan drops tenant:admin", async () => {
    const browser = await signedIn();
    await updateTenant(database.db, 'acme', { scopes: 'math,notes:*' });
    try {
      expect((await browser.open(`${server.url}/portal`)).url.pathname).toBe('/portal/login');
    } finally {
      await updateTenant(database.db, 'acme', { scopes: 'math,notes:*,tenant:admin' });
    }
  });

  it('ends when the tenant is suspended', async () => {
    const browser = await signedIn();
    await updateTenant(database.db, 'acme', { status: 'suspended' });
    try {
      expect((await browser.open(`${server.url}/portal`)).url.pathname).toBe('/portal/login');
    } finally {
      await updateTenant(database.db, 'acme', { status: 'active' });
    }
  });
});

describe("a tenant's own SSO", () => {
  it('is found from a work email on the organisation form and signs its administrator in to that tenant only', async () => {
    const form = await getPage(server.url, '/portal/login');
    const cookie = mergeCookies('', form);
    const csrf = csrfIn(await form.text());
    expect((await postForm(server.url, '/portal/login/organisation', { organisation: 'gwen@globex.test' }, { cookie })).status).toBe(403); // no CSRF token
    const found = await postForm(server.url, '/portal/login/organisation', { organisation: 'gwen@globex.test', csrf }, { cookie });
    expect(found.status).toBe(200);
    const html = await found.text();
    expect(html).toContain('Continue to Globex SSO');
    const link = new URL(/<a href="([^"]+)">Continue to Globex SSO<\/a>/.exec(html)![1]!.replace(/&amp;/g, '&'), server.url);
    expect(link.searchParams.get('login_hint')).toBe('gwen@globex.test');

    const browser = new HttpBrowser();
    const atProvider = await browser.open(link);
    expect(atProvider.url.origin).toBe(ssoIdp.issuer);
    const answer = await signInAtIdp(browser, atProvider, 'gwen');
    expect(answer.status).toBe(200);
    const page = await browser.open(`${server.url}/portal`);
    expect(page.body).toContain('<h1>Globex</h1>');
    expect(page.body).not.toContain('Acme');
  });

  it('answers an organisation without an administrator sign-in on the sign-in page', async () => {
    const form = await getPage(server.url, '/portal/login');
    const cookie = mergeCookies('', form);
    const res = await postForm(server.url, '/portal/login/organisation', { organisation: 'acme', csrf: csrfIn(await form.text()) }, { cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('No administrator sign-in matches &quot;acme&quot;');
  });
});

describe('the callback refuses a portal sign-in state that is not ours', () => {
  /** Starts a portal sign-in and returns the browser, the state sent to the provider, and the state cookie's name. */
  async function started(): Promise<{ browser: HttpBrowser; state: string; cookieName: string }> {
    const browser = new HttpBrowser();
    const login = await browser.open(`${server.url}/portal/login`);
    await browser.open(linkTo(login, 'Sign in with Example Corp'));
    const state = browser.visited.find((u) => u.origin === companyIdp.issuer && u.searchParams.has('state'))!.searchParams.get('state')!;
    const cookieName = browser.cookieNames().find((n) => n.startsWith('tmcp_oidc_'))!;
    return { browser, state, cookieName };
  }

  it('refuses a tampered state cookie', async () => {
    const { browser, state, cookieName } = await started();
    const sealed = browser.cookie(cookieName)!;
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    const res = await fetch(`${server.url}/oauth/sign-in/oidc/callback?code=any&state=${state}`, { headers: { Cookie: `${cookieName}=${flipped}` }, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('This sign-in expired or was started in another browser');
  });

  it('refuses an expired state, though correctly sealed', async () => {
    const { state, cookieName } = await started();
    const expired = await box.seal(JSON.stringify({ state, nonce: 'n', codeVerifier: 'v'.repeat(43), purpose: 'portal', providerId: company.id, expiresAt: Date.now() - 1000 }), 'oidc-sign-in-state');
    const res = await fetch(`${server.url}/oauth/sign-in/oidc/callback?code=any&state=${state}`, { headers: { Cookie: `${cookieName}=${expired}` }, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('This sign-in expired or was started in another browser');
    expect(res.headers.getSetCookie().join()).not.toContain('tmcp_portal=');
  });

  it('refuses a replayed callback: the state cookie is spent on first use', async () => {
    const browser = new HttpBrowser();
    await signInWith(browser, 'Sign in with Example Corp', 'alice');
    const callback = browser.visited.find((u) => u.pathname === '/oauth/sign-in/oidc/callback')!;
    const replay = await browser.open(callback);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('This sign-in expired or was started in another browser');
  });
});
