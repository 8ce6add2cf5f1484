import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import { z } from 'zod';
import { generateApiKey } from '../auth/api-key.ts';
import { uncovered } from '../auth/scopes.ts';
import type { Database } from '../db/database.ts';
import { apiKeys, type Tenant, tenants } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { decodeCursor, fetchLimit, type Page, type PageRequest, pageOf } from './page.ts';
import { getTenant, scopeList } from './tenants.ts';

/** A key as operators see it: never its secret or digest. */
export interface KeyInfo {
  id: string;
  tenant: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A newly created key: the full `key` is shown this once and never stored. */
export interface CreatedKey extends KeyInfo {
  key: string;
}

/** Creates a key for a tenant; its scopes must lie within the tenant's. */
export async function createKey(
  db: Database,
  input: { tenant: string; scopes: string | string[]; name?: string; expiresInMs?: number; now?: number },
): Promise<CreatedKey> {
  const tenant = await getTenant(db, input.tenant);
  const scopes = scopeList(input.scopes);
  if (scopes.length === 0) throw new AppError('invalid', 'A key needs at least one scope');
  const outside = uncovered(tenant.scopes, scopes);
  if (outside.length > 0) {
    throw new AppError('invalid', `Scope ${outside.join(', ')} is not allowed for tenant "${tenant.slug}" (allowed: ${tenant.scopes.join(', ') || 'none'})`);
  }
  const generated = await generateApiKey();
  const now = input.now ?? Date.now();
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: generated.id,
      tenantId: tenant.id,
      name: input.name ?? 'default',
      scopes,
      secretHash: generated.secretHash,
      createdAt: new Date(now),
      expiresAt: input.expiresInMs === undefined ? null : new Date(now + input.expiresInMs),
    })
    .returning();
  return { key: generated.key, ...keyInfo(row!, tenant.slug) };
}

/** Lists a tenant's keys, newest last, a page at a time (all when no limit is given). */
export async function listKeys(db: Database, tenantSlug: string, page: PageRequest = {}): Promise<Page<KeyInfo>> {
  const tenant = await getTenant(db, tenantSlug);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, z.tuple([z.number().int(), z.string()]));
  const rows = await db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.tenantId, tenant.id),
        after && or(gt(apiKeys.createdAt, new Date(after[0])), and(eq(apiKeys.createdAt, new Date(after[0])), gt(apiKeys.id, after[1]))),
      ),
    )
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
    .limit(fetchLimit(page.limit));
  const { items, next } = pageOf(rows, page.limit, (r) => [r.createdAt.getTime(), r.id]);
  return { items: items.map((r) => keyInfo(r, tenant.slug)), next };
}

/** Revokes a key by id; with `tenant`, only if it is that tenant's (else not_found). Revoking a revoked key is not an error. */
export async function revokeKey(db: Database, id: string, options: { tenant?: string } = {}): Promise<{ id: string; revokedAt: string }> {
  const tenantId = options.tenant === undefined ? undefined : (await getTenant(db, options.tenant)).id;
  const [row] = await db.select({ id: apiKeys.id, revokedAt: apiKeys.revokedAt, tenantId: apiKeys.tenantId }).from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  if (!row || (tenantId !== undefined && row.tenantId !== tenantId)) {
    throw new AppError('not_found', `No key "${id}"${options.tenant === undefined ? '' : ` for tenant "${options.tenant}"`}`);
  }
  if (row.revokedAt) return { id, revokedAt: row.revokedAt.toISOString() };
  const revokedAt = new Date();
  await db.update(apiKeys).set({ revokedAt }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return { id, revokedAt: revokedAt.toISOString() };
}

/** A key that works right now (not revoked, not expired, its tenant active), with its tenant; undefined otherwise. */
export async function findActiveKey(db: Database, id: string, now = Date.now()): Promise<{ key: KeyInfo; tenant: Tenant } | undefined> {
  const [row] = await db.select({ key: apiKeys, tenant: tenants }).from(apiKeys).innerJoin(tenants, eq(apiKeys.tenantId, tenants.id)).where(eq(apiKeys.id, id)).limit(1);
  if (!row || row.key.revokedAt !== null || (row.key.expiresAt !== null && row.key.expiresAt.getTime() <= now) || row.tenant.status !== 'active') return undefined;
  return { key: keyInfo(row.key, row.tenant.slug), tenant: row.tenant };
}

function keyInfo(row: typeof apiKeys.$inferSelect, tenant: string): KeyInfo {
  return {
    id: row.id,
    tenant,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}
