import type { Context } from 'hono';
import { AppError } from '../errors.ts';
import { clientMetadataSchema, registerClient } from './client-store.ts';
import type { OAuthContext } from './oauth-context.ts';
import { OAuthError, oauthErrorResponse } from './oauth-error.ts';
import type { RegistrationLimiter } from './registration-limiter.ts';

/**
 * POST /register: RFC 7591 dynamic client registration, open to anyone (as MCP clients expect)
 * and rate-limited per client address. Only the authorization code flow is registered.
 */
export function registrationEndpoint(ctx: OAuthContext, limiter: RegistrationLimiter) {
  return async function register(c: Context): Promise<Response> {
    try {
      const address = c.req.header('CF-Connecting-IP') ?? c.req.header('X-Forwarded-For')?.split(',')[0]?.trim() ?? 'direct';
      if (!limiter.admit(address)) throw new OAuthError('slow_down', 'Too many client registrations: wait a minute.', 429);
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new OAuthError('invalid_client_metadata', 'The body must be a JSON object of client metadata.');
      }
      const parsed = clientMetadataSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const code = issue.path[0] === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata';
        throw new OAuthError(code, `${issue.path.join('.') || 'metadata'}: ${issue.message}`);
      }
      const meta = parsed.data;
      if (!meta.response_types.every((t) => t === 'code')) throw new OAuthError('invalid_client_metadata', 'Only response type "code" is supported.');
      if (!meta.grant_types.every((g) => g === 'authorization_code' || g === 'refresh_token')) {
        throw new OAuthError('invalid_client_metadata', 'Only the authorization_code and refresh_token grant types are supported.');
      }
      let client;
      try {
        client = await registerClient(ctx.db, {
          kind: 'dynamic',
          name: meta.client_name ?? 'Unnamed app',
          redirectUris: meta.redirect_uris,
          clientUri: meta.client_uri,
          confidential: meta.token_endpoint_auth_method !== 'none',
        });
      } catch (error) {
        if (error instanceof AppError) throw new OAuthError('invalid_redirect_uri', error.message);
        throw error;
      }
      return Response.json(
        {
          client_id: client.clientId,
          ...(client.clientSecret ? { client_secret: client.clientSecret, client_secret_expires_at: 0 } : {}),
          client_id_issued_at: Math.floor(Date.parse(client.createdAt) / 1000),
          client_name: client.name,
          redirect_uris: client.redirectUris,
          ...(client.clientUri ? { client_uri: client.clientUri } : {}),
          token_endpoint_auth_method: meta.token_endpoint_auth_method,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        { status: 201, headers: { 'Cache-Control': 'no-store' } },
      );
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(error);
      throw error;
    }
  };
}
