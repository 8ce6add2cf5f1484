import { parseArgs } from 'node:util';
import { type Config, parseConfig, publicUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { migrateDatabase, openDatabase } from '../node/database.ts';
import { withSigningKeyFile } from '../node/signing-key-file.ts';
import { connectionSnippets } from '../services/connection-snippets.ts';
import { parseDuration, parseSince } from '../services/duration.ts';
import { createKey, listKeys, revokeKey } from '../services/keys.ts';
import { createTenant, listTenants, updateTenant } from '../services/tenants.ts';
import { listUsage, type UsageRow } from '../services/usage.ts';
import type { Database } from '../db/database.ts';
import { credentialCommands, credentialHelp, credentialOptions } from './credential-commands.ts';
import { csv, table } from './format.ts';

const HELP = `Usage: tenant-mcp <command> [options]

Every command uses DATABASE_URL (default file:./data/tenant-mcp.db) and DATABASE_AUTH_TOKEN,
or DATABASE_SYNC_URL when set, and applies pending migrations first.

  migrate                                        apply database migrations
  tenant create <slug> --scopes <list> [--name <name>]
  tenant list [--json]
  tenant update <slug> [--scopes <list>] [--name <name>] [--suspend | --resume]
  key create --tenant <slug> --scopes <list> [--name <name>] [--expires-in 30d] [--json]
  key list --tenant <slug> [--json]
  key revoke <id>
  usage [--tenant <slug>] [--since <ISO date | 24h>] [--format table|json|csv]
${credentialHelp}

Scopes are comma separated patterns: math, notes:read, notes:*, *`;

const options = {
  scopes: { type: 'string' },
  name: { type: 'string' },
  tenant: { type: 'string' },
  'expires-in': { type: 'string' },
  since: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  suspend: { type: 'boolean' },
  resume: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...credentialOptions,
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];
type Command = (db: Database, args: string[], flags: Flags, config: Config) => Promise<string>;
const groups = ['tenant', 'key', 'issuer', 'token'];

const usageColumns: (keyof UsageRow)[] = ['at', 'tenant', 'keyId', 'subject', 'tool', 'outcome', 'durationMs', 'requestBytes', 'responseBytes', 'protocolVersion', 'userAgent'];

const commands: Record<string, Command> = {
  migrate: async () => 'Database is up to date.',

  'tenant create': async (db, [slug], flags) => {
    const tenant = await createTenant(db, { slug: need(slug, '<slug>'), name: flags.name, scopes: need(flags.scopes, '--scopes') });
    return flags.json ? JSON.stringify(tenant) : `Created tenant ${tenant.slug} with scopes ${tenant.scopes.join(',') || '(none)'}.`;
  },

  'tenant list': async (db, _args, flags) => {
    const { items: tenants } = await listTenants(db);
    if (flags.json) return JSON.stringify(tenants);
    return table(tenants.map((t) => ({ ...t, createdAt: t.createdAt.toISOString() })), ['slug', 'name', 'status', 'scopes', 'createdAt']);
  },

  'tenant update': async (db, [slug], flags) => {
    if (flags.suspend && flags.resume) throw new AppError('invalid', 'Use either --suspend or --resume, not both');
    const status = flags.suspend ? 'suspended' : flags.resume ? 'active' : undefined;
    const tenant = await updateTenant(db, need(slug, '<slug>'), { scopes: flags.scopes, name: flags.name, status });
    return flags.json ? JSON.stringify(tenant) : `Updated tenant ${tenant.slug}: ${tenant.status}, scopes ${tenant.scopes.join(',') || '(none)'}.`;
  },

  'key create': async (db, _args, flags, config) => {
    const expiresInMs = flags['expires-in'] === undefined ? undefined : parseDuration(flags['expires-in']);
    const key = await createKey(db, { tenant: need(flags.tenant, '--tenant'), scopes: need(flags.scopes, '--scopes'), name: flags.name, expiresInMs });
    if (flags.json) return JSON.stringify({ ...key, snippets: connectionSnippets(publicUrl(config), key.key) });
    return [
      `Created key ${key.id} for tenant ${key.tenant} with scopes ${key.scopes.join(',')}${key.expiresAt ? `, expiring ${key.expiresAt}` : ''}.`,
      'Copy it now; it is not stored and cannot be shown again:',
      '',
      `  ${key.key}`,
    ].join('\n');
  },

  'key list': async (db, _args, flags) => {
    const { items: keys } = await listKeys(db, need(flags.tenant, '--tenant'));
    return flags.json ? JSON.stringify(keys) : table(keys, ['id', 'name', 'scopes', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt']);
  },

  'key revoke': async (db, [id]) => {
    const revoked = await revokeKey(db, need(id, '<id>'));
    return `Revoked key ${revoked.id} at ${revoked.revokedAt}.`;
  },

  usage: async (db, _args, flags) => {
    const format = flags.format ?? 'table';
    if (!['table', 'json', 'csv'].includes(format)) throw new AppError('invalid', `Unknown format "${format}": use table, json or csv`);
    const since = flags.since === undefined ? undefined : parseSince(flags.since);
    const { items: rows } = await listUsage(db, { tenant: flags.tenant, since, limit: 100_000 });
    if (format === 'json') return JSON.stringify(rows);
    if (format === 'csv') return csv(rows, usageColumns);
    return table(rows, usageColumns.slice(0, 9));
  },

  ...credentialCommands,
};

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new AppError('invalid', `Missing ${what}`);
  return value;
}

/** Runs the CLI with the given arguments and environment; returns the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`tenant-mcp: ${(error as Error).message}\nRun "tenant-mcp --help" for usage.`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  const [group, sub, ...rest] = positionals;
  if (flags.help || group === undefined || group === 'help') {
    console.info(HELP);
    return 0;
  }
  const grouped = groups.includes(group);
  const name = grouped ? `${group} ${sub ?? ''}`.trim() : group;
  const command = commands[name];
  const args = grouped ? rest : [sub, ...rest].filter((a): a is string => a !== undefined);
  if (!command) {
    console.error(`tenant-mcp: unknown command "${name}"\nRun "tenant-mcp --help" for usage.`);
    return 2;
  }
  let database;
  try {
    const config = parseConfig(withSigningKeyFile(env));
    // With an embedded replica configured, administer the server it replicates, never the replica's file.
    database = await openDatabase(config.DATABASE_SYNC_URL ?? config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
    await migrateDatabase(database.db);
    console.info(await command(database.db, args, flags, config));
    return 0;
  } catch (error) {
    const expected = error instanceof Error && (error instanceof AppError || /^(Invalid configuration|Cannot open database)/.test(error.message));
    const message = expected ? error.message : `unexpected error: ${describe(error)}`;
    console.error(`tenant-mcp: ${message}`);
    return 1;
  } finally {
    database?.close();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
