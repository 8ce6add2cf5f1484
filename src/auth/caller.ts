/** Who is calling, once a credential has been verified. */
export interface Caller {
  tenantId: string;
  tenantSlug: string;
  /** The API key's id, or null for a token credential. */
  keyId: string | null;
  keyName: string | null;
  /** The end user a token was issued for, when there is one. */
  subject: string | null;
  /** Scope patterns the tenant's plan allows. */
  tenantScopes: string[];
  /** Scope patterns the credential itself carries. */
  credentialScopes: string[];
  /** The OAuth client a token was issued to (its `client_id` claim), when there is one. */
  clientId?: string | null;
}

/**
 * Why a credential was refused. Every reason is answered with the same 401 to the caller, except
 * `jwks_unavailable`, whose answer says to retry.
 */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown'
  | 'bad_secret'
  | 'expired'
  | 'revoked'
  | 'suspended'
  /** A JWT from an issuer no tenant trusts (or no tenant claim matched). */
  | 'untrusted_issuer'
  /** A JWT whose signature, algorithm or claims failed verification. */
  | 'invalid_token'
  /** A JWT whose issuer's keys could not be fetched. */
  | 'jwks_unavailable';

/** The outcome of verifying a credential: a caller, or a reason it was refused. */
export type AuthResult =
  | { ok: true; caller: Caller }
  | {
      ok: false;
      reason: AuthFailureReason;
      tenantId?: string;
      keyId?: string;
      /** What exactly failed, for the server log; never the token, never sent to the caller. */
      detail?: string;
    };
