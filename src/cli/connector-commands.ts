import { readFileSync } from 'node:fs';
import { loadSigningKey } from '../auth/signing-key.ts';
import type { Config } from '../config.ts';
import { connectorEnv } from '../connectors/connector-env.ts';
import type { OpenApiSelection } from '../connectors/openapi/operation-tool.ts';
import { lazyOpenApiCompiler } from '../connectors/openapi/lazy-openapi-compiler.ts';
import { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import type { ConnectorCredential } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { resolveHost } from '../node/resolve-host.ts';
import {
  addConnector,
  type ConnectorEnv,
  type ConnectorInfo,
  getConnector,
  listConnectors,
  refreshConnector,
  removeConnector,
  removeConnectorSecret,
  setConnectorSecret,
} from '../services/connectors.ts';
import { parseDuration } from '../services/duration.ts';
import { allTools } from '../tools/index.ts';
import { table } from './format.ts';

/** Help lines for the connector commands. */
export const connectorHelp = `  connector add <name> --openapi <file or https URL> [--url <base URL>]
                [--include <list>] [--exclude <list>]
                --credential identity|secret|none [--secret-header <name>] [--audience <aud>]
                [--tool-scope <tool>=<scope,...>]... [--json]
  connector add <name> --mcp <https URL> --credential identity|secret|none [--tools-ttl 5m]
                [--secret-header <name>] [--list-secret-file <file>] [--audience <aud>]
                [--tool-scope <tool>=<scope,...>]... [--json]
  connector list [--json]
  connector show <name> [--json]
  connector refresh <name> [--openapi <file>] [--include <list>] [--exclude <list>] [--tool-scope ...]
  connector remove <name>
  connector secret set <name> --tenant <slug> --secret-file <file>   (- reads standard input)
  connector secret remove <name> --tenant <slug>
  (--include/--exclude: comma list of operationIds, tag:<tag> and path:</path or /prefix*>)`;

/** The flags these commands add to the CLI's parser (--tenant, --json and --name are shared). */
export const connectorOptions = {
  openapi: { type: 'string' },
  mcp: { type: 'string' },
  url: { type: 'string' },
  include: { type: 'string' },
  exclude: { type: 'string' },
  credential: { type: 'string' },
  'secret-header': { type: 'string' },
  audience: { type: 'string' },
  'tool-scope': { type: 'string', multiple: true },
  'tools-ttl': { type: 'string' },
  'list-secret-file': { type: 'string' },
  'secret-file': { type: 'string' },
} as const;

interface ConnectorFlags {
  tenant?: string;
  json?: boolean;
  openapi?: string;
  mcp?: string;
  url?: string;
  include?: string;
  exclude?: string;
  credential?: string;
  'secret-header'?: string;
  audience?: string;
  'tool-scope'?: string[];
  'tools-ttl'?: string;
  'list-secret-file'?: string;
  'secret-file'?: string;
}

type Command = (db: Database, args: string[], flags: ConnectorFlags, config: Config) => Promise<string>;

/** `connector add|list|show|refresh|remove|secret`. Secrets are read from a file or standard input, never from the command line, and never printed. */
export const connectorCommands: Record<string, Command> = {
  'connector add': async (db, [name], flags, config) => {
    if ((flags.openapi === undefined) === (flags.mcp === undefined)) throw invalid('Give either --openapi <document> or --mcp <URL>');
    const document = flags.openapi === undefined ? {} : documentSource(flags.openapi);
    const added = await addConnector(db, await env(db, config), {
      name: need(name, '<name>'),
      kind: flags.openapi !== undefined ? 'openapi' : 'mcp',
      url: flags.mcp ?? flags.url,
      ...document,
      selection: selection(flags),
      credential: need(flags.credential, '--credential (identity, secret or none)') as ConnectorCredential,
      secretHeader: flags['secret-header'],
      audience: flags.audience,
      toolScopes: toolScopes(flags['tool-scope']),
      toolsTtlSeconds: flags['tools-ttl'] === undefined ? undefined : Math.round(parseDuration(flags['tools-ttl']) / 1000),
      listSecret: flags['list-secret-file'] === undefined ? undefined : readSecret(flags['list-secret-file']),
    });
    return flags.json ? JSON.stringify(added) : `Added connector ${added.name}.\n${describe(added)}`;
  },

  'connector list': async (db, _args, flags) => {
    const all = await listConnectors(db);
    if (flags.json) return JSON.stringify(all);
    if (all.length === 0) return 'No connectors.';
    return table(all.map((c) => ({ ...c, tools: c.tools?.length ?? '(listed at run time)' })), ['name', 'kind', 'url', 'credential', 'tools', 'updatedAt']);
  },

  'connector show': async (db, [name], flags) => {
    const found = await getConnector(db, need(name, '<name>'));
    return flags.json ? JSON.stringify(found) : describe(found);
  },

  'connector refresh': async (db, [name], flags, config) => {
    if (flags.openapi !== undefined && /^https?:/.test(flags.openapi)) throw invalid('refresh reads a new document from a file; a document URL is read again by plain "connector refresh"');
    const refreshed = await refreshConnector(db, await env(db, config), need(name, '<name>'), {
      document: flags.openapi === undefined ? undefined : readFile(flags.openapi),
      selection: selection(flags),
      toolScopes: toolScopes(flags['tool-scope']),
    });
    return flags.json ? JSON.stringify(refreshed) : `Refreshed connector ${refreshed.name}; every instance uses it within CONNECTOR_CACHE_TTL_SECONDS.\n${describe(refreshed)}`;
  },

  'connector remove': async (db, [name]) => {
    const removed = await removeConnector(db, need(name, '<name>'));
    return `Removed connector ${removed.name} and ${removed.tenantSecrets} stored secret${removed.tenantSecrets === 1 ? '' : 's'}.`;
  },

  'connector secret': async (db, [action, name], flags, config) => {
    const tenant = need(flags.tenant, '--tenant');
    if (action === 'set') {
      const set = await setConnectorSecret(db, await env(db, config), need(name, '<name>'), tenant, readSecret(need(flags['secret-file'], '--secret-file')));
      return `Stored the secret of tenant ${set.tenant} for connector ${set.connector} (encrypted; it will not be shown again).`;
    }
    if (action === 'remove') {
      await removeConnectorSecret(db, await env(db, config), need(name, '<name>'), tenant);
      return `Removed the secret of tenant ${tenant} for connector ${name}.`;
    }
    throw invalid('Use "connector secret set" or "connector secret remove"');
  },
};

async function env(db: Database, config: Config): Promise<ConnectorEnv> {
  const signingKey = config.TOKEN_SIGNING_KEY ? loadSigningKey(config.TOKEN_SIGNING_KEY) : Promise.resolve(undefined);
  const secretBox = config.SECRETS_ENCRYPTION_KEY ? SecretBox.fromSettings(config.SECRETS_ENCRYPTION_KEY, config.SECRETS_ENCRYPTION_OLD_KEYS) : undefined;
  return connectorEnv(db, config, { signingKey, secretBox, resolveHost, builtIn: allTools, openApiCompiler: lazyOpenApiCompiler });
}

/** A document flag: an https (or allowed private http) URL is fetched by the service, anything else is a file. */
function documentSource(source: string): { document?: string; documentUrl?: string } {
  return /^https?:\/\//.test(source) ? { documentUrl: source } : { document: readFile(source) };
}

/** `--include`/`--exclude`: operationIds, `tag:<tag>` and `path:<path>`, comma separated. */
function selection(flags: ConnectorFlags): OpenApiSelection | undefined {
  const filter = (list: string | undefined) => {
    if (list === undefined) return undefined;
    const operationIds: string[] = [];
    const tags: string[] = [];
    const paths: string[] = [];
    for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (item.startsWith('tag:')) tags.push(item.slice(4));
      else if (item.startsWith('path:')) paths.push(item.slice(5));
      else operationIds.push(item);
    }
    return { ...(operationIds.length ? { operationIds } : {}), ...(tags.length ? { tags } : {}), ...(paths.length ? { paths } : {}) };
  };
  const include = filter(flags.include);
  const exclude = filter(flags.exclude);
  return include || exclude ? { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) } : undefined;
}

/** `--tool-scope petstore_deletePet=petstore:admin,audit` (repeatable). */
function toolScopes(entries: string[] | undefined): Record<string, string[]> | undefined {
  if (!entries) return undefined;
  const result: Record<string, string[]> = {};
  for (const entry of entries) {
    const [tool, scopes] = entry.split('=');
    if (!tool || !scopes) throw invalid(`Invalid --tool-scope "${entry}": use <tool>=<scope,...>`);
    result[tool] = scopes.split(',').map((s) => s.trim()).filter(Boolean);
  }
  return result;
}

function describe(c: ConnectorInfo): string {
  const lines = [
    `  kind ${c.kind}, upstream ${c.url}${c.documentUrl ? `, document ${c.documentUrl}` : ''}`,
    `  credential ${c.credential}${c.secretHeader ? ` in header ${c.secretHeader} (${c.tenantSecrets} tenant secret${c.tenantSecrets === 1 ? '' : 's'} stored)` : ''}${c.audience ? `, audience ${c.audience}` : ''}`,
  ];
  if (c.tools) lines.push(`  tools (${c.tools.length}):`, ...c.tools.map((t) => `    ${t.name}  ${t.scopes.join(',')}${t.readOnly ? '  read-only' : ''}`));
  else lines.push(`  tools: listed from the upstream every ${c.toolsTtlSeconds} s; each needs ${c.name}:read (read-only) or ${c.name}:write unless set with --tool-scope`);
  return lines.join('\n');
}

function readFile(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw invalid(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

function readSecret(path: string): string {
  return readFile(path).replace(/\r?\n$/, '');
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw invalid(`Missing ${what}`);
  return value;
}

function invalid(message: string): AppError {
  return new AppError('invalid', message);
}
