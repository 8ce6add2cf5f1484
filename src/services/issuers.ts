import { asc, eq } from 'drizzle-orm';
import { exportJWK, importJWK, importSPKI, type JWK } from 'jose';
import { jwksUriProblem } from '../auth/remote-jwks.ts';
import type { Database } from '../db/database.ts';
import { type TrustedIssuer, tenants, trustedIssuers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { getTenant } from './tenants.ts';

/** Signature algorithms an issuer may use: asymmetric only. HMAC would need a shared secret at rest, and `none` is no signature. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** A trusted issuer as operators see it. */
export interface IssuerInfo {
  id: string;
  tenant: string;
  issuer: string;
  jwksUri: string | null;
  /** How many public keys are stored inline (0 with a JWKS URI). */
  inlineKeys: number;
  /** The expected `aud`; null means the server's resource URL (PUBLIC_URL + /mcp). */
  audience: string | null;
  algorithms: string[];
  scopeClaim: string;
  tenantClaim: string | null;
  tenantClaimValue: string | null;
  createdAt: string;
}

/** What registering an issuer takes. Exactly one of `jwksUri` and `publicKey` is required. */
export interface AddIssuerInput {
  tenant: string;
  issuer: string;
  jwksUri?: string;
  /** A public JWK, a JWKS, or a PEM public key (SPKI), as text. */
  publicKey?: string;
  audience?: string;
  algorithms?: string | string[];
  scopeClaim?: string;
  tenantClaim?: string;
  tenantClaimValue?: string;
  /** The server's own issuer (PUBLIC_URL), which no tenant may register. */
  reservedIssuer?: string;
}

const MAX_INLINE_KEYS = 20;
const tokenText = /^[^\s"\\]{1,512}$/;
const claimName = /^[^\s"\\]{1,128}$/;
const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Makes a tenant trust an issuer's JWTs. An issuer shared by tenants needs a tenant claim on every registration. */
export async function addIssuer(db: Database, input: AddIssuerInput): Promise<IssuerInfo> {
  const tenant = await getTenant(db, input.tenant);
  const issuer = input.issuer.trim();
  if (!tokenText.test(issuer)) throw invalid(`Invalid issuer "${input.issuer}": give the exact "iss" value of the tokens, usually an https:// URL`);
  if (input.reservedIssuer !== undefined && issuer === input.reservedIssuer) {
    throw invalid(`Issuer "${issuer}" is this server's own (PUBLIC_URL): tokens it mints need no registration`);
  }
  if ((input.jwksUri === undefined) === (input.publicKey === undefined)) throw invalid('Give either a JWKS URI or a public key, not both and not neither');
  const algorithms = algorithmList(input.algorithms);
  if (input.audience !== undefined && !tokenText.test(input.audience)) throw invalid(`Invalid audience "${input.audience}"`);
  const scopeClaim = input.scopeClaim ?? 'scope';
  if (!claimName.test(scopeClaim)) throw invalid(`Invalid scope claim "${scopeClaim}"`);
  const { tenantClaim, tenantClaimValue } = input;
  if ((tenantClaim === undefined) !== (tenantClaimValue === undefined)) throw invalid('Give a tenant claim and its value together');
  if (tenantClaim !== undefined && !claimName.test(tenantClaim)) throw invalid(`Invalid tenant claim "${tenantClaim}"`);
  if (tenantClaimValue !== undefined && (tenantClaimValue === '' || tenantClaimValue.length > 256)) throw invalid('The tenant claim value must be 1-256 characters');

  const sharing = await db
    .select({ tenantId: trustedIssuers.tenantId, tenantClaim: trustedIssuers.tenantClaim, tenantClaimValue: trustedIssuers.tenantClaimValue, slug: tenants.slug })
    .from(trustedIssuers)
    .innerJoin(tenants, eq(trustedIssuers.tenantId, tenants.id))
    .where(eq(trustedIssuers.issuer, issuer));
  if (sharing.some((r) => r.tenantId === tenant.id)) throw new AppError('conflict', `Tenant "${tenant.slug}" already trusts issuer "${issuer}"; remove it first`);
  if (sharing.length > 0) {
    // Every registration of a shared issuer names the same claim, so a token matches at most one tenant.
    const others = sharing.map((r) => r.slug).join(', ');
    if (tenantClaim === undefined || sharing.some((r) => r.tenantClaim !== tenantClaim)) {
      const theirs = sharing[0]!.tenantClaim;
      throw new AppError(
        'conflict',
        `Issuer "${issuer}" is already trusted by ${others}: tenants sharing an issuer must all name the same tenant claim (${theirs ? `"${theirs}"` : 'theirs has none; remove and re-add it with one'})`,
      );
    }
    const taken = sharing.find((r) => r.tenantClaimValue === tenantClaimValue);
    if (taken) throw new AppError('conflict', `Tenant "${taken.slug}" already trusts issuer "${issuer}" for ${tenantClaim}=${tenantClaimValue}`);
  }

  const [row] = await db
    .insert(trustedIssuers)
    .values({
      id: `iss_${randomBase32(12)}`,
      tenantId: tenant.id,
      issuer,
      jwksUri: input.jwksUri === undefined ? null : jwksUri(input.jwksUri),
      jwks: input.publicKey === undefined ? null : { keys: await publicKeys(input.publicKey, algorithms) },
      audience: input.audience ?? null,
      algorithms,
      scopeClaim,
      tenantClaim: tenantClaim ?? null,
      tenantClaimValue: tenantClaimValue ?? null,
    })
    .returning();
  return issuerInfo(row!, tenant.slug);
}

/** Lists trusted issuers, of one tenant or of all, oldest first. */
export async function listIssuers(db: Database, tenantSlug?: string): Promise<IssuerInfo[]> {
  const tenantId = tenantSlug === undefined ? undefined : (await getTenant(db, tenantSlug)).id;
  const rows = await db
    .select({ registration: trustedIssuers, slug: tenants.slug })
    .from(trustedIssuers)
    .innerJoin(tenants, eq(trustedIssuers.tenantId, tenants.id))
    .where(tenantId ? eq(trustedIssuers.tenantId, tenantId) : undefined)
    .orderBy(asc(trustedIssuers.createdAt), asc(trustedIssuers.id));
  return rows.map((r) => issuerInfo(r.registration, r.slug));
}

/**
 * Removes a trusted issuer by id; with `tenant`, only if it is that tenant's. Its tokens are
 * refused once verifiers' caches expire (KEY_CACHE_TTL_SECONDS).
 */
export async function removeIssuer(db: Database, id: string, options: { tenant?: string } = {}): Promise<IssuerInfo> {
  const tenantId = options.tenant === undefined ? undefined : (await getTenant(db, options.tenant)).id;
  const [found] = await db
    .select({ registration: trustedIssuers, slug: tenants.slug })
    .from(trustedIssuers)
    .innerJoin(tenants, eq(trustedIssuers.tenantId, tenants.id))
    .where(eq(trustedIssuers.id, id))
    .limit(1);
  if (!found || (tenantId !== undefined && found.registration.tenantId !== tenantId)) {
    throw new AppError('not_found', `No trusted issuer "${id}"${options.tenant === undefined ? '' : ` for tenant "${options.tenant}"`}`);
  }
  await db.delete(trustedIssuers).where(eq(trustedIssuers.id, id));
  return issuerInfo(found.registration, found.slug);
}

function algorithmList(input: string | string[] | undefined): string[] {
  if (input === undefined) return ASYMMETRIC_ALGORITHMS;
  const items = [...new Set((typeof input === 'string' ? input.split(/[\s,]+/) : input).filter(Boolean))];
  const refused = items.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
  if (refused.length > 0 || items.length === 0) {
    throw invalid(`Algorithm ${refused.join(', ') || '(none given)'} is not allowed: use asymmetric ones (${ASYMMETRIC_ALGORITHMS.join(', ')}); never none or HMAC`);
  }
  return items;
}

function jwksUri(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalid(`Invalid JWKS URI "${input}": expected an https:// URL`);
  }
  const problem = jwksUriProblem(url);
  if (problem) throw invalid(url.username || url.password ? `Invalid JWKS URI: ${problem}` : `Invalid JWKS URI "${input}": ${problem}`);
  return url.href;
}

/** Parses a public JWK, a JWKS or a PEM public key into checked public JWKs. */
async function publicKeys(text: string, algorithms: string[]): Promise<JWK[]> {
  const t = text.trim();
  let candidates: unknown[];
  if (t.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      throw invalid('The key is not valid JSON: give a public JWK, a JWKS ({"keys": [...]}) or a PEM public key');
    }
    const keys = (parsed as { keys?: unknown }).keys;
    candidates = Array.isArray(keys) ? keys : [parsed];
  } else if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(t)) {
    throw invalid("The key is a private key: give the issuer's public key, and keep the private one where it is");
  } else if (t.startsWith('-----BEGIN PUBLIC KEY-----')) {
    candidates = [await pemToJwk(t)];
  } else {
    throw invalid('Unrecognised key: give a public JWK, a JWKS ({"keys": [...]}) or a PEM public key ("-----BEGIN PUBLIC KEY-----")');
  }
  if (candidates.length === 0 || candidates.length > MAX_INLINE_KEYS) throw invalid(`Give 1 to ${MAX_INLINE_KEYS} keys`);
  return Promise.all(candidates.map((c, i) => checkedPublicJwk(c, i, algorithms)));
}

async function pemToJwk(pem: string): Promise<JWK> {
  for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    try {
      return await exportJWK(await importSPKI(pem, alg, { extractable: true }));
    } catch {
      // not this key type; try the next
    }
  }
  throw invalid('The PEM is not an RSA, EC (P-256, P-384, P-521) or Ed25519 public key');
}

async function checkedPublicJwk(value: unknown, index: number, algorithms: string[]): Promise<JWK> {
  const which = `Key ${index + 1}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${which} is not a JWK object`);
  const jwk = value as JWK;
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in jwk)) {
    throw invalid(`${which} holds private or secret key material: give only the public key`);
  }
  const family = algorithmsFor(jwk);
  if (family.length === 0) throw invalid(`${which} is not an RSA, EC (P-256, P-384, P-521) or Ed25519 public key`);
  const usable = jwk.alg !== undefined ? (family.includes(jwk.alg) && algorithms.includes(jwk.alg) ? [jwk.alg] : []) : family.filter((a) => algorithms.includes(a));
  if (usable.length === 0) throw invalid(`${which} (${jwk.alg ?? jwk.kty}) cannot verify any allowed algorithm (${algorithms.join(', ')})`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw invalid(`${which} is for "${jwk.use}", not signatures`);
  const { kty, crv, x, y, n, e, kid, alg } = jwk;
  const clean = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e, kid, alg, use: 'sig' }).filter(([, v]) => v !== undefined)) as JWK;
  try {
    await importJWK(clean, usable[0]);
  } catch (error) {
    throw invalid(`${which} cannot be used: ${(error as Error).message}`);
  }
  return clean;
}

function algorithmsFor(jwk: JWK): string[] {
  if (jwk.kty === 'RSA') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  if (jwk.kty === 'EC') return { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] }[jwk.crv ?? ''] ?? [];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  return [];
}

function issuerInfo(row: TrustedIssuer, tenant: string): IssuerInfo {
  return {
    id: row.id,
    tenant,
    issuer: row.issuer,
    jwksUri: row.jwksUri,
    inlineKeys: row.jwks?.keys.length ?? 0,
    audience: row.audience,
    algorithms: row.algorithms,
    scopeClaim: row.scopeClaim,
    tenantClaim: row.tenantClaim,
    tenantClaimValue: row.tenantClaimValue,
    createdAt: row.createdAt.toISOString(),
  };
}

function randomBase32(length: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => base32[b & 31]).join('');
}

function invalid(message: string): AppError {
  return new AppError('invalid', message);
}
