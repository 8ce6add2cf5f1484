import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { adminVerifier, createAdminApp } from './admin/admin-app.ts';
import type { HashSecret } from './auth/api-key.ts';
import { ApiKeyVerifier } from './auth/api-key-verifier.ts';
import { authenticate } from './auth/authenticate.ts';
import { JwtVerifier, looksLikeJwt } from './auth/jwt-verifier.ts';
import { loadSigningKey } from './auth/signing-key.ts';
import { type Config, publicUrl, resourceUrl } from './config.ts';
import { ConnectorCatalog } from './connectors/connector-catalog.ts';
import { connectorEnv } from './connectors/connector-env.ts';
import type { OpenApiCompiler } from './connectors/openapi/openapi-compiler.ts';
import { createConsoleApp } from './console/console-app.tsx';
import { SecretBox } from './crypto/secret-box.ts';
import type { Database } from './db/database.ts';
import { isDatabaseUnavailable } from './db/unavailable.ts';
import { describeError as describe } from './errors.ts';
import { isLoopbackUrl, originGuard } from './http/origin-guard.ts';
import type { RequestReader } from './http/request-reader.ts';
import { serviceUnavailable } from './http/service-unavailable.ts';
import { wellKnown } from './http/well-known.ts';
import { RateLimiter } from './limits/rate-limiter.ts';
import { insufficientScope } from './mcp/insufficient-scope.ts';
import type { McpExtension } from './mcp/mcp-extension.ts';
import { type Defer, mcpHandler } from './mcp/mcp-handler.ts';
import { RequestStateSealer } from './mcp/request-state.ts';
import { createOAuthApp } from './oauth/oauth-app.ts';
import { oidcSignIn } from './oauth/oidc/oidc-sign-in.ts';
import type { ResolveHost } from './oauth/public-address.ts';
import { createPortalApp } from './portal/portal-app.tsx';
import { PortalSignIn } from './portal/portal-sign-in.tsx';
import { type AnyTool, allTools, scopesOnOffer } from './tools/index.ts';
import { usageEvent } from './usage/usage-event.ts';
import { UsageRecorder } from './usage/usage-recorder.ts';
import type { BatchClient } from './usage/write-usage-batch.ts';
import { SessionSigner } from './web/session-signer.ts';

/** Where the app writes operational messages. Never handed secrets. */
export type Logger = Pick<Console, 'info' | 'warn' | 'error'>;

/** What the runtime-independent app needs from its entry file. */
export interface AppDeps {
  db: Database;
  config: Config;
  /** Hands background work to the runtime (a Worker's `waitUntil`); default: let it run. */
  defer?: Defer;
  log?: Logger;
  /** The tools on offer; default: every built-in tool. */
  tools?: readonly AnyTool[];
  /** Registers resources and prompts on every per-request MCP server; default: none. */
  extension?: McpExtension;
  /** Digests presented key secrets; default Web Crypto. Node passes a faster synchronous one. */
  hashSecret?: HashSecret;
  /** Reads /mcp request bodies and notices disconnects; default the Fetch API. Node passes a faster native one. */
  requestReader?: RequestReader;
  /** DNS lookups for the OAuth server's client metadata document checks and connector upstreams; default none (IP literals only). */
  resolveHost?: ResolveHost;
  /** Compiles OpenAPI documents for connectors added through the admin API; default none (refused, as on Workers). */
  openApiCompiler?: OpenApiCompiler;
  /** The HTTP client connectors call upstreams with (under the safety checks); default the runtime's fetch. Node passes a cheaper one. */
  upstreamHttp?: typeof fetch;
  /** Writes usage batches; default the database's client. Node on a local file passes one that prepares each statement once. */
  usageWriter?: BatchClient;
}

/** The app and what its entry needs to run and stop it. */
export interface TenantMcp {
  app: Hono;
  fetch: Hono['fetch'];
  usage: UsageRecorder;
  /** Writes buffered usage events and returns unspent rate-limit tokens; resolves with how many events could not be written. */
  close(): Promise<number>;
  /** Resolves once the token signing key (if any) is loaded; rejects when TOKEN_SIGNING_KEY is unusable. */
  ready(): Promise<void>;
}

const VERSION = '0.1.0';

/** Builds the tenant-mcp HTTP app. Knows nothing of the runtime it runs on. */
export function createApp(deps: AppDeps): TenantMcp {
  const { db, config } = deps;
  const log = deps.log ?? console;
  const defer: Defer = deps.defer ?? (() => {});
  const usage = new UsageRecorder(db, {
    flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
    batchSize: config.USAGE_BATCH_SIZE,
    maxBuffered: config.USAGE_BUFFER_MAX,
    durability: config.USAGE_DURABILITY,
    commitWindowMs: config.USAGE_COMMIT_WINDOW_MS,
    localFile: config.DATABASE_URL.startsWith('file:') && !config.DATABASE_SYNC_URL,
    client: deps.usageWriter,
    onError: (error) => log.error(`Cannot write usage events, will retry: ${describe(error)}`),
    onDrop: (count, total) => log.error(`Usage buffer full: dropped the ${count} oldest usage events (${total} since start)`),
  });
  const limiter = new RateLimiter(db, {
    failMode: config.LIMITS_FAIL_MODE,
    rulesTtlMs: config.KEY_CACHE_TTL_SECONDS * 1000,
    leaseMax: config.LIMITS_LEASE_MAX,
    maxEntries: config.KEY_CACHE_MAX_ENTRIES,
    onUnreachable: (error) => log.error(`Cannot reach the database for rate limits, failing ${config.LIMITS_FAIL_MODE}: ${describe(error)}`),
    onRecovered: () => log.info('Rate limits reach the database again'),
  });
  const keys = new ApiKeyVerifier(db, {
    ttlMs: config.KEY_CACHE_TTL_SECONDS * 1000,
    maxEntries: config.KEY_CACHE_MAX_ENTRIES,
    hashSecret: deps.hashSecret,
  });
  const allowedOrigins = [new URL(publicUrl(config)).origin, ...config.ALLOWED_ORIGINS];
  const signingKey = config.TOKEN_SIGNING_KEY ? loadSigningKey(config.TOKEN_SIGNING_KEY) : Promise.resolve(undefined);
  signingKey.catch((error) => log.error(`${describe(error)}; tokens claiming this server as issuer are refused`));
  const secretBox = config.SECRETS_ENCRYPTION_KEY ? SecretBox.fromSettings(config.SECRETS_ENCRYPTION_KEY, config.SECRETS_ENCRYPTION_OLD_KEYS) : undefined;
  const tools = deps.tools ?? allTools;
  const connectorsEnv = connectorEnv(db, config, { signingKey, secretBox, resolveHost: deps.resolveHost, builtIn: tools, openApiCompiler: deps.openApiCompiler, http: deps.upstreamHttp });
  const catalog = new ConnectorCatalog(db, {
    builtIn: tools,
    ttlMs: config.CONNECTOR_CACHE_TTL_SECONDS * 1000,
    fetch: connectorsEnv.fetch,
    credentials: connectorsEnv.credentials,
    log,
    listTimeoutMs: config.TOOL_TIMEOUT_MS,
  });
  const scopes = () => scopesOnOffer(catalog);
  const jwts = new JwtVerifier(db, {
    ownIssuer: publicUrl(config),
    resource: resourceUrl(config),
    signingKey,
    clockToleranceSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    jwksTimeoutMs: config.JWKS_TIMEOUT_MS,
    jwksCooldownMs: config.JWKS_COOLDOWN_MS,
    ttlMs: config.KEY_CACHE_TTL_SECONDS * 1000,
    maxEntries: config.KEY_CACHE_MAX_ENTRIES,
  });
  // The built-in authorization server needs the signing key; without one it stays off and says why.
  const oauth = config.OAUTH_ENABLED && config.TOKEN_SIGNING_KEY !== undefined;
  if (config.OAUTH_ENABLED && !oauth) {
    log.error('TOKEN_SIGNING_KEY is missing: the OAuth authorization server is off, so OAuth clients (ChatGPT, Claude.ai, VS Code) cannot connect. Set TOKEN_SIGNING_KEY (see docs/oauth.md), or OAUTH_ENABLED=false.');
  }
  const authorizationServers = [...new Set([...(oauth ? [publicUrl(config)] : []), ...config.AUTHORIZATION_SERVERS])];
  // RFC 9728: only a server that names authorization servers points clients at its metadata.
  const resourceMetadata = authorizationServers.length > 0 ? `${publicUrl(config)}/.well-known/oauth-protected-resource/mcp` : undefined;

  const app = new Hono();
  app.get('/', (c) => c.text('tenant-mcp: the MCP endpoint is POST /mcp, with an API key or a token.\n'));
  app.get('/healthz', (c) => c.json({ status: 'ok', usage: { buffered: usage.buffered, dropped: usage.dropped }, limits: limiter.status }));
  app.route(
    '/.well-known',
    wellKnown({ resource: resourceUrl(config), authorizationServers, scopes, signingKey }),
  );

  app.use('/mcp', originGuard({ allowed: allowedOrigins, loopback: isLoopbackUrl(publicUrl(config)) }));
  if (config.ALLOWED_ORIGINS.length > 0) {
    app.use(
      '/mcp',
      cors({
        origin: config.ALLOWED_ORIGINS,
        allowMethods: ['POST'],
        allowHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'Accept', 'MCP-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID'],
        exposeHeaders: ['WWW-Authenticate', 'Mcp-Session-Id'],
      }),
    );
  }
  app.use(
    '/mcp',
    authenticate({
      // API keys start with tmcp_; anything else shaped like a compact JWS is a token.
      verify: (token) => (looksLikeJwt(token) ? jwts.verify(token) : keys.verify(token)),
      challenge: resourceMetadata ? { resourceMetadata, scope: async () => (await scopes()).join(' ') } : undefined,
      onAccepted: (caller, c) => {
        if (caller.keyId) defer(usage.touchKey(caller.keyId, Date.now()), c);
      },
      onRefused: (refusal, c) => {
        if (refusal.detail) log.warn(`Refused a token: ${refusal.reason}: ${refusal.detail}`);
        const fields = { tool: null, outcome: 'unauthenticated' as const, durationMs: 0, requestBytes: Number(c.req.header('Content-Length') ?? 0), responseBytes: 0 };
        defer(usage.record(usageEvent(c, refusal, fields)), c);
      },
      onError: (error) => log.error(`Cannot verify a credential: ${describe(error)}`),
    }),
  );
  app.all(
    '/mcp',
    mcpHandler({
      db,
      config,
      catalog,
      usage,
      limiter,
      defer,
      version: VERSION,
      onToolError: (tool, error) => log.error(`Tool ${tool} failed: ${describe(error)}`),
      insufficientScope: insufficientScope({ resourceMetadata }),
      extension: deps.extension,
      requestReader: deps.requestReader,
      // A user answering a question takes minutes, not hours.
      requestState: new RequestStateSealer(config.REQUEST_STATE_SECRET ?? config.TOKEN_SIGNING_KEY, 15 * 60_000),
    }),
  );

  const sessionSigner = new SessionSigner(config.SESSION_SECRET ?? config.ADMIN_TOKEN);
  const portalSignIn = new PortalSignIn({ db, config, log, signer: sessionSigner, verifyKey: (token) => keys.verify(token), oidc: oauth && secretBox !== undefined });
  if (oauth) {
    app.route(
      '/',
      createOAuthApp({
        db,
        issuer: publicUrl(config),
        resource: resourceUrl(config),
        catalog,
        signingKey,
        verifyApiKey: (key) => keys.verify(key),
        accessTokenTtlSeconds: config.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
        refreshTokenTtlDays: config.OAUTH_REFRESH_TOKEN_TTL_DAYS,
        registrationsPerMinute: config.OAUTH_REGISTRATIONS_PER_MINUTE,
        cimdAllowedPrivateHosts: config.OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS,
        cimdTimeoutMs: config.OAUTH_CIMD_TIMEOUT_MS,
        resolveHost: deps.resolveHost,
        signIn: secretBox && oidcSignIn({ db, secretBox, publicUrl: publicUrl(config), log, timeoutMs: config.OIDC_TIMEOUT_MS, portal: portalSignIn }),
      }),
    );
  }

  app.route('/admin', createAdminApp({ db, config, log, version: VERSION, signingKey, secretBox, connectors: { env: connectorsEnv, onChange: () => catalog.invalidate() } }));
  app.route('/console', createConsoleApp({ db, config, log, verifyAdmin: adminVerifier(config), signer: sessionSigner }));
  app.route('/portal', createPortalApp({ db, config, log, signIn: portalSignIn, connectors: connectorsEnv }));

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (isDatabaseUnavailable(error)) {
      log.error(`Database unavailable on ${c.req.method} ${c.req.path}: ${describe(error)}`);
      return serviceUnavailable();
    }
    log.error(`Unhandled error on ${c.req.method} ${c.req.path}: ${describe(error)}`);
    return c.json({ error: 'internal_error', error_description: 'The server failed to handle this request.' }, 500);
  });

  async function close(): Promise<number> {
    const [unwritten] = await Promise.all([usage.close(), limiter.close()]);
    return unwritten;
  }

  return { app, fetch: app.fetch, usage, close, ready: () => signingKey.then(() => undefined) };
}
