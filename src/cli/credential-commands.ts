import { readFileSync } from 'node:fs';
import { loadSigningKey } from '../auth/signing-key.ts';
import { type Config, publicUrl, resourceUrl } from '../config.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { parseDuration } from '../services/duration.ts';
import { addIssuer, type IssuerInfo, listIssuers, removeIssuer } from '../services/issuers.ts';
import { mintToken } from '../services/tokens.ts';
import { table } from './format.ts';

/** Help lines for the issuer and token commands. */
export const credentialHelp = `  issuer add --tenant <slug> --issuer <iss> (--jwks-uri <url> | --jwk-file <file>)
             [--audience <aud>] [--algorithms <list>] [--scope-claim <name>]
             [--tenant-claim <name> --tenant-claim-value <value>] [--json]
  issuer list [--tenant <slug>] [--json]
  issuer remove <id>
  token mint --tenant <slug> --scopes <list> [--subject <id>] [--ttl 15m] [--json]
                                                 needs TOKEN_SIGNING_KEY or TOKEN_SIGNING_KEY_FILE, and PUBLIC_URL`;

/** The flags these commands add to the CLI's parser. */
export const credentialOptions = {
  issuer: { type: 'string' },
  'jwks-uri': { type: 'string' },
  'jwk-file': { type: 'string' },
  audience: { type: 'string' },
  algorithms: { type: 'string' },
  'scope-claim': { type: 'string' },
  'tenant-claim': { type: 'string' },
  'tenant-claim-value': { type: 'string' },
  subject: { type: 'string' },
  ttl: { type: 'string' },
} as const;

interface CredentialFlags {
  tenant?: string;
  scopes?: string;
  json?: boolean;
  issuer?: string;
  'jwks-uri'?: string;
  'jwk-file'?: string;
  audience?: string;
  algorithms?: string;
  'scope-claim'?: string;
  'tenant-claim'?: string;
  'tenant-claim-value'?: string;
  subject?: string;
  ttl?: string;
}

type CredentialCommand = (db: Database, args: string[], flags: CredentialFlags, config: Config) => Promise<string>;

/** `issuer add|list|remove` and `token mint`. */
export const credentialCommands: Record<string, CredentialCommand> = {
  'issuer add': async (db, _args, flags, config) => {
    const file = flags['jwk-file'];
    const added = await addIssuer(db, {
      tenant: need(flags.tenant, '--tenant'),
      issuer: need(flags.issuer, '--issuer'),
      jwksUri: flags['jwks-uri'],
      publicKey: file === undefined ? undefined : readKeyFile(file),
      audience: flags.audience,
      algorithms: flags.algorithms,
      scopeClaim: flags['scope-claim'],
      tenantClaim: flags['tenant-claim'],
      tenantClaimValue: flags['tenant-claim-value'],
      reservedIssuer: publicUrl(config),
    });
    if (flags.json) return JSON.stringify(added);
    const keys = added.jwksUri ? `keys from ${added.jwksUri}` : `${added.inlineKeys} inline key${added.inlineKeys === 1 ? '' : 's'}`;
    const claim = added.tenantClaim ? `, when ${added.tenantClaim}=${added.tenantClaimValue}` : '';
    return `Tenant ${added.tenant} trusts issuer ${added.issuer} (id ${added.id}, ${keys}, audience ${added.audience ?? resourceUrl(config)}${claim}).`;
  },

  'issuer list': async (db, _args, flags, config) => {
    const issuers = await listIssuers(db, flags.tenant);
    if (flags.json) return JSON.stringify(issuers);
    const rows = issuers.map((i) => ({ ...i, keys: keysOf(i), audience: i.audience ?? `(default) ${resourceUrl(config)}`, tenantClaim: i.tenantClaim ? `${i.tenantClaim}=${i.tenantClaimValue}` : '' }));
    return table(rows, ['id', 'tenant', 'issuer', 'keys', 'audience', 'scopeClaim', 'tenantClaim', 'createdAt']);
  },

  'issuer remove': async (db, [id]) => {
    const removed = await removeIssuer(db, need(id, '<id>'));
    return `Removed issuer ${removed.issuer} (id ${removed.id}) from tenant ${removed.tenant}.`;
  },

  'token mint': async (db, _args, flags, config) => {
    if (!config.TOKEN_SIGNING_KEY) throw new AppError('invalid', 'Cannot mint tokens: set TOKEN_SIGNING_KEY or TOKEN_SIGNING_KEY_FILE to the server\'s private key');
    const key = await loadSigningKey(config.TOKEN_SIGNING_KEY).catch((error: Error) => {
      throw new AppError('invalid', error.message);
    });
    const minted = await mintToken(db, key, {
      tenant: need(flags.tenant, '--tenant'),
      scopes: need(flags.scopes, '--scopes'),
      subject: flags.subject,
      ttlMs: flags.ttl === undefined ? undefined : parseDuration(flags.ttl),
      issuer: publicUrl(config),
      audience: resourceUrl(config),
    });
    return flags.json ? JSON.stringify(minted) : minted.token;
  },
};

function keysOf(issuer: IssuerInfo): string {
  return issuer.jwksUri ?? `${issuer.inlineKeys} inline`;
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('invalid', `Cannot read --jwk-file ${file} (${(error as { code?: string }).code ?? 'error'})`);
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new AppError('invalid', `Missing ${what}`);
  return value;
}
