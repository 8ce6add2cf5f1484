import { and, asc, eq, gt } from 'drizzle-orm';
import { z } from 'zod';
import { parseScopeList } from '../auth/scopes.ts';
import type { Database } from '../db/database.ts';
import { type Tenant, tenants } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { decodeCursor, fetchLimit, type Page, type PageRequest, pageOf } from './page.ts';

/** What a tenant slug looks like: 1-63 lowercase letters, digits and hyphens, not starting with a hyphen. */
export const tenantSlugPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A tenant as the admin API shows it, with times as ISO strings. */
export interface TenantInfo {
  id: string;
  slug: string;
  name: string;
  scopes: string[];
  status: Tenant['status'];
  createdAt: string;
  updatedAt: string;
}

/** Parses and checks a scope list given by an operator; throws on any malformed pattern. */
export function scopeList(input: string | readonly string[]): string[] {
  const { scopes, invalid } = parseScopeList(typeof input === 'string' ? input : input.join(','));
  if (invalid.length > 0) {
    throw new AppError('invalid', `Invalid scope ${invalid.map((s) => `"${s}"`).join(', ')}: use names like math, notes:read, notes:* or *`);
  }
  return scopes;
}

/** Creates a tenant. */
export async function createTenant(db: Database, input: { slug: string; name?: string; scopes: string | string[] }): Promise<Tenant> {
  if (!tenantSlugPattern.test(input.slug)) {
    throw new AppError('invalid', `Invalid tenant slug "${input.slug}": use 1-63 lowercase letters, digits and hyphens`);
  }
  const scopes = scopeList(input.scopes);
  const existing = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, input.slug)).limit(1);
  if (existing.length > 0) throw new AppError('conflict', `Tenant "${input.slug}" already exists`);
  const [tenant] = await db
    .insert(tenants)
    .values({ id: crypto.randomUUID(), slug: input.slug, name: input.name ?? input.slug, scopes })
    .returning();
  return tenant!;
}

/** Lists tenants by slug, optionally only those with one status, a page at a time (all when no limit is given). */
export async function listTenants(db: Database, filter: { status?: Tenant['status'] } & PageRequest = {}): Promise<Page<Tenant>> {
  const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, z.tuple([z.string()]))[0];
  const rows = await db
    .select()
    .from(tenants)
    .where(and(filter.status ? eq(tenants.status, filter.status) : undefined, after === undefined ? undefined : gt(tenants.slug, after)))
    .orderBy(asc(tenants.slug))
    .limit(fetchLimit(filter.limit));
  return pageOf(rows, filter.limit, (t) => [t.slug]);
}

/** Finds a tenant by slug or throws not_found. */
export async function getTenant(db: Database, slug: string): Promise<Tenant> {
  const [tenant] = await db.select().from(tenants).where(eq(tenants.slug, slug)).limit(1);
  if (!tenant) throw new AppError('not_found', `No tenant "${slug}"`);
  return tenant;
}

/** Changes a tenant's name, scopes or status. Keys keep their scopes; tools need both, so narrowing the tenant narrows its keys. */
export async function updateTenant(
  db: Database,
  slug: string,
  changes: { name?: string; scopes?: string | string[]; status?: Tenant['status'] },
): Promise<Tenant> {
  if (changes.name === undefined && changes.scopes === undefined && changes.status === undefined) {
    throw new AppError('invalid', 'Nothing to update: give a name, scopes or a status');
  }
  const tenant = await getTenant(db, slug);
  const set: Partial<Tenant> = { updatedAt: new Date() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.scopes !== undefined) set.scopes = scopeList(changes.scopes);
  if (changes.status !== undefined) set.status = changes.status;
  const [updated] = await db.update(tenants).set(set).where(eq(tenants.id, tenant.id)).returning();
  return updated!;
}

/** A tenant with its times as ISO strings, as JSON shows it. */
export function tenantInfo(tenant: Tenant): TenantInfo {
  const { id, slug, name, scopes, status } = tenant;
  return { id, slug, name, scopes, status, createdAt: tenant.createdAt.toISOString(), updatedAt: tenant.updatedAt.toISOString() };
}
