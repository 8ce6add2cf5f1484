import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { SessionSigner } from '../src/web/session-signer.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient } from './helpers/mcp.ts';
import { csrfIn, getPage, mergeCookies, type PageSession, postForm, signIn } from './helpers/pages.ts';
import { expectNoSecretsIn } from './helpers/secrets.ts';
import { type RunningServer, startServer } from './helpers/server.ts';
import { waitForUsage } from './helpers/usage.ts';

const ADMIN_TOKEN = 'console-admin-token-'.padEnd(48, 'z');
let database: TempDatabase;
let server: RunningServer;
let admin: PageSession;
let acmeKey: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', name: 'Acme Inc.', scopes: 'math,notes:*' });
  acmeKey = (await createKey(database.db, { tenant: 'acme', scopes: 'math', name: 'laptop' })).key;
  server = await startServer({ DATABASE_URL: database.url, ADMIN_TOKEN, USAGE_FLUSH_INTERVAL_MS: '100', KEY_CACHE_TTL_SECONDS: '0' });
  admin = await signIn(server.url, '/console', ADMIN_TOKEN);
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

describe('console sign-in', () => {
  it('signs in with the admin token and sets a strict, HttpOnly, expiring session cookie', async () => {
    const form = await getPage(server.url, '/console/login');
    const cookie = mergeCookies('', form);
    const res = await postForm(server.url, '/console/login', { csrf: csrfIn(await form.text()), credential: ADMIN_TOKEN }, { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/console');
    const session = res.headers.getSetCookie().find((c) => c.startsWith('tmcp_console='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Max-Age=\d+/);
    expect(session).toMatch(/Path=\/console/);
    expect(session).not.toMatch(/Secure/); // plain http on loopback; PUBLIC_URL https adds it
    expect(session).not.toContain(ADMIN_TOKEN);
  });

  it('refuses a wrong credential and a tenant API key with 401', async () => {
    expect((await signIn(server.url, '/console', 'w'.repeat(48))).response.status).toBe(401);
    expect((await signIn(server.url, '/console', acmeKey)).response.status).toBe(401);
    expectNoSecretsIn(server.output(), [acmeKey, ADMIN_TOKEN]);
  });

  it('sends a browser without a session to the sign-in page', async () => {
    const res = await getPage(server.url, '/console');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/console/login');
  });

  it('accepts Authorization: Bearer with the admin token, for automation', async () => {
    const ok = await fetch(new URL('/console/tenants', server.url), { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('acme');
    const bad = await fetch(new URL('/console/tenants', server.url), { headers: { Authorization: `Bearer ${acmeKey}` } });
    expect(bad.status).toBe(401);
  });

  it('logs out: the cookie is cleared and the old page sends to sign-in', async () => {
    const mine = await signIn(server.url, '/console', ADMIN_TOKEN);
    const res = await postForm(server.url, '/console/logout', { csrf: mine.csrf }, { cookie: mine.cookie });
    expect(res.status).toBe(303);
    const cleared = mergeCookies(mine.cookie, res);
    expect(cleared).not.toContain('tmcp_console=');
    expect((await getPage(server.url, '/console', cleared)).status).toBe(303);
  });
});

describe('console refusals', () => {
  it('refuses a form posted without its CSRF token with 403, and changes nothing', async () => {
    const res = await postForm(server.url, '/console/tenants', { slug: 'no-csrf', scopes: 'math' }, { cookie: admin.cookie });
    expect(res.status).toBe(403);
    const wrong = await postForm(server.url, '/console/tenants', { slug: 'no-csrf', scopes: 'math', csrf: 'x'.repeat(32) }, { cookie: admin.cookie });
    expect(wrong.status).toBe(403);
    expect(await (await getPage(server.url, '/console/tenants', admin.cookie)).text()).not.toContain('no-csrf');
  });

  it('refuses a form posted from another origin with 403, even with the token', async () => {
    const res = await postForm(server.url, '/console/tenants', { slug: 'evil', scopes: 'math', csrf: admin.csrf }, { cookie: admin.cookie, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });

  it('refuses a forged session cookie', async () => {
    const forged = await new SessionSigner('f'.repeat(48)).issue('console', 3_600_000);
    const cookie = `tmcp_console=${forged.value}`;
    expect((await getPage(server.url, '/console', cookie)).headers.get('Location')).toBe('/console/login');
    expect((await postForm(server.url, '/console/tenants', { slug: 'forged', scopes: 'math', csrf: forged.session.csrf }, { cookie })).status).toBe(401);
    // A genuine cookie with its payload edited (a later expiry) no longer verifies.
    const [payload, mac] = admin.cookie.match(/tmcp_console=([^;]+)/)![1]!.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), exp: Date.now() + 1e9 })).toString('base64url');
    expect((await getPage(server.url, '/console', `tmcp_console=${edited}.${mac}`)).status).toBe(303);
  });

  it('refuses an expired session cookie', async () => {
    const expired = await new SessionSigner(ADMIN_TOKEN, { now: () => Date.now() - 3_600_000 }).issue('console', 60_000);
    const cookie = `tmcp_console=${expired.value}`;
    expect((await getPage(server.url, '/console', cookie)).headers.get('Location')).toBe('/console/login');
    expect((await postForm(server.url, '/console/tenants', { slug: 'late', scopes: 'math', csrf: expired.session.csrf }, { cookie })).status).toBe(401);
  });

  it('serves every page with a strict CSP, no framing and no caching', async () => {
    for (const path of ['/console', '/console/tenants', '/console/tenants/acme', '/console/usage', '/console/login']) {
      const res = await getPage(server.url, path, admin.cookie);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('Content-Security-Policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      const html = await res.text();
      expect(html).not.toMatch(/<script>|style="|on(click|load)=/); // nothing inline for the CSP to refuse
      expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/); // no third-party origin
    }
  });
});

describe('console pages', () => {
  it('creates a tenant, then a key shown only in the response that created it', async () => {
    const created = await postForm(server.url, '/console/tenants', { slug: 'globex', name: 'Globex', scopes: 'math notes:read', csrf: admin.csrf }, { cookie: admin.cookie });
    expect(created.status).toBe(303);
    expect(created.headers.get('Location')).toMatch(/^\/console\/tenants\/globex\?notice=/);
    const res = await postForm(server.url, '/console/tenants/globex/keys', { name: 'ci', scopes: 'math', csrf: admin.csrf }, { cookie: admin.cookie });
    expect(res.status).toBe(201);
    const html = await res.text();
    const key = /id="created-key"[^>]*>(tmcp_[^<]+)</.exec(html)![1]!;
    expect(html).toContain('mcp-remote'); // the Claude Desktop snippet
    expect(html.split(`Bearer ${key}`).length - 1).toBeGreaterThanOrEqual(4); // Claude Desktop, Cursor, VS Code, Inspector
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.url).not.toContain(key);
    const later = await (await getPage(server.url, '/console/tenants/globex', admin.cookie)).text();
    expect(later).not.toContain(key);
    const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
    expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).toMatchObject({ content: [{ text: '5' }] });
    await client.close();
  });

  it('refuses a key outside the tenant plan and says why', async () => {
    const res = await postForm(server.url, '/console/tenants/globex/keys', { scopes: 'github:read', csrf: admin.csrf }, { cookie: admin.cookie });
    expect(res.status).toBe(303);
    expect(decodeURIComponent(res.headers.get('Location')!)).toContain('Scope github:read is not allowed for tenant "globex"');
  });

  it('suspends and resumes a tenant, and sets and shows a limit', async () => {
    expect((await postForm(server.url, '/console/tenants/globex/status', { status: 'suspended', csrf: admin.csrf }, { cookie: admin.cookie })).status).toBe(303);
    expect(await (await getPage(server.url, '/console/tenants/globex', admin.cookie)).text()).toContain('badge suspended');
    expect((await postForm(server.url, '/console/tenants/globex/status', { status: 'active', csrf: admin.csrf }, { cookie: admin.cookie })).status).toBe(303);
    const limit = await postForm(server.url, '/console/tenants/globex/limits', { rate: '60/min', quota: '1000/month', csrf: admin.csrf }, { cookie: admin.cookie });
    expect(decodeURIComponent(limit.headers.get('Location')!)).toContain('rate 60/minute, quota 1000/month');
    expect(await (await getPage(server.url, '/console/tenants/globex', admin.cookie)).text()).toContain('1000/month');
  });

  it('draws the overview and the explorer from real calls, and downloads them as the CLI exports them', async () => {
    const client = await connectClient(server.url, { Authorization: `Bearer ${acmeKey}` });
    await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await client.callTool({ name: 'multiply', arguments: { a: 2, b: 2 } });
    await client.close();
    await waitForUsage(database.db, (rows) => rows.filter((r) => r.tenant === 'acme' && r.tool !== null).length >= 2 && rows.some((r) => r.tenant === 'globex'));
    const overview = await (await getPage(server.url, '/console?range=24h', admin.cookie)).text();
    expect(Number(/data-chart="calls" data-total="(\d+)"/.exec(overview)![1])).toBeGreaterThanOrEqual(3);
    expect(overview).toMatch(/Top tenants by calls: [^"]*acme/);
    const explorer = await (await getPage(server.url, '/console/usage?tenant=acme&tool=multiply&range=7d', admin.cookie)).text();
    expect(explorer).toContain('data-tool="multiply"');
    expect(explorer).not.toContain('data-tool="add"');
    const csv = await getPage(server.url, '/console/usage/export?tenant=acme&format=csv&range=24h', admin.cookie);
    expect(csv.headers.get('Content-Type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('at,tenant,keyId,subject,tool,outcome,durationMs,requestBytes,responseBytes,protocolVersion,userAgent,clientId,upstreamStatus,upstreamMs');
    expect(lines.filter((l) => l.includes(',acme,')).length).toBeGreaterThanOrEqual(2);
    const ndjson = await (await getPage(server.url, '/console/usage/export?tenant=acme&tool=add&format=ndjson&range=24h', admin.cookie)).text();
    expect(ndjson.trim().split('\n').map((l) => JSON.parse(l).tool)).toEqual(['add']);
    expect((await getPage(server.url, '/console/usage?tenant=nobody', admin.cookie)).status).toBe(404);
    expect((await getPage(server.url, '/console/usage?range=custom&since=yesterday', admin.cookie)).status).toBe(200);
  });

  it('revokes a key from the tenant page, and only within that tenant', async () => {
    const { id, key } = await createKey(database.db, { tenant: 'acme', scopes: 'math', name: 'to-revoke' });
    const wrongTenant = await postForm(server.url, `/console/tenants/globex/keys/${id}/revoke`, { csrf: admin.csrf }, { cookie: admin.cookie });
    expect(decodeURIComponent(wrongTenant.headers.get('Location')!)).toContain(`No key "${id}" for tenant "globex"`);
    const res = await postForm(server.url, `/console/tenants/acme/keys/${id}/revoke`, { csrf: admin.csrf }, { cookie: admin.cookie });
    expect(decodeURIComponent(res.headers.get('Location')!)).toContain(`Revoked key ${id}`);
    await expect(connectClient(server.url, { Authorization: `Bearer ${key}` })).rejects.toThrow(/invalid_token/);
  });
});

describe('console without an admin credential', () => {
  it('answers 404 on every path, as /admin does', async () => {
    const plain = await startServer({ DATABASE_URL: database.url });
    try {
      for (const path of ['/console', '/console/login', '/console/tenants', '/console/assets/app.css']) {
        expect((await getPage(plain.url, path)).status, path).toBe(404);
      }
      expect((await postForm(plain.url, '/console/login', { credential: ADMIN_TOKEN })).status).toBe(404);
      expect((await fetch(new URL('/admin/tenants', plain.url))).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
