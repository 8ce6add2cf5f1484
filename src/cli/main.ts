import { parseArgs } from 'node:util';
import { type Config, parseConfig, publicUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { migrateDatabase, openDatabase } from '../node/database.ts';
import { withGeneratedSigningKey } from '../node/generated-signing-key.ts';
import { withSigningKeyFile } from '../node/signing-key-file.ts';
import { connectionSnippets } from '../services/connection-snippets.ts';
import { parseDuration, parseSince } from '../services/duration.ts';
import { createKey, listKeys, revokeKey } from '../services/keys.ts';
import { type LimitInfo, listLimits, setLimits } from '../services/limits.ts';
import { csv } from '../services/csv.ts';
import { createTenant, listTenants, updateTenant } from '../services/tenants.ts';
import { exportUsage, type UsageExportFormat, usageColumns } from '../services/usage-export.ts';
import {
  aggregateUsage,
  listUsage,
  pruneUsage,
  type UsageAggregate,
  type UsageFilter,
  type UsageGrouping,
  usageGroupings,
} from '../services/usage.ts';
import type { Database } from '../db/database.ts';
import { connectorCommands, connectorHelp, connectorOptions } from './connector-commands.ts';
import { credentialCommands, credentialHelp, credentialOptions } from './credential-commands.ts';
import { oauthCommands, oauthHelp, oauthOptions } from './oauth-commands.ts';
import { table } from './format.ts';
import { signInCommands, signInHelp, signInOptions } from './sign-in-commands.ts';

const HELP = `Usage: tenant-mcp <command> [options]

Every command uses DATABASE_URL (default file:./data/tenant-mcp.db) and DATABASE_AUTH_TOKEN,
or DATABASE_SYNC_URL when set, and applies pending migrations first.

  migrate                                        apply database migrations
  tenant create <slug> --scopes <list> [--name <name>]
  tenant list [--json]
  tenant update <slug> [--scopes <list>] [--name <name>] [--suspend | --resume]
                       [--rate <n>/min|hour|day|none] [--quota <n>/month|none] [--tool <name>]
  tenant limits <slug> [--json]
  key create --tenant <slug> --scopes <list> [--name <name>] [--expires-in 30d] [--json]
  key list --tenant <slug> [--json]
  key update <id> [--rate <n>/min|hour|day|none] [--quota <n>/month|none] [--tool <name>]
  key revoke <id>
  usage [--tenant <slug>] [--tool <name>] [--since <time>] [--until <time>]
        [--format table|json|ndjson|csv]
  usage summary [--tenant <slug>] [--tool <name>] [--since <time>] [--until <time>]
                [--by tenant,key,tool,day] [--format table|json|csv]
  usage prune --older-than <duration, e.g. 90d>
${credentialHelp}
${oauthHelp}
${signInHelp}
${connectorHelp}

Scopes are comma separated patterns: math, notes:read, notes:*, *
Times are ISO dates (2026-01-31, 2026-01-31T12:00:00Z) or durations back from now (24h, 30d).
With --rate or --quota, --tool narrows the limit to one tool; every limit that matches a call applies.`;

const options = {
  scopes: { type: 'string' },
  name: { type: 'string' },
  tenant: { type: 'string' },
  'expires-in': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  format: { type: 'string' },
  rate: { type: 'string' },
  quota: { type: 'string' },
  tool: { type: 'string' },
  by: { type: 'string' },
  'older-than': { type: 'string' },
  json: { type: 'boolean' },
  suspend: { type: 'boolean' },
  resume: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...credentialOptions,
  ...oauthOptions,
  ...signInOptions,
  ...connectorOptions,
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];
/** A command's output: one text, or chunks streamed as they are produced (large exports). */
type Command = (db: Database, args: string[], flags: Flags, config: Config) => Promise<string | AsyncIterable<string>>;
const groups = ['tenant', 'key', 'issuer', 'token', 'client', 'grant', 'sign-in', 'secrets', 'connector'];
const usageSubcommands = ['summary', 'prune'];

const summaryColumns: (keyof UsageAggregate)[] = ['calls', 'ok', 'errors', 'denied', 'rateLimited', 'p50Ms', 'p95Ms', 'requestBytes', 'responseBytes'];
const groupColumns = { tenant: 'tenant', key: 'keyId', tool: 'tool', day: 'day' } as const;

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
    const limiting = flags.rate !== undefined || flags.quota !== undefined;
    if (flags.tool !== undefined && !limiting) throw new AppError('invalid', '--tool needs --rate or --quota');
    const updating = flags.scopes !== undefined || flags.name !== undefined || status !== undefined;
    if (!updating && !limiting) throw new AppError('invalid', 'Nothing to update: give --scopes, --name, --suspend, --resume, --rate or --quota');
    const lines: string[] = [];
    if (updating) {
      const tenant = await updateTenant(db, need(slug, '<slug>'), { scopes: flags.scopes, name: flags.name, status });
      if (flags.json && !limiting) return JSON.stringify(tenant);
      lines.push(`Updated tenant ${tenant.slug}: ${tenant.status}, scopes ${tenant.scopes.join(',') || '(none)'}.`);
    }
    if (limiting) {
      const limit = await setLimits(db, need(slug, '<slug>'), { tool: flags.tool, rate: flags.rate, quota: flags.quota });
      if (flags.json) return JSON.stringify(limit);
      lines.push(describeLimit(limit));
    }
    return lines.join('\n');
  },

  'tenant limits': async (db, [slug], flags) => {
    const limits = await listLimits(db, need(slug, '<slug>'));
    if (flags.json) return JSON.stringify(limits);
    if (limits.length === 0) return `Tenant ${slug} has no limits.`;
    const rows = limits.map((l) => ({ key: l.keyId ?? 'all keys', tool: l.tool ?? 'all tools', rate: l.rate ?? '-', quota: l.quota ?? '-' }));
    return table(rows, ['key', 'tool', 'rate', 'quota']);
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

  'key update': async (db, [id], flags) => {
    if (flags.rate === undefined && flags.quota === undefined) throw new AppError('invalid', 'Nothing to update: give --rate or --quota');
    const limit = await setLimits(db, undefined, { keyId: need(id, '<id>'), tool: flags.tool, rate: flags.rate, quota: flags.quota });
    return flags.json ? JSON.stringify(limit) : describeLimit(limit);
  },

  'key revoke': async (db, [id]) => {
    const revoked = await revokeKey(db, need(id, '<id>'));
    return `Revoked key ${revoked.id} at ${revoked.revokedAt}.`;
  },

  usage: async (db, _args, flags) => {
    const format = flags.format ?? 'table';
    if (!['table', 'json', 'ndjson', 'csv'].includes(format)) throw new AppError('invalid', `Unknown format "${format}": use table, json, ndjson or csv`);
    const filter = usageFilter(flags);
    if (format === 'table') return table((await listUsage(db, { ...filter, limit: 100_000 })).items, usageColumns.slice(0, 9));
    return exportUsage(db, filter, format as UsageExportFormat);
  },

  'usage summary': async (db, _args, flags) => {
    const format = flags.format ?? 'table';
    if (!['table', 'json', 'csv'].includes(format)) throw new AppError('invalid', `Unknown format "${format}": use table, json or csv`);
    const by = usageGrouping(flags.by ?? 'tenant,key,tool,day');
    const { items: rows } = await aggregateUsage(db, { ...usageFilter(flags), groupBy: by });
    if (format === 'json') return JSON.stringify(rows);
    const columns = [...by.map((g) => groupColumns[g]), ...summaryColumns];
    return format === 'csv' ? csv(rows, columns) : table(rows, columns);
  },

  'usage prune': async (db, _args, flags) => {
    const before = new Date(Date.now() - parseDuration(need(flags['older-than'], '--older-than')));
    const deleted = await pruneUsage(db, before);
    return `Deleted ${deleted} usage events from before ${before.toISOString()}.`;
  },

  ...credentialCommands,
  ...oauthCommands,
  ...signInCommands,
  ...connectorCommands,
};

function usageFilter(flags: Flags): UsageFilter {
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  const until = flags.until === undefined ? undefined : parseSince(flags.until);
  if (since && until && until <= since) throw new AppError('invalid', '--until must be later than --since');
  return { tenant: flags.tenant, tool: flags.tool, since, until };
}

/** Parses `--by`, a comma list of tenant, key, tool and day. */
function usageGrouping(input: string): UsageGrouping[] {
  const groups = input.split(',').map((g) => g.trim());
  const unknown = groups.filter((g) => !usageGroupings.includes(g as UsageGrouping));
  if (unknown.length > 0) throw new AppError('invalid', `Invalid grouping "${input}": use a comma list of ${usageGroupings.join(', ')}`);
  return groups as UsageGrouping[];
}

function describeLimit(limit: LimitInfo): string {
  const scope = [limit.keyId ? `key ${limit.keyId}` : undefined, limit.tool ? `tool ${limit.tool}` : undefined].filter(Boolean).join(', ');
  const what = `tenant ${limit.tenant}${scope ? ` (${scope})` : ''}`;
  if (limit.rate === null && limit.quota === null) return `Removed the limit for ${what}.`;
  return `Limit for ${what}: rate ${limit.rate ?? 'none'}, quota ${limit.quota ?? 'none'}.`;
}

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
  const grouped = groups.includes(group) || (group === 'usage' && usageSubcommands.includes(sub ?? ''));
  const name = grouped ? `${group} ${sub ?? ''}`.trim() : group;
  const command = commands[name];
  const args = grouped ? rest : [sub, ...rest].filter((a): a is string => a !== undefined);
  if (!command) {
    console.error(`tenant-mcp: unknown command "${name}"\nRun "tenant-mcp --help" for usage.`);
    return 2;
  }
  let database;
  try {
    // `token mint` signs with the key `npm start` generated, when no key is configured.
    const config = parseConfig(await withGeneratedSigningKey(withSigningKeyFile(env), console.error, { generate: false }));
    // With an embedded replica configured, administer the server it replicates, never the replica's file.
    database = await openDatabase(config.DATABASE_SYNC_URL ?? config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
    await migrateDatabase(database.db);
    const output = await command(database.db, args, flags, config);
    if (typeof output === 'string') console.info(output);
    else for await (const chunk of output) await write(chunk);
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

/** Writes to stdout, waiting when the pipe is full, so a large export streams in bounded memory. */
function write(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
