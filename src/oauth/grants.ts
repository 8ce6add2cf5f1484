import { and, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { hashSecret } from '../auth/api-key.ts';
import { grants as patternsGrant } from '../auth/scopes.ts';
import type { Database } from '../db/database.ts';
import { apiKeys, type OAuthGrant, oauthCodes, oauthGrants, oauthRefreshTokens, tenants } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { randomToken } from './random-token.ts';
import type { SignedInUser } from './sign-in/signed-in-user.ts';

/** Codes live at most this long (the issue's bound is 60 s). */
const CODE_TTL_MS = 60_000;

/** A grant as the CLI and admin API show it. */
export interface GrantInfo {
  id: string;
  tenant: string;
  clientId: string;
  subject: string;
  method: OAuthGrant['method'];
  keyId: string | null;
  providerId: string | null;
  scopes: string[];
  resource: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
}

/** Which grants an operator means: any combination of tenant (slug), subject, client and grant id. */
export interface GrantFilter {
  tenant?: string;
  /** One grant; with `tenant`, only when it belongs to that tenant (the console and portal scope a revoke this way). */
  id?: string;
  subject?: string;
  clientId?: string;
  /** Include revoked grants (listing only). */
  includeRevoked?: boolean;
}

/** A grant that may still issue tokens, with what its tokens carry now. */
export interface LiveGrant {
  grant: OAuthGrant;
  tenantSlug: string;
  /** The grant's scopes still allowed by the tenant's plan and the key (when signed in with one). */
  scopes: string[];
}

/** Creates a grant and its first authorization code; returns the code (shown once, stored as a digest). */
export async function createGrant(
  db: Database,
  input: { user: SignedInUser; clientId: string; scopes: string[]; resource: string; redirectUri: string; codeChallenge: string; now?: number },
): Promise<{ grantId: string; code: string }> {
  const now = input.now ?? Date.now();
  const grantId = crypto.randomUUID();
  const code = randomToken('tmca_');
  const { user } = input;
  await db.batch([
    db.insert(oauthGrants).values({
      id: grantId,
      tenantId: user.tenantId,
      clientId: input.clientId,
      subject: user.subject,
      method: user.method,
      keyId: user.keyId ?? null,
      providerId: user.providerId ?? null,
      scopes: input.scopes,
      resource: input.resource,
    }),
    db.insert(oauthCodes).values({
      codeHash: await hashSecret(code),
      grantId,
      clientId: input.clientId,
      redirectUri: input.redirectUri,
      codeChallenge: input.codeChallenge,
      expiresAt: new Date(now + CODE_TTL_MS),
    }),
  ]);
  return { grantId, code };
}

/** The outcome of redeeming a code or refresh token. */
export type Redemption<T> = { ok: true; value: T } | { ok: false; replayed: boolean };

/** Marks a code used, exactly once; a second redemption is reported as a replay (and the caller revokes the grant). */
export async function redeemCode(db: Database, code: string, now = Date.now()): Promise<Redemption<typeof oauthCodes.$inferSelect>> {
  const codeHash = await hashSecret(code);
  const [used] = await db
    .update(oauthCodes)
    .set({ usedAt: new Date(now) })
    .where(and(eq(oauthCodes.codeHash, codeHash), isNull(oauthCodes.usedAt)))
    .returning();
  if (used) return { ok: true, value: used };
  const [earlier] = await db.select({ grantId: oauthCodes.grantId }).from(oauthCodes).where(eq(oauthCodes.codeHash, codeHash)).limit(1);
  if (earlier) await revokeGrant(db, earlier.grantId, 'authorization code replayed', now);
  return { ok: false, replayed: earlier !== undefined };
}

/** Marks a refresh token used, exactly once; a reused one revokes its whole grant. */
export async function redeemRefreshToken(db: Database, token: string, now = Date.now()): Promise<Redemption<typeof oauthRefreshTokens.$inferSelect>> {
  const tokenHash = await hashSecret(token);
  const [used] = await db
    .update(oauthRefreshTokens)
    .set({ usedAt: new Date(now) })
    .where(and(eq(oauthRefreshTokens.tokenHash, tokenHash), isNull(oauthRefreshTokens.usedAt)))
    .returning();
  if (used) return { ok: true, value: used };
  const [earlier] = await db.select({ grantId: oauthRefreshTokens.grantId }).from(oauthRefreshTokens).where(eq(oauthRefreshTokens.tokenHash, tokenHash)).limit(1);
  if (earlier) await revokeGrant(db, earlier.grantId, 'refresh token reused', now);
  return { ok: false, replayed: earlier !== undefined };
}

/** Issues a fresh refresh token for a grant (stored as a digest) and notes the grant's use. */
export async function issueRefreshToken(db: Database, grantId: string, ttlMs: number, now = Date.now()): Promise<string> {
  const token = randomToken('tmcr_');
  await db.batch([
    db.insert(oauthRefreshTokens).values({ tokenHash: await hashSecret(token), grantId, expiresAt: new Date(now + ttlMs) }),
    db.update(oauthGrants).set({ lastUsedAt: new Date(now) }).where(eq(oauthGrants.id, grantId)),
  ]);
  return token;
}

/**
 * Reads a grant and checks it may still issue tokens: not revoked, its tenant active, and (for
 * API-key sign-in) its key neither revoked nor expired. A grant whose key ended is revoked here.
 */
export async function liveGrant(db: Database, grantId: string, now = Date.now()): Promise<{ ok: true; value: LiveGrant } | { ok: false; reason: string }> {
  const [row] = await db
    .select({ grant: oauthGrants, tenantSlug: tenants.slug, tenantStatus: tenants.status, tenantScopes: tenants.scopes, key: apiKeys })
    .from(oauthGrants)
    .innerJoin(tenants, eq(oauthGrants.tenantId, tenants.id))
    .leftJoin(apiKeys, eq(oauthGrants.keyId, apiKeys.id))
    .where(eq(oauthGrants.id, grantId))
    .limit(1);
  if (!row) return { ok: false, reason: 'the grant no longer exists' };
  const { grant, key } = row;
  if (grant.revokedAt) return { ok: false, reason: 'the grant was revoked' };
  if (row.tenantStatus !== 'active') return { ok: false, reason: 'the tenant is suspended' };
  if (grant.method === 'api_key') {
    const ended = !key ? 'deleted' : key.revokedAt ? 'revoked' : key.expiresAt && key.expiresAt.getTime() <= now ? 'expired' : undefined;
    if (ended) {
      await revokeGrant(db, grant.id, `API key ${ended}`, now);
      return { ok: false, reason: `the API key it was signed in with was ${ended}` };
    }
  }
  const scopes = grant.scopes.filter((s) => patternsGrant(row.tenantScopes, s) && (!key || patternsGrant(key.scopes, s)));
  if (scopes.length === 0) return { ok: false, reason: "none of the grant's scopes is allowed any more" };
  return { ok: true, value: { grant, tenantSlug: row.tenantSlug, scopes } };
}

/** Revokes one grant (and so its refresh tokens); true when it was live. */
export async function revokeGrant(db: Database, grantId: string, reason: string, now = Date.now()): Promise<boolean> {
  const revoked = await db
    .update(oauthGrants)
    .set({ revokedAt: new Date(now), revokedReason: reason })
    .where(and(eq(oauthGrants.id, grantId), isNull(oauthGrants.revokedAt)))
    .returning({ id: oauthGrants.id });
  return revoked.length === 1;
}

/** Lists grants, newest first, narrowed by tenant, subject and client. */
export async function listGrants(db: Database, filter: GrantFilter = {}): Promise<GrantInfo[]> {
  const rows = await db
    .select({ grant: oauthGrants, tenant: tenants.slug })
    .from(oauthGrants)
    .innerJoin(tenants, eq(oauthGrants.tenantId, tenants.id))
    .where(and(...conditions(filter), filter.includeRevoked ? undefined : isNull(oauthGrants.revokedAt)))
    .orderBy(desc(oauthGrants.createdAt))
    .limit(1000);
  return rows.map(({ grant, tenant }) => grantInfo(grant, tenant));
}

/** Revokes every live grant matching the filter (at least one of tenant, subject, client); returns how many. */
export async function revokeGrants(db: Database, filter: GrantFilter, reason = 'revoked by an operator'): Promise<number> {
  const where = conditions(filter);
  if (where.length === 0) throw new AppError('invalid', 'Name a tenant, a subject or a client whose grants to revoke');
  const live = await listGrants(db, { ...filter, includeRevoked: false });
  let count = 0;
  for (const grant of live) if (await revokeGrant(db, grant.id, reason)) count++;
  return count;
}

function conditions(filter: GrantFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.tenant !== undefined) where.push(eq(tenants.slug, filter.tenant));
  if (filter.id !== undefined) where.push(eq(oauthGrants.id, filter.id));
  if (filter.subject !== undefined) where.push(eq(oauthGrants.subject, filter.subject));
  if (filter.clientId !== undefined) where.push(eq(oauthGrants.clientId, filter.clientId));
  return where;
}

function grantInfo(grant: OAuthGrant, tenant: string): GrantInfo {
  return {
    id: grant.id,
    tenant,
    clientId: grant.clientId,
    subject: grant.subject,
    method: grant.method,
    keyId: grant.keyId,
    providerId: grant.providerId,
    scopes: grant.scopes,
    resource: grant.resource,
    createdAt: grant.createdAt.toISOString(),
    lastUsedAt: grant.lastUsedAt?.toISOString() ?? null,
    revokedAt: grant.revokedAt?.toISOString() ?? null,
    revokedReason: grant.revokedReason,
  };
}
