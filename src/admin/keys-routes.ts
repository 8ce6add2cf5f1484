import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { connectionSnippets } from '../services/connection-snippets.ts';
import { parseDuration } from '../services/duration.ts';
import { createKey, listKeys, revokeKey } from '../services/keys.ts';
import { jsonBody, jsonResponse, PageQuerySchema, pageSchema, problems, timestamp } from './schemas.ts';
import { SlugParamSchema } from './tenants-routes.ts';

const KeySchema = z
  .object({
    id: z.string().openapi({ description: 'Public key id, the part after `tmcp_`', example: 'k3bq7x2m4ndz' }),
    tenant: z.string().openapi({ example: 'acme' }),
    name: z.string().openapi({ example: 'production' }),
    scopes: z.array(z.string()).openapi({ example: ['math'] }),
    createdAt: timestamp(),
    expiresAt: timestamp().nullable(),
    revokedAt: timestamp().nullable(),
    lastUsedAt: timestamp().nullable().openapi({ description: 'Updated in batches, so it may lag a few seconds' }),
  })
  .openapi('Key', { description: 'An API key, without its secret.' });

const configSnippet = z.object({ file: z.string().openapi({ description: 'Where to paste `config`' }), config: z.record(z.string(), z.unknown()) });

const SnippetsSchema = z
  .object({
    url: z.string().openapi({ description: 'The MCP endpoint', example: 'https://mcp.example.com/mcp' }),
    claudeDesktop: configSnippet.openapi({ description: 'Claude Desktop, through the mcp-remote bridge' }),
    cursor: configSnippet,
    vscode: configSnippet,
    claudeConnector: z.object({ url: z.string(), note: z.string() }).openapi({ description: 'Claude custom connectors: OAuth, signing in with this key' }),
    oauth: z
      .object({ url: z.string(), vscode: configSnippet, note: z.string() })
      .openapi({ description: 'URL-only entry for OAuth clients (ChatGPT, Claude connectors, VS Code); holds no secret' }),
    inspector: z.string().openapi({ description: 'MCP Inspector CLI command that lists the tools' }),
  })
  .openapi('ConnectionSnippets', { description: 'Ready-to-paste client configurations. Each contains the key: handle as a secret.' });

const CreatedKeySchema = KeySchema.extend({
  key: z.string().openapi({ description: 'The full key. Shown this once: it is not stored and cannot be shown again.' }),
  snippets: SnippetsSchema,
}).openapi('CreatedKey');

const KeyCreateSchema = z
  .strictObject({
    scopes: z
      .array(z.string().max(200))
      .min(1)
      .max(100)
      .openapi({ description: "Scope patterns; each must lie within the tenant's", example: ['math'] }),
    name: z.string().min(1).max(200).optional().openapi({ description: 'A label for the key; defaults to `default`', example: 'production' }),
    expiresIn: z.string().max(16).optional().openapi({ description: 'Lifetime such as `90s`, `15m`, `24h` or `30d`; never expires when absent', example: '30d' }),
  })
  .openapi('KeyCreate');

const RevokedSchema = z.object({ id: z.string(), revokedAt: timestamp() }).openapi('RevokedKey');

const createKeyRoute = createRoute({
  method: 'post',
  path: '/tenants/{slug}/keys',
  tags: ['Keys'],
  operationId: 'createKey',
  summary: 'Create an API key for a tenant',
  description: 'The response carries the full key and ready-to-paste client configurations. This is the only time the key is shown.',
  request: { params: SlugParamSchema, body: jsonBody(KeyCreateSchema, 'The new key') },
  responses: { 201: jsonResponse(CreatedKeySchema, 'The key was created'), ...problems(400, 404, 413, 415) },
});

const listKeysRoute = createRoute({
  method: 'get',
  path: '/tenants/{slug}/keys',
  tags: ['Keys'],
  operationId: 'listKeys',
  summary: "List a tenant's keys, oldest first",
  request: { params: SlugParamSchema, query: PageQuerySchema },
  responses: { 200: jsonResponse(pageSchema(KeySchema).openapi('KeyPage'), 'A page of keys'), ...problems(400, 404) },
});

const revokeKeyRoute = createRoute({
  method: 'post',
  path: '/keys/{id}/revoke',
  tags: ['Keys'],
  operationId: 'revokeKey',
  summary: 'Revoke a key',
  description: 'Takes effect within the key cache TTL (`KEY_CACHE_TTL_SECONDS`). Revoking a revoked key is not an error.',
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'k3bq7x2m4ndz' }) }) },
  responses: { 200: jsonResponse(RevokedSchema, 'The key is revoked'), ...problems(400, 404) },
});

/** Registers the key routes. Snippets in a created key's response point at `publicUrl`. */
export function registerKeyRoutes(app: OpenAPIHono, db: Database, publicUrl: string): void {
  app.openapi(createKeyRoute, async (c) => {
    const { scopes, name, expiresIn } = c.req.valid('json');
    const expiresInMs = expiresIn === undefined ? undefined : parseDuration(expiresIn);
    const key = await createKey(db, { tenant: c.req.valid('param').slug, scopes, name, expiresInMs });
    return c.json({ ...key, snippets: connectionSnippets(publicUrl, key.key) }, 201);
  });

  app.openapi(listKeysRoute, async (c) => c.json(await listKeys(db, c.req.valid('param').slug, c.req.valid('query')), 200));

  app.openapi(revokeKeyRoute, async (c) => c.json(await revokeKey(db, c.req.valid('param').id), 200));
}
