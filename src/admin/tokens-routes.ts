import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Database } from '../db/database.ts';
import { parseDuration } from '../services/duration.ts';
import { mintToken } from '../services/tokens.ts';
import { jsonBody, jsonResponse, problems, timestamp } from './schemas.ts';
import { SlugParamSchema } from './tenants-routes.ts';

const TokenMintSchema = z
  .strictObject({
    scopes: z
      .array(z.string().max(200))
      .min(1)
      .max(100)
      .openapi({ description: "Scope patterns; each must lie within the tenant's", example: ['math', 'notes:read'] }),
    subject: z.string().min(1).max(256).optional().openapi({ description: "Your end user's id: the token's `sub`, recorded in the usage log", example: 'user-42' }),
    ttl: z.string().max(16).optional().openapi({ description: 'Lifetime such as `90s`, `15m` or `24h`; default 15m, at most 24h', example: '15m' }),
  })
  .openapi('TokenMint');

const MintedTokenSchema = z
  .object({
    token: z.string().openapi({ description: 'The signed JWT, to send as `Authorization: Bearer <token>` on /mcp. Not stored; handle as a secret.' }),
    tokenType: z.literal('Bearer'),
    tenant: z.string().openapi({ example: 'acme' }),
    subject: z.string().nullable().openapi({ example: 'user-42' }),
    scopes: z.array(z.string()).openapi({ example: ['math', 'notes:read'] }),
    issuedAt: timestamp(),
    expiresAt: timestamp(),
    jti: z.string().openapi({ description: "The token's unique id (`jti`)" }),
  })
  .openapi('MintedToken');

const mintTokenRoute = createRoute({
  method: 'post',
  path: '/tenants/{slug}/tokens',
  tags: ['Tokens'],
  operationId: 'mintToken',
  summary: 'Mint a short-lived JWT for a tenant',
  description:
    "Signed with the server's TOKEN_SIGNING_KEY, exactly as `tenant-mcp token mint`: `iss` is PUBLIC_URL, `aud` PUBLIC_URL/mcp. " +
    'Tokens cannot be revoked one by one, so they live at most 24 hours. Without TOKEN_SIGNING_KEY the server cannot mint: 501.',
  request: { params: SlugParamSchema, body: jsonBody(TokenMintSchema, 'What the token grants') },
  responses: { 201: jsonResponse(MintedTokenSchema, 'The token was minted'), ...problems(400, 404, 413, 415, 501) },
});

/** What minting needs: the server's key (undefined when TOKEN_SIGNING_KEY is unset), its issuer and the audience. */
export interface MintingSetup {
  signingKey: Promise<SigningKey | undefined>;
  issuer: string;
  audience: string;
}

/** Registers the token minting route. */
export function registerTokenRoutes(app: OpenAPIHono, db: Database, setup: MintingSetup): void {
  app.openapi(mintTokenRoute, async (c) => {
    // An unusable key stops the server at start, so here the key is either loaded or absent.
    const key = await setup.signingKey.catch(() => undefined);
    if (!key) throw new HTTPException(501, { message: 'This server cannot mint tokens: start it with TOKEN_SIGNING_KEY (or TOKEN_SIGNING_KEY_FILE) set to its private key.' });
    const { scopes, subject, ttl } = c.req.valid('json');
    const minted = await mintToken(db, key, {
      tenant: c.req.valid('param').slug,
      scopes,
      subject,
      ttlMs: ttl === undefined ? undefined : parseDuration(ttl),
      issuer: setup.issuer,
      audience: setup.audience,
    });
    return c.json({ ...minted, tokenType: 'Bearer' as const }, 201);
  });
}
