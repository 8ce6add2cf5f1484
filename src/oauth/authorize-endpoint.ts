import type { Context } from 'hono';
import { isScopePattern } from '../auth/scopes.ts';
import type { OAuthContext } from './oauth-context.ts';
import { errorPage } from './pages/page-layout.ts';
import { isS256Challenge } from './pkce.ts';
import { matchesRedirectUri } from './redirect-uri.ts';

/** Builds a redirect to the client carrying `params`, plus `iss` (RFC 9207) and `state` unchanged. */
export function redirectToClient(redirectUri: string, issuer: string, state: string | null, params: Record<string, string>): Response {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (state !== null) url.searchParams.set('state', state);
  url.searchParams.set('iss', issuer);
  return new Response(null, { status: 303, headers: { Location: url.href, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } });
}

/**
 * GET /authorize (RFC 6749 section 4.1.1 with OAuth 2.1's rules). A bad client or redirect URI
 * is shown on our page, never redirected; once both are verified, other errors go back to the
 * client. A good request is stored for this browser and the user is sent to the sign-in page.
 */
export function authorizeEndpoint(ctx: OAuthContext) {
  return async function authorize(c: Context): Promise<Response> {
    const q = (name: string) => c.req.query(name);
    const clientId = q('client_id');
    if (!clientId) return errorPage('Cannot connect this app', 'The request names no app (client_id is missing).');
    const lookup = await ctx.clients.find(clientId);
    if (!lookup.ok) return errorPage('Cannot connect this app', lookup.reason);
    const client = lookup.client;
    const requested = q('redirect_uri');
    const redirectUri = requested ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!redirectUri) return errorPage('Cannot connect this app', 'The request names no redirect_uri, and the app has several.');
    if (!matchesRedirectUri(redirectUri, client.redirectUris)) {
      return errorPage('Cannot connect this app', `The redirect URI is not registered for ${client.name}; the app may be misconfigured or impersonated.`);
    }

    const state = q('state') ?? null;
    const refuse = (error: string, description: string) =>
      redirectToClient(redirectUri, ctx.issuer, state, { error, error_description: description });
    if (q('response_type') !== 'code') return refuse('unsupported_response_type', 'Only response_type=code is supported.');
    const challenge = q('code_challenge');
    const method = q('code_challenge_method');
    if (!challenge) return refuse('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
    if (method !== 'S256') return refuse('invalid_request', 'Only the S256 code_challenge_method is supported; plain is refused.');
    if (!isS256Challenge(challenge)) return refuse('invalid_request', 'The code_challenge is not a base64url SHA-256 digest.');
    const resources = c.req.queries('resource') ?? [];
    if (resources.length === 0) return refuse('invalid_target', `The resource parameter is required (RFC 8707): use ${ctx.resource}.`);
    if (resources.length > 1 || !isThisResource(resources[0]!, ctx.resource)) {
      return refuse('invalid_target', `This server issues tokens only for ${ctx.resource}.`);
    }
    const scope = q('scope');
    // Unknown scope names (openid, offline_access) are ignored: they grant nothing here.
    const scopes = scope === undefined ? null : [...new Set(scope.split(' ').filter(isScopePattern))].slice(0, 50);
    if (state !== null && state.length > 1000) return refuse('invalid_request', 'The state parameter is longer than 1000 characters.');

    const id = await ctx.pending.create(c, { clientId: client.id, redirectUri, codeChallenge: challenge, resource: ctx.resource, scopes, state });
    return c.redirect(`/oauth/requests/${id}`, 303);
  };
}

/** The MCP resource, allowing only a trailing slash of difference. */
function isThisResource(value: string, resource: string): boolean {
  return value.replace(/\/$/, '') === resource;
}
