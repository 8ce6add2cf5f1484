import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { signInProviderKinds } from '../db/schema.ts';
import { getSignInMethods, setSignInMethods } from '../services/sign-in-methods.ts';
import { addSignInProvider, getSignInProvider, listSignInProviders, removeSignInProvider, updateSignInProvider } from '../services/sign-in-providers.ts';
import { jsonBody, jsonResponse, pageSchema, problems, timestamp } from './schemas.ts';
import { SlugParamSchema } from './tenants-routes.ts';

const SignInProviderSchema = z
  .object({
    id: z.string().openapi({ example: 'sip_k3bq7x2m4ndz' }),
    kind: z.enum(signInProviderKinds).openapi({ description: '`company`: your own sign-in, for every tenant; `tenant`: one tenant\'s SSO' }),
    tenant: z.string().nullable().openapi({ description: "The tenant of a `tenant` provider; null for `company`", example: 'acme' }),
    name: z.string().openapi({ description: 'Shown on the sign-in button', example: 'Acme SSO' }),
    issuer: z.string().openapi({ example: 'https://acme.okta.com' }),
    clientId: z.string().openapi({ example: '0oa1b2c3d4' }),
    clientAuth: z.enum(['client_secret', 'none']).openapi({ description: 'Whether a client secret is stored. The secret itself is never returned.' }),
    secretKeyId: z.string().nullable().openapi({ description: 'The SECRETS_ENCRYPTION_KEY id the secret is sealed with', example: 'k1' }),
    requestScopes: z.array(z.string()).openapi({ example: ['openid', 'email', 'profile'] }),
    tenantClaim: z.string().nullable().openapi({ description: "`company`: the ID token claim holding the tenant's slug", example: 'https://mcp.example.com/tenant' }),
    scopeClaim: z.string().nullable().openapi({ description: 'An ID token claim listing the scopes the user may grant', example: null }),
    grantScopes: z.array(z.string()).nullable().openapi({ description: "Fixed scopes users of this provider may grant; null: the tenant's", example: null }),
    emailDomains: z.array(z.string()).openapi({ description: '`tenant`: users typing an email in these domains are sent here', example: ['acme.com'] }),
    adminClaim: z.string().nullable().openapi({ description: "The ID token claim naming the tenant's administrators, who may sign in to /portal; null: nobody signs in there through this provider", example: 'groups' }),
    adminValues: z.array(z.string()).nullable().openapi({ description: 'Values of `adminClaim` (a string or an array in the token) that make a user an administrator: any one of them', example: ['mcp-admins'] }),
    createdAt: timestamp(),
  })
  .openapi('SignInProvider', { description: 'An OpenID Connect provider users sign in with on the authorization page.' });

const stringOrList = (description: string, example: string[]) =>
  z
    .union([z.string().max(2048), z.array(z.string().max(253)).max(100)])
    .optional()
    .openapi({ description, example });

const adminValues = z
  .union([z.string().max(2048), z.array(z.string().max(256)).max(50)])
  .openapi({ description: "Values of `adminClaim` that make a user the tenant's administrator (a comma list or an array)", example: ['mcp-admins'] });

const SignInProviderCreateSchema = z
  .strictObject({
    kind: z.enum(signInProviderKinds),
    tenant: z.string().max(63).optional().openapi({ description: 'Required for `tenant`, refused for `company`', example: 'acme' }),
    name: z.string().min(1).max(64).openapi({ example: 'Acme SSO' }),
    issuer: z.string().min(1).max(512).openapi({ description: "The provider's issuer URL, exactly as its ID tokens' `iss` (https; http on loopback only)", example: 'https://acme.okta.com' }),
    clientId: z.string().min(1).max(256),
    clientSecret: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .openapi({ description: 'Encrypted with SECRETS_ENCRYPTION_KEY before it is stored, and never returned. Omit for a public client (PKCE only).' }),
    requestScopes: stringOrList('Scopes asked of the provider; `openid` is always added. Default `openid email profile`.', ['openid', 'email']),
    tenantClaim: z.string().min(1).max(128).optional().openapi({ description: "Required for `company`: the ID token claim whose value is the tenant's slug" }),
    scopeClaim: z.string().min(1).max(128).optional().openapi({ description: 'An ID token claim listing the scopes the user may grant' }),
    grantScopes: stringOrList('Fixed scopes users of this provider may grant, instead of `scopeClaim`', ['math']),
    emailDomains: stringOrList('`tenant` only: email domains whose users are sent to this provider', ['acme.com']),
    adminClaim: z.string().min(1).max(128).optional().openapi({ description: "With `adminValues`: the ID token claim naming the tenant's administrators, who may sign in to /portal. Unset: nobody signs in there through this provider." }),
    adminValues: adminValues.optional(),
  })
  .openapi('SignInProviderCreate');

const SignInProviderUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(64).optional().openapi({ example: 'Acme SSO' }),
    adminClaim: z.string().min(1).max(128).nullable().optional().openapi({ description: 'Sets the admin rule (with `adminValues`, or the values already set); null removes it, and nobody signs in to /portal through this provider any more' }),
    adminValues: adminValues.nullable().optional(),
  })
  .openapi('SignInProviderUpdate');

const SignInMethodsSchema = z
  .object({
    apiKey: z.boolean().openapi({ description: "Signing in by pasting one of the tenant's API keys" }),
    company: z.boolean().openapi({ description: "The SaaS company's own sign-in (a `company` provider naming this tenant)" }),
    tenantSso: z.boolean().openapi({ description: "The tenant's own SSO providers" }),
  })
  .openapi('SignInMethods', { description: 'Which sign-in methods a tenant allows on the authorization page. All are on until turned off.' });

const IdParamSchema = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'sip_k3bq7x2m4ndz' }) });
const ListQuerySchema = z.object({ tenant: z.string().max(63).optional().openapi({ param: { name: 'tenant', in: 'query' }, description: "Only this tenant's SSO providers" }) });

const addRoute = createRoute({
  method: 'post',
  path: '/sign-in-providers',
  tags: ['Sign-in'],
  operationId: 'addSignInProvider',
  summary: 'Add an OpenID Connect sign-in provider',
  description:
    'Register `<PUBLIC_URL>/oauth/sign-in/oidc/callback` as the redirect URI at the provider. A client secret needs SECRETS_ENCRYPTION_KEY; it is stored encrypted and never returned. An email domain already sent elsewhere, or the same issuer and client id twice, is 409.',
  request: { body: jsonBody(SignInProviderCreateSchema, 'The provider') },
  responses: { 201: jsonResponse(SignInProviderSchema, 'The provider was added'), ...problems(400, 404, 409, 413, 415) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/sign-in-providers',
  tags: ['Sign-in'],
  operationId: 'listSignInProviders',
  summary: 'List sign-in providers, oldest first',
  description: 'There are few, so this is always one page (`next` is null).',
  request: { query: ListQuerySchema },
  responses: { 200: jsonResponse(pageSchema(SignInProviderSchema).openapi('SignInProviderPage'), 'The providers'), ...problems(400, 404) },
});

const showRoute = createRoute({
  method: 'get',
  path: '/sign-in-providers/{id}',
  tags: ['Sign-in'],
  operationId: 'getSignInProvider',
  summary: 'Show a sign-in provider',
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(SignInProviderSchema, 'The provider'), ...problems(400, 404) },
});

const updateRoute = createRoute({
  method: 'patch',
  path: '/sign-in-providers/{id}',
  tags: ['Sign-in'],
  operationId: 'updateSignInProvider',
  summary: "Rename a sign-in provider, or set or remove its admin rule",
  description:
    "The admin rule decides who signs in to the customer page (/portal) through this provider: a user whose ID token's `adminClaim` holds one of `adminValues`. Changing or removing it ends the portal sessions signed in through the provider at their next request. Other settings need the provider removed and added again.",
  request: { params: IdParamSchema, body: jsonBody(SignInProviderUpdateSchema, 'What to change') },
  responses: { 200: jsonResponse(SignInProviderSchema, 'The provider now'), ...problems(400, 404, 413, 415) },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/sign-in-providers/{id}',
  tags: ['Sign-in'],
  operationId: 'removeSignInProvider',
  summary: 'Remove a sign-in provider',
  description: 'New sign-ins with it stop at once, and the grants of users who signed in with it end. Answers the removed provider and how many grants ended.',
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(SignInProviderSchema.extend({ endedGrants: z.number().int().openapi({ description: 'Grants revoked because they came through this provider' }) }).openapi('RemovedSignInProvider'), 'The provider was removed'),
    ...problems(400, 404),
  },
});

const getMethodsRoute = createRoute({
  method: 'get',
  path: '/tenants/{slug}/sign-in-methods',
  tags: ['Sign-in'],
  operationId: 'getSignInMethods',
  summary: 'Show which sign-in methods a tenant allows',
  request: { params: SlugParamSchema },
  responses: { 200: jsonResponse(SignInMethodsSchema, "The tenant's sign-in methods"), ...problems(400, 404) },
});

const setMethodsRoute = createRoute({
  method: 'patch',
  path: '/tenants/{slug}/sign-in-methods',
  tags: ['Sign-in'],
  operationId: 'setSignInMethods',
  summary: 'Turn sign-in methods on or off for a tenant',
  description: 'Methods not named keep their setting. Turning one off stops new sign-ins with it; grants already given are kept.',
  request: { params: SlugParamSchema, body: jsonBody(SignInMethodsSchema.partial().strict().openapi('SignInMethodsChange'), 'The methods to change') },
  responses: { 200: jsonResponse(SignInMethodsSchema, "The tenant's sign-in methods now"), ...problems(400, 404, 413, 415) },
});

/** Registers the sign-in provider and sign-in method routes. Client secrets are sealed with `secretBox` and never answered. */
export function registerSignInRoutes(app: OpenAPIHono, db: Database, secretBox: Promise<SecretBox> | undefined): void {
  app.openapi(addRoute, async (c) => c.json(await addSignInProvider(db, await secretBox, c.req.valid('json')), 201));
  app.openapi(listRoute, async (c) => c.json({ items: await listSignInProviders(db, c.req.valid('query').tenant), next: null }, 200));
  app.openapi(showRoute, async (c) => c.json(await getSignInProvider(db, c.req.valid('param').id), 200));
  app.openapi(updateRoute, async (c) => c.json(await updateSignInProvider(db, c.req.valid('param').id, c.req.valid('json')), 200));
  app.openapi(removeRoute, async (c) => c.json(await removeSignInProvider(db, c.req.valid('param').id), 200));
  app.openapi(getMethodsRoute, async (c) => c.json(await getSignInMethods(db, c.req.valid('param').slug), 200));
  app.openapi(setMethodsRoute, async (c) => c.json(await setSignInMethods(db, c.req.valid('param').slug, c.req.valid('json')), 200));
}
