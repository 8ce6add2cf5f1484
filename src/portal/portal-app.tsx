import { Hono } from 'hono';
import type { Context } from 'hono';
import { uncovered } from '../auth/scopes.ts';
import { TENANT_ADMIN_SCOPE } from '../auth/tenant-admin.ts';
import type { Logger } from '../app.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { bodyLimit } from '../http/body-limit.ts';
import { connectionSnippets } from '../services/connection-snippets.ts';
import { type ConnectorEnv, removeConnectorSecret, setConnectorSecret, tenantConnectorSecrets } from '../services/connectors.ts';
import { parseDuration } from '../services/duration.ts';
import { createKey, listKeys, revokeKey } from '../services/keys.ts';
import { listLimits } from '../services/limits.ts';
import { scopeList } from '../services/tenants.ts';
import { aggregateUsage, listUsage, usageOverview } from '../services/usage.ts';
import { assets, type AssetName } from '../web/assets.ts';
import { formText } from '../web/form-text.ts';
import { revokeTenantGrant, tenantGrants } from '../web/tenant-grants.ts';
import { publicBase } from '../web/public-base.ts';
import { pageHeaders } from '../web/page-security.ts';
import { type PageEnv, requireSession } from '../web/require-session.ts';
import { timeRange } from '../web/time-range.ts';
import { PortalPage, type PortalPageProps, type QuotaUse } from './portal-page.tsx';
import type { PortalAdmin, PortalSignIn } from './portal-sign-in.tsx';

/** What the customer page needs from the app. */
export interface PortalAppDeps {
  db: Database;
  config: Config;
  log: Logger;
  /** Signing in: the key form, OpenID Connect providers, and the session check. */
  signIn: PortalSignIn;
  /** Seals the tenant's connector secrets, and makes this instance forget the old one. */
  connectors: Pick<ConnectorEnv, 'secretBox' | 'credentials'>;
}

const MAX_FORM_BYTES = 64 * 1024;

/**
 * Builds the customer page, to be mounted at `/portal`. A customer's administrator signs in with
 * an API key that holds the tenant-admin grant (`tenant:admin`) or through an OpenID Connect
 * provider whose admin rule names them ({@link PortalSignIn}); the session is re-checked on every
 * request. Every query is scoped to the session's tenant: ids from the request are only ever
 * looked up within it.
 */
export function createPortalApp(deps: PortalAppDeps): Hono<PageEnv> {
  const { db, config, log } = deps;
  const app = new Hono<PageEnv>();
  const { sessions, origin } = deps.signIn;
  // The signed-in administrator, looked up once per request by the session check.
  const admins = new WeakMap<Request, PortalAdmin>();

  app.use('*', pageHeaders());
  app.use('*', bodyLimit({ maxBytes: MAX_FORM_BYTES, tooLarge: () => new Response('The form is too large.', { status: 413 }) }));
  app.get('/assets/:name', (c) => {
    if (!Object.hasOwn(assets, c.req.param('name'))) return c.notFound();
    const asset = assets[c.req.param('name') as AssetName];
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' });
  });

  app.route('/', deps.signIn.routes());

  app.use(
    '*',
    requireSession({
      sessions,
      loginPath: '/portal/login',
      allowedOrigin: origin,
      async stillValid(session, c) {
        const admin = await deps.signIn.admin(session);
        if (admin) admins.set(c.req.raw, admin);
        return admin !== undefined;
      },
    }),
  );
  app.post('/logout', (c) => {
    sessions.end(c);
    return c.redirect('/portal/login?signed_out=1', 303);
  });

  const page = async (c: Context<PageEnv>, extra: Partial<PortalPageProps> = {}, status: 200 | 201 | 400 | 404 = 200) => {
    const admin = admins.get(c.req.raw)!;
    const { tenant } = admin;
    let error = extra.error;
    let range;
    try {
      range = timeRange({ range: c.req.query('range'), since: c.req.query('since'), until: c.req.query('until') }, Date.now(), '7d');
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      error ??= e.message;
      status = 400;
      range = timeRange({}, Date.now(), '7d');
    }
    const keys = (await listKeys(db, tenant.slug)).items;
    let keyFilter = c.req.query('keyId')?.slice(0, 64) || undefined;
    if (keyFilter !== undefined && !keys.some((k) => k.id === keyFilter)) {
      error ??= `No key "${keyFilter}" in your tenant.`;
      status = 404;
      keyFilter = undefined;
    }
    const filter = { tenant: tenant.slug, keyId: keyFilter, since: range.since, until: range.until };
    const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
    const admitted = async (narrow: { keyId?: string; tool?: string }) => {
      const [total] = (await aggregateUsage(db, { tenant: tenant.slug, since: monthStart, keyId: narrow.keyId, tool: narrow.tool })).items;
      return total ? total.calls - total.denied - total.rateLimited : 0;
    };
    const [overview, recent, limits, monthCalls, apps, connectorSecrets] = await Promise.all([
      usageOverview(db, { ...filter, bucketMs: range.bucketMs }),
      listUsage(db, { ...filter, limit: 50 }),
      listLimits(db, tenant.slug),
      admitted({}),
      tenantGrants(db, tenant.slug),
      tenantConnectorSecrets(db, tenant.id),
    ]);
    const quotas: QuotaUse[] = [];
    for (const limit of limits.filter((l) => l.quota !== null)) quotas.push({ limit, used: await admitted({ keyId: limit.keyId ?? undefined, tool: limit.tool ?? undefined }) });
    return c.html(
      <PortalPage csrf={c.get('csrf')} tenant={tenant} signedIn={admin} range={range} keyFilter={keyFilter} overview={overview} rows={recent.items} keys={keys} limits={limits} quotas={quotas} monthCalls={monthCalls} grants={apps.grants} clientNames={apps.clientNames} accessTokenTtlSeconds={config.OAUTH_ACCESS_TOKEN_TTL_SECONDS} connectorSecrets={connectorSecrets} notice={c.req.query('notice')} {...extra} error={error} />,
      status,
    );
  };
  const failed = (c: Context<PageEnv>, error: unknown) => {
    if (!(error instanceof AppError)) throw error;
    return page(c, { error: error.message }, error.code === 'not_found' ? 404 : 400);
  };

  app.get('/', (c) => page(c));
  app.post('/keys', async (c) => {
    const admin = admins.get(c.req.raw)!;
    const { tenant } = admin;
    const form = await c.req.parseBody();
    try {
      const scopes = scopeList(formText(form, 'scopes') ?? '');
      // Never above the signed-in key's own scopes, or the provider's ceiling; createKey then holds them within the plan.
      if (!admin.viaKey && scopes.includes(TENANT_ADMIN_SCOPE)) throw new AppError('invalid', `Only your provider creates administrator keys (${TENANT_ADMIN_SCOPE}); sign in with an administrator key to hand one out`);
      const beyond = uncovered(admin.ceiling, scopes);
      if (beyond.length > 0) throw new AppError('invalid', `Scope ${beyond.join(', ')} is beyond ${admin.viaKey ? "your own key's scopes" : 'what your sign-in allows'} (${admin.ceiling.join(', ')})`);
      const expiresIn = formText(form, 'expiresIn');
      const key = await createKey(db, { tenant: tenant.slug, scopes, name: formText(form, 'name'), expiresInMs: expiresIn === undefined ? undefined : parseDuration(expiresIn) });
      log.info(`Portal: ${admin.actor} of ${tenant.slug} created key ${key.id}`);
      return page(c, { created: { key, snippets: connectionSnippets(publicBase(c, config), key.key) } }, 201);
    } catch (error) {
      return failed(c, error);
    }
  });
  app.post('/keys/:id/revoke', async (c) => {
    const { actor, tenant } = admins.get(c.req.raw)!;
    try {
      const revoked = await revokeKey(db, c.req.param('id'), { tenant: tenant.slug });
      log.info(`Portal: ${actor} of ${tenant.slug} revoked key ${revoked.id}`);
      return c.redirect(`/portal?notice=${encodeURIComponent(`Revoked key ${revoked.id}. It stops working within ${config.KEY_CACHE_TTL_SECONDS} s.`)}`, 303);
    } catch (error) {
      return failed(c, error);
    }
  });
  app.post('/apps/:id/revoke', async (c) => {
    const { actor, tenant } = admins.get(c.req.raw)!;
    try {
      const id = c.req.param('id');
      await revokeTenantGrant(db, tenant.slug, id, 'revoked by the tenant administrator');
      log.info(`Portal: ${actor} of ${tenant.slug} revoked grant ${id}`);
      return c.redirect(`/portal?notice=${encodeURIComponent(`Disconnected the app (grant ${id}): it can no longer refresh, and its access tokens stop working within ${config.OAUTH_ACCESS_TOKEN_TTL_SECONDS} s.`)}`, 303);
    } catch (error) {
      return failed(c, error);
    }
  });

  app.post('/connectors/:name/secret', async (c) => {
    const { actor, tenant } = admins.get(c.req.raw)!;
    const form = await c.req.parseBody();
    try {
      const name = c.req.param('name');
      // Only connectors that ask tenants for a secret: the service refuses the others.
      await setConnectorSecret(db, deps.connectors, name, tenant.slug, typeof form.secret === 'string' ? form.secret : '');
      log.info(`Portal: ${actor} of ${tenant.slug} set the secret for connector ${name}`);
      return c.redirect(`/portal?notice=${encodeURIComponent(`Saved your credential for ${name}. It is used from the next call.`)}`, 303);
    } catch (error) {
      return failed(c, error);
    }
  });
  app.post('/connectors/:name/secret/remove', async (c) => {
    const { actor, tenant } = admins.get(c.req.raw)!;
    try {
      const name = c.req.param('name');
      await removeConnectorSecret(db, deps.connectors, name, tenant.slug);
      log.info(`Portal: ${actor} of ${tenant.slug} removed the secret for connector ${name}`);
      return c.redirect(`/portal?notice=${encodeURIComponent(`Removed your credential for ${name}.`)}`, 303);
    } catch (error) {
      return failed(c, error);
    }
  });

  return app;
}
