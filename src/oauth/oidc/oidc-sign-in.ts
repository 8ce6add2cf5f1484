import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { IDToken } from 'oauth4webapi';
import type { Logger } from '../../app.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Database } from '../../db/database.ts';
import { describeError } from '../../errors.ts';
import { signInMethodsOf } from '../../services/sign-in-methods.ts';
import {
  clientSecretContext,
  companySignInProviders,
  findTenantSignInProvider,
  hasTenantSignInProviders,
  type SignInProviderRecord,
  signInProviderRecord,
} from '../../services/sign-in-providers.ts';
import { renderPage } from '../pages/page-layout.ts';
import type { SignInExtension, SignInExtensionFactory, SignInKit } from '../sign-in/sign-in-extension.ts';
import type { SignedInUser } from '../sign-in/signed-in-user.ts';
import { type ProviderClient, RelyingParty, SignInFailure } from './relying-party.ts';
import { type SignInPurpose, SignInStateCookie } from './sign-in-state.ts';
import { signedInUserFromClaims } from './signed-in-user-from-claims.ts';

/** What the OpenID Connect sign-in needs. */
export interface OidcSignInOptions {
  db: Database;
  /** Opens client secrets and seals the sign-in state (SECRETS_ENCRYPTION_KEY). */
  secretBox: Promise<SecretBox>;
  /** The server's public origin (PUBLIC_URL). */
  publicUrl: string;
  log: Logger;
  /** How long one request to a provider may take. */
  timeoutMs: number;
  /** Where sign-ins to the customer page end; absent: only the consent page's sign-ins are served. */
  portal?: PortalSignInTarget;
}

/**
 * The customer page's side of its OpenID Connect sign-in. It links to {@link OIDC_START_PATH} with
 * `purpose=portal`; the state is sealed with that purpose, and the one callback hands it back here,
 * so operators register no second redirect URI.
 */
export interface PortalSignInTarget {
  /** Why this provider cannot sign anyone in to the customer page (no admin rule), or undefined. */
  refusal(record: SignInProviderRecord): string | undefined;
  /** Signs an administrator in to the customer page, or refuses a user who is not one; answers the browser. */
  complete(c: Context, record: SignInProviderRecord, claims: IDToken, user: SignedInUser): Promise<Response>;
  /** The customer page's sign-in page, with an error. */
  refuse(c: Context, message: string): Promise<Response>;
}

/** Where the authorization server mounts a sign-in extension's routes. */
const MOUNT = '/oauth/sign-in';
/** The redirect URI operators register at their providers, after PUBLIC_URL. */
const OIDC_CALLBACK_PATH = `${MOUNT}/oidc/callback`;
/** Where a sign-in with a provider starts (`provider`, then `request` or `purpose=portal`, optional `login_hint`). */
export const OIDC_START_PATH = `${MOUNT}/oidc/start`;

const STATE_TTL_MS = 10 * 60_000;
const providerIdPattern = /^sip_[a-z2-7]{12}$/;

/**
 * Sign-in through OpenID Connect providers, plugged into the authorization server's sign-in page:
 * the SaaS company's own (one link each; the tenant comes from a claim) and tenants' SSO (the
 * "organisation or email" form). A sign-in belongs to a pending authorization request of this
 * browser; its state, nonce and PKCE verifier travel in a sealed cookie; the validated ID token
 * becomes a {@link SignedInUser} handed to the consent step with `kit.completeSignIn`.
 */
export function oidcSignIn(options: OidcSignInOptions): SignInExtensionFactory {
  return (kit) => createExtension(options, kit);
}

function createExtension(options: OidcSignInOptions, kit: SignInKit): SignInExtension {
  const { db, log } = options;
  const redirectUri = `${options.publicUrl}${OIDC_CALLBACK_PATH}`;
  const rp = new RelyingParty({ timeoutMs: options.timeoutMs, metadataTtlMs: 3600_000 });
  const cookies = options.secretBox.then((box) => new SignInStateCookie(box, { path: OIDC_CALLBACK_PATH, secure: options.publicUrl.startsWith('https:'), ttlMs: STATE_TTL_MS }));
  // The page reads organisationForm right after options(); it shows once a tenant SSO provider exists.
  let tenantSsoConfigured = false;
  const routes = new Hono();

  // Starts a sign-in: a link on the sign-in page (company providers) or on the organisation page,
  // or on the customer page's sign-in page (purpose=portal).
  routes.get('/oidc/start', async (c) => {
    const providerId = c.req.query('provider') ?? '';
    const find = () => (providerIdPattern.test(providerId) ? signInProviderRecord(db, providerId) : Promise.resolve(undefined));
    if (c.req.query('purpose') === 'portal') {
      const portal = options.portal;
      if (!portal) return kit.errorPage('Cannot sign in', 'Signing in to the customer page through a provider is off on this server.', 404);
      const record = await find();
      if (!record) return portal.refuse(c, 'This sign-in option no longer exists. Choose another.');
      const refusal = portal.refusal(record);
      if (refusal) return portal.refuse(c, refusal);
      return begin(c, record, { purpose: 'portal' }, (error) => portal.refuse(c, error));
    }
    const pendingId = c.req.query('request') ?? '';
    if (!(await kit.pending(c, pendingId))) return expired();
    const record = await find();
    if (!record) return kit.signInAgain(c, pendingId, 'This sign-in option no longer exists. Choose another.');
    return begin(c, record, { pendingId }, (error) => kit.signInAgain(c, pendingId, error));
  });

  // The sign-in page's "organisation or email" form. Browsers apply the page's form-action to the
  // redirect after a form post, so this answers with a page linking to the provider, not a redirect.
  routes.post('/organisation', async (c) => {
    const form = await c.req.parseBody();
    const pendingId = typeof form.request === 'string' ? form.request : '';
    if (!(await kit.checkCsrf(c, pendingId, form.csrf))) return kit.errorPage('Cannot sign in', 'The form was not sent from this page or has expired. Reload the page and try again.', 403);
    if (!(await kit.pending(c, pendingId))) return expired();
    const typed = typeof form.organisation === 'string' ? form.organisation.trim().slice(0, 320) : '';
    const record = typed ? await findTenantSignInProvider(db, typed) : undefined;
    const allowed = record?.tenant && record.tenant.status === 'active' && (await signInMethodsOf(db, record.tenant.id)).tenantSso;
    if (!record || !allowed) return kit.signInAgain(c, pendingId, `No organisation sign-in matches "${typed}". Check the spelling, or sign in another way.`);
    const start = new URLSearchParams({ request: pendingId, provider: record.provider.id });
    if (typed.includes('@')) start.set('login_hint', typed);
    const href = `${MOUNT}/oidc/start?${start}`;
    return renderPage({
      title: 'Sign in',
      body: html`<h1>Sign in with ${record.provider.name}</h1>
<p>${record.tenant!.name} signs you in with ${record.provider.name}.</p>
<p><a href="${href}">Continue to ${record.provider.name}</a></p>`,
    });
  });

  // The provider sends the browser back here with a code (or an error).
  routes.get('/oidc/callback', async (c) => {
    const url = new URL(c.req.url);
    const saved = await (await cookies).take(c, url.searchParams.get('state') ?? '');
    if (!saved) return kit.errorPage('Cannot sign in', 'This sign-in expired or was started in another browser. Start connecting again from the app.', 400);
    const portal = saved.purpose === 'portal' ? options.portal : undefined;
    if (saved.purpose === 'portal' && !portal) return kit.errorPage('Cannot sign in', 'Signing in to the customer page through a provider is off on this server.', 404);
    if (!portal && (typeof saved.pendingId !== 'string' || !(await kit.pending(c, saved.pendingId)))) return expired();
    const again = (error: string) => (portal ? portal.refuse(c, error) : kit.signInAgain(c, saved.pendingId!, error));
    const record = await signInProviderRecord(db, saved.providerId);
    if (!record) return again('This sign-in option was removed while you were signing in. Choose another.');
    const client = await providerClient(record);
    if (!client) return again(misconfigured(record));
    let claims: IDToken;
    let user: SignedInUser;
    try {
      // Behind a proxy the request URL may name another host; the provider redirected to PUBLIC_URL's.
      claims = await rp.finish(client, saved, new URL(`${redirectUri}${url.search}`), redirectUri);
      user = await signedInUserFromClaims(db, record, claims);
    } catch (error) {
      if (!(error instanceof SignInFailure)) throw error;
      log.warn(`Refused a sign-in with provider ${record.provider.id}: ${error.message}`);
      return again(error.message);
    }
    return portal ? portal.complete(c, record, claims, user) : kit.completeSignIn(c, saved.pendingId!, user);
  });

  /** Seals the sign-in's state in a cookie and sends the browser to the provider; `again` answers a failure. */
  async function begin(c: Context, record: SignInProviderRecord, purpose: SignInPurpose, again: (error: string) => Promise<Response>): Promise<Response> {
    const client = await providerClient(record);
    if (!client) return again(misconfigured(record));
    const challenge = RelyingParty.challenge();
    let target: URL;
    try {
      target = await rp.authorizationUrl(client, challenge, redirectUri, loginHint(c.req.query('login_hint')));
    } catch (error) {
      log.error(`Cannot start a sign-in with provider ${record.provider.id}: ${describeError(error)}`);
      return again(`${record.provider.name} cannot be reached right now. Try again later, or sign in another way.`);
    }
    await (await cookies).save(c, { ...challenge, ...purpose, providerId: record.provider.id });
    return c.redirect(target.href, 302);
  }

  /** The provider's client settings with its secret opened; undefined when the secret cannot be opened. */
  async function providerClient({ provider }: SignInProviderRecord): Promise<ProviderClient | undefined> {
    const base = { issuer: provider.issuer, clientId: provider.clientId, requestScopes: provider.requestScopes };
    if (provider.clientSecret === null) return base;
    try {
      return { ...base, clientSecret: await (await options.secretBox).open(provider.clientSecret, clientSecretContext(provider.id)) };
    } catch (error) {
      log.error(`Cannot use sign-in provider ${provider.id}: ${describeError(error)}`);
      return undefined;
    }
  }

  function expired(): Promise<Response> {
    return kit.errorPage('Cannot connect this app', 'This sign-in page has expired or was opened in another browser. Start connecting again from the app.', 400);
  }

  return {
    async options(pending) {
      const [providers, tenantSso] = await Promise.all([companySignInProviders(db), hasTenantSignInProviders(db)]);
      tenantSsoConfigured = tenantSso;
      return providers.map((p) => ({ label: `Sign in with ${p.name}`, href: `${MOUNT}/oidc/start?${new URLSearchParams({ request: pending.id, provider: p.id })}` }));
    },
    get organisationForm() {
      return tenantSsoConfigured;
    },
    routes,
  };
}

function misconfigured(record: SignInProviderRecord): string {
  return `Signing in with ${record.provider.name} is misconfigured on this server. Sign in another way, or tell your administrator.`;
}

function loginHint(value: string | undefined): string | undefined {
  return value && value.length <= 320 && /^[^\s<>"]+@[^\s<>"]+$/.test(value) ? value : undefined;
}

