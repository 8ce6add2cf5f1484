/** Who signed in on the authorization page, and the most their grant may carry. */
export interface SignedInUser {
  tenantId: string;
  /** e.g. "key:<keyId>" for API-key sign-in, the IdP's `sub` for OpenID Connect. */
  subject: string;
  method: 'api_key' | 'oidc';
  /** Upper bound on the grant's scopes (a key's scopes); undefined = the tenant's plan. */
  maxScopes?: string[];
  /** API-key sign-in: the grant dies with the key. */
  keyId?: string;
  /** OpenID Connect sign-in: the provider the user came through. */
  providerId?: string;
}
