import type { AuthResult } from '../auth/caller.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Database } from '../db/database.ts';
import type { ToolCatalog } from '../tools/index.ts';
import type { ClientDirectory } from './client-directory.ts';
import type { PendingRequests } from './pending-requests.ts';

/** What the authorization server's endpoints share. */
export interface OAuthContext {
  db: Database;
  /** The issuer: PUBLIC_URL. */
  issuer: string;
  /** The only resource tokens are issued for: PUBLIC_URL + /mcp. */
  resource: string;
  /** The tools on offer, whose scopes the consent page offers. */
  catalog: ToolCatalog;
  clients: ClientDirectory;
  pending: PendingRequests;
  signingKey: Promise<SigningKey | undefined>;
  verifyApiKey: (key: string) => Promise<AuthResult>;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  now: () => number;
}
