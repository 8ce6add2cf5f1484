import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Logger } from '../../app.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Database } from '../../db/database.ts';
import { describeError } from '../../errors.ts';
import {
  clientSecretContext,
  companySignInProviders,
  findTenantSignInProvider,
  type SignInProviderRecord,
  signInProviderRecord,
} from '../../services/sign-in-providers.ts';
import { signInMethodsOf } from '../../services/sign-in-methods.ts';
import { errorPage, renderPage } from '../pages/page-layout.ts';
import type { SignedInUser } from '../sign-in/signed-in-user.ts';
import { type ProviderClient, RelyingParty, SignInFailure } from './relying-party.ts';
import { SignInStateCookie } from './sign-in-state.ts';
import { signedInUserFromClaims } from './signed-in-user-from-claims.ts';

/** The authorization server's side of a sign-in: its pending requests, bound to the browser. */
export interface PendingSignIns {
  /** The pending request, if it exists, has not expired and belongs to this browser; else null. */
  get(c: Context, id: string): Promise<unknown>;
  /** True when `token` is this browser's CSRF token for request `id`. */
  checkCsrf(c: Context, id: string, token: unknown): Promise<boolean>;
}

/** What the OpenID Connect sign-in needs. */
export interface OidcSignInDeps {
  db: Database;
  /** Opens client secrets and seals the sign-in state; without it OpenID Connect sign-in is off. */
  secretBox: Promise<SecretBox | undefined>;
  /** The server's public origin (PUBLIC_URL); the callback is `<publicUrl><mountPath>/callback`. */
  publicUrl: string;
  /** Where this sub-app is mounted, e.g. /oauth/oidc. */
  mountPath: string;
  log: Logger;
  /** How long a request to a provider may take. */
  timeoutMs: number;
  pending: PendingSignIns;
  /** Hands the signed-in user to the authorization server, which shows its consent page next. */
  completeSignIn(c: Context, pendingId: string, user: SignedInUser): Promise<Response>;
  relyingParty?: RelyingParty;
}

/** A link on the sign-in page. */
export interface SignInLink {
  label: string;
  href: string;
}

/** The OpenID Connect sign-in: its routes, and what it adds to the authorization server's sign-in page. */
export interface OidcSignIn {
  /** Routes to mount at `mountPath`: start, organisation, callback. */
  app: Hono;
  /** One link per company provider, for the sign-in page of pending request `pendingId`. */
  signInOptions(pendingId: string): Promise<SignInLink[]>;
  /** Where the page's "organisation or email" form posts; undefined while OpenID Connect sign-in is off. */
  organisationAction(): Promise<string | undefined>;
}

const STATE_TTL_MS = 10 * 60_000;
const requestIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const providerIdPattern = /^sip_[a-z2-7]{12}$/;

/**
 * Signs users in through OpenID Connect providers: the SaaS company's own (the tenant comes from
 * a claim) or a tenant's SSO (picked by organisation or email domain). Each sign-in belongs to a
 * pending authorization request of this browser; its state, nonce and PKCE verifier travel in a
 * sealed cookie; the validated ID token becomes a {@link SignedInUser} handed to the consent step.
 */
export function createOidcSignIn(deps: OidcSignInDeps): OidcSignIn {
  const { db, log, mountPath } = deps;
  const redirectUri = `${deps.publicUrl}${mountPath}/callback`;
  const rp = deps.relyingParty ?? new RelyingParty({ timeoutMs: deps.timeoutMs, metadataTtlMs: 3600_000 });
  const cookies = deps.secretBox.then((box) => box && new SignInStateCookie(box, { path: `${mountPath}/callback`, secure: deps.publicUrl.startsWith('https:'), ttlMs: STATE_TTL_MS }));
  const app = new Hono();

  app.use('*', async function noStore(c, next) {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  // Starts a sign-in: a link on the sign-in page (company providers) or on the organisation page.
  app.get('/start', async (c) => {
    const requestId = c.req.query('request') ?? '';
    const providerId = c.req.query('provider') ?? '';
    const state = await cookies;
    if (!state) return off();
    if (!requestIdPattern.test(requestId) || !(await deps.pending.get(c, requestId))) return expired();
    const record = providerIdPattern.test(providerId) ? await signInProviderRecord(db, providerId) : undefined;
    if (!record) return errorPage('Sign-in failed', 'This sign-in option no longer exists. Go back and choose another.', 404);
    const client = await providerClient(record);
    if (!client) return misconfigured(record);
    const challenge = RelyingParty.challenge();
    let target: URL;
    try {
      target = await rp.authorizationUrl(client, challenge, redirectUri, loginHint(c.req.query('login_hint')));
    } catch (error) {
      log.error(`Cannot start a sign-in with provider ${record.provider.id}: ${describeError(error)}`);
      return errorPage('Sign-in failed', `${record.provider.name} cannot be reached right now. Try again later, or sign in another way.`, 502);
    }
    await state.save(c, { ...challenge, pendingId: requestId, providerId: record.provider.id });
    return c.redirect(target.href, 302);
  });

  // The sign-in page's "organisation or email" form. Browsers apply form-action to the redirect
  // after a form post, so this answers with a page linking to the provider, not a redirect.
  app.post('/organisation', async (c) => {
    if (!(await cookies)) return off();
    const form = await c.req.parseBody();
    const requestId = typeof form.request === 'string' ? form.request : '';
    if (!requestIdPattern.test(requestId) || !(await deps.pending.get(c, requestId))) return expired();
    if (!(await deps.pending.checkCsrf(c, requestId, form.csrf))) return errorPage('Sign-in failed', 'The form expired. Go back, reload the page and try again.', 403);
    const typed = typeof form.organisation === 'string' ? form.organisation.trim().slice(0, 320) : '';
    const record = typed ? await findTenantSignInProvider(db, typed) : undefined;
    const allowed = record?.tenant && record.tenant.status === 'active' && (await signInMethodsOf(db, record.tenant.id)).tenantSso;
    if (!record || !allowed) {
      return errorPage('No sign-in found', `No organisation sign-in matches "${typed}". Check the spelling, or go back and sign in another way.`, 404);
    }
    const start = new URL(`${mountPath}/start`, deps.publicUrl);
    start.searchParams.set('request', requestId);
    start.searchParams.set('provider', record.provider.id);
    if (typed.includes('@')) start.searchParams.set('login_hint', typed);
    const href = start.pathname + start.search;
    return renderPage({
      title: 'Sign in',
      body: html`<h1>Sign in with ${record.provider.name}</h1>
<p>${record.tenant!.name} signs you in with ${record.provider.name}.</p>
<p><a class="button" href="${href}">Continue to ${record.provider.name}</a></p>`,
    });
  });

  // The provider sends the browser back here with a code (or an error).
  app.get('/callback', async (c) => {
    const state = await cookies;
    if (!state) return off();
    const url = new URL(c.req.url);
    const saved = await state.take(c, url.searchParams.get('state') ?? '');
    if (!saved) return errorPage('Sign-in failed', 'This sign-in expired or was started in another browser. Go back to the app and connect again.', 400);
    if (!(await deps.pending.get(c, saved.pendingId))) return expired();
    const record = await signInProviderRecord(db, saved.providerId);
    if (!record) return errorPage('Sign-in failed', 'This sign-in option was removed while you were signing in. Go back and choose another.', 404);
    const client = await providerClient(record);
    if (!client) return misconfigured(record);
    let user: SignedInUser;
    try {
      // The browser's URL may name another host than PUBLIC_URL behind a proxy; the provider redirected to ours.
      const callback = new URL(`${redirectUri}${url.search}`);
      const claims = await rp.finish(client, saved, callback, redirectUri);
      user = await signedInUserFromClaims(db, record, claims);
    } catch (error) {
      if (!(error instanceof SignInFailure)) throw error;
      log.warn(`Refused a sign-in with provider ${record.provider.id}: ${error.message}`);
      return errorPage('Sign-in failed', error.message, 403);
    }
    return deps.completeSignIn(c, saved.pendingId, user);
  });

  /** The provider's client settings, with its secret opened; undefined when the secret cannot be opened. */
  async function providerClient({ provider }: SignInProviderRecord): Promise<ProviderClient | undefined> {
    const base = { issuer: provider.issuer, clientId: provider.clientId, requestScopes: provider.requestScopes };
    if (provider.clientSecret === null) return base;
    const box = await deps.secretBox;
    try {
      return { ...base, clientSecret: await box!.open(provider.clientSecret, clientSecretContext(provider.id)) };
    } catch (error) {
      log.error(`Cannot use sign-in provider ${provider.id}: ${describeError(error)}`);
      return undefined;
    }
  }

  function misconfigured(record: SignInProviderRecord): Promise<Response> {
    return errorPage('Sign-in failed', `Signing in with ${record.provider.name} is misconfigured on this server. Sign in another way, or tell your administrator.`, 500);
  }

  return {
    app,
    async signInOptions(pendingId) {
      if (!(await cookies)) return [];
      const providers = await companySignInProviders(db);
      return providers.map((p) => ({ label: `Sign in with ${p.name}`, href: `${mountPath}/start?request=${encodeURIComponent(pendingId)}&provider=${p.id}` }));
    },
    async organisationAction() {
      return (await cookies) ? `${mountPath}/organisation` : undefined;
    },
  };
}

function off(): Promise<Response> {
  return errorPage('Sign-in unavailable', 'Signing in through an identity provider is not set up on this server (it needs SECRETS_ENCRYPTION_KEY).', 404);
}

function expired(): Promise<Response> {
  return errorPage('Sign-in failed', 'This authorization request expired or belongs to another browser. Go back to the app and connect again.', 400);
}

function loginHint(value: string | undefined): string | undefined {
  return value && value.length <= 320 && /^[^\s<>"]+@[^\s<>"]+$/.test(value) ? value : undefined;
}
