import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { hashSecret } from '../auth/api-key.ts';
import { oauthGrants, oauthRefreshTokens } from '../db/schema.ts';
import { authenticateClient } from './client-authentication.ts';
import { revokeGrant } from './grants.ts';
import type { OAuthContext } from './oauth-context.ts';
import { OAuthError, oauthErrorResponse } from './oauth-error.ts';
import { formOf } from './token-endpoint.ts';

/**
 * POST /revoke (RFC 7009). A refresh token revokes its whole grant. Access tokens are
 * short-lived JWTs checked without a database read, so revoking one alone changes nothing
 * (answered 200, as the RFC allows); revoke the grant's refresh token instead.
 */
export function revocationEndpoint(ctx: OAuthContext) {
  return async function revoke(c: Context): Promise<Response> {
    try {
      const form = await formOf(c);
      const client = await authenticateClient(ctx.clients, c.req.header('Authorization'), form);
      const token = typeof form.token === 'string' ? form.token : '';
      if (token === '') throw new OAuthError('invalid_request', 'The token parameter is missing.');
      const [row] = await ctx.db
        .select({ grantId: oauthRefreshTokens.grantId, clientId: oauthGrants.clientId })
        .from(oauthRefreshTokens)
        .innerJoin(oauthGrants, eq(oauthRefreshTokens.grantId, oauthGrants.id))
        .where(eq(oauthRefreshTokens.tokenHash, await hashSecret(token)))
        .limit(1);
      // A token of another client is left alone, and the answer is the same (section 2.2).
      if (row && row.clientId === client.id) await revokeGrant(ctx.db, row.grantId, 'revoked by its client', ctx.now());
      return new Response(null, { status: 200, headers: { 'Cache-Control': 'no-store' } });
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(error);
      throw error;
    }
  };
}
