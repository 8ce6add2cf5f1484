import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { JSONWebKeySet } from 'jose';

/** Milliseconds since the epoch, stored as an integer. */
const epochMs = (name: string) => integer(name, { mode: 'timestamp_ms' });
const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

/** A customer of the SaaS vendor: owns keys, notes and usage. */
export const tenants = sqliteTable('tenants', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  /** Scope patterns the tenant's plan allows, e.g. ["math", "notes:*"]. */
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
  status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
  createdAt: epochMs('created_at').notNull().default(now),
  updatedAt: epochMs('updated_at').notNull().default(now),
});

/** An API key. Only a digest of its secret is stored; the id is public. */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    /** SHA-256 of the secret part, base64url. */
    secretHash: text('secret_hash').notNull(),
    createdAt: epochMs('created_at').notNull().default(now),
    expiresAt: epochMs('expires_at'),
    revokedAt: epochMs('revoked_at'),
    lastUsedAt: epochMs('last_used_at'),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);

/** The per-tenant key/value store behind the note_* tools. */
export const notes = sqliteTable(
  'notes',
  {
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
    updatedAt: epochMs('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

/**
 * An identity provider whose JWTs a tenant accepts. Its verification keys come from a JWKS URI
 * or are stored inline (public keys only, as a JWKS). An issuer shared by several tenants tells
 * them apart by `tenantClaim` = `tenantClaimValue`.
 */
export const trustedIssuers = sqliteTable(
  'trusted_issuers',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    issuer: text('issuer').notNull(),
    jwksUri: text('jwks_uri'),
    /** Inline public keys, as a JWKS; set exactly when `jwksUri` is not. */
    jwks: text('jwks', { mode: 'json' }).$type<JSONWebKeySet>(),
    /** The expected `aud`; null means the server's own resource URL (PUBLIC_URL + /mcp). */
    audience: text('audience'),
    algorithms: text('algorithms', { mode: 'json' }).$type<string[]>().notNull(),
    scopeClaim: text('scope_claim').notNull().default('scope'),
    tenantClaim: text('tenant_claim'),
    tenantClaimValue: text('tenant_claim_value'),
    createdAt: epochMs('created_at').notNull().default(now),
  },
  (t) => [index('trusted_issuers_issuer_idx').on(t.issuer), uniqueIndex('trusted_issuers_tenant_issuer_unique').on(t.tenantId, t.issuer)],
);

/** Outcomes a usage event can record. */
export const usageOutcomes = ['ok', 'tool_error', 'denied', 'invalid', 'unauthenticated', 'error', 'timeout', 'cancelled'] as const;
export type UsageOutcome = (typeof usageOutcomes)[number];

/** One row per tools/call and per refused credential. Never arguments, results or secrets. */
export const usageEvents = sqliteTable(
  'usage_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: epochMs('at').notNull(),
    tenantId: text('tenant_id'),
    keyId: text('key_id'),
    subject: text('subject'),
    tool: text('tool'),
    outcome: text('outcome', { enum: usageOutcomes }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    requestBytes: integer('request_bytes').notNull(),
    responseBytes: integer('response_bytes').notNull(),
    protocolVersion: text('protocol_version'),
    userAgent: text('user_agent'),
  },
  (t) => [index('usage_events_at_idx').on(t.at), index('usage_events_tenant_at_idx').on(t.tenantId, t.at)],
);

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type UsageEvent = typeof usageEvents.$inferInsert;
export type TrustedIssuer = typeof trustedIssuers.$inferSelect;
