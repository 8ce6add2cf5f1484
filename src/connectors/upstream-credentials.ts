import { and, eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import type { Caller } from '../auth/caller.ts';
import { IDENTITY_TOKEN_TYPE, type SigningKey } from '../auth/signing-key.ts';
import { TtlCache } from '../auth/ttl-cache.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { type Connector, connectorSecrets } from '../db/schema.ts';

/** What the credentials need to know of the server. */
export interface UpstreamCredentialsOptions {
  /** The `iss` of identity JWTs: this server's public URL, whose JWKS the upstream verifies them with. */
  issuer: string;
  signingKey: Promise<SigningKey | undefined>;
  secretBox: Promise<SecretBox> | undefined;
  identityTtlSeconds: number;
  /** How long an instance keeps a tenant's sealed secret before reading it again. */
  secretTtlMs: number;
  maxEntries: number;
}

/** Why a call cannot be given its credentials: an error result the caller (the model) can read. */
export class MissingUpstreamCredential extends Error {}

/** The AES-GCM context a tenant's connector secret is sealed under: a sealed value moved to another row does not open. */
export function secretContext(connectorId: string, tenantId: string): string {
  return `connector-secret:${connectorId}:${tenantId}`;
}

/**
 * Builds the headers that tell an upstream who is calling, per the connector's credential mode.
 * The caller's own token is never passed through.
 */
export class UpstreamCredentials {
  readonly #db: Database;
  readonly #options: UpstreamCredentialsOptions;
  // Sealed, as stored: an instance keeps no tenant secret in the clear between calls.
  readonly #sealed: TtlCache<string, string | null>;
  // Identity JWTs reused for half their life: signing costs CPU, and a legacy upstream keeps one session per distinct credential.
  readonly #identities: TtlCache<string, string>;

  constructor(db: Database, options: UpstreamCredentialsOptions) {
    this.#db = db;
    this.#options = options;
    this.#sealed = new TtlCache({ ttlMs: options.secretTtlMs, maxEntries: options.maxEntries });
    this.#identities = new TtlCache({ ttlMs: (options.identityTtlSeconds * 1000) / 2, maxEntries: options.maxEntries });
  }

  /** The headers for one call of `tool` (the upstream's own name for it) by `caller`. */
  async headersFor(connector: Connector, caller: Caller, tool: string): Promise<Record<string, string>> {
    if (connector.credential === 'none') return {};
    if (connector.credential === 'identity') return { Authorization: `Bearer ${await this.identityToken(connector, caller, tool)}` };
    const secret = await this.#tenantSecret(connector, caller.tenantId);
    return { [connector.secretHeader ?? 'Authorization']: secret };
  }

  /** The headers for listing an upstream's tools, on no tenant's behalf. */
  async listingHeaders(connector: Connector): Promise<Record<string, string>> {
    if (connector.credential === 'identity') {
      const token = await this.#sign(connector, { sub: 'tenant-mcp', scope: 'tools/list' });
      return { Authorization: `Bearer ${token}` };
    }
    if (connector.credential === 'secret' && connector.listSecret) {
      const box = await this.#box();
      return { [connector.secretHeader ?? 'Authorization']: await box.open(connector.listSecret, listSecretContext(connector.id)) };
    }
    return {};
  }

  /** A short-lived JWT naming the tenant, the end user (or key), their scopes and the tool, for the connector's audience. */
  async identityToken(connector: Connector, caller: Caller, tool: string): Promise<string> {
    const cacheKey = JSON.stringify([connector.id, connector.updatedAt.getTime(), caller.tenantId, caller.keyId, caller.subject, caller.clientId ?? null, caller.credentialScopes, tool]);
    const cached = this.#identities.get(cacheKey);
    if (cached) return cached;
    const claims: Record<string, unknown> = {
      sub: caller.subject ?? `key:${caller.keyId}`,
      tenant: caller.tenantSlug,
      tenant_id: caller.tenantId,
      scope: caller.credentialScopes.join(' '),
      tool,
      connector: connector.name,
    };
    if (caller.clientId) claims.client_id = caller.clientId;
    const token = await this.#sign(connector, claims);
    this.#identities.set(cacheKey, token);
    return token;
  }

  /** Forgets what this instance keeps of a tenant's secret (after it was set or removed here). */
  forget(connectorId: string, tenantId: string): void {
    this.#sealed.delete(`${connectorId} ${tenantId}`);
  }

  async #sign(connector: Connector, claims: Record<string, unknown>): Promise<string> {
    const key = await this.#options.signingKey;
    if (!key) throw new MissingUpstreamCredential('This connector sends an identity token, but the server has no TOKEN_SIGNING_KEY. Ask the operator.');
    const issuedAt = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: IDENTITY_TOKEN_TYPE })
      .setIssuer(this.#options.issuer)
      .setAudience(connector.audience ?? new URL(connector.url).origin)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.#options.identityTtlSeconds)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);
  }

  async #tenantSecret(connector: Connector, tenantId: string): Promise<string> {
    const cacheKey = `${connector.id} ${tenantId}`;
    let sealed = this.#sealed.get(cacheKey);
    if (sealed === undefined) {
      const [row] = await this.#db
        .select({ secret: connectorSecrets.secret })
        .from(connectorSecrets)
        .where(and(eq(connectorSecrets.connectorId, connector.id), eq(connectorSecrets.tenantId, tenantId)));
      sealed = row?.secret ?? null;
      this.#sealed.set(cacheKey, sealed);
    }
    if (sealed === null) {
      throw new MissingUpstreamCredential(`Your organisation has not set its credential for ${connector.name} yet. An administrator can set it in the customer portal.`);
    }
    const box = await this.#box();
    return box.open(sealed, secretContext(connector.id, tenantId));
  }

  async #box(): Promise<SecretBox> {
    if (!this.#options.secretBox) throw new MissingUpstreamCredential('This connector needs a stored secret, but the server has no SECRETS_ENCRYPTION_KEY. Ask the operator.');
    return this.#options.secretBox;
  }
}

/** The AES-GCM context of a connector's listing secret. */
export function listSecretContext(connectorId: string): string {
  return `connector-list-secret:${connectorId}`;
}
