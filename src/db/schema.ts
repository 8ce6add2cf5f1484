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
export const usageOutcomes = ['ok', 'tool_error', 'denied', 'invalid', 'unauthenticated', 'error', 'timeout', 'cancelled', 'rate_limited', 'input_required'] as const;
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
    /** The OAuth client the access token was issued to, when the call came with one. */
    clientId: text('client_id'),
    /** A connector tool's upstream HTTP status; null when no answer came or the tool is built in. */
    upstreamStatus: integer('upstream_status'),
    /** How long a connector tool's upstream took, in ms; null for built-in tools. */
    upstreamMs: integer('upstream_ms'),
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

/**
 * Usage events counted per UTC day, tenant, tool and outcome (`''` for no tenant or tool), kept
 * exact by the writers of usage_events (src/usage/write-usage-batch.ts): every batch adds, every
 * prune chunk subtracts, in its own transaction. `day` is days since the epoch. The
 * overview's top tenants and tools; see docs/console.md.
 */
export const usageRollupDaily = sqliteTable(
  'usage_rollup_daily',
  {
    day: integer('day').notNull(),
    tenantId: text('tenant_id').notNull(),
    tool: text('tool').notNull(),
    outcome: text('outcome', { enum: usageOutcomes }).notNull(),
    calls: integer('calls').notNull(),
    durationMsSum: integer('duration_ms_sum').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.tenantId, t.tool, t.outcome] })],
);

/**
 * Usage events counted per scope (a tenant id, `''` for none, `*` for all tenants), hour (since
 * the epoch), outcome and log-scale duration bucket (src/usage/duration-bucket.ts), kept exact by
 * the same writers: the overview's timeline and percentiles, within the buckets' error bound.
 */
export const usageLatencyHourly = sqliteTable(
  'usage_latency_hourly',
  {
    hour: integer('hour').notNull(),
    scope: text('scope').notNull(),
    outcome: text('outcome', { enum: usageOutcomes }).notNull(),
    bucket: integer('bucket').notNull(),
    calls: integer('calls').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.hour, t.outcome, t.bucket] })],
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
    /** The ID token claim naming a tenant administrator (e.g. `groups`); null: nobody signs in to /portal through this provider. */
    adminClaim: text('admin_claim'),
    /** Values of `adminClaim` that make a user the tenant's administrator (any one of them); set exactly with `adminClaim`. */
    adminValues: text('admin_values', { mode: 'json' }).$type<string[]>(),
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

/** How an OAuth client came to be known: pre-registered by an operator, registered by itself (RFC 7591), or a metadata document URL. */
export const oauthClientKinds = ['registered', 'dynamic', 'metadata_document'] as const;
export type OAuthClientKind = (typeof oauthClientKinds)[number];

/**
 * An OAuth client of the built-in authorization server. Metadata-document clients are cached
 * here too (their `client_id` is the document's https URL) and refreshed when `expiresAt` passes.
 */
export const oauthClients = sqliteTable('oauth_clients', {
  id: text('id').primaryKey(),
  kind: text('kind', { enum: oauthClientKinds }).notNull(),
  name: text('name').notNull(),
  redirectUris: text('redirect_uris', { mode: 'json' }).$type<string[]>().notNull(),
  clientUri: text('client_uri'),
  /** SHA-256 of the client secret, base64url; null for public clients (token_endpoint_auth_method none). */
  secretHash: text('secret_hash'),
  createdAt: epochMs('created_at').notNull().default(now),
  /** Metadata documents only: when the cached copy must be fetched again. */
  expiresAt: epochMs('expires_at'),
});

/** Sign-in methods a grant can come from. */
export const signInMethods = ['api_key', 'oidc'] as const;
export type SignInMethodName = (typeof signInMethods)[number];

/**
 * What a user allowed a client: the root every code and refresh token hangs off. Revoking it
 * (by an operator, a replayed code or refresh token, or its key's end) ends them all.
 */
export const oauthGrants = sqliteTable(
  'oauth_grants',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    clientId: text('client_id').notNull().references(() => oauthClients.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    method: text('method', { enum: signInMethods }).notNull(),
    /** API-key sign-in: the key whose end ends the grant. */
    keyId: text('key_id').references(() => apiKeys.id, { onDelete: 'cascade' }),
    /** OpenID Connect sign-in: the provider the user signed in with. */
    providerId: text('provider_id'),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    /** The RFC 8707 resource: the audience of every access token. */
    resource: text('resource').notNull(),
    createdAt: epochMs('created_at').notNull().default(now),
    lastUsedAt: epochMs('last_used_at'),
    revokedAt: epochMs('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('oauth_grants_tenant_idx').on(t.tenantId), index('oauth_grants_client_idx').on(t.clientId), index('oauth_grants_key_idx').on(t.keyId)],
);

/** Authorization codes: only their SHA-256 is stored; single-use, bound to client, redirect, challenge and resource. */
export const oauthCodes = sqliteTable('oauth_codes', {
  codeHash: text('code_hash').primaryKey(),
  grantId: text('grant_id').notNull().references(() => oauthGrants.id, { onDelete: 'cascade' }),
  clientId: text('client_id').notNull(),
  redirectUri: text('redirect_uri').notNull(),
  codeChallenge: text('code_challenge').notNull(),
  expiresAt: epochMs('expires_at').notNull(),
  usedAt: epochMs('used_at'),
});

/** Refresh tokens: only their SHA-256 is stored; each is used once and replaced (rotation). */
export const oauthRefreshTokens = sqliteTable(
  'oauth_refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    grantId: text('grant_id').notNull().references(() => oauthGrants.id, { onDelete: 'cascade' }),
    expiresAt: epochMs('expires_at').notNull(),
    usedAt: epochMs('used_at'),
  },
  (t) => [index('oauth_refresh_tokens_grant_idx').on(t.grantId)],
);

/**
 * An authorization request waiting for the user to sign in and consent. Its id travels in the
 * page URL; only the browser holding the cookie whose digest is `browserHash` may act on it.
 */
export const oauthRequests = sqliteTable('oauth_requests', {
  id: text('id').primaryKey(),
  browserHash: text('browser_hash').notNull(),
  clientId: text('client_id').notNull().references(() => oauthClients.id, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  codeChallenge: text('code_challenge').notNull(),
  resource: text('resource').notNull(),
  /** Scopes the client asked for; null when it asked for none (then the user is offered all theirs). */
  scopes: text('scopes', { mode: 'json' }).$type<string[]>(),
  state: text('state'),
  /** The signed-in user (a SignedInUser), once sign-in succeeded. */
  user: text('user', { mode: 'json' }).$type<Record<string, unknown>>(),
  expiresAt: epochMs('expires_at').notNull(),
});

/** What a connector turns into tools: an OpenAPI document's operations, or a remote MCP server's tools. */
export const connectorKinds = ['openapi', 'mcp'] as const;
export type ConnectorKind = (typeof connectorKinds)[number];

/** How a connector's upstream learns who is calling: a signed identity JWT, a per-tenant secret, or nothing. */
export const connectorCredentials = ['identity', 'secret', 'none'] as const;
export type ConnectorCredential = (typeof connectorCredentials)[number];

/**
 * An operator-defined source of tools. Its tools are named `<name>_<tool>` and need the scopes
 * `<name>:read` (read-only) or `<name>:write` unless `toolScopes` says otherwise.
 */
export const connectors = sqliteTable('connectors', {
  id: text('id').primaryKey(),
  /** Lower-case letters, digits and hyphens; the tool and scope prefix. */
  name: text('name').notNull().unique(),
  kind: text('kind', { enum: connectorKinds }).notNull(),
  /** `mcp`: the Streamable HTTP endpoint; `openapi`: the base URL operations are called on. */
  url: text('url').notNull(),
  /** `openapi`: where the document was fetched from, for refresh; null when it was uploaded. */
  documentUrl: text('document_url'),
  /** `openapi`: which operations become tools (include/exclude by operationId, tag, path). */
  selection: text('selection', { mode: 'json' }).$type<Record<string, unknown>>(),
  /** `openapi`: the compiled operations (plain JSON), so that no instance parses the document at run time. */
  operations: text('operations', { mode: 'json' }).$type<Record<string, unknown>[]>(),
  credential: text('credential', { enum: connectorCredentials }).notNull(),
  /** `secret`: the request header the tenant's secret is sent in, e.g. Authorization. */
  secretHeader: text('secret_header'),
  /** `identity`: the JWT's audience; default the upstream's origin. */
  audience: text('audience'),
  /** Scopes per tool name (without the prefix), replacing the read/write default. */
  toolScopes: text('tool_scopes', { mode: 'json' }).$type<Record<string, string[]>>().notNull(),
  /** `mcp`: how long an instance keeps the upstream's tool list before listing again. */
  toolsTtlSeconds: integer('tools_ttl_seconds').notNull().default(300),
  /** `mcp` with `secret`: the operator's secret used only to list the upstream's tools (sealed by SecretBox). */
  listSecret: text('list_secret'),
  createdAt: epochMs('created_at').notNull().default(now),
  updatedAt: epochMs('updated_at').notNull().default(now),
});

/** A tenant's secret for a `secret` connector, sealed by SecretBox (AES-GCM); never shown again. */
export const connectorSecrets = sqliteTable(
  'connector_secrets',
  {
    connectorId: text('connector_id').notNull().references(() => connectors.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    secret: text('secret').notNull(),
    updatedAt: epochMs('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.connectorId, t.tenantId] })],
);

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type UsageEvent = typeof usageEvents.$inferInsert;
export type TrustedIssuer = typeof trustedIssuers.$inferSelect;
export type Limit = typeof limits.$inferSelect;
export type SignInProvider = typeof signInProviders.$inferSelect;
export type OAuthClient = typeof oauthClients.$inferSelect;
export type OAuthGrant = typeof oauthGrants.$inferSelect;
export type OAuthRequest = typeof oauthRequests.$inferSelect;
export type Connector = typeof connectors.$inferSelect;
