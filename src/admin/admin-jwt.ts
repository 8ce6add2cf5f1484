import { checkJwt, looksLikeJwt, tokenScopes } from '../auth/jwt-verifier.ts';
import { RemoteJwks } from '../auth/remote-jwks.ts';
import { ASYMMETRIC_ALGORITHMS } from '../services/issuers.ts';
import { ADMIN_SCOPE, type VerifyAdmin } from './admin-auth.ts';

/** Options for {@link adminJwtVerifier}. */
export interface AdminJwtOptions {
  /** The exact `iss` of admin tokens. */
  issuer: string;
  jwksUri: string;
  /** The `aud` admin tokens must carry. */
  audience: string;
  clockToleranceSeconds: number;
  jwksTimeoutMs: number;
  jwksCooldownMs: number;
  now?: () => number;
}

/**
 * Accepts JWTs from the configured admin issuer that carry the `tenant-mcp:admin` scope: signature
 * (asymmetric only, keys from the JWKS URI), iss, aud, exp and iat checked exactly as on /mcp.
 * Tenant tokens fail here: the server's own tokens have another issuer and audience, and an
 * identity provider's tenant tokens lack the admin audience or scope.
 */
export function adminJwtVerifier(options: AdminJwtOptions): VerifyAdmin {
  const keys = new RemoteJwks({ timeoutMs: options.jwksTimeoutMs, cooldownMs: options.jwksCooldownMs }).keysAt(options.jwksUri);
  const expect = { issuer: options.issuer, audience: options.audience, algorithms: ASYMMETRIC_ALGORITHMS };
  const now = options.now ?? Date.now;
  return async function verifyAdminJwt(token) {
    if (!looksLikeJwt(token)) return { ok: false, reason: 'invalid' };
    const checked = await checkJwt(token, keys, expect, { clockToleranceSeconds: options.clockToleranceSeconds, now: now() });
    if (!checked.ok) {
      const reason = checked.refusal.reason === 'jwks_unavailable' ? 'jwks_unavailable' : 'invalid';
      return { ok: false, reason, detail: `${checked.refusal.reason}: ${checked.refusal.detail ?? 'refused'} (admin JWT)` };
    }
    // Exactly the admin scope: a wildcard such as `*` granted for tenant tools does not reach the admin plane.
    if (!tokenScopes(checked.payload, 'scope').includes(ADMIN_SCOPE)) {
      return { ok: false, reason: 'insufficient_scope', detail: `insufficient_scope: the token lacks ${ADMIN_SCOPE} (admin JWT, sub ${JSON.stringify(String(checked.payload.sub ?? '')).slice(0, 100)})` };
    }
    return { ok: true };
  };
}
