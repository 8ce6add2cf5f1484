import type { IDToken } from 'oauth4webapi';
import type { SignInProvider } from '../db/schema.ts';
import { toBase64Url } from '../encoding/base64url.ts';

/**
 * True when a validated ID token makes its user the tenant's administrator under the provider's
 * admin rule: the claim (a string, or an array of strings) holds one of the admin values, compared
 * exactly. A provider without a rule makes nobody an administrator.
 */
export function holdsAdminClaim(provider: Pick<SignInProvider, 'adminClaim' | 'adminValues'>, claims: IDToken): boolean {
  if (provider.adminClaim === null || !provider.adminValues?.length) return false;
  const value = claims[provider.adminClaim];
  const held = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return held.some((v) => provider.adminValues!.includes(v));
}

/**
 * A short digest of what a portal session signed in through this provider relies on: its admin
 * rule and its scope ceiling. Kept in the session and compared on every request, so changing
 * either ends the session without storing the rule itself in the browser.
 */
export async function adminRuleDigest(provider: SignInProvider): Promise<string> {
  const rule = JSON.stringify([provider.kind, provider.tenantId, provider.adminClaim, provider.adminValues, provider.scopeClaim, provider.grantScopes]);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(rule));
  return toBase64Url(new Uint8Array(digest).slice(0, 16));
}
