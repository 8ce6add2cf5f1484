import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import { jwksUriProblem } from '../auth/remote-jwks.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { sealedKeyId } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { oauthGrants, type SignInProvider, type SignInProviderKind, signInProviderKinds, signInProviders, type Tenant, tenants } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { getTenant, scopeList } from './tenants.ts';

/** A sign-in provider as operators see it. The client secret is never shown, only whether one is stored and under which key. */
export interface SignInProviderInfo {
  id: string;
  kind: SignInProviderKind;
  /** The tenant's slug for a `tenant` provider; null for a `company` one. */
  tenant: string | null;
  name: string;
  issuer: string;
  clientId: string;
  /** `client_secret` when a secret is stored (sealed), `none` for a public client. */
  clientAuth: 'client_secret' | 'none';
  /** The id of the encryption key the secret is sealed with; null without a secret. */
  secretKeyId: string | null;
  requestScopes: string[];
  tenantClaim: string | null;
  scopeClaim: string | null;
  grantScopes: string[] | null;
  emailDomains: string[];
  /** The ID token claim naming the tenant's administrators (signing in to /portal); null: nobody signs in there through this provider. */
  adminClaim: string | null;
  /** The claim values that make a user an administrator. */
  adminValues: string[] | null;
  createdAt: string;
}

/** What adding a provider takes. */
export interface AddSignInProviderInput {
  kind: SignInProviderKind;
  /** Required for a `tenant` provider, refused for a `company` one. */
  tenant?: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Scopes asked of the provider; default `openid email profile`. */
  requestScopes?: string | string[];
  /** Required for a `company` provider: the ID token claim naming the tenant's slug. */
  tenantClaim?: string;
  scopeClaim?: string;
  grantScopes?: string | string[];
  emailDomains?: string | string[];
  /** The ID token claim naming the tenant's administrators, with `adminValues`; unset: nobody signs in to /portal through it. */
  adminClaim?: string;
  adminValues?: string | string[];
}

/** What updating a provider may change; other settings need the provider removed and added again. */
export interface UpdateSignInProviderInput {
  name?: string;
  /** A claim (with `adminValues`) sets the admin rule; null removes it: nobody signs in to /portal through the provider any more. */
  adminClaim?: string | null;
  adminValues?: string | string[] | null;
}

/** A provider row with its tenant, as the sign-in flow needs it. */
export interface SignInProviderRecord {
  provider: SignInProvider;
  tenant: Tenant | null;
}

const claimName = /^[^\s"\\]{1,128}$/;
const domainPattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const oidcScope = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** The GCM additional data binding a provider's sealed secret to its row. */
export function clientSecretContext(providerId: string): string {
  return `sign_in_providers.client_secret:${providerId}`;
}

/** Adds a sign-in provider. A client secret is sealed with `box` before it is stored. */
export async function addSignInProvider(db: Database, box: SecretBox | undefined, input: AddSignInProviderInput): Promise<SignInProviderInfo> {
  if (!signInProviderKinds.includes(input.kind)) throw invalid(`Invalid kind "${input.kind}": use company (your own sign-in, tenant from a claim) or tenant (one tenant's SSO)`);
  const name = providerName(input.name);
  const issuer = issuerUrl(input.issuer);
  const clientId = input.clientId?.trim() ?? '';
  if (!/^[^\s]{1,256}$/.test(clientId)) throw invalid('The client id must be 1-256 characters without spaces');
  if (input.clientSecret !== undefined && (input.clientSecret.length < 1 || input.clientSecret.length > 1024)) throw invalid('The client secret must be 1-1024 characters');
  if (input.clientSecret !== undefined && !box) {
    throw invalid('Cannot store a client secret: set SECRETS_ENCRYPTION_KEY (e.g. k1:$(openssl rand -base64 32)) so it is encrypted at rest');
  }
  const requestScopes = requestScopeList(input.requestScopes);
  for (const [claim, label] of [[input.tenantClaim, 'tenant claim'], [input.scopeClaim, 'scope claim']] as const) {
    if (claim !== undefined && !claimName.test(claim)) throw invalid(`Invalid ${label} "${claim}"`);
  }
  if (input.scopeClaim !== undefined && input.grantScopes !== undefined) throw invalid('Give either a scope claim or fixed grant scopes, not both');
  const grantScopes = input.grantScopes === undefined ? null : scopeList(input.grantScopes);
  const emailDomains = domainList(input.emailDomains);
  const adminRule = adminRuleOf(input.adminClaim, input.adminValues);

  let tenant: Tenant | null = null;
  if (input.kind === 'company') {
    if (input.tenant !== undefined) throw invalid('A company provider serves every tenant: give a tenant claim instead of a tenant');
    if (input.tenantClaim === undefined) throw invalid('A company provider needs a tenant claim: the ID token claim whose value is the tenant slug');
    if (emailDomains.length > 0) throw invalid('Email domains pick a tenant SSO provider; a company provider finds the tenant in its tenant claim');
  } else {
    if (input.tenant === undefined) throw invalid('A tenant provider needs the tenant it signs users in to');
    if (input.tenantClaim !== undefined) throw invalid('A tenant provider belongs to one tenant: it takes no tenant claim');
    tenant = await getTenant(db, input.tenant);
    const taken = await domainOwners(db, emailDomains);
    if (taken.length > 0) throw new AppError('conflict', `Email domain ${taken.map((t) => `${t.domain} is already sent to provider ${t.id}`).join('; ')}`);
  }
  const duplicate = await db
    .select({ id: signInProviders.id })
    .from(signInProviders)
    .where(and(eq(signInProviders.issuer, issuer), eq(signInProviders.clientId, clientId), tenant ? eq(signInProviders.tenantId, tenant.id) : isNull(signInProviders.tenantId)))
    .limit(1);
  if (duplicate.length > 0) throw new AppError('conflict', `Provider ${duplicate[0]!.id} already signs in with this issuer and client id; remove it first`);

  const id = `sip_${randomBase32(12)}`;
  const [row] = await db
    .insert(signInProviders)
    .values({
      id,
      kind: input.kind,
      tenantId: tenant?.id ?? null,
      name,
      issuer,
      clientId,
      clientSecret: input.clientSecret === undefined ? null : await box!.seal(input.clientSecret, clientSecretContext(id)),
      requestScopes: requestScopes.join(' '),
      tenantClaim: input.tenantClaim ?? null,
      scopeClaim: input.scopeClaim ?? null,
      grantScopes,
      emailDomains,
      ...adminRule,
    })
    .returning();
  return providerInfo(row!, tenant?.slug ?? null);
}

/**
 * Changes a provider's name or its admin rule (who may sign in to /portal through it). A changed
 * admin rule ends the portal sessions signed in through the provider at their next request.
 */
export async function updateSignInProvider(db: Database, id: string, input: UpdateSignInProviderInput): Promise<SignInProviderInfo> {
  const current = await signInProviderRecord(db, id);
  if (!current) throw new AppError('not_found', `No sign-in provider "${id}"`);
  const changes: Partial<Pick<SignInProvider, 'name' | 'adminClaim' | 'adminValues'>> = {};
  if (input.name !== undefined) changes.name = providerName(input.name);
  if (input.adminClaim === null) {
    if (input.adminValues !== undefined && input.adminValues !== null) throw invalid('Give admin values with an admin claim, or remove the admin rule without values');
    Object.assign(changes, { adminClaim: null, adminValues: null });
  } else if (input.adminClaim !== undefined || input.adminValues !== undefined) {
    if (input.adminValues === null) throw invalid('An admin rule needs admin values; to remove the rule, remove its admin claim');
    const claim = input.adminClaim ?? current.provider.adminClaim ?? undefined;
    if (claim === undefined) throw invalid('Give an admin claim with the admin values');
    Object.assign(changes, adminRuleOf(claim, input.adminValues ?? current.provider.adminValues ?? undefined));
  }
  if (Object.keys(changes).length === 0) throw invalid('Nothing to change: give a name, an admin claim or admin values');
  const [row] = await db.update(signInProviders).set(changes).where(eq(signInProviders.id, id)).returning();
  return providerInfo(row!, current.tenant?.slug ?? null);
}

/** Lists providers oldest first: all, or one tenant's (its own SSO; company providers are listed with no tenant). */
export async function listSignInProviders(db: Database, tenantSlug?: string): Promise<SignInProviderInfo[]> {
  const tenantId = tenantSlug === undefined ? undefined : (await getTenant(db, tenantSlug)).id;
  const rows = await db
    .select({ provider: signInProviders, slug: tenants.slug })
    .from(signInProviders)
    .leftJoin(tenants, eq(signInProviders.tenantId, tenants.id))
    .where(tenantId === undefined ? undefined : eq(signInProviders.tenantId, tenantId))
    .orderBy(asc(signInProviders.createdAt), asc(signInProviders.id));
  return rows.map((r) => providerInfo(r.provider, r.slug));
}

/** One provider by id, or not_found. */
export async function getSignInProvider(db: Database, id: string): Promise<SignInProviderInfo> {
  const found = await signInProviderRecord(db, id);
  if (!found) throw new AppError('not_found', `No sign-in provider "${id}"`);
  return providerInfo(found.provider, found.tenant?.slug ?? null);
}

/**
 * Removes a provider by id. New sign-ins with it stop at once, and the grants of users who signed
 * in with it end: refreshing fails, and their access tokens die within their short life.
 */
export async function removeSignInProvider(db: Database, id: string): Promise<SignInProviderInfo & { endedGrants: number }> {
  const removed = await getSignInProvider(db, id);
  await db.delete(signInProviders).where(eq(signInProviders.id, id));
  const ended = await db
    .update(oauthGrants)
    .set({ revokedAt: new Date(), revokedReason: 'its sign-in provider was removed' })
    .where(and(eq(oauthGrants.providerId, id), isNull(oauthGrants.revokedAt)))
    .returning({ id: oauthGrants.id });
  return { ...removed, endedGrants: ended.length };
}

/** Seals again, with the current key, every client secret sealed with an older one; returns how many. */
export async function resealSignInSecrets(db: Database, box: SecretBox): Promise<number> {
  const rows = await db.select({ id: signInProviders.id, clientSecret: signInProviders.clientSecret }).from(signInProviders);
  let count = 0;
  for (const row of rows) {
    if (row.clientSecret === null || !box.isStale(row.clientSecret)) continue;
    const context = clientSecretContext(row.id);
    const resealed = await box.seal(await box.open(row.clientSecret, context), context);
    await db.update(signInProviders).set({ clientSecret: resealed }).where(and(eq(signInProviders.id, row.id), eq(signInProviders.clientSecret, row.clientSecret)));
    count++;
  }
  return count;
}

/** A provider row and its tenant (null for a company provider), or undefined. */
export async function signInProviderRecord(db: Database, id: string): Promise<SignInProviderRecord | undefined> {
  const [found] = await db.select({ provider: signInProviders, tenant: tenants }).from(signInProviders).leftJoin(tenants, eq(signInProviders.tenantId, tenants.id)).where(eq(signInProviders.id, id)).limit(1);
  return found;
}

/** Every company provider, oldest first: offered to every user on the sign-in page. */
export async function companySignInProviders(db: Database): Promise<SignInProvider[]> {
  return db.select().from(signInProviders).where(eq(signInProviders.kind, 'company')).orderBy(asc(signInProviders.createdAt), asc(signInProviders.id));
}

/** Every provider with an admin rule, oldest first: the ones the customer page (/portal) offers. */
export async function adminSignInProviders(db: Database): Promise<SignInProvider[]> {
  return db.select().from(signInProviders).where(isNotNull(signInProviders.adminClaim)).orderBy(asc(signInProviders.createdAt), asc(signInProviders.id));
}

/** Whether any tenant SSO provider exists: the sign-in page then offers the organisation form. */
export async function hasTenantSignInProviders(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: signInProviders.id }).from(signInProviders).where(eq(signInProviders.kind, 'tenant')).limit(1);
  return row !== undefined;
}

/**
 * The tenant SSO provider for what a user typed: an email address (found by its domain) or an
 * organisation (the tenant's slug; its oldest provider). Undefined when none matches.
 * `withAdminRule`: only providers that may sign administrators in to /portal.
 */
export async function findTenantSignInProvider(db: Database, organisationOrEmail: string, options: { withAdminRule?: boolean } = {}): Promise<SignInProviderRecord | undefined> {
  const typed = organisationOrEmail.trim().toLowerCase();
  const at = typed.lastIndexOf('@');
  const rows = await db
    .select({ provider: signInProviders, tenant: tenants })
    .from(signInProviders)
    .innerJoin(tenants, eq(signInProviders.tenantId, tenants.id))
    .where(and(eq(signInProviders.kind, 'tenant'), at >= 0 ? undefined : eq(tenants.slug, typed), options.withAdminRule ? isNotNull(signInProviders.adminClaim) : undefined))
    .orderBy(asc(signInProviders.createdAt), asc(signInProviders.id));
  if (at < 0) return rows[0];
  const domain = typed.slice(at + 1);
  return rows.find((r) => r.provider.emailDomains.includes(domain));
}

function providerInfo(row: SignInProvider, tenant: string | null): SignInProviderInfo {
  return {
    id: row.id,
    kind: row.kind,
    tenant,
    name: row.name,
    issuer: row.issuer,
    clientId: row.clientId,
    clientAuth: row.clientSecret === null ? 'none' : 'client_secret',
    secretKeyId: row.clientSecret === null ? null : (sealedKeyId(row.clientSecret) ?? null),
    requestScopes: row.requestScopes.split(' '),
    tenantClaim: row.tenantClaim,
    scopeClaim: row.scopeClaim,
    grantScopes: row.grantScopes,
    emailDomains: row.emailDomains,
    adminClaim: row.adminClaim,
    adminValues: row.adminValues,
    createdAt: row.createdAt.toISOString(),
  };
}

async function domainOwners(db: Database, domains: string[]): Promise<{ domain: string; id: string }[]> {
  if (domains.length === 0) return [];
  const rows = await db.select({ id: signInProviders.id, emailDomains: signInProviders.emailDomains }).from(signInProviders).where(eq(signInProviders.kind, 'tenant'));
  return domains.flatMap((domain) => rows.filter((r) => r.emailDomains.includes(domain)).map((r) => ({ domain, id: r.id })));
}

function providerName(input: string | undefined): string {
  const name = input?.trim() ?? '';
  if (name.length < 1 || name.length > 64) throw invalid('The name (shown on the sign-in button) must be 1-64 characters');
  return name;
}

/** Both set or both unset: a claim without values (or values without a claim) would make nobody, or everybody, an administrator. */
function adminRuleOf(claim: string | undefined, values: string | string[] | undefined): Pick<SignInProvider, 'adminClaim' | 'adminValues'> {
  if (claim === undefined && values === undefined) return { adminClaim: null, adminValues: null };
  if (claim === undefined) throw invalid('Give an admin claim with the admin values, e.g. groups');
  if (!claimName.test(claim)) throw invalid(`Invalid admin claim "${claim}"`);
  const items = values === undefined ? [] : [...new Set((typeof values === 'string' ? values.split(',') : values).map((v) => v.trim()).filter(Boolean))];
  if (items.length === 0) throw invalid(`Give the values of claim "${claim}" that make a user the tenant's administrator, e.g. mcp-admins`);
  if (items.length > 50) throw invalid('Give at most 50 admin values');
  const bad = items.filter((v) => v.length > 256 || /[\x00-\x1f\x7f]/.test(v));
  if (bad.length > 0) throw invalid('An admin value must be 1-256 characters without control characters');
  return { adminClaim: claim, adminValues: items };
}

function issuerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw invalid(`Invalid issuer "${input}": give the provider's issuer URL, e.g. https://acme.eu.auth0.com/`);
  }
  const problem = jwksUriProblem(url);
  if (problem) throw invalid(`Invalid issuer: ${problem}`);
  if (url.search || url.hash) throw invalid('Invalid issuer: it must not have a query or fragment');
  // Kept as typed (trailing slash or not): the ID token's iss must match it exactly.
  return input.trim();
}

function requestScopeList(input: string | string[] | undefined): string[] {
  const items = input === undefined ? ['openid', 'email', 'profile'] : (typeof input === 'string' ? input.split(/[\s,]+/) : input).filter(Boolean);
  const bad = items.filter((s) => !oidcScope.test(s));
  if (bad.length > 0) throw invalid(`Invalid request scope ${bad.map((s) => `"${s}"`).join(', ')}`);
  const unique = [...new Set(items)];
  return unique.includes('openid') ? unique : ['openid', ...unique];
}

function domainList(input: string | string[] | undefined): string[] {
  if (input === undefined) return [];
  const items = [...new Set((typeof input === 'string' ? input.split(/[\s,]+/) : input).map((d) => d.trim().toLowerCase()).filter(Boolean))];
  const bad = items.filter((d) => !domainPattern.test(d));
  if (bad.length > 0) throw invalid(`Invalid email domain ${bad.map((d) => `"${d}"`).join(', ')}: give domains like example.com`);
  return items;
}

function randomBase32(length: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => base32[b & 31]).join('');
}

function invalid(message: string): AppError {
  return new AppError('invalid', message);
}
