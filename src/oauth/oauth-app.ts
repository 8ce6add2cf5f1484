/**
 * The built-in OAuth 2.1 authorization server (MCP authorization, 2025-11-25 and 2026-07-28).
 *
 * Endpoints: GET /authorize, POST /token, POST /register (RFC 7591), POST /revoke (RFC 7009),
 * RFC 8414 metadata at every path MCP clients probe, and the sign-in and consent pages under
 * /oauth (see authorization-pages.ts). Sign-in methods beyond "paste an API key" plug in through
 * `signIn` (a {@link SignInExtensionFactory}; the contract is documented on {@link SignInKit}):
 * they hand back a {@link SignedInUser} with `kit.completeSignIn(c, pendingId, user)`.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AuthResult } from '../auth/caller.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Database } from '../db/database.ts';
import { bodyLimit } from '../http/body-limit.ts';
import { scopesOnOffer, type ToolCatalog } from '../tools/index.ts';
import { authorizationPages } from './authorization-pages.ts';
import { authorizeEndpoint } from './authorize-endpoint.ts';
import { ClientDirectory } from './client-directory.ts';
import type { OAuthContext } from './oauth-context.ts';
import { PendingRequests } from './pending-requests.ts';
import type { ResolveHost } from './public-address.ts';
import { registrationEndpoint } from './registration-endpoint.ts';
import { RegistrationLimiter } from './registration-limiter.ts';
import { revocationEndpoint } from './revocation-endpoint.ts';
import type { SignInExtensionFactory, SignInKit } from './sign-in/sign-in-extension.ts';
import type { SignedInUser } from './sign-in/signed-in-user.ts';
import { tokenEndpoint } from './token-endpoint.ts';

export type { SignedInUser, SignInKit };

/** What the authorization server needs. */
export interface OAuthAppOptions {
  db: Database;
  /** PUBLIC_URL: the issuer. */
  issuer: string;
  /** PUBLIC_URL + /mcp: the one resource tokens are for. */
  resource: string;
  /** The tools on offer: their scopes are what clients may ask for. */
  catalog: ToolCatalog;
  signingKey: Promise<SigningKey | undefined>;
  /** Checks a pasted API key (the app's cached verifier). */
  verifyApiKey: (key: string) => Promise<AuthResult>;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  registrationsPerMinute: number;
  /** Hosts whose client metadata documents may live on private addresses. */
  cimdAllowedPrivateHosts: readonly string[];
  cimdTimeoutMs: number;
  /** DNS for the client metadata document's address check; the entry provides it where the runtime has one. */
  resolveHost?: ResolveHost;
  /** More sign-in methods (OpenID Connect). */
  signIn?: SignInExtensionFactory;
  now?: () => number;
}

/** Paths of the RFC 8414 metadata: the issuer's, OpenID discovery's, and the path-inserted and path-appended forms for /mcp that clients try. */
export const metadataPaths = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server/mcp',
  '/.well-known/openid-configuration/mcp',
  '/mcp/.well-known/openid-configuration',
  '/mcp/.well-known/oauth-authorization-server',
] as const;

const MAX_BODY_BYTES = 64 * 1024;

/** Builds the authorization server as a sub-app to mount at the root. */
export function createOAuthApp(options: OAuthAppOptions): Hono {
  const now = options.now ?? Date.now;
  const ctx: OAuthContext = {
    db: options.db,
    issuer: options.issuer,
    resource: options.resource,
    catalog: options.catalog,
    clients: new ClientDirectory(
      options.db,
      { resolveHost: options.resolveHost, allowedPrivateHosts: options.cimdAllowedPrivateHosts.map((h) => h.toLowerCase()), timeoutMs: options.cimdTimeoutMs, maxBytes: 5120 },
      now,
    ),
    pending: new PendingRequests(options.db, { secureCookie: options.issuer.startsWith('https:'), now }),
    signingKey: options.signingKey,
    verifyApiKey: options.verifyApiKey,
    accessTokenTtlMs: options.accessTokenTtlSeconds * 1000,
    refreshTokenTtlMs: options.refreshTokenTtlDays * 86_400_000,
    now,
  };


  const app = new Hono();
  // Public documents and endpoints that browser-based clients call cross-origin, without cookies.
  const open = cors({ origin: '*', allowMethods: ['GET', 'POST'], allowHeaders: ['Authorization', 'Content-Type', 'MCP-Protocol-Version'] });
  for (const path of metadataPaths) {
    app.use(path, open);
    app.get(path, async (c) => c.json(authorizationServerMetadata(options.issuer, await scopesOnOffer(options.catalog)), 200, { 'Cache-Control': 'public, max-age=300' }));
  }
  for (const path of ['/token', '/register', '/revoke']) app.use(path, open);
  // Forms and registrations are small; nothing here reads a large body. (Paths, not '*': this app is mounted at the root.)
  const limit = bodyLimit({ maxBytes: MAX_BODY_BYTES, tooLarge: () => Response.json({ error: 'invalid_request', error_description: `The body is larger than ${MAX_BODY_BYTES} bytes.` }, { status: 413 }) });
  for (const path of ['/token', '/register', '/revoke', '/oauth/*']) app.use(path, limit);
  app.get('/authorize', authorizeEndpoint(ctx));
  app.post('/token', tokenEndpoint(ctx));
  app.post('/register', registrationEndpoint(ctx, new RegistrationLimiter({ perMinute: options.registrationsPerMinute, now })));
  app.post('/revoke', revocationEndpoint(ctx));
  app.route('/oauth', authorizationPages(ctx, options.signIn));
  return app;
}

/** The RFC 8414 authorization server metadata. */
function authorizationServerMetadata(base: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    registration_endpoint: `${base}/register`,
    revocation_endpoint: `${base}/revoke`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    scopes_supported: scopes,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
  };
}
