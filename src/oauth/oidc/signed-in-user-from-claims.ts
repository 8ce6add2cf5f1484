import { eq } from 'drizzle-orm';
import type { IDToken } from 'oauth4webapi';
import type { Database } from '../../db/database.ts';
import { tenants } from '../../db/schema.ts';
import type { SignInProviderRecord } from '../../services/sign-in-providers.ts';
import { signInMethodsOf } from '../../services/sign-in-methods.ts';
import { scopeList } from '../../services/tenants.ts';
import type { SignedInUser } from '../sign-in/signed-in-user.ts';
import { SignInFailure } from './relying-party.ts';

/**
 * Turns a validated ID token into the user the authorization server signs in: the tenant is the
 * provider's own (tenant SSO) or the one its tenant claim names (the company's sign-in). The
 * tenant must be active and allow the method; the grant's ceiling comes from the provider's
 * scope claim or fixed scopes, else the tenant's plan. The subject names the provider, so the
 * same `sub` from two providers is never one user.
 */
export async function signedInUserFromClaims(db: Database, record: SignInProviderRecord, claims: IDToken): Promise<SignedInUser> {
  const { provider } = record;
  let tenant = record.tenant;
  if (provider.kind === 'company') {
    const value = claims[provider.tenantClaim ?? ''];
    if (typeof value !== 'string' || value === '') throw new SignInFailure(`Your account at ${provider.name} names no organisation (claim "${provider.tenantClaim}")`);
    [tenant = null] = await db.select().from(tenants).where(eq(tenants.slug, value)).limit(1);
    if (!tenant) throw new SignInFailure(`Your account at ${provider.name} names organisation "${value}", which does not use this server`);
  }
  if (!tenant) throw new SignInFailure(`The provider ${provider.name} no longer belongs to an organisation`);
  if (tenant.status !== 'active') throw new SignInFailure(`Organisation "${tenant.slug}" is suspended`);
  const methods = await signInMethodsOf(db, tenant.id);
  if (provider.kind === 'company' ? !methods.company : !methods.tenantSso) {
    throw new SignInFailure(`Organisation "${tenant.slug}" does not allow signing in with ${provider.name}`);
  }
  return {
    tenantId: tenant.id,
    subject: `oidc:${provider.id}:${claims.sub}`,
    method: 'oidc',
    providerId: provider.id,
    maxScopes: maxScopes(provider.scopeClaim, provider.grantScopes, claims, provider.name),
  };
}

function maxScopes(scopeClaim: string | null, grantScopes: string[] | null, claims: IDToken, providerName: string): string[] | undefined {
  if (grantScopes) return grantScopes;
  if (!scopeClaim) return undefined;
  const value = claims[scopeClaim];
  const listed = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
  if (!listed) throw new SignInFailure(`Your account at ${providerName} lists no scopes (claim "${scopeClaim}")`);
  try {
    return scopeList(listed);
  } catch {
    throw new SignInFailure(`Your account at ${providerName} lists malformed scopes (claim "${scopeClaim}")`);
  }
}
