import { eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import { apiKeys, oauthClients, tenants } from '../db/schema.ts';
import { signInMethodsOf } from '../services/sign-in-methods.ts';
import { redirectToClient } from './authorize-endpoint.ts';
import { createGrant } from './grants.ts';
import type { OAuthContext } from './oauth-context.ts';
import { consentPage } from './pages/consent-page.ts';
import { errorPage, icon, stylesheet } from './pages/page-layout.ts';
import { signInPage } from './pages/sign-in-page.ts';
import type { PendingRequest } from './pending-requests.ts';
import { offeredScopes } from './scope-offer.ts';
import type { PendingAuthorization, SignInExtension, SignInExtensionFactory, SignInKit } from './sign-in/sign-in-extension.ts';
import type { SignedInUser } from './sign-in/signed-in-user.ts';

const EXPIRED = 'This sign-in page has expired or was opened in another browser. Start connecting again from the app.';
const CSRF_FAILED = 'The form was not sent from this page or has expired (CSRF check failed). Reload the page and try again.';

/**
 * The pages a user sees while authorizing an app, under /oauth: sign in (paste an API key, or a
 * method a sign-in extension adds), then consent. Server-rendered forms; no script anywhere.
 */
export function authorizationPages(ctx: OAuthContext, extensionFactory?: SignInExtensionFactory): Hono {
  const app = new Hono();
  const { db } = ctx;

  const clientOf = async (pending: PendingRequest) => {
    const [client] = await db.select({ name: oauthClients.name }).from(oauthClients).where(eq(oauthClients.id, pending.clientId)).limit(1);
    return { name: client?.name ?? pending.clientId, redirectHost: hostOf(pending.redirectUri) };
  };

  const showSignIn = async (c: Context, pending: PendingRequest, error?: string, status?: number) => {
    const client = await clientOf(pending);
    return signInPage({
      requestId: pending.id,
      csrf: await ctx.pending.csrfToken(c, pending.id),
      clientName: client.name,
      redirectHost: client.redirectHost,
      options: (await extension?.options?.(toPendingAuthorization(pending, client.name))) ?? [],
      organisationAction: extension?.organisationForm ? '/oauth/sign-in/organisation' : undefined,
      error,
      status,
    });
  };

  const showConsent = async (c: Context, pending: PendingRequest, user: SignedInUser, error?: string) => {
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, user.tenantId)).limit(1);
    if (!tenant || tenant.status !== 'active') return errorPage('Cannot connect this app', 'This account is suspended or no longer exists.', 403);
    const choices = offeredScopes(await ctx.catalog.tools(), { tenantScopes: tenant.scopes, maxScopes: user.maxScopes, requested: pending.scopes });
    if (choices.length === 0) {
      await ctx.pending.finish(pending.id);
      return redirectToClient(pending.redirectUri, ctx.issuer, pending.state, {
        error: 'invalid_scope',
        error_description: 'The signed-in account allows none of the requested scopes.',
      });
    }
    const client = await clientOf(pending);
    return consentPage({
      requestId: pending.id,
      csrf: await ctx.pending.csrfToken(c, pending.id),
      clientName: client.name,
      redirectHost: client.redirectHost,
      redirectTarget: formTarget(pending.redirectUri),
      tenantName: tenant.name === tenant.slug ? tenant.slug : `${tenant.name} (${tenant.slug})`,
      signedInAs: await describeUser(user),
      choices,
      error,
      status: error ? 400 : 200,
    });
  };

  const describeUser = async (user: SignedInUser) => {
    if (user.method !== 'api_key' || !user.keyId) return user.subject;
    const [key] = await db.select({ name: apiKeys.name }).from(apiKeys).where(eq(apiKeys.id, user.keyId)).limit(1);
    return `API key "${key?.name ?? user.keyId}" (${user.keyId})`;
  };

  const kit: SignInKit = {
    async completeSignIn(c, pendingId, user) {
      const pending = await ctx.pending.get(c, pendingId);
      if (!pending) return errorPage('Cannot connect this app', EXPIRED);
      await ctx.pending.signIn(pending.id, user);
      return c.redirect(`/oauth/requests/${pending.id}`, 303);
    },
    async pending(c, pendingId) {
      const pending = await ctx.pending.get(c, pendingId);
      return pending && toPendingAuthorization(pending, (await clientOf(pending)).name);
    },
    checkCsrf: (c, pendingId, token) => ctx.pending.checkCsrf(c, pendingId, token),
    errorPage,
    async signInAgain(c, pendingId, error) {
      const pending = await ctx.pending.get(c, pendingId);
      return pending ? showSignIn(c, pending, error, 400) : errorPage('Cannot connect this app', EXPIRED);
    },
  };
  const extension: SignInExtension | undefined = extensionFactory?.(kit);

  app.get('/style.css', (c) => c.body(stylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }));

  app.get('/icon.svg', (c) => c.body(icon, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' }));

  app.get('/requests/:id', async (c) => {
    const pending = await ctx.pending.get(c, c.req.param('id'));
    if (!pending) return errorPage('Cannot connect this app', EXPIRED);
    return pending.user ? showConsent(c, pending, pending.user) : showSignIn(c, pending);
  });

  app.post('/requests/:id/api-key', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    if (!(await ctx.pending.checkCsrf(c, id, form.csrf))) return errorPage('Cannot sign in', CSRF_FAILED, 403);
    const pending = await ctx.pending.get(c, id);
    if (!pending) return errorPage('Cannot connect this app', EXPIRED);
    const key = typeof form.api_key === 'string' ? form.api_key.trim() : '';
    const result = await ctx.verifyApiKey(key);
    if (!result.ok) {
      const why = result.reason === 'suspended' ? 'This account is suspended.' : 'This key is not valid: it is unknown, revoked or expired.';
      return showSignIn(c, pending, why, 401);
    }
    const { caller } = result;
    if (!(await signInMethodsOf(db, caller.tenantId)).apiKey) return showSignIn(c, pending, 'Your organisation does not allow signing in with an API key. Sign in another way.', 403);
    return kit.completeSignIn(c, id, {
      tenantId: caller.tenantId,
      subject: `key:${caller.keyId}`,
      method: 'api_key',
      maxScopes: caller.credentialScopes,
      keyId: caller.keyId!,
    });
  });

  app.post('/requests/:id/consent', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody({ all: true });
    if (!(await ctx.pending.checkCsrf(c, id, form.csrf))) return errorPage('Cannot connect this app', CSRF_FAILED, 403);
    const pending = await ctx.pending.get(c, id);
    if (!pending?.user) return errorPage('Cannot connect this app', EXPIRED);
    const user = pending.user;
    if (form.decision === 'deny') {
      await ctx.pending.finish(id);
      return redirectToClient(pending.redirectUri, ctx.issuer, pending.state, { error: 'access_denied', error_description: 'The user denied access.' });
    }
    if (form.decision !== 'allow') return showConsent(c, pending, user, 'Choose Allow or Deny.');
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, user.tenantId)).limit(1);
    if (!tenant || tenant.status !== 'active') return errorPage('Cannot connect this app', 'This account is suspended or no longer exists.', 403);
    const offered = offeredScopes(await ctx.catalog.tools(), { tenantScopes: tenant.scopes, maxScopes: user.maxScopes, requested: pending.scopes }).map((o) => o.scope);
    const ticked = [form.scope ?? []].flat().filter((s): s is string => typeof s === 'string');
    const scopes = offered.filter((s) => ticked.includes(s));
    if (scopes.length === 0) return showConsent(c, pending, user, 'Tick at least one permission, or choose Deny.');
    if (!(await ctx.pending.finish(id))) return errorPage('Cannot connect this app', EXPIRED);
    const { code } = await createGrant(db, {
      user,
      clientId: pending.clientId,
      scopes,
      resource: pending.resource,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      now: ctx.now(),
    });
    return redirectToClient(pending.redirectUri, ctx.issuer, pending.state, { code });
  });

  if (extension?.routes) app.route('/sign-in', extension.routes);
  return app;
}

function toPendingAuthorization(pending: PendingRequest, clientName: string): PendingAuthorization {
  return {
    id: pending.id,
    clientId: pending.clientId,
    clientName,
    redirectUri: pending.redirectUri,
    resource: pending.resource,
    scopes: pending.scopes,
    expiresAt: pending.expiresAt,
  };
}

function hostOf(uri: string): string {
  const url = new URL(uri);
  return url.host || url.protocol;
}

/** The CSP source that lets a form's redirect reach `uri`: its origin, or its private-use scheme. */
function formTarget(uri: string): string {
  const url = new URL(uri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}
