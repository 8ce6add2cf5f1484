import { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import type { BlankEnv } from 'hono/types';
import type { Logger } from '../app.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { type Config, publicUrl, resourceUrl } from '../config.ts';
import type { Database } from '../db/database.ts';
import { bodyLimit } from '../http/body-limit.ts';
import { ADMIN_SCOPE, adminAuth, adminTokenVerifier, anyAdminVerifier, type VerifyAdmin } from './admin-auth.ts';
import { adminJwtVerifier } from './admin-jwt.ts';
import { CONNECTOR_BODY_BYTES, type ConnectorRoutesDeps, registerConnectorRoutes } from './connectors-routes.ts';
import { registerIssuerRoutes } from './issuers-routes.ts';
import { registerKeyRoutes } from './keys-routes.ts';
import { registerLimitRoutes } from './limits-routes.ts';
import { registerOAuthRoutes } from './oauth-routes.ts';
import { type IssueLocation, problemFromError, problemResponse, validationProblem } from './problem.ts';
import { referencePageCsp, renderReferencePage } from './reference-page.ts';
import { registerSignInRoutes } from './sign-in-routes.ts';
import { registerTenantRoutes } from './tenants-routes.ts';
import { registerTokenRoutes } from './tokens-routes.ts';
import { registerUsageRoutes } from './usage-routes.ts';

/** What the admin API needs from the app. */
export interface AdminAppDeps {
  db: Database;
  config: Config;
  log: Logger;
  version: string;
  /** The server's token signing key; resolves to undefined when TOKEN_SIGNING_KEY is unset. */
  signingKey: Promise<SigningKey | undefined>;
  /** Seals sign-in providers' client secrets; absent when SECRETS_ENCRYPTION_KEY is unset. */
  secretBox?: Promise<SecretBox>;
  /** The connector services; without them the /connectors routes are absent. */
  connectors?: ConnectorRoutesDeps;
}

const MAX_BODY_BYTES = 64 * 1024;
// Adding or refreshing a connector may upload an OpenAPI document.
const LARGE_BODY_PATH = /\/connectors(\/[^/]+\/refresh)?$/;
const locations: Record<string, IssueLocation> = { json: 'body', form: 'body', query: 'query', param: 'path' };

/**
 * Builds the admin API, to be mounted at `/admin`. Without an admin credential configured (an
 * ADMIN_TOKEN, an admin JWT issuer, or both) it has no routes at all, so every `/admin` path
 * answers 404: the API is off.
 */
export function createAdminApp(deps: AdminAppDeps): Hono {
  const { db, config, log } = deps;
  const verify = adminVerifier(config);
  if (verify === undefined) return new Hono();

  const app = new OpenAPIHono<BlankEnv>({
    defaultHook: (result) => (result.success ? undefined : validationProblem(result.error, locations[result.target] ?? 'body')),
  });
  app.onError((error, c) => problemFromError(error, (e) => log.error(`Unhandled error on ${c.req.method} ${c.req.path}: ${describe(e)}`)));
  const security: Record<string, string[]>[] = [];
  if (config.ADMIN_TOKEN !== undefined) {
    app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
      type: 'http',
      scheme: 'bearer',
      description: 'The ADMIN_TOKEN the server was started with. Tenant API keys are refused.',
    });
    security.push({ adminToken: [] });
  }
  if (config.ADMIN_JWT_ISSUER !== undefined) {
    app.openAPIRegistry.registerComponent('securitySchemes', 'adminJwt', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `A JWT from ${config.ADMIN_JWT_ISSUER} with aud ${adminAudience(config)} and the ${ADMIN_SCOPE} scope. Tenant tokens are refused.`,
    });
    security.push({ adminJwt: [] });
  }

  // The API's description is public: it holds no data, and a browser must be able to open the
  // page. Hono runs handlers in registration order, so these answer before the authentication below.
  let doc: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  let page: string | undefined;
  const document = () =>
    (doc ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'tenant-mcp admin API',
        version: deps.version,
        description:
          'Provision tenants, API keys, trusted issuers and tokens, set rate limits and quotas, and read usage. Authenticate with "Authorization: Bearer <admin credential>". ' +
          'Errors are RFC 9457 problem details (application/problem+json). Lists return {items, next}: pass next as cursor for the following page.',
      },
      servers: [{ url: `${publicUrl(config)}/admin` }],
      security,
      tags: [{ name: 'Tenants' }, { name: 'Keys' }, { name: 'Issuers' }, { name: 'Tokens' }, { name: 'Usage' }, { name: 'Limits' }, { name: 'OAuth' }, { name: 'Sign-in' }, { name: 'Connectors' }],
    }));
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/reference', (c) => c.html((page ??= renderReferencePage(document())), 200, { 'Content-Security-Policy': referencePageCsp }));

  app.use('*', adminAuth({ verify, onRefused: (verdict) => log.warn(`Refused an admin credential: ${verdict.detail}`) }));
  app.use('*', async function noStore(c, next) {
    await next();
    c.header('Cache-Control', 'no-store'); // answers may carry a key shown once, or customer data
  });
  // An OpenAPI document may be large; everything else is small.
  const connectorLimit = bodyLimit({ maxBytes: CONNECTOR_BODY_BYTES, tooLarge: () => problemResponse(413, `The body is larger than ${CONNECTOR_BODY_BYTES} bytes.`) });
  const limit = bodyLimit({ maxBytes: MAX_BODY_BYTES, tooLarge: () => problemResponse(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`) });
  app.use('*', (c, next) => (LARGE_BODY_PATH.test(c.req.path) ? connectorLimit : limit)(c, next));

  registerTenantRoutes(app, db);
  registerKeyRoutes(app, db, publicUrl(config));
  registerIssuerRoutes(app, db, publicUrl(config));
  registerTokenRoutes(app, db, { signingKey: deps.signingKey, issuer: publicUrl(config), audience: resourceUrl(config) });
  registerUsageRoutes(app, db);
  registerLimitRoutes(app, db);
  registerOAuthRoutes(app, db);
  registerSignInRoutes(app, db, deps.secretBox);
  if (deps.connectors) registerConnectorRoutes(app, db, deps.connectors);

  app.all('*', (c) => problemResponse(404, `No admin route ${c.req.method} ${c.req.path}; the routes are listed at /admin/reference.`));
  return app;
}

/** Verifies the admin credentials the configuration names (ADMIN_TOKEN, admin JWTs); undefined when it names none. */
export function adminVerifier(config: Config): VerifyAdmin | undefined {
  const verifiers: VerifyAdmin[] = [];
  if (config.ADMIN_TOKEN !== undefined) verifiers.push(adminTokenVerifier(config.ADMIN_TOKEN));
  if (config.ADMIN_JWT_ISSUER !== undefined && config.ADMIN_JWT_JWKS_URI !== undefined) {
    verifiers.push(
      adminJwtVerifier({
        issuer: config.ADMIN_JWT_ISSUER,
        jwksUri: config.ADMIN_JWT_JWKS_URI,
        audience: adminAudience(config),
        clockToleranceSeconds: config.JWT_CLOCK_SKEW_SECONDS,
        jwksTimeoutMs: config.JWKS_TIMEOUT_MS,
        jwksCooldownMs: config.JWKS_COOLDOWN_MS,
      }),
    );
  }
  return verifiers.length === 0 ? undefined : anyAdminVerifier(verifiers);
}

/** The `aud` admin JWTs must carry: ADMIN_JWT_AUDIENCE, or PUBLIC_URL + /admin (never the /mcp resource, so tenant tokens do not fit). */
export function adminAudience(config: Config): string {
  return config.ADMIN_JWT_AUDIENCE ?? `${publicUrl(config)}/admin`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
