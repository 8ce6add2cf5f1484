import { eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { type OAuthClient, oauthClients } from '../db/schema.ts';
import { fetchClientMetadata, isMetadataDocumentUrl, type MetadataFetchOptions } from './client-metadata-document.ts';

/** The outcome of looking a client up: the client, or why it cannot be used (shown to the user, never redirected). */
export type ClientLookup = { ok: true; client: OAuthClient } | { ok: false; reason: string };

const MIN_CACHE_SECONDS = 60;
const DEFAULT_CACHE_SECONDS = 3600;
const MAX_CACHE_SECONDS = 86_400;

/**
 * Finds OAuth clients by `client_id`: registered ones in the database, metadata-document ones
 * (an https URL) fetched on first use and cached in the database for their Cache-Control max-age
 * (1 minute to 1 day, default 1 hour).
 */
export class ClientDirectory {
  readonly #db: Database;
  readonly #fetchOptions: MetadataFetchOptions;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<ClientLookup>>();

  constructor(db: Database, fetchOptions: MetadataFetchOptions, now: () => number = Date.now) {
    this.#db = db;
    this.#fetchOptions = fetchOptions;
    this.#now = now;
  }

  /** Looks up a client; metadata documents are fetched when absent or stale. Database failures throw. */
  async find(clientId: string): Promise<ClientLookup> {
    if (clientId === '' || clientId.length > 2000) return { ok: false, reason: 'The client_id is missing or too long.' };
    const [row] = await this.#db.select().from(oauthClients).where(eq(oauthClients.id, clientId)).limit(1);
    if (!isMetadataDocumentUrl(clientId)) return row ? { ok: true, client: row } : { ok: false, reason: 'No client is registered with this client_id.' };
    if (row && row.kind !== 'metadata_document') return { ok: true, client: row };
    if (row?.expiresAt && row.expiresAt.getTime() > this.#now()) return { ok: true, client: row };
    let pending = this.#inFlight.get(clientId);
    if (!pending) {
      pending = this.#refresh(clientId).finally(() => this.#inFlight.delete(clientId));
      this.#inFlight.set(clientId, pending);
    }
    return pending;
  }

  async #refresh(clientId: string): Promise<ClientLookup> {
    let metadata;
    try {
      metadata = await fetchClientMetadata(clientId, this.#fetchOptions);
    } catch (error) {
      return { ok: false, reason: `The client's metadata document cannot be used: ${(error as Error).message}.` };
    }
    const seconds = Math.min(MAX_CACHE_SECONDS, Math.max(MIN_CACHE_SECONDS, metadata.maxAgeSeconds ?? DEFAULT_CACHE_SECONDS));
    const values = {
      name: metadata.name,
      redirectUris: metadata.redirectUris,
      clientUri: metadata.clientUri,
      expiresAt: new Date(this.#now() + seconds * 1000),
    };
    const [row] = await this.#db
      .insert(oauthClients)
      .values({ id: clientId, kind: 'metadata_document', secretHash: null, ...values })
      .onConflictDoUpdate({ target: oauthClients.id, set: values })
      .returning();
    return { ok: true, client: row! };
  }
}
