import { isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthCodes } from '../../src/db/schema.ts';
import { registerClient } from '../../src/oauth/client-store.ts';
import { createKey, revokeKey } from '../../src/services/keys.ts';
import { createTenant, updateTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { Browser, completeAuthorization, csrfOf, pkcePair, SignInRefused, startOAuthServer, tokenRequest } from '../helpers/oauth.ts';
import type { RunningServer } from '../helpers/server.ts';

const REDIRECT = 'http://127.0.0.1:40123/cb';
let database: TempDatabase;
let server: RunningServer;
let clientId: string;
let keys: { alice: string; bob: string };

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'alice-co', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'bob-co', scopes: 'math,notes:*' });
  keys = {
    alice: (await createKey(database.db, { tenant: 'alice-co', scopes: 'math,notes:*' })).key,
    bob: (await createKey(database.db, { tenant: 'bob-co', scopes: 'math,notes:*' })).key,
  };
  clientId = (await registerClient(database.db, { name: 'Refusal tester', redirectUris: [REDIRECT] })).clientId;
  server = await startOAuthServer({ DATABASE_URL: database.url, OAUTH_REGISTRATIONS_PER_MINUTE: '3' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

/** An authorization URL for the test client; `params` override or (as undefined) remove parameters. */
function authorizationUrl(params: Record<string, string | undefined>): URL {
  const url = new URL('/authorize', server.url);
  const all = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge_method: 'S256', resource: `${server.url}/mcp`, state: 'xyz', ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** Runs the flow to a code with `apiKey`; returns the code and its verifier. */
async function codeFor(apiKey: string, scopes?: string[]) {
  const { verifier, challenge } = await pkcePair();
  const back = await completeAuthorization(authorizationUrl({ code_challenge: challenge }), { apiKey, scopes });
  const code = back.searchParams.get('code');
  expect(code, back.href).toBeTruthy();
  return { code: code!, verifier };
}

const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
  tokenRequest(server.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT, resource: `${server.url}/mcp`, ...extra });

const refresh = (refreshToken: string) => tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });

/** Opens an authorization URL and returns where it sends the browser and the error it carries. */
async function openAuthorization(url: URL) {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('Location');
  return { status: res.status, location, page: await res.text(), error: location ? new URL(location, server.url).searchParams.get('error') : null };
}

describe('PKCE', () => {
  it('refuses a wrong code_verifier with invalid_grant', async () => {
    const { code } = await codeFor(keys.alice);
    const other = await pkcePair();
    expect(await exchange(code, other.verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses an authorization request without code_challenge', async () => {
    const res = await openAuthorization(authorizationUrl({}));
    expect(res.status).toBe(303);
    expect(new URL(res.location!).origin + new URL(res.location!).pathname).toBe(REDIRECT);
    expect(res.error).toBe('invalid_request');
    expect(new URL(res.location!).searchParams.get('state')).toBe('xyz');
    expect(new URL(res.location!).searchParams.get('iss')).toBe(server.url);
  });

  it('refuses the plain code_challenge_method', async () => {
    const res = await openAuthorization(authorizationUrl({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }));
    expect(res.error).toBe('invalid_request');
  });
});

describe('redirect URIs', () => {
  it('shows an unregistered redirect URI on our page and never redirects to it', async () => {
    const { challenge } = await pkcePair();
    const res = await openAuthorization(authorizationUrl({ code_challenge: challenge, redirect_uri: 'https://evil.example/cb' }));
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
    expect(res.page).toContain('The redirect URI is not registered');
  });

  it('accepts a loopback redirect URI on another port (RFC 8252)', async () => {
    const { challenge } = await pkcePair();
    const res = await openAuthorization(authorizationUrl({ code_challenge: challenge, redirect_uri: 'http://127.0.0.1:51999/cb' }));
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/oauth\/requests\//);
  });
});

describe('codes', () => {
  it('refuses a replayed code and revokes the tokens issued from it', async () => {
    const { code, verifier } = await codeFor(keys.alice);
    const first = await exchange(code, verifier);
    expect(first.status).toBe(200);
    expect(await exchange(code, verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await refresh(first.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses an expired code', async () => {
    const { code, verifier } = await codeFor(keys.alice);
    // Time passing, as the database sees it: the code's 60 s are over.
    await database.db.update(oauthCodes).set({ expiresAt: new Date(Date.now() - 1000) }).where(isNull(oauthCodes.usedAt));
    expect(await exchange(code, verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'The code has expired.' } });
  });
});

describe('refresh tokens', () => {
  it('revokes the whole grant when a refresh token is used twice', async () => {
    const { code, verifier } = await codeFor(keys.alice);
    const first = await exchange(code, verifier);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(await refresh(first.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await refresh(second.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

describe('resources', () => {
  it('refuses an authorization request without resource', async () => {
    const { challenge } = await pkcePair();
    expect((await openAuthorization(authorizationUrl({ code_challenge: challenge, resource: undefined }))).error).toBe('invalid_target');
  });

  it("refuses another server's resource", async () => {
    const { challenge } = await pkcePair();
    expect((await openAuthorization(authorizationUrl({ code_challenge: challenge, resource: 'https://other.example/mcp' }))).error).toBe('invalid_target');
  });

  it('binds the resource into the access token audience', async () => {
    const { code, verifier } = await codeFor(keys.alice);
    const tokens = await exchange(code, verifier);
    const claims = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ iss: server.url, aud: `${server.url}/mcp`, tenant: 'alice-co', client_id: clientId, sub: expect.stringMatching(/^key:/) });
  });
});

describe('dynamic client registration', () => {
  it.each([
    ['no redirect URIs', { client_name: 'x' }, 'invalid_redirect_uri'],
    ['an http redirect URI to another host', { redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
    ['an unsupported grant type', { redirect_uris: [REDIRECT], grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
  ])('refuses metadata with %s', async (_what, metadata, error) => {
    const res = await fetch(new URL('/register', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(metadata) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  it('rate-limits registrations with 429', async () => {
    const register = () =>
      fetch(new URL('/register', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.9' }, body: JSON.stringify({ redirect_uris: [REDIRECT] }) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await register()).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});

describe('the consent page', () => {
  it('is served with a strict CSP, no framing, no referrer, no caching and no script', async () => {
    const browser = new Browser();
    const { challenge } = await pkcePair();
    const start = await browser.fetch(authorizationUrl({ code_challenge: challenge }));
    expect(start.headers.get('Set-Cookie')).toMatch(/HttpOnly/i);
    expect(start.headers.get('Set-Cookie')).toMatch(/SameSite=Lax/i);
    const res = await browser.fetch(new URL(start.headers.get('Location')!, server.url));
    const csp = res.headers.get('Content-Security-Policy')!;
    for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) expect(csp).toContain(directive);
    expect(res.headers.get('X-Frame-Options')).toBe('DENY');
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.text()).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/i);
  });

  it('refuses a consent POST without its CSRF token with 403', async () => {
    const browser = new Browser();
    const { challenge } = await pkcePair();
    const start = await browser.fetch(authorizationUrl({ code_challenge: challenge }));
    const page = new URL(start.headers.get('Location')!, server.url);
    const signIn = await (await browser.fetch(page)).text();
    expect((await browser.post(new URL(`${page.pathname}/api-key`, page), [['csrf', csrfOf(signIn)], ['api_key', keys.alice]])).status).toBe(303);
    const res = await browser.post(new URL(`${page.pathname}/consent`, page), [['scope', 'math'], ['decision', 'allow']]);
    expect(res.status).toBe(403);
    expect(res.headers.get('Location')).toBeNull();
  });

  it('issues only the scopes the user left ticked', async () => {
    const { code, verifier } = await codeFor(keys.alice, ['math']);
    const tokens = await exchange(code, verifier);
    expect(tokens.body.scope).toBe('math');
    const list = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${tokens.body.access_token}` });
    expect((await list.json()).result.tools.map((t: { name: string }) => t.name).sort()).toEqual(['add', 'multiply', 'whoami']); // whoami needs no scope
  });
});

describe('keys and tenants', () => {
  it("acts only as the key's own tenant: a token from another tenant's key cannot see this tenant's notes", async () => {
    const alice = await exchange(...Object.values(await codeFor(keys.alice)) as [string, string]);
    const bob = await exchange(...Object.values(await codeFor(keys.bob)) as [string, string]);
    const call = (token: string, name: string, args: object) =>
      postMcp(server.url, rpc('tools/call', { name, arguments: args }), { Authorization: `Bearer ${token}` }).then((r) => r.json());
    await call(alice.body.access_token, 'note_put', { key: 'secret', value: 'alice only' });
    const seen = await call(bob.body.access_token, 'note_get', { key: 'secret' });
    expect(JSON.stringify(seen)).not.toContain('alice only');
  });

  it('refuses to sign in with a revoked key', async () => {
    const revoked = await createKey(database.db, { tenant: 'alice-co', scopes: 'math' });
    await revokeKey(database.db, revoked.id);
    const { challenge } = await pkcePair();
    const refused = await completeAuthorization(authorizationUrl({ code_challenge: challenge }), { apiKey: revoked.key }).catch((e) => e);
    expect(refused).toBeInstanceOf(SignInRefused);
    expect(refused.page).toContain('This key is not valid');
  });

  it('ends the grant when its key is revoked: refresh fails', async () => {
    const created = await createKey(database.db, { tenant: 'alice-co', scopes: 'math' });
    const tokens = await exchange(...Object.values(await codeFor(created.key)) as [string, string]);
    await revokeKey(database.db, created.id);
    expect(await refresh(tokens.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('ends the grant when its tenant is suspended: sign-in, refresh and access tokens are refused', async () => {
    await createTenant(database.db, { slug: 'sleepy-co', scopes: 'math' });
    const { key } = await createKey(database.db, { tenant: 'sleepy-co', scopes: 'math' });
    const tokens = await exchange(...Object.values(await codeFor(key)) as [string, string]);
    await updateTenant(database.db, 'sleepy-co', { status: 'suspended' });
    expect(await refresh(tokens.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${tokens.body.access_token}` })).status).toBe(401);
    const { challenge } = await pkcePair();
    const refused = await completeAuthorization(authorizationUrl({ code_challenge: challenge }), { apiKey: key }).catch((e) => e);
    expect(refused.page).toContain('This account is suspended');
  });
});

describe('the rest of the flow', () => {
  it('sends a denial back as access_denied with state and iss', async () => {
    const { challenge } = await pkcePair();
    const back = await completeAuthorization(authorizationUrl({ code_challenge: challenge }), { apiKey: keys.alice, decision: 'deny' });
    expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'access_denied', state: 'xyz', iss: server.url });
    expect(back.searchParams.get('code')).toBeNull();
  });

  it("refuses a pending request opened in another browser (without the starting browser's cookie)", async () => {
    const { challenge } = await pkcePair();
    const start = await new Browser().fetch(authorizationUrl({ code_challenge: challenge }));
    const page = await new Browser().fetch(new URL(start.headers.get('Location')!, server.url));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('opened in another browser');
  });

  it('revokes a grant through its refresh token (RFC 7009)', async () => {
    const tokens = await exchange(...Object.values(await codeFor(keys.alice)) as [string, string]);
    const revoked = await tokenRequest(server.url, { token: tokens.body.refresh_token, token_type_hint: 'refresh_token', client_id: clientId }, '/revoke');
    expect(revoked.status).toBe(200);
    expect(await refresh(tokens.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('authenticates a confidential client with HTTP Basic and refuses a wrong secret', async () => {
    const confidential = await registerClient(database.db, { name: 'Confidential', redirectUris: [REDIRECT], confidential: true });
    const { verifier, challenge } = await pkcePair();
    const back = await completeAuthorization(authorizationUrl({ code_challenge: challenge, client_id: confidential.clientId }), { apiKey: keys.alice });
    const basic = (secret: string) => `Basic ${Buffer.from(`${confidential.clientId}:${secret}`).toString('base64')}`;
    const post = (secret: string) =>
      fetch(new URL('/token', server.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(secret) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT }).toString(),
      });
    const wrong = await post('tmcs_wrong');
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toBe('invalid_client');
    expect((await post(confidential.clientSecret!)).status).toBe(200);
  });
});

describe('request bodies', () => {
  it('refuses a token request body over 64 KB with 413', async () => {
    const res = await fetch(new URL('/token', server.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${'a'.repeat(70_000)}`,
    });
    expect(res.status).toBe(413);
  });

  it('ends the grant when its key expires: refresh fails', async () => {
    const created = await createKey(database.db, { tenant: 'alice-co', scopes: 'math', expiresInMs: 2_000 });
    const tokens = await exchange(...Object.values(await codeFor(created.key)) as [string, string]);
    await new Promise((r) => setTimeout(r, 2_100));
    expect(await refresh(tokens.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('expired') } });
  });
});
