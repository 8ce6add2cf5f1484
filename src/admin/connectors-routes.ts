import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { connectorCredentials, connectorKinds } from '../db/schema.ts';
import {
  addConnector,
  type ConnectorEnv,
  getConnector,
  listConnectors,
  refreshConnector,
  removeConnector,
  removeConnectorSecret,
  setConnectorSecret,
} from '../services/connectors.ts';
import { jsonBody, jsonResponse, pageSchema, problems, timestamp } from './schemas.ts';
import { SlugParamSchema } from './tenants-routes.ts';

/** What the connector routes need: the services' environment, and a way to make this instance read connectors again at once. */
export interface ConnectorRoutesDeps {
  env: ConnectorEnv;
  onChange: () => void;
}

/** The largest body these routes read: an OpenAPI document can be large. */
export const CONNECTOR_BODY_BYTES = 4 * 1024 * 1024;

const FilterSchema = z
  .strictObject({
    operationIds: z.array(z.string().min(1).max(256)).max(1000).optional(),
    tags: z.array(z.string().min(1).max(256)).max(1000).optional(),
    paths: z.array(z.string().min(1).max(1024)).max(1000).optional().openapi({ description: 'Exact path templates, or prefixes ending in `*`', example: ['/pets/*'] }),
  })
  .openapi('ConnectorFilter');

const SelectionSchema = z
  .strictObject({ include: FilterSchema.optional(), exclude: FilterSchema.optional() })
  .openapi('ConnectorSelection', { description: 'Which operations become tools: all of them unless `include` names some; `exclude` wins.' });

const ToolScopesSchema = z
  .record(z.string().min(1).max(64), z.array(z.string().min(1).max(128)).min(1).max(20))
  .openapi({ description: 'Scopes per full tool name, replacing the `<connector>:read` / `<connector>:write` default', example: { petstore_deletePet: ['petstore:admin'] } });

const ConnectorSchema = z
  .object({
    id: z.string().openapi({ example: 'cn_k3bq7x2m4ndzq7x2' }),
    name: z.string().openapi({ example: 'petstore' }),
    kind: z.enum(connectorKinds),
    url: z.string().openapi({ description: 'MCP: the upstream endpoint; OpenAPI: the base URL operations are called on', example: 'https://api.example.com/v1' }),
    documentUrl: z.string().nullable().openapi({ description: 'OpenAPI: where the document is fetched from on refresh; null when uploaded' }),
    selection: SelectionSchema.nullable(),
    credential: z.enum(connectorCredentials),
    secretHeader: z.string().nullable().openapi({ description: '`secret`: the header the tenant\'s secret is sent in' }),
    audience: z.string().nullable().openapi({ description: '`identity`: the audience of the identity JWT' }),
    toolsTtlSeconds: z.number().int(),
    toolScopes: z.record(z.string(), z.array(z.string())),
    tools: z
      .array(z.object({ name: z.string(), readOnly: z.boolean(), scopes: z.array(z.string()) }))
      .nullable()
      .openapi({ description: 'OpenAPI: the tools and the scopes each needs; null for MCP connectors, whose tools are listed at run time' }),
    tenantSecrets: z.number().int().openapi({ description: 'How many tenants have stored their secret' }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .openapi('Connector', { description: 'An operator-defined source of tools. Never shows a secret.' });

const ConnectorCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(32).openapi({ description: 'Lower-case letters, digits, hyphens: the prefix of its tools and scopes', example: 'petstore' }),
    kind: z.enum(connectorKinds),
    url: z.string().min(1).max(2048).optional().openapi({ description: 'MCP: the upstream endpoint (required). OpenAPI: the base URL; default the document\'s first server' }),
    document: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .optional()
      .openapi({ description: 'OpenAPI: the document, as an object or as JSON/YAML text. Give this or `documentUrl`.' }),
    documentUrl: z.string().min(1).max(2048).optional().openapi({ description: 'OpenAPI: where to fetch the document, and fetch it again on refresh' }),
    selection: SelectionSchema.optional(),
    credential: z.enum(connectorCredentials).openapi({ description: 'What the upstream is sent: a signed identity JWT, a per-tenant secret, or nothing' }),
    secretHeader: z.string().min(1).max(64).optional().openapi({ description: '`secret`: the header carrying it; default Authorization (store the value with its scheme, e.g. "Bearer ...")' }),
    audience: z.string().min(1).max(512).optional().openapi({ description: '`identity`: the JWT audience; default the upstream\'s origin' }),
    toolScopes: ToolScopesSchema.optional(),
    toolsTtlSeconds: z.number().int().min(10).max(86_400).optional().openapi({ description: 'MCP: how long an instance keeps the upstream\'s tool list; default 300' }),
    listSecret: z.string().min(1).max(8192).optional().openapi({ description: 'MCP with `secret`: the operator\'s secret used only to list the upstream\'s tools' }),
  })
  .openapi('ConnectorCreate');

const ConnectorRefreshSchema = z
  .strictObject({
    document: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional().openapi({ description: 'OpenAPI: a new document (required when the connector was uploaded)' }),
    selection: SelectionSchema.optional(),
    toolScopes: ToolScopesSchema.optional(),
  })
  .openapi('ConnectorRefresh');

const SecretSchema = z.strictObject({ secret: z.string().min(1).max(8192).openapi({ description: 'Sent as the header value; stored encrypted and never shown again', example: 'Bearer upstream-token' }) }).openapi('ConnectorSecret');
const SecretSetSchema = z.object({ connector: z.string(), tenant: z.string(), updatedAt: timestamp() }).openapi('ConnectorSecretSet');

const NameParamSchema = z.object({
  name: z.string().min(1).max(32).openapi({ param: { name: 'name', in: 'path' }, example: 'petstore' }),
});
const SecretParamSchema = NameParamSchema.extend({ slug: SlugParamSchema.shape.slug });

const tags = ['Connectors'];

const addRoute = createRoute({
  method: 'post',
  path: '/connectors',
  tags,
  operationId: 'addConnector',
  summary: 'Add a connector: an OpenAPI document or a remote MCP server whose tools tenants may call',
  description:
    'Same rules as `tenant-mcp connector add`. The document is compiled (or the MCP server listed) now: a refusal names the operation at fault. Its tools reach every instance within CONNECTOR_CACHE_TTL_SECONDS; a tenant sees them once its plan and the credential grant their scopes.',
  request: { body: jsonBody(ConnectorCreateSchema, 'The connector') },
  responses: { 201: jsonResponse(ConnectorSchema, 'The connector was added'), ...problems(400, 409, 413, 415) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/connectors',
  tags,
  operationId: 'listConnectors',
  summary: 'List the connectors, by name',
  description: 'Always one page (`next` is null).',
  responses: { 200: jsonResponse(pageSchema(ConnectorSchema).openapi('ConnectorPage'), 'Every connector'), ...problems() },
});

const showRoute = createRoute({
  method: 'get',
  path: '/connectors/{name}',
  tags,
  operationId: 'getConnector',
  summary: 'Show a connector',
  request: { params: NameParamSchema },
  responses: { 200: jsonResponse(ConnectorSchema, 'The connector'), ...problems(400, 404) },
});

const refreshRoute = createRoute({
  method: 'post',
  path: '/connectors/{name}/refresh',
  tags,
  operationId: 'refreshConnector',
  summary: 'Read an OpenAPI document again, or list an MCP server again',
  description: 'Optionally with a new document, selection or per-tool scopes. Every instance rebuilds the connector\'s tools within CONNECTOR_CACHE_TTL_SECONDS.',
  request: { params: NameParamSchema, body: { ...jsonBody(ConnectorRefreshSchema, 'What changes (may be empty)'), required: false } },
  responses: { 200: jsonResponse(ConnectorSchema, 'The refreshed connector'), ...problems(400, 404, 413, 415) },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/connectors/{name}',
  tags,
  operationId: 'removeConnector',
  summary: 'Remove a connector and every tenant\'s secret for it',
  request: { params: NameParamSchema },
  responses: { 200: jsonResponse(ConnectorSchema, 'The removed connector'), ...problems(400, 404) },
});

const setSecretRoute = createRoute({
  method: 'put',
  path: '/connectors/{name}/secrets/{slug}',
  tags,
  operationId: 'setConnectorSecret',
  summary: "Store a tenant's secret for a `secret` connector",
  description: 'Sealed with SECRETS_ENCRYPTION_KEY (AES-GCM) and never shown again; replaces an earlier one.',
  request: { params: SecretParamSchema, body: jsonBody(SecretSchema, 'The secret') },
  responses: { 200: jsonResponse(SecretSetSchema, 'The secret is stored'), ...problems(400, 404, 413, 415) },
});

const removeSecretRoute = createRoute({
  method: 'delete',
  path: '/connectors/{name}/secrets/{slug}',
  tags,
  operationId: 'removeConnectorSecret',
  summary: "Delete a tenant's secret for a connector",
  request: { params: SecretParamSchema },
  responses: { 204: { description: 'The secret is deleted' }, ...problems(400, 404) },
});

/** Registers the connector routes. */
export function registerConnectorRoutes(app: OpenAPIHono, db: Database, deps: ConnectorRoutesDeps): void {
  const { env } = deps;
  const text = (document: string | Record<string, unknown> | undefined) => (document === undefined || typeof document === 'string' ? document : JSON.stringify(document));

  app.openapi(addRoute, async (c) => {
    const { document, ...input } = c.req.valid('json');
    const added = await addConnector(db, env, { ...input, document: text(document) });
    deps.onChange();
    return c.json(added, 201);
  });

  app.openapi(listRoute, async (c) => c.json({ items: await listConnectors(db), next: null }, 200));

  app.openapi(showRoute, async (c) => c.json(await getConnector(db, c.req.valid('param').name), 200));

  app.openapi(refreshRoute, async (c) => {
    const body = (c.req.valid('json') ?? {}) as z.infer<typeof ConnectorRefreshSchema>;
    const refreshed = await refreshConnector(db, env, c.req.valid('param').name, { ...body, document: text(body.document) });
    deps.onChange();
    return c.json(refreshed, 200);
  });

  app.openapi(removeRoute, async (c) => {
    const removed = await removeConnector(db, c.req.valid('param').name);
    deps.onChange();
    return c.json(removed, 200);
  });

  app.openapi(setSecretRoute, async (c) => {
    const { name, slug } = c.req.valid('param');
    return c.json(await setConnectorSecret(db, env, name, slug, c.req.valid('json').secret), 200);
  });

  app.openapi(removeSecretRoute, async (c) => {
    const { name, slug } = c.req.valid('param');
    await removeConnectorSecret(db, env, name, slug);
    return c.body(null, 204);
  });
}
