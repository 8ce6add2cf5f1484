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
export const usageOutcomes = ['ok', 'tool_error', 'denied', 'invalid', 'unauthenticated', 'error', 'timeout', 'cancelled', 'rate_limited'] as const;
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
  (t) => [
    // Covering indexes: reports over a time range, of all tenants or one, read only the index.
    index('usage_events_at_cover_idx').on(t.at, t.tenantId, t.keyId, t.tool, t.outcome, t.durationMs, t.requestBytes, t.responseBytes),
    index('usage_events_tenant_at_cover_idx').on(t.tenantId, t.at, t.keyId, t.tool, t.outcome, t.durationMs, t.requestBytes, t.responseBytes),
  ],
);

/**
 * Ids of usage batches already written. A batch whose write failed is retried only if its id is
 * absent, so an INSERT that committed but whose answer was lost is never written twice.
 */
export const usageBatches = sqliteTable(
  'usage_batches',
  {
    id: text('id').primaryKey(),
    writtenAt: epochMs('written_at').notNull().default(now),
  },
  (t) => [index('usage_batches_written_at_idx').on(t.writtenAt)],
);

/** Units a rate can be counted in; quotas are always per calendar month. */
export const rateUnits = ['minute', 'hour', 'day'] as const;
export type RateUnit = (typeof rateUnits)[number];

/**
 * Call limits. A row applies to a tenant's calls, narrowed to one key and/or one tool; '' means
 * any. Every row that matches a call applies: the call needs room under each of them.
 */
export const limits = sqliteTable(
  'limits',
  {
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    /** One key's id, or '' for all of the tenant's keys. */
    keyId: text('key_id').notNull().default(''),
    /** One tool's name, or '' for all tools. */
    tool: text('tool').notNull().default(''),
    /** At most this many calls per `rateUnit` (UTC-aligned fixed windows). */
    rate: integer('rate'),
    rateUnit: text('rate_unit', { enum: rateUnits }),
    /** At most this many calls per calendar month (UTC). */
    quota: integer('quota'),
    updatedAt: epochMs('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.keyId, t.tool] })],
);

/**
 * Calls reserved so far in the current window of each limit, shared by every instance. Instances
 * lease tokens from here in batches; one row per counter, reset when a new window starts.
 */
export const limitCounters = sqliteTable('limit_counters', {
  /** `<tenant id>:<key id>:<tool>:<unit>`, as the limiter builds it. */
  counter: text('counter').primaryKey(),
  /** Start of the window `used` counts, in ms since the epoch. */
  windowStart: integer('window_start').notNull(),
  /** Calls reserved in this window (leased, whether used yet or not). */
  used: integer('used').notNull(),
  /** Tokens the last lease granted; read back by the leasing instance. */
  granted: integer('granted').notNull(),
});

/** Kinds of OpenID Connect sign-in: the SaaS company's own IdP (tenant from a claim), or one tenant's SSO. */
export const signInProviderKinds = ['company', 'tenant'] as const;
export type SignInProviderKind = (typeof signInProviderKinds)[number];

/**
 * An OpenID Connect provider users sign in with on the authorization page. A `company` provider
 * serves every tenant and finds the tenant in `tenantClaim`; a `tenant` provider belongs to one
 * tenant and is picked by its slug or by the email domains it lists.
 */
export const signInProviders = sqliteTable(
  'sign_in_providers',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: signInProviderKinds }).notNull(),
    /** Set exactly for `tenant` providers. */
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    /** Shown on the sign-in button. */
    name: text('name').notNull(),
    issuer: text('issuer').notNull(),
    clientId: text('client_id').notNull(),
    /** Sealed by SecretBox (AES-GCM, `sb1.<key id>...`); null for a public client (PKCE only). */
    clientSecret: text('client_secret'),
    /** Scopes asked of the provider; always includes openid. */
    requestScopes: text('request_scopes').notNull(),
    /** `company` only: the ID token claim whose value is the tenant's slug. */
    tenantClaim: text('tenant_claim'),
    /** An ID token claim listing the scopes the user may grant (space separated or an array). */
    scopeClaim: text('scope_claim'),
    /** A fixed set of scopes users of this provider may grant; null means the tenant's. */
    grantScopes: text('grant_scopes', { mode: 'json' }).$type<string[]>(),
    /** `tenant` only: email domains whose users are sent to this provider. */
    emailDomains: text('email_domains', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: epochMs('created_at').notNull().default(now),
  },
  (t) => [index('sign_in_providers_tenant_idx').on(t.tenantId)],
);

/** Which sign-in methods a tenant allows on the authorization page; no row means all of them. */
export const tenantSignInMethods = sqliteTable('tenant_sign_in_methods', {
  tenantId: text('tenant_id').primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
  apiKey: integer('api_key', { mode: 'boolean' }).notNull().default(true),
  company: integer('company', { mode: 'boolean' }).notNull().default(true),
  tenantSso: integer('tenant_sso', { mode: 'boolean' }).notNull().default(true),
  updatedAt: epochMs('updated_at').notNull().default(now),
});

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type UsageEvent = typeof usageEvents.$inferInsert;
export type TrustedIssuer = typeof trustedIssuers.$inferSelect;
export type Limit = typeof limits.$inferSelect;
export type SignInProvider = typeof signInProviders.$inferSelect;
