import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { createKey } from '../../src/services/keys.ts';
import { setSignInMethods } from '../../src/services/sign-in-methods.ts';
import { addSignInProvider, removeSignInProvider, type SignInProviderInfo } from '../../src/services/sign-in-providers.ts';
import { createTenant, updateTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { closedPort } from '../helpers/identity-provider.ts';
import { HttpBrowser, type Page, signInAtIdp } from '../helpers/http-browser.ts';
import { connectClient } from '../helpers/mcp.ts';
import { startIdp, type TestIdp } from '../helpers/oidc-provider.ts';
import { freePort } from '../helpers/proc.ts';
import { expectNoSecretsIn, secretsKey } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const COMPANY_SECRET = 'company-idp-client-secret-5b1f0e9a';

let database: TempDatabase;
let server: RunningServer;
let appCallback: Server;
let appRedirectUri: string;
let oidcCallback: string;
let companyIdp: TestIdp;
let ssoIdp: TestIdp;
let company: SignInProviderInfo;
let box: SecretBox;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Inc.', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'globex', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'initech', scopes: 'math' });
  await createTenant(database.db, { slug: 'umbrella', scopes: 'math' });

  // The OAuth client's redirect target (an app such as mcp-remote listens on loopback like this).
  appCallback = createHttpServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('app got the code'));
  await new Promise<void>((resolve) => appCallback.listen(0, '127.0.0.1', resolve));
  appRedirectUri = `http://127.0.0.1:${(appCallback.address() as AddressInfo).port}/callback`;

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  oidcCallback = `${publicUrl}/oauth/sign-in/oidc/callback`;
  companyIdp = await startIdp({
    clients: [{ clientId: 'tenant-mcp', clientSecret: COMPANY_SECRET, redirectUris: [oidcCallback] }],
    accounts: {
      alice: { email: 'alice@acme.test', org: 'acme', mcp_scopes: ['math', 'notes:*'] },
      gina: { email: 'gina@globex.test', org: 'globex', mcp_scopes: 'math' },
      ivan: { email: 'ivan@initech.test', org: 'initech' },
      nora: { email: 'nora@example.test' },
      carl: { email: 'carl@nowhere.test', org: 'nowhere' },
      uma: { email: 'uma@umbrella.test', org: 'umbrella' },
    },
  });
  ssoIdp = await startIdp({
    clients: [{ clientId: 'acme-sso', redirectUris: [oidcCallback] }],
    accounts: { erin: { email: 'erin@acme.io' } },
  });

  const encryptionKey = secretsKey('k1');
  box = await SecretBox.fromSettings(encryptionKey);
  company = await addSignInProvider(database.db, box, {
    kind: 'company',
    name: 'Example Corp',
    issuer: companyIdp.issuer,
    clientId: 'tenant-mcp',
    clientSecret: COMPANY_SECRET,
    tenantClaim: 'org',
    scopeClaim: 'mcp_scopes',
  });
  await addSignInProvider(database.db, box, { kind: 'tenant', tenant: 'acme', name: 'Acme SSO', issuer: ssoIdp.issuer, clientId: 'acme-sso', emailDomains: 'acme.io' });

  const signingKey = await generateKeyPair('EdDSA', { extractable: true });
  server = await startServer({
    DATABASE_URL: database.url,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    TOKEN_SIGNING_KEY: await exportPKCS8(signingKey.privateKey),
    SECRETS_ENCRYPTION_KEY: encryptionKey,
    KEY_CACHE_TTL_SECONDS: '0',
    OAUTH_REGISTRATIONS_PER_MINUTE: '1000',
  });
});

afterAll(async () => {
  await server?.stop();
  await companyIdp?.close();
  await ssoIdp?.close();
  appCallback?.closeAllConnections();
  await new Promise((resolve) => appCallback?.close(resolve));
  database?.dispose();
});

/** An OAuth client's start: registers (DCR) and opens /authorize in the browser; resolves on our sign-in page. */
async function startAuthorization(browser: HttpBrowser): Promise<{ page: Page; clientId: string; verifier: string }> {
  const registered = await fetch(`${server.url}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_name: 'Test App', redirect_uris: [appRedirectUri], token_endpoint_auth_method: 'none' }),
  });
  expect(registered.status).toBe(201);
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL('/authorize', server.url);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: appRedirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: `${server.url}/mcp`,
    state: 'app-state',
  })) {
    authorize.searchParams.set(name, value);
  }
  const page = await browser.open(authorize);
  expect(page.url.pathname).toMatch(/^\/oauth\/requests\//);
  return { page, clientId, verifier };
}

/** Follows the sign-in page's link for a company provider to the provider's login page. */
function openProviderLink(browser: HttpBrowser, page: Page, label: string): Promise<Page> {
  const link = [...page.body.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].find((m) => m[2] === label);
  if (!link) throw new Error(`No link "${label}" on ${page.url}:\n${page.body}`);
  return browser.open(new URL(link[1]!.replace(/&amp;/g, '&'), page.url));
}

/** Allows every offered scope on the consent page and exchanges the code for tokens. */
async function consentAndExchange(browser: HttpBrowser, consent: Page, clientId: string, verifier: string): Promise<{ access_token: string; refresh_token: string; scope: string }> {
  const scopes = [...consent.body.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]!);
  const form = new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(consent.body)![1]!, decision: 'allow' });
  for (const scope of scopes) form.append('scope', scope);
  const action = /<form method="post" action="([^"]+)"/.exec(consent.body)![1]!;
  const final = await browser.open(new URL(action, consent.url), { form });
  expect(final.url.origin + final.url.pathname).toBe(appRedirectUri);
  expect(final.url.searchParams.get('state')).toBe('app-state');
  expect(final.url.searchParams.get('iss')).toBe(server.url);
  const code = final.url.searchParams.get('code')!;
  const token = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: appRedirectUri, client_id: clientId, code_verifier: verifier, resource: `${server.url}/mcp` }),
  });
  expect(token.status).toBe(200);
  return (await token.json()) as { access_token: string; refresh_token: string; scope: string };
}

describe("the company's own sign-in (tenant from a claim)", () => {
  it('signs a user in to the tenant its claim names, through consent, to a token that calls tools', async () => {
    const browser = new HttpBrowser();
    const { page, clientId, verifier } = await startAuthorization(browser);
    expect(page.body).toContain('Sign in with Example Corp');
    const login = await openProviderLink(browser, page, 'Sign in with Example Corp');
    expect(login.url.origin).toBe(companyIdp.issuer);
    expect(browser.cookieNames().some((n) => n.startsWith('tmcp_oidc_'))).toBe(true);
    const consent = await signInAtIdp(browser, login, 'alice');
    expect(consent.url.pathname, consent.body).toMatch(/^\/oauth\/requests\//);
    expect(consent.body).toContain('Signed in to <strong>Acme Inc. (acme)</strong>');
    expect(consent.body).toContain(`oidc:${company.id}:alice`);
    expect(browser.cookieNames().some((n) => n.startsWith('tmcp_oidc_'))).toBe(false); // the state cookie is spent

    const scopes = [...consent.body.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]);
    expect(scopes).toEqual(['math', 'notes:read', 'notes:write']);
    // Narrow to math, as a user unticking boxes would.
    const narrowed = consent.body.replace(/<label for="scope-[12]">[\s\S]*?<\/label>/g, '');
    const tokens = await consentAndExchange(browser, { ...consent, body: narrowed }, clientId, verifier);
    expect(tokens.scope).toBe('math');

    const client = await connectClient(server.url, { Authorization: `Bearer ${tokens.access_token}` });
    try {
      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
      const me = await client.callTool({ name: 'whoami', arguments: {} });
      expect(me.structuredContent).toMatchObject({ tenant: 'acme', subject: `oidc:${company.id}:alice`, credentialScopes: ['math'] });
    } finally {
      await client.close();
    }
    expectNoSecretsIn(server.output(), [COMPANY_SECRET, tokens.access_token, tokens.refresh_token]);
  });

  it("caps the grant at the scopes the provider's scope claim lists", async () => {
    const browser = new HttpBrowser();
    const { page } = await startAuthorization(browser);
    const consent = await signInAtIdp(browser, await openProviderLink(browser, page, 'Sign in with Example Corp'), 'gina');
    expect(consent.body).toContain('Signed in to <strong>globex</strong>');
    expect([...consent.body.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1])).toEqual(['math']);
  });

  it('refuses a user whose claim names no tenant, an unknown tenant, a suspended tenant, or one that turned the method off', async () => {
    await updateTenant(database.db, 'initech', { status: 'suspended' });
    await setSignInMethods(database.db, 'umbrella', { company: false });
    const cases = [
      ['nora', 'names no organisation (claim &quot;org&quot;)'],
      ['carl', 'names organisation &quot;nowhere&quot;, which does not use this server'],
      ['ivan', 'Organisation &quot;initech&quot; is suspended'],
      ['uma', 'Organisation &quot;umbrella&quot; does not allow signing in with Example Corp'],
    ] as const;
    for (const [account, message] of cases) {
      const browser = new HttpBrowser();
      const { page } = await startAuthorization(browser);
      const back = await signInAtIdp(browser, await openProviderLink(browser, page, 'Sign in with Example Corp'), account);
      expect(back.status, account).toBe(400);
      expect(back.url.pathname).toBe('/oauth/sign-in/oidc/callback');
      expect(back.body, account).toContain(message);
      expect(back.body).toContain('Your API key'); // shown on the sign-in page, to try another way
    }
  });
});

describe("a tenant's own SSO", () => {
  it('is found from the email domain the user types, and signs in to its tenant', async () => {
    const browser = new HttpBrowser();
    const { page, clientId, verifier } = await startAuthorization(browser);
    const continuePage = await browser.submit(page, '/oauth/sign-in/organisation', { organisation: 'Erin@ACME.io' });
    expect(continuePage.body).toContain('Continue to Acme SSO');
    const link = /<a href="([^"]+)">Continue to/.exec(continuePage.body)![1]!.replace(/&amp;/g, '&');
    const login = await browser.open(new URL(link, continuePage.url));
    expect(login.url.origin).toBe(ssoIdp.issuer);
    expect(browser.visited.some((u) => u.searchParams.get('login_hint') === 'Erin@ACME.io')).toBe(true);
    const consent = await signInAtIdp(browser, login, 'erin');
    expect(consent.body).toContain('Signed in to <strong>Acme Inc. (acme)</strong>');
    const tokens = await consentAndExchange(browser, { ...consent, body: consent.body.replace(/<label for="scope-[12]">[\s\S]*?<\/label>/g, '') }, clientId, verifier);
    expect(tokens.scope).toBe('math');
  });

  it('is found from the organisation the user types', async () => {
    const browser = new HttpBrowser();
    const { page } = await startAuthorization(browser);
    const continuePage = await browser.submit(page, '/oauth/sign-in/organisation', { organisation: 'acme' });
    const link = /<a href="([^"]+)">Continue to/.exec(continuePage.body)![1]!.replace(/&amp;/g, '&');
    const consent = await signInAtIdp(browser, await browser.open(new URL(link, continuePage.url)), 'erin');
    expect(consent.body).toContain('Signed in to <strong>Acme Inc. (acme)</strong>');
  });

  it('answers an unknown organisation on the sign-in page, and refuses the form without its CSRF token', async () => {
    const browser = new HttpBrowser();
    const { page } = await startAuthorization(browser);
    const unknown = await browser.submit(page, '/oauth/sign-in/organisation', { organisation: 'nobody.example' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('No organisation sign-in matches &quot;nobody.example&quot;');
    const forged = await browser.submit(page, '/oauth/sign-in/organisation', { organisation: 'acme', csrf: 'forged' });
    expect(forged.status).toBe(403);
  });
});

describe('removing a provider', () => {
  it('ends the grants given through it: their refresh token is refused', async () => {
    const provider = await addSignInProvider(database.db, box, { kind: 'tenant', tenant: 'globex', name: 'Globex SSO', issuer: ssoIdp.issuer, clientId: 'acme-sso' });
    const browser = new HttpBrowser();
    const { page, clientId, verifier } = await startAuthorization(browser);
    const found = await browser.submit(page, '/oauth/sign-in/organisation', { organisation: 'globex' });
    const link = /<a href="([^"]+)">Continue to/.exec(found.body)![1]!.replace(/&amp;/g, '&');
    const consent = await signInAtIdp(browser, await browser.open(new URL(link, found.url)), 'erin');
    expect(consent.body).toContain('Signed in to <strong>globex</strong>');
    const tokens = await consentAndExchange(browser, { ...consent, body: consent.body.replace(/<label for="scope-[12]">[\s\S]*?<\/label>/g, '') }, clientId, verifier);

    const removed = await removeSignInProvider(database.db, provider.id);
    expect(removed.endedGrants).toBe(1);
    const refresh = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

describe('ID tokens the server refuses (a real provider made to answer wrongly)', () => {
  async function signInExpectingRefusal(idp: TestIdp, clientId: string): Promise<Page> {
    const provider = await addSignInProvider(database.db, box, { kind: 'company', name: `Tampered ${clientId}`, issuer: idp.issuer, clientId, clientSecret: 'right-secret', tenantClaim: 'org' });
    try {
      const browser = new HttpBrowser();
      const { page } = await startAuthorization(browser);
      const back = await signInAtIdp(browser, await openProviderLink(browser, page, `Sign in with Tampered ${clientId}`), 'alice');
      expect(back.url.pathname).toBe('/oauth/sign-in/oidc/callback');
      expect(back.status).toBe(400);
      expect(back.body).not.toContain('Allow');
      return back;
    } finally {
      await removeSignInProvider(database.db, provider.id);
    }
  }

  it('refuses an ID token issued to another client (wrong audience)', async () => {
    // The proxy swaps our client for another registered one at the provider, which then really
    // signs an ID token for that other client.
    const idp = await startIdp({
      clients: [
        { clientId: 'ours', clientSecret: 'right-secret', redirectUris: [oidcCallback] },
        { clientId: 'theirs', clientSecret: 'their-secret', redirectUris: [oidcCallback] },
      ],
      accounts: { alice: { org: 'acme' } },
      tampering: {
        authorize: (p) => p.set('client_id', 'theirs'),
        token: (p) => {
          p.set('client_id', 'theirs');
          p.set('client_secret', 'their-secret');
        },
      },
    });
    try {
      const back = await signInExpectingRefusal(idp, 'ours');
      expect(back.body).toContain('unexpected JWT &quot;aud&quot; (audience) claim value');
    } finally {
      await idp.close();
    }
  });

  it('refuses an ID token carrying another nonce', async () => {
    const idp = await startIdp({
      clients: [{ clientId: 'ours', clientSecret: 'right-secret', redirectUris: [oidcCallback] }],
      accounts: { alice: { org: 'acme' } },
      tampering: { authorize: (p) => p.set('nonce', 'a-nonce-we-never-sent') },
    });
    try {
      const back = await signInExpectingRefusal(idp, 'ours');
      expect(back.body).toContain('unexpected ID Token &quot;nonce&quot; claim value');
    } finally {
      await idp.close();
    }
  });

  it('refuses an ID token from another issuer than the provider configured', async () => {
    // The provider signs as https://impostor.example while its discovery document (through the
    // proxy) claims the configured issuer.
    const idp = await startIdp({
      clients: [{ clientId: 'ours', clientSecret: 'right-secret', redirectUris: [oidcCallback] }],
      accounts: { alice: { org: 'acme' } },
      tokenIssuer: 'https://impostor.example',
    });
    idp.tampering.discovery = (doc) => {
      doc.issuer = idp.issuer;
      delete doc.authorization_response_iss_parameter_supported;
    };
    idp.tampering.redirect = (location) => location.searchParams.delete('iss');
    try {
      const back = await signInExpectingRefusal(idp, 'ours');
      expect(back.body).toContain('unexpected JWT &quot;iss&quot; (issuer) claim value');
    } finally {
      await idp.close();
    }
  });

  it("refuses an ID token whose signature does not verify with the provider's JWKS", async () => {
    const idp = await startIdp({
      clients: [{ clientId: 'ours', clientSecret: 'right-secret', redirectUris: [oidcCallback] }],
      accounts: { alice: { org: 'acme' } },
      tampering: {
        // Claims changed after signing: everything else about the token is right.
        tokenResponse: (body) => {
          const [header, payload, signature] = String(body.id_token).split('.');
          const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
          body.id_token = [header, Buffer.from(JSON.stringify({ ...claims, org: 'globex' })).toString('base64url'), signature].join('.');
        },
      },
    });
    try {
      const back = await signInExpectingRefusal(idp, 'ours');
      expect(back.body).toContain('JWT signature verification failed');
    } finally {
      await idp.close();
    }
  });

  it('brings a user who cancels at the provider back to the sign-in page with the reason', async () => {
    const browser = new HttpBrowser();
    const { page } = await startAuthorization(browser);
    const login = await openProviderLink(browser, page, 'Sign in with Example Corp');
    const back = await browser.open(new URL(`${login.url.pathname}/abort`, login.url));
    expect(back.url.pathname).toBe('/oauth/sign-in/oidc/callback');
    expect(back.status).toBe(400);
    expect(back.body).toContain('The provider refused the sign-in: access_denied (End-User aborted interaction)');
    expect(back.body).toContain('Your API key');
  });

  it('shows the sign-in page again when the provider cannot be reached', async () => {
    const provider = await addSignInProvider(database.db, box, { kind: 'company', name: 'Offline IdP', issuer: `http://127.0.0.1:${await closedPort()}`, clientId: 'x', tenantClaim: 'org' });
    try {
      const browser = new HttpBrowser();
      const { page } = await startAuthorization(browser);
      const back = await openProviderLink(browser, page, 'Sign in with Offline IdP');
      expect(back.status).toBe(400);
      expect(back.body).toContain('Offline IdP cannot be reached right now');
      expect(server.output()).toContain(`Cannot start a sign-in with provider ${provider.id}: SignInFailure: Cannot read the OpenID configuration`);
    } finally {
      await removeSignInProvider(database.db, provider.id);
    }
  });

  it('refuses a callback without the state cookie (another browser, or a replay)', async () => {
    const browser = new HttpBrowser();
    const { page } = await startAuthorization(browser);
    const login = await openProviderLink(browser, page, 'Sign in with Example Corp');
    const state = browser.visited.find((u) => u.searchParams.has('state') && u.origin === companyIdp.issuer)!.searchParams.get('state')!;
    const forged = await new HttpBrowser().open(`${oidcCallback}?code=stolen&state=${state}`);
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('expired or was started in another browser');
    const consent = await signInAtIdp(browser, login, 'alice');
    expect(consent.body).toContain('Allow');
    const replay = await browser.open(browser.visited.find((u) => u.pathname === '/oauth/sign-in/oidc/callback')!);
    expect(replay.status).toBe(400);
  });
});

describe('per-tenant sign-in methods', () => {
  it('refuses pasting an API key of a tenant that turned API-key sign-in off, and accepts it once back on', async () => {
    const { key } = await createKey(database.db, { tenant: 'globex', scopes: 'math', name: 'laptop' });
    await setSignInMethods(database.db, 'globex', { apiKey: false });
    const browser = new HttpBrowser();
    const { page } = await startAuthorization(browser);
    const refused = await browser.submit(page, '/api-key', { api_key: key });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('does not allow signing in with an API key');
    await setSignInMethods(database.db, 'globex', { apiKey: true });
    const consent = await browser.submit(refused, '/api-key', { api_key: key });
    expect(consent.body).toContain('Signed in to <strong>globex</strong>');
  });

  it("turns a tenant's SSO off: the organisation form no longer finds it", async () => {
    await setSignInMethods(database.db, 'acme', { tenantSso: false });
    try {
      const browser = new HttpBrowser();
      const { page } = await startAuthorization(browser);
      const answer = await browser.submit(page, '/oauth/sign-in/organisation', { organisation: 'erin@acme.io' });
      expect(answer.body).toContain('No organisation sign-in matches');
    } finally {
      await setSignInMethods(database.db, 'acme', { tenantSso: true });
    }
  });
});
