import { SignJWT } from 'jose';
import { uncovered } from '../auth/scopes.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { getTenant, scopeList } from './tenants.ts';

/** Minted tokens cannot be revoked one by one, so they stay short-lived. */
export const MAX_TOKEN_TTL_MS = 24 * 3_600_000;
const DEFAULT_TTL_MS = 15 * 60_000;

/** What minting a token takes. `issuer` and `audience` are the server's PUBLIC_URL and PUBLIC_URL + /mcp. */
export interface MintTokenInput {
  tenant: string;
  scopes: string | string[];
  subject?: string;
  ttlMs?: number;
  issuer: string;
  audience: string;
  now?: number;
  /** The OAuth client the token is issued to (`client_id` claim, RFC 9068), when there is one. */
  clientId?: string;
}

/** A minted token and what it says. */
export interface MintedToken {
  token: string;
  tenant: string;
  subject: string | null;
  scopes: string[];
  issuedAt: string;
  expiresAt: string;
  jti: string;
}

/**
 * Signs a JWT for a tenant with the server's key. The claims are documented in README.md, so a
 * SaaS backend holding the same key can mint identical tokens with any JWT library.
 */
export async function mintToken(db: Database, key: SigningKey, input: MintTokenInput): Promise<MintedToken> {
  const tenant = await getTenant(db, input.tenant);
  if (tenant.status !== 'active') throw new AppError('invalid', `Tenant "${tenant.slug}" is suspended: its tokens would be refused`);
  const scopes = scopeList(input.scopes);
  if (scopes.length === 0) throw new AppError('invalid', 'A token needs at least one scope');
  const outside = uncovered(tenant.scopes, scopes);
  if (outside.length > 0) {
    throw new AppError('invalid', `Scope ${outside.join(', ')} is not allowed for tenant "${tenant.slug}" (allowed: ${tenant.scopes.join(', ') || 'none'})`);
  }
  const ttlMs = input.ttlMs ?? DEFAULT_TTL_MS;
  if (ttlMs > MAX_TOKEN_TTL_MS) throw new AppError('invalid', 'A token lives at most 24h: mint a fresh one instead of a long-lived one');
  const subject = input.subject;
  if (subject !== undefined && (subject === '' || subject.length > 256)) throw new AppError('invalid', 'The subject must be 1-256 characters');

  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  const expiresAt = issuedAt + Math.ceil(ttlMs / 1000);
  const jti = crypto.randomUUID();
  const jwt = new SignJWT({ tenant: tenant.slug, scope: scopes.join(' '), ...(input.clientId !== undefined ? { client_id: input.clientId } : {}) })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(jti);
  if (subject !== undefined) jwt.setSubject(subject);
  return {
    token: await jwt.sign(key.privateKey),
    tenant: tenant.slug,
    subject: subject ?? null,
    scopes,
    issuedAt: new Date(issuedAt * 1000).toISOString(),
    expiresAt: new Date(expiresAt * 1000).toISOString(),
    jti,
  };
}
