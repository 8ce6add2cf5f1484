import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

/** Options for {@link RemoteJwks}. */
export interface RemoteJwksOptions {
  /** How long one JWKS fetch may take. */
  timeoutMs: number;
  /** After a fetch, how long an unknown `kid` waits before it may trigger another. */
  cooldownMs: number;
}

/** A JWKS URI could not be fetched or did not hold a usable key set. */
export class JwksUnavailableError extends Error {
  readonly uri: string;

  constructor(uri: string, cause: unknown) {
    super(`Cannot fetch the JWKS from ${uri}: ${explain(cause)}`, { cause });
    this.name = 'JwksUnavailableError';
    this.uri = uri;
  }
}

/**
 * One jose remote key set per JWKS URI, shared by every registration that names it, so its cache
 * and cooldown hold across tenants. jose fetches when the cache is empty or stale, and refetches
 * at most once per verification for an unknown `kid`, only after the cooldown.
 * The map grows only with URIs operators register.
 */
export class RemoteJwks {
  readonly #sets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  readonly #options: RemoteJwksOptions;

  constructor(options: RemoteJwksOptions) {
    this.#options = options;
  }

  /** The key resolver for a URI. Failures to reach it throw {@link JwksUnavailableError}. */
  keysAt(uri: string): JWTVerifyGetKey {
    let set = this.#sets.get(uri);
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), { timeoutDuration: this.#options.timeoutMs, cooldownDuration: this.#options.cooldownMs });
      this.#sets.set(uri, set);
    }
    const resolve = set;
    return async function resolveRemoteKey(header, token) {
      try {
        return await resolve(header, token);
      } catch (error) {
        // Key selection failures are the token's fault; everything else is the JWKS endpoint's.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) {
          throw error;
        }
        throw new JwksUnavailableError(uri, error);
      }
    };
  }
}

/**
 * Why a JWKS URI is unsafe to fetch keys from, or undefined when it is fine: keys fetched over
 * plain HTTP could be swapped in transit, so https only, with http allowed on loopback for development.
 */
export function jwksUriProblem(url: URL): string | undefined {
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'use https:// (plain http:// only on loopback)';
  if (url.username || url.password) return 'it must not carry credentials';
  return undefined;
}

function explain(cause: unknown): string {
  if (cause instanceof errors.JWKSTimeout) return 'the request timed out';
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? ` (${(cause.cause as { code?: string }).code ?? cause.cause.message})` : '';
  return `${cause.message}${inner}`;
}
