import { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import type { BlankEnv } from 'hono/types';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../app.ts';
import { type Config, publicUrl } from '../config.ts';
import type { Database } from '../db/database.ts';
import { adminAuth, adminTokenVerifier } from './admin-auth.ts';
import { registerKeyRoutes } from './keys-routes.ts';
import { type IssueLocation, problemFromError, problemResponse, validationProblem } from './problem.ts';
import { referencePageCsp, renderReferencePage } from './reference-page.ts';
import { registerTenantRoutes } from './tenants-routes.ts';
import { registerUsageRoutes } from './usage-routes.ts';

/** What the admin API needs from the app. */
export interface AdminAppDeps {
  db: Database;
  config: Config;
  log: Logger;
  version: string;
}

const MAX_BODY_BYTES = 64 * 1024;
const locations: Record<string, IssueLocation> = { json: 'body', form: 'body', query: 'query', param: 'path' };

/**
 * Builds the admin API, to be mounted at `/admin`. Without an admin credential configured it has
 * no routes at all, so every `/admin` path answers 404: the API is off.
 */
export function createAdminApp(deps: AdminAppDeps): Hono {
  const { db, config, log } = deps;
  if (config.ADMIN_TOKEN === undefined) return new Hono();
  // Issue 3's admin JWTs would be accepted here too: verify = either of the two verifiers.
  const verify = adminTokenVerifier(config.ADMIN_TOKEN);

  const app = new OpenAPIHono<BlankEnv>({
    defaultHook: (result) => (result.success ? undefined : validationProblem(result.error, locations[result.target] ?? 'body')),
  });
  app.onError((error, c) => problemFromError(error, (e) => log.error(`Unhandled error on ${c.req.method} ${c.req.path}: ${describe(e)}`)));
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The ADMIN_TOKEN the server was started with. Tenant API keys are refused.',
  });

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
          'Provision tenants and API keys and read usage. Authenticate with "Authorization: Bearer <ADMIN_TOKEN>". ' +
          'Errors are RFC 9457 problem details (application/problem+json). Lists return {items, next}: pass next as cursor for the following page.',
      },
      servers: [{ url: `${publicUrl(config)}/admin` }],
      security: [{ adminToken: [] }],
      tags: [{ name: 'Tenants' }, { name: 'Keys' }, { name: 'Usage' }],
    }));
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/reference', (c) => c.html((page ??= renderReferencePage(document())), 200, { 'Content-Security-Policy': referencePageCsp }));

  app.use('*', adminAuth(verify));
  app.use('*', async function noStore(c, next) {
    await next();
    c.header('Cache-Control', 'no-store'); // answers may carry a key shown once, or customer data
  });
  app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => problemResponse(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`) }));

  registerTenantRoutes(app, db);
  registerKeyRoutes(app, db, publicUrl(config));
  registerUsageRoutes(app, db);
  // Issuers, token minting and limits register here once they exist (see README, "Admin API").

  app.all('*', (c) => problemResponse(404, `No admin route ${c.req.method} ${c.req.path}; the routes are listed at /admin/reference.`));
  return app;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
