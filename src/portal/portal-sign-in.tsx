import { eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import type { IDToken } from 'oauth4webapi';
import type { AuthResult } from '../auth/caller.ts';
import { grants } from '../auth/scopes.ts';
import { holdsTenantAdmin, TENANT_ADMIN_SCOPE } from '../auth/tenant-admin.ts';
import type { Logger } from '../app.ts';
import { type Config, publicUrl } from '../config.ts';
import type { Database } from '../db/database.ts';
import { type SignInProvider, type Tenant, tenants } from '../db/schema.ts';
import { OIDC_START_PATH, type PortalSignInTarget } from '../oauth/oidc/oidc-sign-in.ts';
import type { SignedInUser } from '../oauth/sign-in/signed-in-user.ts';
import { findActiveKey } from '../services/keys.ts';
import { signInMethodsOf } from '../services/sign-in-methods.ts';
import { adminSignInProviders, findTenantSignInProvider, type SignInProviderRecord, signInProviderRecord } from '../services/sign-in-providers.ts';
import { formText } from '../web/form-text.ts';
import { Flash, Layout } from '../web/layout.tsx';
import { LoginPage } from '../web/login-page.tsx';
import { csrfTokenMatches, sameOrigin, setPageSecurityHeaders } from '../web/page-security.ts';
import { PageSessions } from '../web/page-sessions.ts';
import type { Session, SessionSigner } from '../web/session-signer.ts';
import { adminRuleDigest, holdsAdminClaim } from './admin-rule.ts';

/** What signing in to the customer page needs. */
export interface PortalSignInDeps {
  db: Database;
  config: Config;
  log: Logger;
  signer: SessionSigner;
  /** Verifies a pasted API key, as /mcp does. */
  verifyKey: (token: string) => Promise<AuthResult>;
  /** True when the OpenID Connect callback is served (the OAuth server and SECRETS_ENCRYPTION_KEY are on). */
  oidc: boolean;
}

/** Who is signed in to the customer page, re-checked on every request. */
export interface PortalAdmin {
  tenant: Tenant;
  /** Names the administrator in logs: `key <id>`, or the OpenID Connect subject. */
  actor: string;
  /** Names them on the page, e.g. `with key k3bq… (acme admin)` or `as alice@acme.test through Acme SSO`. */
  label: string;
  /** The most scopes a key they create may carry. */
  ceiling: string[];
  /** Signed in with a key: its own scopes are the ceiling, `tenant:admin` included; else `tenant:admin` stays the operator's to give. */
  viaKey: boolean;
}

const BRAND = 'MCP access';

/**
 * How a customer's administrator signs in to `/portal`: by pasting an API key that holds
 * `tenant:admin`, or through an OpenID Connect provider whose admin rule names them (the same
 * providers and checks as the consent page; the one callback hands portal sign-ins back here).
 * Sessions are signed cookies; {@link PortalSignIn.admin} re-validates one on every request.
 */
export class PortalSignIn implements PortalSignInTarget {
  readonly sessions: PageSessions;
  readonly #deps: PortalSignInDeps;
  readonly #origin: string;

  constructor(deps: PortalSignInDeps) {
    this.#deps = deps;
    this.#origin = new URL(publicUrl(deps.config)).origin;
    this.sessions = new PageSessions({ signer: deps.signer, kind: 'portal', ttlMs: deps.config.SESSION_TTL_SECONDS * 1000, secure: this.#origin.startsWith('https:') });
  }

  /** PUBLIC_URL's origin, accepted as a form's Origin. */
  get origin(): string {
    return this.#origin;
  }

  /** The sign-in routes, mounted at `/portal` before the session check: `GET/POST /login`, `POST /login/organisation`. */
  routes(): Hono {
    const { log } = this.#deps;
    const app = new Hono();
    app.get('/login', (c) => this.loginPage(c, 200, undefined, c.req.query('signed_out') === '1' ? 'Signed out.' : undefined));
    app.post('/login', async (c) => {
      const form = await c.req.parseBody();
      if (!(await this.#loginFormValid(c, form.csrf))) return this.loginPage(c, 403, 'The sign-in form expired or came from another site. Try again.');
      const verdict = await this.#deps.verifyKey(formText(form, 'credential') ?? '');
      if (!verdict.ok) return this.loginPage(c, 401, 'That key is not valid.');
      const { caller } = verdict;
      if (!holdsTenantAdmin(caller.credentialScopes, caller.tenantScopes)) {
        log.warn(`Refused a portal sign-in: key ${caller.keyId} lacks ${TENANT_ADMIN_SCOPE}`);
        return this.loginPage(c, 403, `That key is valid but does not carry the ${TENANT_ADMIN_SCOPE} grant this page needs. Ask your provider for an administrator key.`);
      }
      await this.sessions.start(c, { keyId: caller.keyId!, tenant: caller.tenantSlug });
      return c.redirect('/portal', 303);
    });
    // The "organisation or work email" form. A form post may not redirect to the provider (the
    // page's form-action), so this answers with a page linking to it, as the consent page does.
    app.post('/login/organisation', async (c) => {
      const form = await c.req.parseBody();
      if (!(await this.#loginFormValid(c, form.csrf))) return this.loginPage(c, 403, 'The sign-in form expired or came from another site. Try again.');
      const typed = (formText(form, 'organisation') ?? '').trim().slice(0, 320);
      const record = this.#deps.oidc && typed ? await findTenantSignInProvider(this.#deps.db, typed, { withAdminRule: true }) : undefined;
      const allowed = record?.tenant?.status === 'active' && (await signInMethodsOf(this.#deps.db, record.tenant.id)).tenantSso;
      if (!record || !allowed) return this.loginPage(c, 400, `No administrator sign-in matches "${typed}". Check the spelling, or paste an administrator key.`);
      const { provider } = record;
      return c.html(
        <Layout title="Sign in" base="/portal" brand={BRAND}>
          <h1>{`Sign in with ${provider.name}`}</h1>
          <p>{`${record.tenant!.name} signs its administrators in with ${provider.name}.`}</p>
          <p>
            <a href={startHref(provider.id, typed.includes('@') ? typed : undefined)}>{`Continue to ${provider.name}`}</a>
          </p>
        </Layout>,
      );
    });
    return app;
  }

  /** The sign-in page: the key form, then the providers that sign administrators in. */
  async loginPage(c: Context, status: 200 | 400 | 401 | 403, error?: string, notice?: string): Promise<Response> {
    const csrf = await this.sessions.loginToken(c);
    const providers = this.#deps.oidc ? await adminSignInProviders(this.#deps.db) : [];
    const company = providers.filter((p) => p.kind === 'company');
    const organisationForm = providers.some((p) => p.kind === 'tenant');
    return c.html(
      <LoginPage
        base="/portal"
        brand={BRAND}
        heading="Sign in to manage your MCP access"
        label="Administrator API key"
        hint={`Paste an API key (tmcp_…) that carries the ${TENANT_ADMIN_SCOPE} grant; your provider gives you one. It is sent once in this form's body: the browser keeps only a signed session cookie.`}
        csrf={csrf}
        error={error}
        notice={notice}
      >
        {company.length > 0 && (
          <section class="panel">
            <h2>Or sign in with</h2>
            <ul>
              {company.map((p) => (
                <li>
                  <a href={startHref(p.id)}>{`Sign in with ${p.name}`}</a>
                </li>
              ))}
            </ul>
          </section>
        )}
        {organisationForm && (
          <form method="post" action="/portal/login/organisation" class="panel">
            <h2>Sign in with your organisation</h2>
            <input type="hidden" name="csrf" value={csrf} />
            <p>
              <label>
                Organisation or work email
                <input type="text" name="organisation" required size={40} maxlength={320} autocomplete="email" />
              </label>
            </p>
            <button type="submit">Continue</button>
          </form>
        )}
      </LoginPage>,
      status,
    );
  }

  /** The administrator a valid session belongs to, when every check still holds; undefined ends the session. */
  async admin(session: Session): Promise<PortalAdmin | undefined> {
    if (session.keyId !== undefined) {
      const found = await findActiveKey(this.#deps.db, session.keyId);
      if (!found || found.tenant.slug !== session.tenant || !holdsTenantAdmin(found.key.scopes, found.tenant.scopes)) return undefined;
      const { key, tenant } = found;
      return { tenant, actor: `key ${key.id}`, label: `with key ${key.id} (${key.name})`, ceiling: key.scopes, viaKey: true };
    }
    if (session.providerId === undefined || session.subject === undefined || !session.subject.startsWith(`oidc:${session.providerId}:`)) return undefined;
    const record = await signInProviderRecord(this.#deps.db, session.providerId);
    if (!record || this.refusal(record) || (await adminRuleDigest(record.provider)) !== session.rule) return undefined;
    const tenant = record.tenant ?? (await this.#tenantBySlug(session.tenant));
    if (!tenant || tenant.slug !== session.tenant || (await this.#tenantRefusal(tenant, record.provider))) return undefined;
    return {
      tenant,
      actor: session.subject,
      label: `as ${session.name ?? session.subject} through ${record.provider.name}`,
      ceiling: session.maxScopes ?? tenant.scopes,
      viaKey: false,
    };
  }

  /** Why the provider cannot sign anyone in here: it has no admin rule. */
  refusal(record: SignInProviderRecord): string | undefined {
    if (record.provider.adminClaim === null) return `${record.provider.name} does not sign administrators in to this page. Sign in another way.`;
    return undefined;
  }

  /** Checks the admin rule, the tenant and its plan for a user the callback validated, then starts the session. */
  async complete(c: Context, record: SignInProviderRecord, claims: IDToken, user: SignedInUser): Promise<Response> {
    const { provider } = record;
    const [tenant] = await this.#deps.db.select().from(tenants).where(eq(tenants.id, user.tenantId)).limit(1);
    if (!tenant) return this.refuse(c, 'Your organisation no longer exists.');
    const refusal = this.refusal(record) ?? (await this.#tenantRefusal(tenant, provider));
    if (refusal) return this.refuse(c, refusal);
    if (!holdsAdminClaim(provider, claims)) {
      this.#deps.log.warn(`Refused a portal sign-in with provider ${provider.id}: ${user.subject} is not an administrator of ${tenant.slug} (claim "${provider.adminClaim}")`);
      return this.refuse(c, `You signed in with ${provider.name}, but your account is not an administrator of ${tenant.name}. Ask whoever manages your accounts at ${provider.name} to make you one, or paste an administrator key.`);
    }
    await this.sessions.start(c, {
      tenant: tenant.slug,
      subject: user.subject,
      providerId: provider.id,
      name: displayName(claims),
      rule: await adminRuleDigest(provider),
      maxScopes: user.maxScopes,
    });
    this.#deps.log.info(`Portal: ${user.subject} signed in to ${tenant.slug} through provider ${provider.id}`);
    // A page, not a redirect: the browser came here from the provider's site, and a redirect in
    // that navigation would not carry the SameSite=Strict session cookie. The refresh is ours.
    const response = await c.html(
      <Layout title="Signed in" base="/portal" brand={BRAND}>
        <meta http-equiv="refresh" content="0; url=/portal" />
        <h1>Signed in</h1>
        <p>{`Signed in to ${tenant.name} as ${displayName(claims)}.`}</p>
        <p>
          <a href="/portal">Continue to your MCP access page</a>
        </p>
      </Layout>,
    );
    setPageSecurityHeaders(response.headers);
    return response;
  }

  /** The sign-in page with the reason a sign-in was refused, answered on the callback's path. */
  async refuse(c: Context, message: string): Promise<Response> {
    const response = await this.loginPage(c, 400, message);
    setPageSecurityHeaders(response.headers);
    return response;
  }

  /** Why a tenant cannot use the customer page through this provider right now, or undefined. */
  async #tenantRefusal(tenant: Tenant, provider: SignInProvider): Promise<string | undefined> {
    if (tenant.status !== 'active') return `Organisation "${tenant.slug}" is suspended.`;
    const methods = await signInMethodsOf(this.#deps.db, tenant.id);
    if (provider.kind === 'company' ? !methods.company : !methods.tenantSso) return `Organisation "${tenant.slug}" does not allow signing in with ${provider.name}.`;
    // As for keys: the plan must allow the tenant-admin grant, so one plan change closes the page for a tenant.
    if (!grants(tenant.scopes, TENANT_ADMIN_SCOPE)) return `The plan of organisation "${tenant.slug}" does not include this page (${TENANT_ADMIN_SCOPE}). Ask your provider.`;
    return undefined;
  }

  async #tenantBySlug(slug: string | undefined): Promise<Tenant | undefined> {
    if (slug === undefined) return undefined;
    const [tenant] = await this.#deps.db.select().from(tenants).where(eq(tenants.slug, slug)).limit(1);
    return tenant;
  }

  async #loginFormValid(c: Context, csrf: unknown): Promise<boolean> {
    const login = await this.sessions.loginSession(c);
    return sameOrigin(c, this.#origin) && login !== undefined && csrfTokenMatches(csrf, login.csrf);
  }
}

/** The link that starts a portal sign-in with a provider (a GET link: a form's redirect would meet form-action). */
function startHref(providerId: string, loginHint?: string): string {
  const query = new URLSearchParams({ purpose: 'portal', provider: providerId });
  if (loginHint) query.set('login_hint', loginHint);
  return `${OIDC_START_PATH}?${query}`;
}

/** A name to show for the signed-in user: their email, name or subject, from the ID token. */
function displayName(claims: IDToken): string {
  const name = [claims.email, claims.name, claims.sub].find((v): v is string => typeof v === 'string' && v.length > 0) ?? '';
  return name.slice(0, 128);
}
