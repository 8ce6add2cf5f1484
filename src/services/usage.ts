import { and, asc, eq, gte } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { tenants, type UsageOutcome, usageEvents } from '../db/schema.ts';
import { getTenant } from './tenants.ts';

/** A usage event as reports show it. */
export interface UsageRow {
  at: string;
  tenant: string | null;
  keyId: string | null;
  subject: string | null;
  tool: string | null;
  outcome: UsageOutcome;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  protocolVersion: string | null;
  userAgent: string | null;
}

/** Lists usage events in time order, optionally for one tenant and since a time. */
export async function listUsage(db: Database, filter: { tenant?: string; since?: Date; limit?: number }): Promise<UsageRow[]> {
  const tenantId = filter.tenant ? (await getTenant(db, filter.tenant)).id : undefined;
  const rows = await db
    .select({
      at: usageEvents.at,
      tenant: tenants.slug,
      keyId: usageEvents.keyId,
      subject: usageEvents.subject,
      tool: usageEvents.tool,
      outcome: usageEvents.outcome,
      durationMs: usageEvents.durationMs,
      requestBytes: usageEvents.requestBytes,
      responseBytes: usageEvents.responseBytes,
      protocolVersion: usageEvents.protocolVersion,
      userAgent: usageEvents.userAgent,
    })
    .from(usageEvents)
    .leftJoin(tenants, eq(usageEvents.tenantId, tenants.id))
    .where(
      and(
        tenantId ? eq(usageEvents.tenantId, tenantId) : undefined,
        filter.since ? gte(usageEvents.at, filter.since) : undefined,
      ),
    )
    .orderBy(asc(usageEvents.at), asc(usageEvents.id))
    .limit(filter.limit ?? 100_000);
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
