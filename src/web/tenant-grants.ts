import type { Database } from '../db/database.ts';
import { listClients } from '../oauth/client-store.ts';
import { type GrantInfo, listGrants, revokeGrants } from '../oauth/grants.ts';
import { AppError } from '../errors.ts';

/** A tenant's live grants and the names of the clients they were given to, for the console and portal pages. */
export async function tenantGrants(db: Database, tenant: string): Promise<{ grants: GrantInfo[]; clientNames: Map<string, string> }> {
  const [grants, clients] = await Promise.all([listGrants(db, { tenant }), listClients(db)]);
  const inUse = new Set(grants.map((g) => g.clientId));
  return { grants, clientNames: new Map(clients.filter((c) => inUse.has(c.clientId)).map((c) => [c.clientId, c.name])) };
}

/** Revokes one live grant of `tenant` (never another tenant's); throws not_found otherwise. */
export async function revokeTenantGrant(db: Database, tenant: string, id: string, reason: string): Promise<void> {
  if ((await revokeGrants(db, { tenant, id }, reason)) === 0) throw new AppError('not_found', `No live grant "${id}" in tenant ${tenant}`);
}
