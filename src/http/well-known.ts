import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { SigningKey } from '../auth/signing-key.ts';

/** What the /.well-known documents publish. */
export interface WellKnownOptions {
  /** The MCP endpoint's URL (PUBLIC_URL + /mcp). */
  resource: string;
  /** Authorization server issuers; none means the server publishes no resource metadata (404). */
  authorizationServers: readonly string[];
  /** Every scope a tool on offer needs (connectors add some at run time). */
  scopes: () => Promise<readonly string[]>;
  /** The server's signing key; none means /.well-known/jwks.json answers 404. */
  signingKey: Promise<SigningKey | undefined>;
}

/** The public discovery documents: RFC 9728 protected resource metadata and the server's JWKS. */
export function wellKnown(options: WellKnownOptions): Hono {
  const app = new Hono();
  // Public, credential-free documents that browser-based clients must be able to read.
  app.use('*', cors({ origin: '*', allowMethods: ['GET'] }));

  if (options.authorizationServers.length > 0) {
    const metadata = async () => ({
      resource: options.resource,
      authorization_servers: options.authorizationServers,
      scopes_supported: await options.scopes(),
      bearer_methods_supported: ['header'],
      resource_name: 'tenant-mcp',
    });
    // RFC 9728 section 3.1: the path-suffixed form for the resource `/mcp`, and the bare one for
    // clients that try it; both describe the same resource.
    for (const path of ['/oauth-protected-resource', '/oauth-protected-resource/mcp']) {
      app.get(path, async (c) => c.json(await metadata(), 200, { 'Cache-Control': 'public, max-age=300' }));
    }
  }

  app.get('/jwks.json', async (c) => {
    const key = await options.signingKey.catch(() => undefined);
    if (!key) {
      return c.json({ error: 'not_found', error_description: 'This server mints no tokens: TOKEN_SIGNING_KEY is not set.' }, 404);
    }
    return c.json({ keys: [key.publicJwk] }, 200, { 'Cache-Control': 'public, max-age=300' });
  });
  return app;
}
