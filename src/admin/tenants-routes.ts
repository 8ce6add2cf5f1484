import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { createTenant, getTenant, listTenants, tenantInfo, tenantSlugPattern, updateTenant } from '../services/tenants.ts';
import { jsonBody, jsonResponse, PageQuerySchema, pageSchema, problems, timestamp } from './schemas.ts';

const statusSchema = z.enum(['active', 'suspended']);
const scopesSchema = z
  .array(z.string().max(200))
  .max(100)
  .openapi({ description: 'Scope patterns such as `math`, `notes:read`, `notes:*` or `*`', example: ['math', 'notes:*'] });

/** The `{slug}` path parameter. */
export const SlugParamSchema = z.object({
  slug: z
    .string()
    .regex(tenantSlugPattern, 'Use 1-63 lowercase letters, digits and hyphens')
    .openapi({ param: { name: 'slug', in: 'path' }, example: 'acme' }),
});

const TenantSchema = z
  .object({
    id: z.string(),
    slug: z.string().openapi({ example: 'acme' }),
    name: z.string().openapi({ example: 'Acme Inc.' }),
    scopes: z.array(z.string()).openapi({ description: "Scope patterns the tenant's plan allows", example: ['math', 'notes:*'] }),
    status: statusSchema.openapi({ description: "A suspended tenant's keys are refused" }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .openapi('Tenant');

const TenantCreateSchema = z
  .strictObject({
    slug: SlugParamSchema.shape.slug.openapi({ description: 'Unique, permanent identifier used in URLs', example: 'acme' }),
    name: z.string().min(1).max(200).optional().openapi({ description: 'Display name; defaults to the slug', example: 'Acme Inc.' }),
    scopes: scopesSchema,
  })
  .openapi('TenantCreate');

const TenantUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    scopes: scopesSchema.optional().openapi({ description: "Replaces the tenant's scopes. Keys keep theirs, but tools need both, so narrowing the tenant narrows its keys." }),
    status: statusSchema.optional().openapi({ description: '`suspended` refuses all of the tenant\'s keys (within the key cache TTL); `active` resumes them.' }),
  })
  .openapi('TenantUpdate');

const createTenantRoute = createRoute({
  method: 'post',
  path: '/tenants',
  tags: ['Tenants'],
  operationId: 'createTenant',
  summary: 'Create a tenant',
  request: { body: jsonBody(TenantCreateSchema, 'The new tenant') },
  responses: { 201: jsonResponse(TenantSchema, 'The tenant was created'), ...problems(400, 409, 413, 415) },
});

const listTenantsRoute = createRoute({
  method: 'get',
  path: '/tenants',
  tags: ['Tenants'],
  operationId: 'listTenants',
  summary: 'List tenants by slug',
  request: {
    query: PageQuerySchema.extend({ status: statusSchema.optional().openapi({ param: { name: 'status', in: 'query' }, description: 'Only tenants with this status' }) }),
  },
  responses: { 200: jsonResponse(pageSchema(TenantSchema).openapi('TenantPage'), 'A page of tenants'), ...problems(400) },
});

const getTenantRoute = createRoute({
  method: 'get',
  path: '/tenants/{slug}',
  tags: ['Tenants'],
  operationId: 'getTenant',
  summary: 'Get a tenant',
  request: { params: SlugParamSchema },
  responses: { 200: jsonResponse(TenantSchema, 'The tenant'), ...problems(400, 404) },
});

const updateTenantRoute = createRoute({
  method: 'patch',
  path: '/tenants/{slug}',
  tags: ['Tenants'],
  operationId: 'updateTenant',
  summary: "Change a tenant's name or scopes, suspend it or resume it",
  description: 'Only the fields given change. Suspend with `{"status": "suspended"}`, resume with `{"status": "active"}`.',
  request: { params: SlugParamSchema, body: jsonBody(TenantUpdateSchema, 'The fields to change') },
  responses: { 200: jsonResponse(TenantSchema, 'The updated tenant'), ...problems(400, 404, 413, 415) },
});

/** Registers the /tenants routes. */
export function registerTenantRoutes(app: OpenAPIHono, db: Database): void {
  app.openapi(createTenantRoute, async (c) => {
    const tenant = await createTenant(db, c.req.valid('json'));
    return c.json(tenantInfo(tenant), 201, { Location: `${c.req.path}/${tenant.slug}` });
  });

  app.openapi(listTenantsRoute, async (c) => {
    const page = await listTenants(db, c.req.valid('query'));
    return c.json({ items: page.items.map(tenantInfo), next: page.next }, 200);
  });

  app.openapi(getTenantRoute, async (c) => c.json(tenantInfo(await getTenant(db, c.req.valid('param').slug)), 200));

  app.openapi(updateTenantRoute, async (c) => {
    const tenant = await updateTenant(db, c.req.valid('param').slug, c.req.valid('json'));
    return c.json(tenantInfo(tenant), 200);
  });
}
