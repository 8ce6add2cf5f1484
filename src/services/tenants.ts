import { asc, eq } from 'drizzle-orm';
import { parseScopeList } from '../auth/scopes.ts';
import type { Database } from '../db/database.ts';
import { type Tenant, tenants } from '../db/schema.ts';
import { AppError } from '../errors.ts';

const slugRe = /^[a-z0-9][a-z0-9-]{0,62}$/;

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
  if (!slugRe.test(input.slug)) {
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

/** Lists tenants by slug. */
export function listTenants(db: Database): Promise<Tenant[]> {
  return db.select().from(tenants).orderBy(asc(tenants.slug));
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
  const tenant = await getTenant(db, slug);
  const set: Partial<Tenant> = { updatedAt: new Date() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.scopes !== undefined) set.scopes = scopeList(changes.scopes);
  if (changes.status !== undefined) set.status = changes.status;
  const [updated] = await db.update(tenants).set(set).where(eq(tenants.id, tenant.id)).returning();
  return updated!;
}
