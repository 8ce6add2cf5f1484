import { constantTimeEqual, hashSecret } from '../auth/api-key.ts';
import type { OAuthClient } from '../db/schema.ts';
import type { ClientDirectory } from './client-directory.ts';
import { OAuthError } from './oauth-error.ts';

/**
 * Identifies the client at the token and revocation endpoints (RFC 6749 section 2.3): public
 * clients by `client_id` alone; confidential ones by HTTP Basic or `client_secret` in the form.
 */
export async function authenticateClient(
  clients: ClientDirectory,
  authorization: string | undefined,
  form: Record<string, unknown>,
): Promise<OAuthClient> {
  let clientId = typeof form.client_id === 'string' ? form.client_id : undefined;
  let secret = typeof form.client_secret === 'string' ? form.client_secret : undefined;
  if (authorization?.startsWith('Basic ')) {
    const decoded = decodeBasic(authorization.slice(6).trim());
    if (!decoded) throw new OAuthError('invalid_client', 'The Authorization header is not valid HTTP Basic.');
    if (clientId !== undefined && clientId !== decoded.id) throw new OAuthError('invalid_client', 'client_id differs from the Basic credentials.');
    if (secret !== undefined) throw new OAuthError('invalid_request', 'Send the client secret one way, not two.');
    clientId = decoded.id;
    secret = decoded.secret;
  }
  if (!clientId) throw new OAuthError('invalid_client', 'The request names no client (client_id).');
  const lookup = await clients.find(clientId);
  if (!lookup.ok) throw new OAuthError('invalid_client', lookup.reason);
  const client = lookup.client;
  if (client.secretHash === null) {
    if (secret !== undefined) throw new OAuthError('invalid_client', 'This client is public: it has no secret to send.');
    return client;
  }
  if (secret === undefined || !constantTimeEqual(await hashSecret(secret), client.secretHash)) {
    throw new OAuthError('invalid_client', 'The client secret is missing or wrong.');
  }
  return client;
}

function decodeBasic(value: string): { id: string; secret: string } | undefined {
  let text: string;
  try {
    text = atob(value);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 section 2.3.1: both parts are form-urlencoded before encoding.
  try {
    return { id: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return undefined;
  }
}
