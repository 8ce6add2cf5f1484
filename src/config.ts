import { z } from 'zod';
import { jwksUriProblem } from './auth/remote-jwks.ts';
import { secretKeySettingProblem } from './crypto/secret-box.ts';

const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Every setting the server reads, parsed once from a plain record (process.env, Deno.env, a Worker's env). */
export const configSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  DATABASE_URL: z.string().min(1).default('file:./data/tenant-mcp.db'),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  /** Node only: keeps the `file:` DATABASE_URL as an embedded replica of this libSQL server (reads local, writes sent there). */
  DATABASE_SYNC_URL: z.string().min(1).optional(),
  /** How often an embedded replica pulls changes made elsewhere (other servers, the CLI) from DATABASE_SYNC_URL. */
  DATABASE_SYNC_INTERVAL_SECONDS: z.coerce.number().int().positive().default(5),
  /** The URL clients use to reach this server; its origin is always an allowed Origin. */
  PUBLIC_URL: z.url().optional(),
  /** Extra browser origins allowed to call /mcp (comma list). Others get 403. */
  ALLOWED_ORIGINS: list.default([]),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** How long a verified key (and its tenant's status, scopes and limits) is trusted before re-reading. */
  KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(30).default(10),
  KEY_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(10_000),
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  USAGE_BATCH_SIZE: z.coerce.number().int().positive().default(500),
  USAGE_BUFFER_MAX: z.coerce.number().int().positive().default(100_000),
  /** `commit`: a tool call is answered only once its usage row is committed (group commit). `buffered`: rows are written in the background. */
  USAGE_DURABILITY: z.enum(['commit', 'buffered']).default('commit'),
  /** With `commit`: the longest the first call of a group waits for others to share its transaction (sooner once every request under way has joined and none new arrived). */
  USAGE_COMMIT_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(1),
  /** When rate limits cannot reach the database: admit calls (each instance limiting alone) or refuse them with 503. */
  LIMITS_FAIL_MODE: z.enum(['open', 'closed']).default('open'),
  /** Most tokens an instance leases from the database at once (a lease is 5% of the limit, at least 1). */
  LIMITS_LEASE_MAX: z.coerce.number().int().positive().default(100),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** OAuth authorization servers (issuer URLs, comma list) named in the RFC 9728 metadata; enables it. */
  AUTHORIZATION_SERVERS: list.pipe(z.array(z.url())).default([]),
  /** The server's private key for minted tokens: an Ed25519 or P-256 private JWK (JSON) or PKCS#8 PEM. */
  TOKEN_SIGNING_KEY: z.string().optional(),
  /** A file holding TOKEN_SIGNING_KEY; read by the Node entry and the CLI only. */
  TOKEN_SIGNING_KEY_FILE: z.string().optional(),
  /** Leeway for a JWT's exp, nbf and iat against this server's clock. */
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** How long a JWKS fetch may take before the token is refused. */
  JWKS_TIMEOUT_MS: z.coerce.number().int().positive().max(60_000).default(5000),
  /** After a JWKS fetch, how long an unknown `kid` waits before it may trigger another fetch. */
  JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
  /** Turns the admin API (/admin/*) on: the bearer token it accepts. Unset, /admin answers 404. */
  ADMIN_TOKEN: z
    .string()
    .min(32, 'use at least 32 characters, e.g. the output of `openssl rand -hex 32`')
    .regex(/^\S+$/, 'must not contain spaces')
    .refine((token) => !token.startsWith('tmcp_'), 'must not look like a tenant API key (tmcp_...)')
    .optional(),
  /** With ADMIN_JWT_JWKS_URI, turns on admin JWTs: the exact `iss` of the tokens the admin API accepts. */
  ADMIN_JWT_ISSUER: z.string().min(1).max(512).regex(/^\S+$/, 'must not contain spaces').optional(),
  /** Where the admin issuer's public keys are fetched from. */
  ADMIN_JWT_JWKS_URI: z
    .url()
    .check((ctx) => {
      const problem = jwksUriProblem(new URL(ctx.value));
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    })
    .optional(),
  /** The `aud` admin JWTs must carry; default PUBLIC_URL + /admin. */
  ADMIN_JWT_AUDIENCE: z.string().min(1).max(512).optional(),
  /** Longest a tool call may run before its signal is aborted and it is answered with an error. */
  TOOL_TIMEOUT_MS: z.coerce.number().int().positive().max(3_600_000).default(30_000),
  /** Keys the HMAC on MCP 2026-07-28 `requestState` (tools asking the client mid-call); default: derived from TOKEN_SIGNING_KEY, else random per process. Give every instance the same one. */
  REQUEST_STATE_SECRET: z.string().min(32, 'use at least 32 characters, e.g. the output of `openssl rand -hex 32`').optional(),
  /** Encrypts secrets stored in the database (sign-in providers' client secrets) and seals sign-in state: `<key id>:<32 random bytes, base64url>`. */
  SECRETS_ENCRYPTION_KEY: z
    .string()
    .check((ctx) => {
      const problem = secretKeySettingProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: '(redacted)' });
    })
    .optional(),
  /** Earlier SECRETS_ENCRYPTION_KEY values (comma list), still used to open what they sealed until `tenant-mcp secrets reseal`. */
  SECRETS_ENCRYPTION_OLD_KEYS: list
    .check((ctx) => {
      for (const key of ctx.value) {
        const problem = secretKeySettingProblem(key);
        if (problem) ctx.issues.push({ code: 'custom', message: problem, input: '(redacted)' });
      }
    })
    .default([]),
  /** How long one request to an OpenID Connect sign-in provider (discovery, token, JWKS) may take. */
  OIDC_TIMEOUT_MS: z.coerce.number().int().positive().max(60_000).default(10_000),
  /** Test-only: serves the fixture tools, resources and prompts of src/test-fixtures. Needs NODE_ENV=test. */
  TEST_FIXTURES: z.stringbool().default(false),
  NODE_ENV: z.string().optional(),
  /** Turns the built-in OAuth 2.1 authorization server on (issuer PUBLIC_URL); the resource metadata then names it first. */
  OAUTH_ENABLED: z.stringbool().default(true),
  /** Life of an OAuth access token: revoking its key or grant, or suspending its tenant, takes effect within it. */
  OAUTH_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  /** Life of an OAuth refresh token (each use replaces it with a fresh one). */
  OAUTH_REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Dynamic client registrations (RFC 7591) one instance accepts per minute from one client address. */
  OAUTH_REGISTRATIONS_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(10),
  /** Hosts whose client metadata documents may be fetched from private or loopback addresses (comma list; for tests and intranets). */
  OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: list.default([]),
  /** How long fetching a client metadata document may take, body included. */
  OAUTH_CIMD_TIMEOUT_MS: z.coerce.number().int().positive().max(30_000).default(5000),
  /** Node only: the folder where a generated signing key is kept when TOKEN_SIGNING_KEY is not set; default: the database file's folder. */
  DATA_DIR: z.string().min(1).optional(),
  /** Signs the console's and portal's session cookies; default: derived from ADMIN_TOKEN, else random per process (sessions end on restart). */
  SESSION_SECRET: z.string().min(32, 'use at least 32 characters, e.g. the output of `openssl rand -hex 32`').optional(),
  /** How long a console or portal sign-in lasts. */
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(8 * 3600),
  /** Hosts connector upstreams may reach on private or loopback addresses, and over plain http (comma list; a SaaS's own network, tests). */
  CONNECTOR_ALLOWED_PRIVATE_HOSTS: list.default([]),
  /** How long an instance uses its copy of the connectors before reading them again: a change reaches every instance within it. */
  CONNECTOR_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /** The largest upstream answer a connector tool reads; a larger one is an error result. */
  CONNECTOR_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  /** Life of the identity JWT an `identity` connector sends upstream with each call. */
  CONNECTOR_IDENTITY_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
}).superRefine((config, ctx) => {
  if ((config.ADMIN_JWT_ISSUER === undefined) !== (config.ADMIN_JWT_JWKS_URI === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['ADMIN_JWT_ISSUER'], message: 'set ADMIN_JWT_ISSUER and ADMIN_JWT_JWKS_URI together' });
  }
  if (config.ADMIN_JWT_AUDIENCE !== undefined && config.ADMIN_JWT_ISSUER === undefined) {
    ctx.addIssue({ code: 'custom', path: ['ADMIN_JWT_AUDIENCE'], message: 'only meaningful with ADMIN_JWT_ISSUER and ADMIN_JWT_JWKS_URI' });
  }
  // The server's own tokens are tenant tokens: their issuer can never be the admin's.
  if (config.SECRETS_ENCRYPTION_OLD_KEYS.length > 0 && config.SECRETS_ENCRYPTION_KEY === undefined) {
    ctx.addIssue({ code: 'custom', path: ['SECRETS_ENCRYPTION_OLD_KEYS'], message: 'needs SECRETS_ENCRYPTION_KEY: old keys only open, the current key seals' });
  }
  const keyIds = [config.SECRETS_ENCRYPTION_KEY, ...config.SECRETS_ENCRYPTION_OLD_KEYS].filter((k) => k !== undefined).map((k) => k.split(':')[0]);
  if (new Set(keyIds).size !== keyIds.length) {
    ctx.addIssue({ code: 'custom', path: ['SECRETS_ENCRYPTION_OLD_KEYS'], message: 'every secrets encryption key needs its own id (the part before the colon)' });
  }
  if (config.ADMIN_JWT_ISSUER !== undefined && config.ADMIN_JWT_ISSUER === publicUrl(config)) {
    ctx.addIssue({ code: 'custom', path: ['ADMIN_JWT_ISSUER'], message: "must not be this server's own issuer (PUBLIC_URL), whose tokens are tenant tokens" });
  }
});

/** The parsed configuration. */
export type Config = z.infer<typeof configSchema>;

/** Parses settings from an environment record; throws one readable error listing every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(blanksRemoved);
  if (result.success) {
    if (result.data.TEST_FIXTURES && result.data.NODE_ENV !== 'test') {
      throw new Error('Invalid configuration: TEST_FIXTURES serves test-only tools and is refused unless NODE_ENV=test. Never set it in production.');
    }
    return result.data;
  }
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`Invalid configuration: ${problems}`);
}

/** The server's public origin, derived from PUBLIC_URL or HOST and PORT. */
export function publicUrl(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
}

/** The MCP endpoint's URL: the OAuth resource identifier and the default JWT audience. */
export function resourceUrl(config: Config): string {
  return `${publicUrl(config)}/mcp`;
}
