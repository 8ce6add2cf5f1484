import type { Context } from 'hono';
import { mintToken } from '../services/tokens.ts';
import { authenticateClient } from './client-authentication.ts';
import { issueRefreshToken, type LiveGrant, liveGrant, redeemCode, redeemRefreshToken } from './grants.ts';
import type { OAuthContext } from './oauth-context.ts';
import { OAuthError, oauthErrorResponse } from './oauth-error.ts';
import { verifiesChallenge } from './pkce.ts';

/**
 * POST /token: the authorization_code grant (PKCE S256, bound to client, redirect URI and
 * resource) and the refresh_token grant (rotation; reuse revokes the grant). Access tokens are
 * the server's own short-lived JWTs, checked at /mcp without a database read.
 */
export function tokenEndpoint(ctx: OAuthContext) {
  return async function token(c: Context): Promise<Response> {
    try {
      const form = await formOf(c);
      const client = await authenticateClient(ctx.clients, c.req.header('Authorization'), form);
      const resource = typeof form.resource === 'string' ? form.resource : undefined;
      let live: LiveGrant;
      if (form.grant_type === 'authorization_code') {
        live = await exchangeCode(ctx, client.id, form);
      } else if (form.grant_type === 'refresh_token') {
        live = await refresh(ctx, client.id, form);
      } else {
        throw new OAuthError('unsupported_grant_type', 'Use grant_type authorization_code or refresh_token.');
      }
      if (resource !== undefined && resource.replace(/\/$/, '') !== live.grant.resource) {
        throw new OAuthError('invalid_target', `This grant is for ${live.grant.resource} only.`);
      }
      let scopes = live.scopes;
      if (form.grant_type === 'refresh_token' && typeof form.scope === 'string') {
        // RFC 6749 section 6: a refresh may narrow the scopes, never widen them.
        const asked = form.scope.split(' ').filter(Boolean);
        if (asked.some((s) => !scopes.includes(s))) throw new OAuthError('invalid_scope', 'A refresh may only ask for scopes the grant holds.');
        scopes = asked;
      }
      return await issueTokens(ctx, live, scopes);
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(error);
      throw error;
    }
  };
}

async function exchangeCode(ctx: OAuthContext, clientId: string, form: Record<string, unknown>): Promise<LiveGrant> {
  const code = text(form, 'code');
  const verifier = typeof form.code_verifier === 'string' ? form.code_verifier : undefined;
  if (!verifier) throw new OAuthError('invalid_request', 'PKCE is required: send code_verifier.');
  const now = ctx.now();
  const redeemed = await redeemCode(ctx.db, code, now);
  if (!redeemed.ok) {
    throw new OAuthError('invalid_grant', redeemed.replayed ? 'The code was already used; the tokens issued from it are revoked.' : 'The code is unknown.');
  }
  const stored = redeemed.value;
  if (stored.expiresAt.getTime() <= now) throw new OAuthError('invalid_grant', 'The code has expired.');
  if (stored.clientId !== clientId) throw new OAuthError('invalid_grant', 'The code was issued to another client.');
  if (text(form, 'redirect_uri') !== stored.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request.');
  if (!(await verifiesChallenge(verifier, stored.codeChallenge))) throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge.');
  return checkedGrant(ctx, stored.grantId, clientId);
}

async function refresh(ctx: OAuthContext, clientId: string, form: Record<string, unknown>): Promise<LiveGrant> {
  const now = ctx.now();
  const redeemed = await redeemRefreshToken(ctx.db, text(form, 'refresh_token'), now);
  if (!redeemed.ok) {
    throw new OAuthError('invalid_grant', redeemed.replayed ? 'The refresh token was already used; its grant is revoked.' : 'The refresh token is unknown.');
  }
  if (redeemed.value.expiresAt.getTime() <= now) throw new OAuthError('invalid_grant', 'The refresh token has expired.');
  return checkedGrant(ctx, redeemed.value.grantId, clientId);
}

async function checkedGrant(ctx: OAuthContext, grantId: string, clientId: string): Promise<LiveGrant> {
  const live = await liveGrant(ctx.db, grantId, ctx.now());
  if (!live.ok) throw new OAuthError('invalid_grant', `The grant cannot issue tokens: ${live.reason}.`);
  if (live.value.grant.clientId !== clientId) throw new OAuthError('invalid_grant', 'The grant belongs to another client.');
  return live.value;
}

async function issueTokens(ctx: OAuthContext, live: LiveGrant, scopes: string[]): Promise<Response> {
  const key = await ctx.signingKey.catch(() => undefined);
  if (!key) throw new OAuthError('temporarily_unavailable', 'The server has no token signing key (TOKEN_SIGNING_KEY).', 503);
  const { grant } = live;
  const minted = await mintToken(ctx.db, key, {
    tenant: live.tenantSlug,
    scopes,
    subject: grant.subject,
    clientId: grant.clientId,
    ttlMs: ctx.accessTokenTtlMs,
    issuer: ctx.issuer,
    audience: grant.resource,
    now: ctx.now(),
  });
  const refreshToken = await issueRefreshToken(ctx.db, grant.id, ctx.refreshTokenTtlMs, ctx.now());
  return Response.json(
    {
      access_token: minted.token,
      token_type: 'Bearer',
      expires_in: Math.round(ctx.accessTokenTtlMs / 1000),
      refresh_token: refreshToken,
      scope: minted.scopes.join(' '),
    },
    { headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } },
  );
}

/** Reads an application/x-www-form-urlencoded body (the only kind RFC 6749 allows here). */
export async function formOf(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.');
  }
  const body = new URLSearchParams(await c.req.text());
  const form: Record<string, string> = {};
  for (const [name, value] of body) {
    if (name in form) throw new OAuthError('invalid_request', `The parameter ${name} is repeated.`);
    form[name] = value;
  }
  return form;
}

function text(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  if (typeof value !== 'string' || value === '') throw new OAuthError('invalid_request', `The ${name} parameter is missing.`);
  return value;
}
