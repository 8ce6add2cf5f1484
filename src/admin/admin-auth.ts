import type { MiddlewareHandler } from 'hono';
import { constantTimeEqual, hashSecret, looksLikeApiKey } from '../auth/api-key.ts';
import { bearerToken } from '../auth/authenticate.ts';
import { problemResponse } from './problem.ts';

/** Whether a presented bearer token is an admin credential; a refusal's `detail` is for the log (it never holds the token). */
export type AdminVerdict = { ok: true } | { ok: false; reason: 'invalid' | 'insufficient_scope' | 'jwks_unavailable'; detail?: string };

/** Decides whether a presented bearer token is an admin credential. Only infrastructure failures throw. */
export type VerifyAdmin = (token: string) => Promise<AdminVerdict>;

/** The scope an admin JWT must carry, exactly. */
export const ADMIN_SCOPE = 'tenant-mcp:admin';

/** Accepts exactly `adminToken`, comparing SHA-256 digests in constant time so timing reveals nothing of it. */
export function adminTokenVerifier(adminToken: string): VerifyAdmin {
  const expected = hashSecret(adminToken);
  return async function verifyAdminToken(token) {
    return constantTimeEqual(await hashSecret(token), await expected) ? { ok: true } : { ok: false, reason: 'invalid' };
  };
}

/** Accepts what any of `verifiers` accepts; otherwise answers the refusal that says why, if one does. */
export function anyAdminVerifier(verifiers: readonly VerifyAdmin[]): VerifyAdmin {
  if (verifiers.length === 0) throw new TypeError('anyAdminVerifier() needs at least one verifier');
  return async function verifyAnyAdmin(token) {
    let refusal: AdminVerdict = { ok: false, reason: 'invalid' };
    for (const verify of verifiers) {
      const verdict = await verify(token);
      if (verdict.ok) return verdict;
      if (verdict.detail !== undefined) refusal = verdict;
    }
    return refusal;
  };
}

/** Options for {@link adminAuth}. */
export interface AdminAuthOptions {
  verify: VerifyAdmin;
  /** Called for every refused credential whose verdict says why (never with the credential). */
  onRefused?: (verdict: Extract<AdminVerdict, { ok: false }>) => void;
}

const realm = 'Bearer realm="tenant-mcp admin"';

/**
 * Lets a request through only with an admin credential in `Authorization: Bearer`. Tenant API
 * keys are refused outright: no tenant credential ever reaches an admin route.
 */
export function adminAuth(options: AdminAuthOptions): MiddlewareHandler {
  const { verify, onRefused } = options;
  if (typeof verify !== 'function') throw new TypeError('adminAuth() needs a verify function');
  return async function authenticateAdmin(c, next) {
    const authorization = c.req.header('Authorization');
    const token = authorization === undefined ? undefined : bearerToken(authorization);
    if (token === undefined) return problemResponse(401, 'Send an admin credential as "Authorization: Bearer <token>".', { headers: { 'WWW-Authenticate': realm } });
    if (looksLikeApiKey(token)) return unauthorized('Tenant API keys cannot be used on the admin API: send an admin credential.');
    const verdict = await verify(token);
    if (verdict.ok) return next();
    if (verdict.detail !== undefined) onRefused?.(verdict);
    if (verdict.reason === 'insufficient_scope') {
      // RFC 6750: a valid token without the needed scope is 403, naming the scope.
      const challenge = `${realm}, error="insufficient_scope", scope="${ADMIN_SCOPE}"`;
      return problemResponse(403, `The token is valid but lacks the ${ADMIN_SCOPE} scope the admin API needs.`, { headers: { 'WWW-Authenticate': challenge } });
    }
    if (verdict.reason === 'jwks_unavailable') return unauthorized("The admin issuer's keys cannot be fetched right now. Retry shortly.");
    return unauthorized('The admin credential is invalid.');
  };
}

function unauthorized(detail: string): Response {
  return problemResponse(401, detail, { headers: { 'WWW-Authenticate': `${realm}, error="invalid_token"` } });
}
