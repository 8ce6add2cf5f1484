import { eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { apiKeys, tenants } from '../db/schema.ts';
import { constantTimeEqual, type HashSecret, hashSecret, parseApiKey } from './api-key.ts';
import type { AuthResult } from './caller.ts';
import { TtlCache } from './ttl-cache.ts';

interface KeyRecord {
  keyId: string;
  keyName: string;
  keyScopes: string[];
  secretHash: string;
  expiresAt: number | null;
  revokedAt: number | null;
  tenantId: string;
  tenantSlug: string;
  tenantStatus: 'active' | 'suspended';
  tenantScopes: string[];
}

// Compared against when the key id is unknown, so that path costs the same as a wrong secret.
const DUMMY_HASH = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Options for {@link ApiKeyVerifier}. */
export interface ApiKeyVerifierOptions {
  /** How long a looked-up key (with its tenant's status and scopes) is reused; 0 disables caching. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
  /**
   * Digests a presented secret; default Web Crypto. Node's Web Crypto digest is a thread-pool job
   * costing tens of microseconds per call, so the Node entry passes node:crypto's instead.
   */
  hashSecret?: HashSecret;
}

/**
 * Verifies `tmcp_` API keys against the database. Lookups are cached for a short, bounded time,
 * so revocation, suspension and scope changes take effect within `ttlMs`.
 */
export class ApiKeyVerifier {
  readonly #db: Database;
  readonly #cache: TtlCache<string, KeyRecord | null>;
  readonly #now: () => number;
  readonly #hashSecret: HashSecret;

  constructor(db: Database, options: ApiKeyVerifierOptions) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#hashSecret = options.hashSecret ?? hashSecret;
    this.#cache = new TtlCache({ ttlMs: options.ttlMs, maxEntries: options.maxEntries, now: this.#now });
  }

  /** Verifies a presented token. Never throws for a bad token; database failures do throw. */
  async verify(token: string): Promise<AuthResult> {
    const parsed = parseApiKey(token);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const record = await this.#lookup(parsed.id);
    const presented = await this.#hashSecret(parsed.secret);
    const matches = constantTimeEqual(presented, record?.secretHash ?? DUMMY_HASH);
    if (!record) return { ok: false, reason: 'unknown' };
    const refused = { tenantId: record.tenantId, keyId: record.keyId };
    if (!matches) return { ok: false, reason: 'bad_secret', ...refused };
    if (record.revokedAt !== null) return { ok: false, reason: 'revoked', ...refused };
    if (record.expiresAt !== null && record.expiresAt <= this.#now()) return { ok: false, reason: 'expired', ...refused };
    if (record.tenantStatus !== 'active') return { ok: false, reason: 'suspended', ...refused };
    return {
      ok: true,
      caller: {
        tenantId: record.tenantId,
        tenantSlug: record.tenantSlug,
        keyId: record.keyId,
        keyName: record.keyName,
        subject: null,
        tenantScopes: record.tenantScopes,
        credentialScopes: record.keyScopes,
      },
    };
  }

  async #lookup(keyId: string): Promise<KeyRecord | null> {
    const cached = this.#cache.get(keyId);
    if (cached !== undefined) return cached;
    const [row] = await this.#db
      .select({
        keyId: apiKeys.id,
        keyName: apiKeys.name,
        keyScopes: apiKeys.scopes,
        secretHash: apiKeys.secretHash,
        expiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
        tenantId: tenants.id,
        tenantSlug: tenants.slug,
        tenantStatus: tenants.status,
        tenantScopes: tenants.scopes,
      })
      .from(apiKeys)
      .innerJoin(tenants, eq(apiKeys.tenantId, tenants.id))
      .where(eq(apiKeys.id, keyId))
      .limit(1);
    const record: KeyRecord | null = row
      ? { ...row, expiresAt: row.expiresAt?.getTime() ?? null, revokedAt: row.revokedAt?.getTime() ?? null }
      : null;
    this.#cache.set(keyId, record);
    return record;
  }
}
