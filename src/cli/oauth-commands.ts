import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { listClients, registerClient, removeClient } from '../oauth/client-store.ts';
import { type GrantFilter, listGrants, revokeGrant, revokeGrants } from '../oauth/grants.ts';
import { table } from './format.ts';

/** Help lines for the OAuth client and grant commands. */
export const oauthHelp = `  client register --name <name> --redirect-uri <uri>[,<uri>...] [--confidential] [--json]
                                                 pre-registers an OAuth client; a confidential one gets a secret, shown once
  client list [--json]
  client remove <client_id>                      also ends every grant the client holds
  grant list [--tenant <slug>] [--subject <sub>] [--client <client_id>] [--all] [--json]
  grant revoke (<grant id> | [--tenant <slug>] [--subject <sub>] [--client <client_id>])`;

/** The flags these commands add to the CLI's parser. */
export const oauthOptions = {
  'redirect-uri': { type: 'string' },
  confidential: { type: 'boolean' },
  client: { type: 'string' },
  all: { type: 'boolean' },
} as const;

interface OAuthFlags {
  name?: string;
  tenant?: string;
  subject?: string;
  json?: boolean;
  'redirect-uri'?: string;
  confidential?: boolean;
  client?: string;
  all?: boolean;
}

type OAuthCommand = (db: Database, args: string[], flags: OAuthFlags) => Promise<string>;

/** `client register|list|remove` and `grant list|revoke`. */
export const oauthCommands: Record<string, OAuthCommand> = {
  'client register': async (db, _args, flags) => {
    const redirectUris = need(flags['redirect-uri'], '--redirect-uri').split(',').map((u) => u.trim()).filter(Boolean);
    const client = await registerClient(db, { name: need(flags.name, '--name'), redirectUris, confidential: flags.confidential });
    if (flags.json) return JSON.stringify(client);
    const lines = [`Registered OAuth client ${client.clientId} (${client.name}) for ${client.redirectUris.join(', ')}.`];
    if (client.clientSecret) lines.push('Its secret, shown once (only a digest is stored):', '', `  ${client.clientSecret}`);
    return lines.join('\n');
  },

  'client list': async (db, _args, flags) => {
    const clients = await listClients(db);
    return flags.json ? JSON.stringify(clients) : table(clients, ['clientId', 'kind', 'name', 'redirectUris', 'confidential', 'createdAt']);
  },

  'client remove': async (db, [clientId]) => {
    await removeClient(db, need(clientId, '<client_id>'));
    return `Removed OAuth client ${clientId} and its grants.`;
  },

  'grant list': async (db, _args, flags) => {
    const grants = await listGrants(db, { ...filterOf(flags), includeRevoked: flags.all });
    return flags.json ? JSON.stringify(grants) : table(grants, ['id', 'tenant', 'clientId', 'subject', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt']);
  },

  'grant revoke': async (db, [id], flags) => {
    if (id !== undefined) {
      if (!(await revokeGrant(db, id, 'revoked by an operator'))) throw new AppError('not_found', `No live grant "${id}"`);
      return `Revoked grant ${id}.`;
    }
    const count = await revokeGrants(db, filterOf(flags));
    return `Revoked ${count} grant${count === 1 ? '' : 's'}.`;
  },
};

function filterOf(flags: OAuthFlags): GrantFilter {
  return { tenant: flags.tenant, subject: flags.subject, clientId: flags.client };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new AppError('invalid', `Missing ${what}`);
  return value;
}
