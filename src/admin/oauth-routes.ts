import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { oauthClientKinds, signInMethods } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { listClients, registerClient, removeClient } from '../oauth/client-store.ts';
import { listGrants, revokeGrant, revokeGrants } from '../oauth/grants.ts';
import { jsonBody, jsonResponse, pageSchema, problems, timestamp } from './schemas.ts';

const ClientSchema = z
  .object({
    clientId: z.string().openapi({ example: 'tmcc_3kq9XbT0aW1mZr2cYv8uNg' }),
    kind: z.enum(oauthClientKinds).openapi({ description: 'registered (by an operator), dynamic (RFC 7591) or metadata_document (its client_id is the document URL)' }),
    name: z.string().openapi({ example: 'Acme desktop app' }),
    redirectUris: z.array(z.string()).openapi({ example: ['https://app.acme.example/oauth/callback'] }),
    clientUri: z.string().nullable(),
    confidential: z.boolean().openapi({ description: 'Has a secret (client_secret_basic or client_secret_post)' }),
    createdAt: timestamp(),
  })
  .openapi('OAuthClient', { description: 'A client of the built-in OAuth authorization server. Its secret is never shown again.' });

const RegisteredClientSchema = ClientSchema.extend({
  clientSecret: z.string().optional().openapi({ description: 'Confidential clients only: shown once; only a digest is stored.' }),
}).openapi('RegisteredOAuthClient');

const ClientCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(100).openapi({ example: 'Acme desktop app' }),
    redirectUris: z.array(z.string().max(2000)).min(1).max(20).openapi({
      description: 'Exact redirect URIs: https, http on 127.0.0.1/[::1]/localhost (any port is then accepted), or a reverse-domain private-use scheme.',
      example: ['https://app.acme.example/oauth/callback'],
    }),
    confidential: z.boolean().optional().openapi({ description: 'Give the client a secret; default false (a public client using PKCE alone).' }),
  })
  .openapi('OAuthClientCreate');

const GrantSchema = z
  .object({
    id: z.string(),
    tenant: z.string().openapi({ example: 'acme' }),
    clientId: z.string(),
    subject: z.string().openapi({ description: '`key:<key id>` for API-key sign-in, the identity provider\'s `sub` otherwise', example: 'key:k3bq7x2m4ndz' }),
    method: z.enum(signInMethods),
    keyId: z.string().nullable(),
    providerId: z.string().nullable(),
    scopes: z.array(z.string()),
    resource: z.string(),
    createdAt: timestamp(),
    lastUsedAt: timestamp().nullable(),
    revokedAt: timestamp().nullable(),
    revokedReason: z.string().nullable(),
  })
  .openapi('OAuthGrant', { description: 'What a user allowed an OAuth client; its refresh tokens hang off it.' });

const GrantQuerySchema = z.object({
  tenant: z.string().max(63).optional().openapi({ param: { name: 'tenant', in: 'query' }, example: 'acme' }),
  subject: z.string().max(256).optional().openapi({ param: { name: 'subject', in: 'query' } }),
  clientId: z.string().max(2000).optional().openapi({ param: { name: 'clientId', in: 'query' } }),
  includeRevoked: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ param: { name: 'includeRevoked', in: 'query' }, description: 'Also list revoked grants' }),
});

const GrantRevokeSchema = z
  .strictObject({
    id: z.string().max(64).optional().openapi({ description: 'One grant; or name any of tenant, subject, clientId' }),
    tenant: z.string().max(63).optional(),
    subject: z.string().max(256).optional(),
    clientId: z.string().max(2000).optional(),
  })
  .openapi('OAuthGrantRevoke');

const ClientIdParamSchema = z.object({
  clientId: z.string().min(1).max(2000).openapi({ param: { name: 'clientId', in: 'path' }, description: 'Percent-encoded when it is a URL', example: 'tmcc_3kq9XbT0aW1mZr2cYv8uNg' }),
});

const registerClientRoute = createRoute({
  method: 'post',
  path: '/oauth/clients',
  tags: ['OAuth'],
  operationId: 'registerOAuthClient',
  summary: 'Pre-register an OAuth client',
  description: 'Same rules as `tenant-mcp client register`. A confidential client gets a secret, shown once.',
  request: { body: jsonBody(ClientCreateSchema, 'The client to register') },
  responses: { 201: jsonResponse(RegisteredClientSchema, 'The client is registered'), ...problems(400, 413, 415) },
});

const listClientsRoute = createRoute({
  method: 'get',
  path: '/oauth/clients',
  tags: ['OAuth'],
  operationId: 'listOAuthClients',
  summary: 'List OAuth clients: pre-registered, dynamically registered and metadata-document ones seen so far',
  description: 'Always one page (`next` is null).',
  responses: { 200: jsonResponse(pageSchema(ClientSchema).openapi('OAuthClientPage'), 'Every client'), ...problems() },
});

const removeClientRoute = createRoute({
  method: 'delete',
  path: '/oauth/clients/{clientId}',
  tags: ['OAuth'],
  operationId: 'removeOAuthClient',
  summary: 'Remove an OAuth client and every grant it holds',
  description: 'Its refresh tokens stop working at once; its access tokens within their short life (OAUTH_ACCESS_TOKEN_TTL_SECONDS).',
  request: { params: ClientIdParamSchema },
  responses: { 200: jsonResponse(z.object({ clientId: z.string() }), 'The client is removed'), ...problems(400, 404) },
});

const listGrantsRoute = createRoute({
  method: 'get',
  path: '/oauth/grants',
  tags: ['OAuth'],
  operationId: 'listOAuthGrants',
  summary: 'List grants by tenant, subject or client, newest first',
  description: 'At most 1000 grants, in one page (`next` is null).',
  request: { query: GrantQuerySchema },
  responses: { 200: jsonResponse(pageSchema(GrantSchema).openapi('OAuthGrantPage'), 'The matching grants'), ...problems(400) },
});

const revokeGrantsRoute = createRoute({
  method: 'post',
  path: '/oauth/grants/revoke',
  tags: ['OAuth'],
  operationId: 'revokeOAuthGrants',
  summary: 'Revoke one grant, or every grant of a tenant, subject or client',
  description: 'Refresh tokens stop working at once; access tokens within their short life (OAUTH_ACCESS_TOKEN_TTL_SECONDS).',
  request: { body: jsonBody(GrantRevokeSchema, 'Which grants to revoke') },
  responses: { 200: jsonResponse(z.object({ revoked: z.number().int() }), 'How many live grants were revoked'), ...problems(400, 404, 413, 415) },
});

/** Registers the OAuth client and grant routes. */
export function registerOAuthRoutes(app: OpenAPIHono, db: Database): void {
  app.openapi(registerClientRoute, async (c) => c.json(await registerClient(db, c.req.valid('json')), 201));
  app.openapi(listClientsRoute, async (c) => c.json({ items: await listClients(db), next: null }, 200));
  app.openapi(removeClientRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    await removeClient(db, clientId);
    return c.json({ clientId }, 200);
  });
  app.openapi(listGrantsRoute, async (c) => {
    const { includeRevoked, ...filter } = c.req.valid('query');
    return c.json({ items: await listGrants(db, { ...filter, includeRevoked: includeRevoked === 'true' }), next: null }, 200);
  });
  app.openapi(revokeGrantsRoute, async (c) => {
    const { id, ...filter } = c.req.valid('json');
    if (id === undefined) return c.json({ revoked: await revokeGrants(db, filter) }, 200);
    if (!(await revokeGrant(db, id, 'revoked by an operator'))) throw new AppError('not_found', `No live grant "${id}"`);
    return c.json({ revoked: 1 }, 200);
  });
}
