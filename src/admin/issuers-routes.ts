import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { addIssuer, ASYMMETRIC_ALGORITHMS, listIssuers, removeIssuer } from '../services/issuers.ts';
import { jsonBody, jsonResponse, pageSchema, problems, timestamp } from './schemas.ts';
import { SlugParamSchema } from './tenants-routes.ts';

const IssuerSchema = z
  .object({
    id: z.string().openapi({ example: 'iss_k3bq7x2m4ndz' }),
    tenant: z.string().openapi({ example: 'acme' }),
    issuer: z.string().openapi({ description: "The tokens' exact `iss`", example: 'https://acme.eu.auth0.com/' }),
    jwksUri: z.string().nullable().openapi({ description: 'Where the keys are fetched from; null when they are stored inline' }),
    inlineKeys: z.number().int().openapi({ description: 'How many public keys are stored inline (0 with a JWKS URI)' }),
    audience: z.string().nullable().openapi({ description: 'The expected `aud`; null means PUBLIC_URL/mcp' }),
    algorithms: z.array(z.string()).openapi({ example: ['RS256'] }),
    scopeClaim: z.string().openapi({ example: 'scope' }),
    tenantClaim: z.string().nullable().openapi({ example: 'org_id' }),
    tenantClaimValue: z.string().nullable().openapi({ example: 'org_123' }),
    createdAt: timestamp(),
  })
  .openapi('Issuer', { description: 'An identity provider whose JWTs a tenant accepts on /mcp.' });

const IssuerCreateSchema = z
  .strictObject({
    issuer: z.string().min(1).max(512).openapi({ description: "The tokens' exact `iss`. The server's own PUBLIC_URL cannot be registered.", example: 'https://acme.eu.auth0.com/' }),
    jwksUri: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: 'The issuer\'s JWKS URI: https, or http on loopback only. Give this or `jwk`.', example: 'https://acme.eu.auth0.com/.well-known/jwks.json' }),
    jwk: z
      .union([z.string().max(32_768), z.record(z.string(), z.unknown())])
      .optional()
      .openapi({
        description:
          'Public keys stored inline, instead of `jwksUri`: a public JWK or a JWKS (`{"keys": [...]}`) as an object, or a PEM `PUBLIC KEY` (or JWK JSON) as a string. RSA, P-256/384/521 or Ed25519; private and symmetric keys are refused.',
        example: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      }),
    audience: z.string().min(1).max(512).optional().openapi({ description: 'The expected `aud`; default PUBLIC_URL/mcp', example: 'https://mcp.example.com/mcp' }),
    algorithms: z
      .array(z.string().max(16))
      .min(1)
      .max(ASYMMETRIC_ALGORITHMS.length)
      .optional()
      .openapi({ description: `Allowed signature algorithms; default all of ${ASYMMETRIC_ALGORITHMS.join(', ')}. \`none\` and HMAC are refused.`, example: ['RS256'] }),
    scopeClaim: z.string().min(1).max(128).optional().openapi({ description: 'The claim holding scopes; default `scope` (falling back to `scp`)', example: 'scope' }),
    tenantClaim: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .openapi({ description: 'For an issuer shared by tenants: the claim naming the tenant. Give it with `tenantClaimValue`.', example: 'org_id' }),
    tenantClaimValue: z.string().min(1).max(256).optional().openapi({ description: "This tenant's value of `tenantClaim`", example: 'org_123' }),
  })
  .openapi('IssuerCreate');

const IdParamSchema = SlugParamSchema.extend({
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'iss_k3bq7x2m4ndz' }),
});

const addIssuerRoute = createRoute({
  method: 'post',
  path: '/tenants/{slug}/issuers',
  tags: ['Issuers'],
  operationId: 'addIssuer',
  summary: "Trust an identity provider's JWTs for a tenant",
  description:
    'Same rules as `tenant-mcp issuer add`. Tenants sharing an issuer must all name the same `tenantClaim`, with distinct values; a duplicate or conflicting registration is 409.',
  request: { params: SlugParamSchema, body: jsonBody(IssuerCreateSchema, 'The issuer to trust') },
  responses: { 201: jsonResponse(IssuerSchema, 'The tenant trusts the issuer'), ...problems(400, 404, 409, 413, 415) },
});

const listIssuersRoute = createRoute({
  method: 'get',
  path: '/tenants/{slug}/issuers',
  tags: ['Issuers'],
  operationId: 'listIssuers',
  summary: "List a tenant's trusted issuers, oldest first",
  description: 'A tenant has few issuers, so this is always one page (`next` is null).',
  request: { params: SlugParamSchema },
  responses: { 200: jsonResponse(pageSchema(IssuerSchema).openapi('IssuerPage'), 'Every issuer the tenant trusts'), ...problems(400, 404) },
});

const removeIssuerRoute = createRoute({
  method: 'delete',
  path: '/tenants/{slug}/issuers/{id}',
  tags: ['Issuers'],
  operationId: 'removeIssuer',
  summary: 'Stop trusting an issuer',
  description: 'Its tokens are refused within the cache TTL (`KEY_CACHE_TTL_SECONDS`). Answers the removed registration.',
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(IssuerSchema, 'The issuer is no longer trusted'), ...problems(400, 404) },
});

/** Registers the trusted-issuer routes. `ownIssuer` (PUBLIC_URL) is reserved: no tenant may register it. */
export function registerIssuerRoutes(app: OpenAPIHono, db: Database, ownIssuer: string): void {
  app.openapi(addIssuerRoute, async (c) => {
    const { jwk, ...input } = c.req.valid('json');
    const publicKey = jwk === undefined ? undefined : typeof jwk === 'string' ? jwk : JSON.stringify(jwk);
    const added = await addIssuer(db, { ...input, publicKey, tenant: c.req.valid('param').slug, reservedIssuer: ownIssuer });
    return c.json(added, 201);
  });

  app.openapi(listIssuersRoute, async (c) => c.json({ items: await listIssuers(db, c.req.valid('param').slug), next: null }, 200));

  app.openapi(removeIssuerRoute, async (c) => {
    const { slug, id } = c.req.valid('param');
    return c.json(await removeIssuer(db, id, { tenant: slug }), 200);
  });
}
