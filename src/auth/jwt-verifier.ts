import { eq } from 'drizzle-orm';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Database } from '../db/database.ts';
import { type TrustedIssuer, tenants, trustedIssuers } from '../db/schema.ts';
import type { AuthFailureReason, AuthResult } from './caller.ts';
import { JwksUnavailableError, RemoteJwks } from './remote-jwks.ts';
import { isScopePattern } from './scopes.ts';
import { IDENTITY_TOKEN_TYPE, type SigningKey } from './signing-key.ts';
import { TtlCache } from './ttl-cache.ts';

/** Options for {@link JwtVerifier}. */
export interface JwtVerifierOptions {
  /** The server's own issuer (PUBLIC_URL): tokens it mints carry it as `iss`. */
  ownIssuer: string;
  /** The server's resource URL (PUBLIC_URL + /mcp): the audience of minted tokens and the default for issuers. */
  resource: string;
  /** The server's signing key, if minting is configured; resolves to undefined when it is not. */
  signingKey: Promise<SigningKey | undefined>;
  clockToleranceSeconds: number;
  jwksTimeoutMs: number;
  jwksCooldownMs: number;
  /** How long issuer registrations and tenant status are reused before re-reading; 0 disables caching. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

const MAX_TOKEN_LENGTH = 8192;
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True when a presented credential is shaped like a compact JWS (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && jwtShape.test(token);
}

interface TenantRecord {
  tenantId: string;
  tenantSlug: string;
  tenantStatus: 'active' | 'suspended';
  tenantScopes: string[];
}

interface IssuerRecord extends TenantRecord {
  audience: string;
  algorithms: string[];
  scopeClaim: string;
  tenantClaim: string | null;
  tenantClaimValue: string | null;
  keys: JWTVerifyGetKey;
}

type Refusal = Extract<AuthResult, { ok: false }>;

/**
 * Verifies JWT bearer credentials: tokens the server minted itself (iss = PUBLIC_URL, checked
 * against its own key, tenant from the `tenant` claim) and tokens from issuers a tenant trusts.
 * Issuer registrations and tenant status are cached for `ttlMs`; keys come from the stored JWKS,
 * the JWKS URI (cached by jose) or the server's own key, so a verified token costs no database
 * read while those caches are warm.
 */
export class JwtVerifier {
  readonly #db: Database;
  readonly #options: JwtVerifierOptions;
  readonly #now: () => number;
  readonly #issuers: TtlCache<string, IssuerRecord[]>;
  readonly #tenants: TtlCache<string, TenantRecord | null>;
  /** Accepted tokens of this server (OAuth access tokens, minted tokens), by their exact text, until `ttlMs` or their `exp`. */
  readonly #accepted: TtlCache<string, AuthResult>;
  readonly #remote: RemoteJwks;
  readonly #ownKeys: Promise<{ alg: string; keys: JWTVerifyGetKey } | undefined>;

  constructor(db: Database, options: JwtVerifierOptions) {
    this.#db = db;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const cache = { ttlMs: options.ttlMs, maxEntries: options.maxEntries, now: this.#now };
    this.#issuers = new TtlCache(cache);
    this.#tenants = new TtlCache(cache);
    this.#accepted = new TtlCache(cache);
    this.#remote = new RemoteJwks({ timeoutMs: options.jwksTimeoutMs, cooldownMs: options.jwksCooldownMs });
    this.#ownKeys = options.signingKey.then(
      (key) => key && { alg: key.alg, keys: createLocalJWKSet({ keys: [key.publicJwk] }) },
      () => undefined, // a bad key fails the app's startup; here it only means minted tokens are refused
    );
  }

  /** Verifies a presented JWT. Never throws for a bad token; database failures do throw. */
  async verify(token: string): Promise<AuthResult> {
    // The same bytes were verified moments ago: skip decoding and the signature check, as the key
    // cache skips the database. Suspension is seen within ttlMs, as for keys; expiry exactly.
    const seen = this.#accepted.get(token);
    if (seen) return seen;
    let payload: JWTPayload;
    try {
      decodeProtectedHeader(token);
      payload = decodeJwt(token);
    } catch {
      return refuse('malformed', 'the token is not a decodable JWT');
    }
    if (typeof payload.iss !== 'string' || payload.iss === '') return refuse('invalid_token', 'the token has no "iss" claim');
    if (payload.iss === this.#options.ownIssuer) {
      // An identity JWT a connector sent upstream is no credential here, whatever its audience.
      if (decodeProtectedHeader(token).typ === IDENTITY_TOKEN_TYPE) return refuse('invalid_token', 'the token is an identity token for an upstream, not an access token');
      return this.#verifyMinted(token);
    }
    return this.#verifyFromIssuer(token, payload.iss, payload);
  }

  async #verifyMinted(token: string): Promise<AuthResult> {
    const own = await this.#ownKeys;
    if (!own) return refuse('untrusted_issuer', 'the token claims this server as issuer, but TOKEN_SIGNING_KEY is not set');
    const verified = await this.#check(token, own.keys, { issuer: this.#options.ownIssuer, audience: this.#options.resource, algorithms: [own.alg] });
    if (!verified.ok) return { ...verified.refusal, detail: `${verified.refusal.detail} (minted by this server)` };
    const claims = verified.payload;
    if (typeof claims.tenant !== 'string' || claims.tenant === '') return refuse('invalid_token', 'the token has no "tenant" claim (minted by this server)');
    const tenant = await this.#tenant(claims.tenant);
    if (!tenant) return refuse('unknown', `the token names tenant ${quote(claims.tenant)}, which does not exist (minted by this server)`);
    const result = accept(tenant, claims, 'scope', `tenant ${tenant.tenantSlug}`);
    if (result.ok) this.#accepted.set(token, result, claims.exp! * 1000 - this.#now());
    return result;
  }

  async #verifyFromIssuer(token: string, issuer: string, unverified: JWTPayload): Promise<AuthResult> {
    const registered = await this.#registrations(issuer);
    if (registered.length === 0) return refuse('untrusted_issuer', `no tenant trusts issuer ${quote(issuer)}`);
    // Chosen from the unverified claims, then verified with that registration's keys: the
    // signature covers the same bytes, so a forged tenant claim fails verification.
    const matching = registered.filter((r) => r.tenantClaim === null || claimText(unverified[r.tenantClaim]) === r.tenantClaimValue);
    if (matching.length !== 1) {
      const claim = registered.find((r) => r.tenantClaim !== null)?.tenantClaim;
      const why = matching.length === 0 ? `its "${claim}" claim matches no tenant` : 'it matches more than one tenant';
      return refuse('untrusted_issuer', `issuer ${quote(issuer)} is shared and ${why}`);
    }
    const record = matching[0]!;
    const verified = await this.#check(token, record.keys, { issuer, audience: record.audience, algorithms: record.algorithms });
    if (!verified.ok) return { ...verified.refusal, tenantId: record.tenantId, detail: `${verified.refusal.detail} (issuer ${quote(issuer)}, tenant ${record.tenantSlug})` };
    return accept(record, verified.payload, record.scopeClaim, `issuer ${quote(issuer)}, tenant ${record.tenantSlug}`);
  }

  #check(token: string, keys: JWTVerifyGetKey, expect: JwtExpectations): Promise<JwtCheck> {
    return checkJwt(token, keys, expect, { clockToleranceSeconds: this.#options.clockToleranceSeconds, now: this.#now() });
  }

  async #registrations(issuer: string): Promise<IssuerRecord[]> {
    if (issuer.length > 512) return [];
    const cached = this.#issuers.get(issuer);
    if (cached !== undefined) return cached;
    const rows = await this.#db
      .select({ registration: trustedIssuers, tenantSlug: tenants.slug, tenantStatus: tenants.status, tenantScopes: tenants.scopes })
      .from(trustedIssuers)
      .innerJoin(tenants, eq(trustedIssuers.tenantId, tenants.id))
      .where(eq(trustedIssuers.issuer, issuer));
    const records = rows.map(({ registration, ...tenant }) => this.#issuerRecord(registration, { tenantId: registration.tenantId, ...tenant }));
    this.#issuers.set(issuer, records);
    return records;
  }

  #issuerRecord(row: TrustedIssuer, tenant: TenantRecord): IssuerRecord {
    return {
      ...tenant,
      audience: row.audience ?? this.#options.resource,
      algorithms: row.algorithms,
      scopeClaim: row.scopeClaim,
      tenantClaim: row.tenantClaim,
      tenantClaimValue: row.tenantClaimValue,
      keys: row.jwksUri ? this.#remote.keysAt(row.jwksUri) : storedKeys(row),
    };
  }

  async #tenant(slug: string): Promise<TenantRecord | null> {
    const cached = this.#tenants.get(slug);
    if (cached !== undefined) return cached;
    const [row] = await this.#db
      .select({ tenantId: tenants.id, tenantSlug: tenants.slug, tenantStatus: tenants.status, tenantScopes: tenants.scopes })
      .from(tenants)
      .where(eq(tenants.slug, slug))
      .limit(1);
    const record = row ?? null;
    this.#tenants.set(slug, record);
    return record;
  }
}

/** What a verified JWT must carry: its `iss`, an `aud`, and a signature with one of `algorithms`. */
export interface JwtExpectations {
  issuer: string;
  audience: string;
  algorithms: string[];
}

/** The outcome of {@link checkJwt}: the verified claims, or why the token is refused. */
export type JwtCheck = { ok: true; payload: JWTPayload } | { ok: false; refusal: Refusal };

/**
 * Checks signature, algorithm, iss, aud, exp (required), nbf and iat (required, not in the
 * future) with `clockToleranceSeconds` of leeway. Refusals are values; infrastructure failures
 * other than an unreachable JWKS throw.
 */
export async function checkJwt(
  token: string,
  keys: JWTVerifyGetKey,
  expect: JwtExpectations,
  clock: { clockToleranceSeconds: number; now: number },
): Promise<JwtCheck> {
  const tolerance = clock.clockToleranceSeconds;
  const now = new Date(clock.now);
  try {
    const { payload } = await jwtVerify(token, keys, { ...expect, clockTolerance: tolerance, requiredClaims: ['exp', 'iat'], currentDate: now });
    // jose checks that iat is a number; a token issued in the future is refused too.
    if (payload.iat! > Math.floor(now.getTime() / 1000) + tolerance) {
      return { ok: false, refusal: refuse('invalid_token', '"iat" claim is in the future') };
    }
    return { ok: true, payload };
  } catch (error) {
    return { ok: false, refusal: refusalFor(error, token) };
  }
}

function accept(tenant: TenantRecord, claims: JWTPayload, scopeClaim: string, where: string): AuthResult {
  if (tenant.tenantStatus !== 'active') return { ...refuse('suspended', `${where} is suspended`), tenantId: tenant.tenantId };
  return {
    ok: true,
    caller: {
      tenantId: tenant.tenantId,
      tenantSlug: tenant.tenantSlug,
      keyId: null,
      keyName: null,
      subject: typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub.slice(0, 256) : null,
      tenantScopes: tenant.tenantScopes,
      credentialScopes: tokenScopes(claims, scopeClaim),
      clientId: typeof claims.client_id === 'string' && claims.client_id !== '' ? claims.client_id.slice(0, 2000) : null,
    },
  };
}

/**
 * The scope patterns a token carries, from a space-separated string or an array of strings. The
 * default claim `scope` falls back to `scp` (as Azure AD and Okta name it). Values that are not
 * scope patterns (`openid`-style names are, URLs are not) are ignored.
 */
export function tokenScopes(claims: JWTPayload, claim: string): string[] {
  let value = claims[claim];
  if (value === undefined && claim === 'scope') value = claims.scp;
  const items = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return [...new Set(items.filter(isScopePattern))];
}

function storedKeys(row: TrustedIssuer): JWTVerifyGetKey {
  try {
    return createLocalJWKSet(row.jwks ?? { keys: [] });
  } catch (error) {
    const message = `the stored keys of issuer ${quote(row.issuer)} are invalid: ${(error as Error).message}`;
    return () => Promise.reject(new errors.JWKSInvalid(message));
  }
}

function refusalFor(error: unknown, token: string): Refusal {
  if (error instanceof JwksUnavailableError) return refuse('jwks_unavailable', error.message);
  if (error instanceof errors.JWTExpired) return refuse('expired', error.message);
  if (error instanceof errors.JWKSNoMatchingKey) return refuse('invalid_token', `no key matches the token's header (${headerSummary(token)})`);
  if (error instanceof errors.JOSEAlgNotAllowed) return refuse('invalid_token', `algorithm not allowed (${headerSummary(token)})`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('invalid_token', `bad signature (${headerSummary(token)})`);
  if (error instanceof errors.JOSEError) return refuse('invalid_token', error.message);
  throw error;
}

function headerSummary(token: string): string {
  try {
    const { alg, kid } = decodeProtectedHeader(token);
    return `alg ${quote(alg)}, kid ${quote(kid)}`;
  } catch {
    return 'undecodable header';
  }
}

function refuse(reason: AuthFailureReason, detail: string): Refusal {
  return { ok: false, reason, detail };
}

function claimText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** Quotes an untrusted value for a log line: bounded, and JSON-escaped so it cannot forge lines. */
function quote(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(String(value).slice(0, 100));
}
