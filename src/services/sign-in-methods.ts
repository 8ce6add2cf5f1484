import { eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { tenantSignInMethods } from '../db/schema.ts';
import { getTenant } from './tenants.ts';

/** Which ways a tenant's users may sign in on the authorization page. */
export interface SignInMethods {
  /** Pasting one of the tenant's API keys. */
  apiKey: boolean;
  /** The SaaS company's own sign-in (a `company` provider naming this tenant in its claim). */
  company: boolean;
  /** The tenant's own SSO (its `tenant` providers). */
  tenantSso: boolean;
}

/** Every method is on until an operator turns one off. */
export const defaultSignInMethods: Readonly<SignInMethods> = Object.freeze({ apiKey: true, company: true, tenantSso: true });

/** The sign-in methods a tenant allows, by tenant id. */
export async function signInMethodsOf(db: Database, tenantId: string): Promise<SignInMethods> {
  const [row] = await db.select().from(tenantSignInMethods).where(eq(tenantSignInMethods.tenantId, tenantId)).limit(1);
  return row ? { apiKey: row.apiKey, company: row.company, tenantSso: row.tenantSso } : { ...defaultSignInMethods };
}

/** The sign-in methods a tenant allows, by slug. */
export async function getSignInMethods(db: Database, slug: string): Promise<SignInMethods> {
  return signInMethodsOf(db, (await getTenant(db, slug)).id);
}

/** Turns sign-in methods on or off for a tenant; unnamed ones keep their setting. Grants already given are kept. */
export async function setSignInMethods(db: Database, slug: string, changes: Partial<SignInMethods>): Promise<SignInMethods> {
  const tenant = await getTenant(db, slug);
  const next = { ...(await signInMethodsOf(db, tenant.id)), ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) };
  await db
    .insert(tenantSignInMethods)
    .values({ tenantId: tenant.id, ...next })
    .onConflictDoUpdate({ target: tenantSignInMethods.tenantId, set: { ...next, updatedAt: new Date() } });
  return next;
}
