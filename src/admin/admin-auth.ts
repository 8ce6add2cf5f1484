import type { MiddlewareHandler } from 'hono';
import { constantTimeEqual, hashSecret, looksLikeApiKey } from '../auth/api-key.ts';
import { bearerToken } from '../auth/authenticate.ts';
import { problemResponse } from './problem.ts';

/** Decides whether a presented bearer token is an admin credential. Only infrastructure failures throw. */
export type VerifyAdmin = (token: string) => Promise<boolean>;

/** Accepts exactly `adminToken`, comparing SHA-256 digests in constant time so timing reveals nothing of it. */
export function adminTokenVerifier(adminToken: string): VerifyAdmin {
  const expected = hashSecret(adminToken);
  return async function verifyAdminToken(token) {
    return constantTimeEqual(await hashSecret(token), await expected);
  };
}

/**
 * Lets a request through only with an admin credential in `Authorization: Bearer`. Tenant API
 * keys are refused outright: no tenant credential ever reaches an admin route.
 */
export function adminAuth(verify: VerifyAdmin): MiddlewareHandler {
  if (typeof verify !== 'function') throw new TypeError('adminAuth() needs a verify function');
  return async function authenticateAdmin(c, next) {
    const authorization = c.req.header('Authorization');
    const token = authorization === undefined ? undefined : bearerToken(authorization);
    if (token === undefined) return unauthorized(false, 'Send the admin token as "Authorization: Bearer <token>".');
    if (looksLikeApiKey(token)) return unauthorized(true, 'Tenant API keys cannot be used on the admin API: send the admin token.');
    if (!(await verify(token))) return unauthorized(true, 'The admin credential is invalid.');
    await next();
  };
}

function unauthorized(presented: boolean, detail: string): Response {
  const challenge = presented ? 'Bearer realm="tenant-mcp admin", error="invalid_token"' : 'Bearer realm="tenant-mcp admin"';
  return problemResponse(401, detail, { headers: { 'WWW-Authenticate': challenge } });
}
