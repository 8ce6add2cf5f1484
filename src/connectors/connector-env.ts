import type { SigningKey } from '../auth/signing-key.ts';
import { type Config, publicUrl, resourceUrl } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import type { ResolveHost } from '../oauth/public-address.ts';
import type { ConnectorEnv } from '../services/connectors.ts';
import type { AnyTool } from '../tools/index.ts';
import type { OpenApiCompiler } from './openapi/openapi-compiler.ts';
import { UpstreamCredentials } from './upstream-credentials.ts';
import { upstreamFetch } from './upstream-fetch.ts';

/** What the server (or the CLI) has that connectors use. */
export interface ConnectorEnvDeps {
  signingKey: Promise<SigningKey | undefined>;
  secretBox?: Promise<SecretBox>;
  /** DNS lookups for the private-address checks; without them only IP literals and dotted names are judged. */
  resolveHost?: ResolveHost;
  builtIn: readonly AnyTool[];
  /** Compiles OpenAPI documents; the Node and Deno entries and the CLI give one, Workers do not. */
  openApiCompiler?: OpenApiCompiler;
  /** The HTTP client under the safety checks; default the runtime's fetch. */
  http?: typeof fetch;
}

/** The one place connector settings become the safe fetch, the credentials and the service rules. */
export function connectorEnv(db: Database, config: Config, deps: ConnectorEnvDeps): ConnectorEnv {
  const rules = { allowedPrivateHosts: config.CONNECTOR_ALLOWED_PRIVATE_HOSTS.map((h) => h.toLowerCase()), resolveHost: deps.resolveHost };
  const credentials = new UpstreamCredentials(db, {
    issuer: publicUrl(config),
    signingKey: deps.signingKey,
    secretBox: deps.secretBox,
    identityTtlSeconds: config.CONNECTOR_IDENTITY_TTL_SECONDS,
    secretTtlMs: config.KEY_CACHE_TTL_SECONDS * 1000,
    maxEntries: config.KEY_CACHE_MAX_ENTRIES,
  });
  return {
    fetch: upstreamFetch({ ...rules, maxResponseBytes: config.CONNECTOR_MAX_RESPONSE_BYTES, fetch: deps.http }),
    rules,
    credentials,
    secretBox: deps.secretBox,
    reservedAudiences: [publicUrl(config), resourceUrl(config), new URL(publicUrl(config)).origin],
    builtInScopes: [...new Set(deps.builtIn.flatMap((t) => t.scopes))],
    timeoutMs: config.TOOL_TIMEOUT_MS,
    compileOpenApi: deps.openApiCompiler,
  };
}
