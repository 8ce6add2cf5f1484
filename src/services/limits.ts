import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { apiKeys, connectors, type Limit, limits, tenants } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { parseQuota, parseRate } from '../limits/limit-spec.ts';
import { allTools } from '../tools/index.ts';
import { getTenant } from './tenants.ts';

/** A limit as operators see it. */
export interface LimitInfo {
  tenant: string;
  /** The key it applies to, or null for all of the tenant's keys. */
  keyId: string | null;
  /** The tool it applies to, or null for all tools. */
  tool: string | null;
  /** e.g. "5/minute", or null for no rate limit. */
  rate: string | null;
  /** e.g. "1000/month", or null for no quota. */
  quota: string | null;
}

/** What to change: `rate` as "5/min" and `quota` as "1000/month"; "none" removes one. */
export interface LimitChange {
  /** Narrows the limit to one key (by id); its tenant is the key's. */
  keyId?: string;
  /** Narrows the limit to one tool. */
  tool?: string;
  rate?: string;
  quota?: string;
}

/**
 * Sets or removes a tenant's rate and quota, for all its calls or narrowed to a key and/or a tool.
 * Unmentioned settings keep their value; a limit left with neither a rate nor a quota is deleted.
 */
export async function setLimits(db: Database, tenantSlug: string | undefined, change: LimitChange): Promise<LimitInfo> {
  if (change.rate === undefined && change.quota === undefined) throw new AppError('invalid', 'Nothing to limit: give a rate and/or a quota');
  const rate = change.rate === undefined ? undefined : parseRate(change.rate);
  const quota = change.quota === undefined ? undefined : parseQuota(change.quota);
  if (change.tool !== undefined && !allTools.some((t) => t.name === change.tool) && !(await isConnectorToolName(db, change.tool))) {
    throw new AppError('invalid', `Unknown tool "${change.tool}": known tools are ${allTools.map((t) => t.name).join(', ')} and connector tools (<connector>_<tool>)`);
  }
  const { tenantId, slug } = await ownerOf(db, tenantSlug, change.keyId);
  const where = and(eq(limits.tenantId, tenantId), eq(limits.keyId, change.keyId ?? ''), eq(limits.tool, change.tool ?? ''));
  const [existing] = await db.select().from(limits).where(where).limit(1);
  const next = {
    rate: rate === undefined ? (existing?.rate ?? null) : (rate?.rate ?? null),
    rateUnit: rate === undefined ? (existing?.rateUnit ?? null) : (rate?.unit ?? null),
    quota: quota === undefined ? (existing?.quota ?? null) : quota,
  };
  if (next.rate === null && next.quota === null) {
    await db.delete(limits).where(where);
  } else {
    await db
      .insert(limits)
      .values({ tenantId, keyId: change.keyId ?? '', tool: change.tool ?? '', ...next })
      .onConflictDoUpdate({ target: [limits.tenantId, limits.keyId, limits.tool], set: { ...next, updatedAt: new Date() } });
  }
  return limitInfo({ tenantId, keyId: change.keyId ?? '', tool: change.tool ?? '', ...next, updatedAt: new Date() }, slug);
}

/** Lists a tenant's limits: the tenant-wide one first, then per tool, per key, per key and tool. */
export async function listLimits(db: Database, tenantSlug: string): Promise<LimitInfo[]> {
  const tenant = await getTenant(db, tenantSlug);
  const rows = await db.select().from(limits).where(eq(limits.tenantId, tenant.id)).orderBy(asc(limits.keyId), asc(limits.tool));
  return rows.map((r) => limitInfo(r, tenant.slug));
}

async function ownerOf(db: Database, tenantSlug: string | undefined, keyId: string | undefined): Promise<{ tenantId: string; slug: string }> {
  if (keyId === undefined) {
    if (tenantSlug === undefined) throw new AppError('invalid', 'Missing the tenant');
    const tenant = await getTenant(db, tenantSlug);
    return { tenantId: tenant.id, slug: tenant.slug };
  }
  const [key] = await db
    .select({ tenantId: tenants.id, slug: tenants.slug })
    .from(apiKeys)
    .innerJoin(tenants, eq(apiKeys.tenantId, tenants.id))
    .where(eq(apiKeys.id, keyId))
    .limit(1);
  if (!key) throw new AppError('not_found', `No key "${keyId}"`);
  if (tenantSlug !== undefined && tenantSlug !== key.slug) throw new AppError('invalid', `Key "${keyId}" does not belong to tenant "${tenantSlug}"`);
  return key;
}

function limitInfo(row: Limit, tenant: string): LimitInfo {
  return {
    tenant,
    keyId: row.keyId || null,
    tool: row.tool || null,
    rate: row.rate === null ? null : `${row.rate}/${row.rateUnit}`,
    quota: row.quota === null ? null : `${row.quota}/month`,
  };
}

/** Whether a name could be a connector's tool: `<connector>_<tool>` for an existing connector (an MCP upstream's tools are known only at run time). */
async function isConnectorToolName(db: Database, tool: string): Promise<boolean> {
  const names = await db.select({ name: connectors.name }).from(connectors);
  return names.some((c) => tool.startsWith(`${c.name}_`) && tool.length > c.name.length + 1);
}
