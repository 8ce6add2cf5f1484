import { Hono } from 'hono';
import type { Context } from 'hono';
import type { VerifyAdmin } from '../admin/admin-auth.ts';
import { looksLikeApiKey } from '../auth/api-key.ts';
import type { Logger } from '../app.ts';
import { type Config, publicUrl } from '../config.ts';
import type { Database } from '../db/database.ts';
import { usageOutcomes, type UsageOutcome } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { bodyLimit } from '../http/body-limit.ts';
import { connectionSnippets } from '../services/connection-snippets.ts';
import { parseDuration } from '../services/duration.ts';
import { listIssuers, removeIssuer } from '../services/issuers.ts';
import { createKey, listKeys, revokeKey } from '../services/keys.ts';
import { listLimits, setLimits } from '../services/limits.ts';
import { createTenant, getTenant, listTenants, updateTenant } from '../services/tenants.ts';
import { listUsage, type UsageFilter, usageOverview } from '../services/usage.ts';
import { exportUsage } from '../services/usage-export.ts';
import { assets, type AssetName } from '../web/assets.ts';
import { formText } from '../web/form-text.ts';
import { revokeTenantGrant, tenantGrants } from '../web/tenant-grants.ts';
import { publicBase } from '../web/public-base.ts';
import { LoginPage } from '../web/login-page.tsx';
import { pageHeaders, sameOrigin, csrfTokenMatches } from '../web/page-security.ts';
import { PageSessions } from '../web/page-sessions.ts';
import { type PageEnv, requireSession } from '../web/require-session.ts';
import type { SessionSigner } from '../web/session-signer.ts';
import { timeRange } from '../web/time-range.ts';
import { OverviewPage } from './overview-page.tsx';
import { TenantPage, type TenantPageProps } from './tenant-page.tsx';
import { TenantsPage } from './tenants-page.tsx';
import { type ExplorerFilter, UsagePage } from './usage-page.tsx';

/** What the operator console needs from the app. */
export interface ConsoleAppDeps {
  db: Database;
  config: Config;
  log: Logger;
  /** The admin credential check the admin API uses; undefined (none configured) turns the console off. */
  verifyAdmin: VerifyAdmin | undefined;
  signer: SessionSigner;
}

const MAX_FORM_BYTES = 64 * 1024;
const BRAND = 'tenant-mcp console';

/**
 * Builds the operator console, to be mounted at `/console`: server-rendered pages over the same
 * services as the admin API and the CLI. Signed in with the admin credential (a form that sets a
 * session cookie, or `Authorization: Bearer` for automation). Without an admin credential
 * configured it has no routes, so every path answers 404, as /admin does.
 */
export function createConsoleApp(deps: ConsoleAppDeps): Hono<PageEnv> {
  const { db, config, log, verifyAdmin } = deps;
  const app = new Hono<PageEnv>();
  if (verifyAdmin === undefined) return app;
  const origin = new URL(publicUrl(config)).origin;
  const sessions = new PageSessions({ signer: deps.signer, kind: 'console', ttlMs: config.SESSION_TTL_SECONDS * 1000, secure: origin.startsWith('https:') });
  const isAdmin = async (token: string) => !looksLikeApiKey(token) && (await verifyAdmin(token)).ok;

  app.use('*', pageHeaders());
  app.use('*', bodyLimit({ maxBytes: MAX_FORM_BYTES, tooLarge: () => new Response('The form is too large.', { status: 413 }) }));
  app.get('/assets/:name', (c) => {
    const asset = assets[c.req.param('name') as AssetName];
    if (!Object.hasOwn(assets, c.req.param('name'))) return c.notFound();
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' });
  });

  const loginPage = async (c: Context, status: 200 | 401 | 403, error?: string, notice?: string) =>
    c.html(
      <LoginPage base="/console" brand={BRAND} heading="Sign in to the console" label="Admin credential" hint="The server's ADMIN_TOKEN, or an admin JWT. It is sent once in this form's body and never stored in the browser." csrf={await sessions.loginToken(c)} error={error} notice={notice} />,
      status,
    );
  app.get('/login', (c) => loginPage(c, 200, undefined, c.req.query('signed_out') === '1' ? 'Signed out.' : undefined));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const login = await sessions.loginSession(c);
    if (!sameOrigin(c, origin) || !login || !csrfTokenMatches(form.csrf, login.csrf)) return loginPage(c, 403, 'The sign-in form expired or came from another site. Try again.');
    const credential = formText(form, 'credential');
    if (credential === undefined || !(await isAdmin(credential))) {
      log.warn('Refused a console sign-in');
      return loginPage(c, 401, 'That is not a valid admin credential.');
    }
    await sessions.start(c);
    return c.redirect('/console', 303);
  });

  app.use('*', requireSession({ sessions, loginPath: '/console/login', allowedOrigin: origin, bearer: isAdmin }));
  app.post('/logout', (c) => {
    sessions.end(c);
    return c.redirect('/console/login?signed_out=1', 303);
  });

  app.get('/', async (c) => {
    const { range, error } = rangeOf(c, '24h');
    const overview = await usageOverview(db, { since: range.since, until: range.until, bucketMs: range.bucketMs });
    return c.html(<OverviewPage csrf={c.get('csrf')} range={range} overview={overview} />, error ? 400 : 200);
  });

  app.get('/tenants', async (c) => {
    const q = (c.req.query('q') ?? '').trim().toLowerCase().slice(0, 200);
    const { items } = await listTenants(db);
    const tenants = q ? items.filter((t) => t.slug.includes(q) || t.name.toLowerCase().includes(q)) : items;
    return c.html(<TenantsPage csrf={c.get('csrf')} tenants={tenants} q={q} error={c.req.query('error')} notice={c.req.query('notice')} />);
  });
  app.post('/tenants', async (c) => {
    const form = await c.req.parseBody();
    try {
      const tenant = await createTenant(db, { slug: formText(form, 'slug') ?? '', name: formText(form, 'name'), scopes: formText(form, 'scopes') ?? '' });
      return c.redirect(`/console/tenants/${encodeURIComponent(tenant.slug)}?notice=${encodeURIComponent(`Created tenant ${tenant.slug}.`)}`, 303);
    } catch (error) {
      return redirectWithError(c, '/console/tenants', error);
    }
  });

  const tenantPage = async (c: Context<PageEnv>, extra: Partial<TenantPageProps> = {}, status: 200 | 201 | 400 | 404 = 200) => {
    const slug = c.req.param('slug') ?? '';
    let tenant;
    try {
      tenant = await getTenant(db, slug);
    } catch (error) {
      if (error instanceof AppError) return c.html(<TenantsPage csrf={c.get('csrf')} tenants={[]} q="" error={error.message} />, 404);
      throw error;
    }
    const { range, error } = rangeOf(c, '7d');
    const [overview, keys, limits, issuers, oauth] = await Promise.all([
      usageOverview(db, { tenant: tenant.slug, since: range.since, until: range.until, bucketMs: range.bucketMs }),
      listKeys(db, tenant.slug),
      listLimits(db, tenant.slug),
      listIssuers(db, tenant.slug),
      tenantGrants(db, tenant.slug),
    ]);
    return c.html(
      <TenantPage csrf={c.get('csrf')} tenant={tenant} range={range} overview={overview} keys={keys.items} limits={limits} issuers={issuers} grants={oauth.grants} clientNames={oauth.clientNames} accessTokenTtlSeconds={config.OAUTH_ACCESS_TOKEN_TTL_SECONDS} error={error ?? c.req.query('error')} notice={c.req.query('notice')} {...extra} />,
      status,
    );
  };
  const tenantPath = (c: Context) => `/console/tenants/${encodeURIComponent(c.req.param('slug') ?? '')}`;
  app.get('/tenants/:slug', (c) => tenantPage(c));
  app.post('/tenants/:slug/keys', async (c) => {
    const form = await c.req.parseBody();
    try {
      const expiresIn = formText(form, 'expiresIn');
      const key = await createKey(db, { tenant: c.req.param('slug'), scopes: formText(form, 'scopes') ?? '', name: formText(form, 'name'), expiresInMs: expiresIn === undefined ? undefined : parseDuration(expiresIn) });
      // Shown in this response only: nothing stores it, and the page is not cacheable.
      return tenantPage(c, { created: { key, snippets: connectionSnippets(publicBase(c, config), key.key) } }, 201);
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });
  app.post('/tenants/:slug/keys/:id/revoke', async (c) => {
    try {
      const revoked = await revokeKey(db, c.req.param('id'), { tenant: c.req.param('slug') });
      return redirectWithNotice(c, tenantPath(c), `Revoked key ${revoked.id}. It is refused within ${config.KEY_CACHE_TTL_SECONDS} s on every instance.`);
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });
  app.post('/tenants/:slug/grants/:id/revoke', async (c) => {
    try {
      await revokeTenantGrant(db, c.req.param('slug'), c.req.param('id'), 'revoked by an operator');
      return redirectWithNotice(c, tenantPath(c), `Revoked grant ${c.req.param('id')}: its refresh is refused now, its access tokens within ${config.OAUTH_ACCESS_TOKEN_TTL_SECONDS} s.`);
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });
  app.post('/tenants/:slug/scopes', async (c) => {
    const form = await c.req.parseBody();
    try {
      await updateTenant(db, c.req.param('slug'), { scopes: formText(form, 'scopes') ?? '' });
      return redirectWithNotice(c, tenantPath(c), 'Saved the plan scopes.');
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });
  app.post('/tenants/:slug/status', async (c) => {
    const form = await c.req.parseBody();
    const status = formText(form, 'status');
    try {
      if (status !== 'active' && status !== 'suspended') throw new AppError('invalid', 'The status must be active or suspended');
      await updateTenant(db, c.req.param('slug'), { status });
      return redirectWithNotice(c, tenantPath(c), status === 'active' ? 'Resumed the tenant.' : 'Suspended the tenant.');
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });
  app.post('/tenants/:slug/limits', async (c) => {
    const form = await c.req.parseBody();
    try {
      const limit = await setLimits(db, c.req.param('slug'), { keyId: formText(form, 'keyId'), tool: formText(form, 'tool'), rate: formText(form, 'rate'), quota: formText(form, 'quota') });
      return redirectWithNotice(c, tenantPath(c), `Limit saved: rate ${limit.rate ?? 'none'}, quota ${limit.quota ?? 'none'}.`);
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });
  app.post('/tenants/:slug/issuers/:id/remove', async (c) => {
    try {
      const removed = await removeIssuer(db, c.req.param('id'), { tenant: c.req.param('slug') });
      return redirectWithNotice(c, tenantPath(c), `No longer trusting ${removed.issuer}.`);
    } catch (error) {
      return redirectWithError(c, tenantPath(c), error);
    }
  });

  app.get('/usage', async (c) => {
    const filter = explorerFilter(c);
    const { range, error } = rangeOf(c, '24h');
    try {
      const usage = usageFilterOf(filter, range);
      const [overview, page] = await Promise.all([
        usageOverview(db, { ...usage, since: range.since, until: range.until, bucketMs: range.bucketMs }),
        listUsage(db, { ...usage, limit: 100, cursor: c.req.query('cursor') }),
      ]);
      return c.html(<UsagePage csrf={c.get('csrf')} filter={filter} range={range} overview={overview} rows={page.items} next={page.next} error={error} />);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return c.html(<UsagePage csrf={c.get('csrf')} filter={filter} range={range} rows={[]} next={null} error={e.message} />, e.code === 'not_found' ? 404 : 400);
    }
  });
  app.get('/usage/export', async (c) => {
    const format = c.req.query('format');
    if (format !== 'csv' && format !== 'ndjson') return c.text('Choose format=csv or format=ndjson.', 400);
    const { range, error } = rangeOf(c, '24h');
    if (error) return c.text(error, 400);
    const filter = usageFilterOf(explorerFilter(c), range);
    if (filter.tenant !== undefined) {
      try {
        await getTenant(db, filter.tenant); // refuse before the stream starts, not in the middle of it
      } catch (e) {
        if (e instanceof AppError) return c.text(e.message, 404);
        throw e;
      }
    }
    const chunks = exportUsage(db, filter, format);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
    return c.body(body, 200, {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'Content-Disposition': `attachment; filename="usage.${format}"`,
    });
  });

  return app;
}

function rangeOf(c: Context, fallback: '24h' | '7d' | '30d') {
  try {
    return { range: timeRange({ range: c.req.query('range'), since: c.req.query('since'), until: c.req.query('until') }, Date.now(), fallback), error: undefined };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { range: timeRange({ range: fallback }, Date.now(), fallback), error: error.message };
  }
}

function explorerFilter(c: Context): ExplorerFilter {
  const text = (name: string, max: number) => c.req.query(name)?.trim().slice(0, max) || undefined;
  return { tenant: text('tenant', 63), keyId: text('keyId', 64), tool: text('tool', 128), outcome: text('outcome', 32) };
}

function usageFilterOf(filter: ExplorerFilter, range: { since: Date; until: Date }): UsageFilter {
  if (filter.outcome !== undefined && !(usageOutcomes as readonly string[]).includes(filter.outcome)) throw new AppError('invalid', `Unknown outcome "${filter.outcome}"`);
  return { tenant: filter.tenant, keyId: filter.keyId, tool: filter.tool, outcome: filter.outcome as UsageOutcome | undefined, since: range.since, until: range.until };
}

function redirectWithNotice(c: Context, path: string, notice: string): Response {
  return c.redirect(`${path}?notice=${encodeURIComponent(notice)}`, 303);
}

/** Sends the browser back to the form's page with the failure; only expected failures (AppError) are shown. */
function redirectWithError(c: Context, path: string, error: unknown): Response {
  if (!(error instanceof AppError)) throw error;
  return c.redirect(`${path}?error=${encodeURIComponent(error.message)}`, 303);
}
