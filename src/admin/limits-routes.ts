import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { listLimits, setLimits } from '../services/limits.ts';
import { jsonBody, jsonResponse, problems } from './schemas.ts';
import { SlugParamSchema } from './tenants-routes.ts';

const LimitSchema = z
  .object({
    tenant: z.string().openapi({ example: 'acme' }),
    keyId: z.string().nullable().openapi({ description: "The key it applies to, or null for all of the tenant's keys", example: null }),
    tool: z.string().nullable().openapi({ description: 'The tool it applies to, or null for all tools', example: 'add' }),
    rate: z.string().nullable().openapi({ description: 'Calls per minute, hour or day, or null for no rate limit', example: '5/minute' }),
    quota: z.string().nullable().openapi({ description: 'Calls per calendar month (UTC), or null for no quota', example: '1000/month' }),
  })
  .openapi('Limit', { description: 'A rate limit and/or quota. Every limit that matches a call (tenant-wide, per tool, per key, per key and tool) applies.' });

const LimitListSchema = z.object({ items: z.array(LimitSchema) }).openapi('LimitList');

// Only shapes and lengths here: what a rate, quota or tool may be is the service's rule, shared with the CLI.
const LimitChangeSchema = z
  .strictObject({
    rate: z.string().min(1).max(32).optional().openapi({ description: '`<n>/min`, `<n>/hour` or `<n>/day`; `none` removes the rate', example: '5/min' }),
    quota: z.string().min(1).max(32).optional().openapi({ description: '`<n>/month`; `none` removes the quota', example: '1000/month' }),
    tool: z.string().min(1).max(100).optional().openapi({ description: 'Narrows the limit to one tool; without it the limit counts all tools together', example: 'add' }),
  })
  .openapi('LimitChange', { description: 'Give a rate, a quota or both. What is not given keeps its value; a limit left with neither is removed.' });

const KeyIdParamSchema = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'k3bq7x2m4ndz' }) });

const listLimitsRoute = createRoute({
  method: 'get',
  path: '/tenants/{slug}/limits',
  tags: ['Limits'],
  operationId: 'listLimits',
  summary: "List a tenant's limits",
  description: 'The tenant-wide limit first, then per tool, per key, and per key and tool (always one page), as `tenant limits --json` shows them.',
  request: { params: SlugParamSchema },
  responses: { 200: jsonResponse(LimitListSchema, "The tenant's limits"), ...problems(400, 404) },
});

const setTenantLimitsRoute = createRoute({
  method: 'patch',
  path: '/tenants/{slug}/limits',
  tags: ['Limits'],
  operationId: 'setTenantLimits',
  summary: "Set or remove a tenant's rate and quota, optionally for one tool",
  description: 'The same inputs and rules as `tenant update <slug> --rate/--quota [--tool]`. Takes effect within the key cache TTL (`KEY_CACHE_TTL_SECONDS`).',
  request: { params: SlugParamSchema, body: jsonBody(LimitChangeSchema, 'What to change') },
  responses: { 200: jsonResponse(LimitSchema, 'The limit as it now stands (rate and quota null when removed)'), ...problems(400, 404, 413, 415) },
});

const setKeyLimitsRoute = createRoute({
  method: 'patch',
  path: '/keys/{id}/limits',
  tags: ['Limits'],
  operationId: 'setKeyLimits',
  summary: "Set or remove one key's rate and quota, optionally for one tool",
  description: "The same inputs and rules as `key update <id> --rate/--quota [--tool]`. The key's tenant-wide limits still apply too.",
  request: { params: KeyIdParamSchema, body: jsonBody(LimitChangeSchema, 'What to change') },
  responses: { 200: jsonResponse(LimitSchema, 'The limit as it now stands (rate and quota null when removed)'), ...problems(400, 404, 413, 415) },
});

/** Registers the limit routes: every rule is in src/services/limits.ts. */
export function registerLimitRoutes(app: OpenAPIHono, db: Database): void {
  app.openapi(listLimitsRoute, async (c) => c.json({ items: await listLimits(db, c.req.valid('param').slug) }, 200));

  app.openapi(setTenantLimitsRoute, async (c) => c.json(await setLimits(db, c.req.valid('param').slug, c.req.valid('json')), 200));

  app.openapi(setKeyLimitsRoute, async (c) => c.json(await setLimits(db, undefined, { ...c.req.valid('json'), keyId: c.req.valid('param').id }), 200));
}
