import { grants } from './scopes.ts';

/**
 * The tenant-admin grant: an API key carrying this scope lets its holder sign in to the customer
 * page (/portal) and manage their own tenant's keys. It never makes an MCP tool visible: no tool
 * may declare a scope under `tenant:` (defineTool refuses it), and a tool is visible only when the
 * credential grants every scope it declares.
 */
export const TENANT_ADMIN_SCOPE = 'tenant:admin';

/** Scopes under this prefix are reserved for grants about the tenant itself, never for tools. */
export const RESERVED_SCOPE_PREFIX = 'tenant:';

/**
 * True when a key holds the tenant-admin grant: it names `tenant:admin` explicitly (a wildcard such
 * as `*` is not enough, so no key becomes an administrator by accident) and its tenant's plan allows it.
 */
export function holdsTenantAdmin(keyScopes: readonly string[], tenantScopes: readonly string[]): boolean {
  return keyScopes.includes(TENANT_ADMIN_SCOPE) && grants(tenantScopes, TENANT_ADMIN_SCOPE);
}
