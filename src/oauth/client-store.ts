import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { hashSecret } from '../auth/api-key.ts';
import type { Database } from '../db/database.ts';
import { type OAuthClient, type OAuthClientKind, oauthClients } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { randomToken } from './random-token.ts';
import { redirectUriProblem } from './redirect-uri.ts';

/** A client as the CLI and admin API show it; never its secret. */
export interface ClientInfo {
  clientId: string;
  kind: OAuthClientKind;
  name: string;
  redirectUris: string[];
  clientUri: string | null;
  confidential: boolean;
  createdAt: string;
}

/** A freshly registered client; `clientSecret` is shown once and stored only as a digest. */
export interface RegisteredClient extends ClientInfo {
  clientSecret?: string;
}

/** What registering a client takes. `confidential` clients get a secret (client_secret_basic or _post). */
export interface ClientRegistration {
  name: string;
  redirectUris: string[];
  clientUri?: string;
  confidential?: boolean;
  kind?: Exclude<OAuthClientKind, 'metadata_document'>;
}

/** The RFC 7591 metadata fields this server reads; everything else a client sends is ignored. */
export const clientMetadataSchema = z.object({
  redirect_uris: z.array(z.string()).min(1, 'give at least one redirect URI').max(20),
  client_name: z.string().trim().min(1).max(100).optional(),
  client_uri: z.url().max(2000).optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).default('none'),
  grant_types: z.array(z.string()).default(['authorization_code']),
  response_types: z.array(z.string()).default(['code']),
  scope: z.string().max(1000).optional(),
});

/** Registers a client; throws `invalid` naming the first unusable redirect URI. */
export async function registerClient(db: Database, input: ClientRegistration): Promise<RegisteredClient> {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw new AppError('invalid', 'A client name must be 1-100 characters');
  checkRedirectUris(input.redirectUris);
  const clientSecret = input.confidential ? randomToken('tmcs_') : undefined;
  const [row] = await db
    .insert(oauthClients)
    .values({
      id: randomToken('tmcc_', 16),
      kind: input.kind ?? 'registered',
      name,
      redirectUris: [...new Set(input.redirectUris)],
      clientUri: input.clientUri ?? null,
      secretHash: clientSecret ? await hashSecret(clientSecret) : null,
    })
    .returning();
  return { ...clientInfo(row!), ...(clientSecret ? { clientSecret } : {}) };
}

/** Throws `invalid` when a redirect URI cannot be registered. */
function checkRedirectUris(uris: readonly string[]): void {
  if (uris.length === 0) throw new AppError('invalid', 'A client needs at least one redirect URI');
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new AppError('invalid', `Redirect URI ${JSON.stringify(uri.slice(0, 200))} ${problem}`);
  }
}

/** Lists every client, pre-registered, registered by itself, or fetched from a metadata document. */
export async function listClients(db: Database): Promise<ClientInfo[]> {
  const rows = await db.select().from(oauthClients).orderBy(asc(oauthClients.createdAt), asc(oauthClients.id));
  return rows.map(clientInfo);
}

/** Removes a client with every grant, code and token it holds; throws not_found. */
export async function removeClient(db: Database, clientId: string): Promise<void> {
  const removed = await db.delete(oauthClients).where(eq(oauthClients.id, clientId)).returning({ id: oauthClients.id });
  if (removed.length === 0) throw new AppError('not_found', `No OAuth client "${clientId}"`);
}

/** A client row as shown to operators. */
function clientInfo(row: OAuthClient): ClientInfo {
  return {
    clientId: row.id,
    kind: row.kind,
    name: row.name,
    redirectUris: row.redirectUris,
    clientUri: row.clientUri,
    confidential: row.secretHash !== null,
    createdAt: row.createdAt.toISOString(),
  };
}
