import { and, asc, count, eq } from 'drizzle-orm';
import { listUpstreamTools, type UpstreamToolList } from '../connectors/mcp/list-upstream-tools.ts';
import { OpenApiError } from '../connectors/openapi/openapi-error.ts';
import type { OpenApiCompiler } from '../connectors/openapi/openapi-compiler.ts';
import type { CompiledOpenApi, OpenApiSelection, OperationTool } from '../connectors/openapi/operation-tool.ts';
import { defaultToolScopes } from '../connectors/tool-scopes.ts';
import { listSecretContext, secretContext, type UpstreamCredentials } from '../connectors/upstream-credentials.ts';
import { checkedUpstreamUrl, type UpstreamFetch } from '../connectors/upstream-fetch.ts';
import type { OutboundHostRules } from '../http/outbound-host.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { type Connector, type ConnectorCredential, type ConnectorKind, connectorCredentials, connectorSecrets, connectors } from '../db/schema.ts';
import { AppError, describeError } from '../errors.ts';
import { RESERVED_SCOPE_PREFIX } from '../auth/tenant-admin.ts';
import { getTenant } from './tenants.ts';

/** A connector as operators see it: never a secret. */
export interface ConnectorInfo {
  id: string;
  name: string;
  kind: ConnectorKind;
  url: string;
  documentUrl: string | null;
  selection: OpenApiSelection | null;
  credential: ConnectorCredential;
  secretHeader: string | null;
  audience: string | null;
  toolsTtlSeconds: number;
  toolScopes: Record<string, string[]>;
  /** The tools it offers and the scopes each needs: an OpenAPI connector's as compiled, an MCP one's as last listed here (null when not listed). */
  tools: { name: string; readOnly: boolean; scopes: string[] }[] | null;
  /** How many tenants have stored their secret (`secret` connectors). */
  tenantSecrets: number;
  createdAt: string;
  updatedAt: string;
}

/** What adding a connector takes. An OpenAPI connector needs `document` or `documentUrl`; an MCP one needs `url`. */
export interface AddConnectorInput {
  name: string;
  kind: ConnectorKind;
  /** MCP: the Streamable HTTP endpoint. OpenAPI: the base URL calls go to; default the document's first server. */
  url?: string;
  /** OpenAPI: the document as text (JSON or YAML). */
  document?: string;
  /** OpenAPI: where to fetch the document (and fetch it again on refresh). */
  documentUrl?: string;
  selection?: OpenApiSelection;
  credential: ConnectorCredential;
  secretHeader?: string;
  audience?: string;
  /** Scopes per full tool name (`<connector>_<tool>`), replacing `<connector>:read` / `<connector>:write`. */
  toolScopes?: Record<string, string[]>;
  toolsTtlSeconds?: number;
  /** MCP with `secret`: the operator's secret for listing the upstream's tools. */
  listSecret?: string;
}

/** What refreshing may change: a new document (for an uploaded one), a new selection, new per-tool scopes. */
export type RefreshConnectorInput = Pick<AddConnectorInput, 'document' | 'selection' | 'toolScopes'>;

/** What the connector services need from the server. */
export interface ConnectorEnv {
  /** The safe fetch (https, public addresses, size limit) documents and upstreams are read with. */
  fetch: UpstreamFetch;
  rules: OutboundHostRules;
  credentials: UpstreamCredentials;
  secretBox?: Promise<SecretBox>;
  /** URLs an identity JWT may never be addressed to: this server's own (its tokens would fit /mcp). */
  reservedAudiences: readonly string[];
  /** Scopes of the built-in tools: a connector may not take over their prefixes. */
  builtInScopes: readonly string[];
  /** How long listing an upstream or fetching a document may take. */
  timeoutMs: number;
  /** Compiles OpenAPI documents; absent on Workers, where adding or refreshing one is refused. */
  compileOpenApi?: OpenApiCompiler;
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const SCOPE = /^[A-Za-z0-9_.:*-]{1,128}$/;
// Headers the HTTP layer or the proxy owns; a secret sent in one of them would be lost or misread.
const FORBIDDEN_SECRET_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'accept', 'mcp-protocol-version', 'mcp-session-id', 'mcp-method', 'mcp-name']);
const MAX_SECRET_CHARS = 8192;

/** Adds a connector; its tools reach every instance within CONNECTOR_CACHE_TTL_SECONDS. */
export async function addConnector(db: Database, env: ConnectorEnv, input: AddConnectorInput): Promise<ConnectorInfo> {
  const name = input.name;
  if (!NAME.test(name)) throw invalid(`Invalid connector name "${name}": use 1-32 lower-case letters, digits and hyphens, starting with a letter`);
  const taken = [...env.builtInScopes, RESERVED_SCOPE_PREFIX].find((s) => s === name || s.startsWith(`${name}:`));
  if (taken) throw invalid(`Connector name "${name}" would share scope ${taken} with a built-in tool; choose another name`);
  const [existing] = await db.select({ id: connectors.id }).from(connectors).where(eq(connectors.name, name)).limit(1);
  if (existing) throw new AppError('conflict', `Connector "${name}" exists; refresh or remove it`);
  if (!connectorCredentials.includes(input.credential)) throw invalid(`Unknown credential "${input.credential}": use identity, secret or none`);
  if (input.credential !== 'secret' && (input.secretHeader !== undefined || input.listSecret !== undefined)) throw invalid('A secret header or listing secret needs --credential secret');
  if (input.credential !== 'identity' && input.audience !== undefined) throw invalid('An audience needs --credential identity');
  const secretHeader = input.credential === 'secret' ? checkedSecretHeader(input.secretHeader ?? 'Authorization') : null;
  const toolsTtlSeconds = input.toolsTtlSeconds ?? 300;
  if (!Number.isInteger(toolsTtlSeconds) || toolsTtlSeconds < 10 || toolsTtlSeconds > 86_400) throw invalid('The tool list TTL must be 10-86400 seconds');
  if (input.kind !== 'mcp' && input.toolsTtlSeconds !== undefined) throw invalid('A tool list TTL applies to MCP connectors only');

  const id = `cn_${randomId()}`;
  let row: Connector = {
    id,
    name,
    kind: input.kind,
    url: '',
    documentUrl: null,
    selection: null,
    operations: null,
    credential: input.credential,
    secretHeader,
    audience: null,
    toolScopes: {},
    toolsTtlSeconds,
    listSecret: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  let toolNames: string[];
  if (input.kind === 'openapi') {
    if (input.listSecret !== undefined || input.toolsTtlSeconds !== undefined) throw invalid('Listing settings apply to MCP connectors only');
    const compiled = await compileDocument(env, input, name, secretHeader);
    row = { ...row, url: await upstreamUrl(env, compiled.url), documentUrl: input.documentUrl ?? null, selection: (input.selection ?? null) as Connector['selection'], operations: compiled.tools as unknown as Connector['operations'] };
    toolNames = compiled.tools.map((t) => t.name);
  } else if (input.kind === 'mcp') {
    if (input.document !== undefined || input.documentUrl !== undefined || input.selection !== undefined) throw invalid('A document and a selection apply to OpenAPI connectors only');
    if (input.url === undefined) throw invalid('An MCP connector needs the upstream URL (--url)');
    row = { ...row, url: await upstreamUrl(env, input.url) };
    if (input.credential === 'identity') row.audience = checkedAudience(env, input.audience ?? new URL(row.url).origin);
    if (input.listSecret !== undefined) row.listSecret = await (await box(env)).seal(checkedSecret(input.listSecret), listSecretContext(id));
    toolNames = (await listTools(env, row)).tools.map((t) => `${name}_${t.name}`);
  } else {
    throw invalid(`Unknown connector kind "${input.kind}": use openapi or mcp`);
  }
  if (input.credential === 'identity') row.audience ??= checkedAudience(env, input.audience ?? new URL(row.url).origin);
  row.toolScopes = checkedToolScopes(input.toolScopes ?? {}, toolNames, name);
  await db.insert(connectors).values(row);
  return getConnector(db, name);
}

/** Every connector, by name. */
export async function listConnectors(db: Database): Promise<ConnectorInfo[]> {
  const rows = await db.select().from(connectors).orderBy(asc(connectors.name));
  return Promise.all(rows.map((row) => info(db, row)));
}

/** One connector by name, or a not_found AppError. */
export async function getConnector(db: Database, name: string): Promise<ConnectorInfo> {
  return info(db, await connectorRow(db, name));
}

/**
 * Reads an OpenAPI connector's document again (from its URL, or the one given) and recompiles it,
 * or checks that an MCP connector's upstream still lists its tools. Either way every instance
 * rebuilds the connector's tools within CONNECTOR_CACHE_TTL_SECONDS.
 */
export async function refreshConnector(db: Database, env: ConnectorEnv, name: string, input: RefreshConnectorInput = {}): Promise<ConnectorInfo> {
  const row = await connectorRow(db, name);
  const changes: Partial<Connector> = { updatedAt: new Date() };
  let toolNames: string[];
  if (row.kind === 'openapi' && input.document === undefined && row.documentUrl === null) {
    // An uploaded document is not kept: only its per-tool scopes can change without it.
    if (input.selection !== undefined || input.toolScopes === undefined) throw invalid(`Connector "${name}" was added from an uploaded document: give the document again to refresh it or change its selection`);
    toolNames = ((row.operations ?? []) as unknown as OperationTool[]).map((t) => t.name);
  } else if (row.kind === 'openapi') {
    const selection = input.selection ?? ((row.selection ?? undefined) as OpenApiSelection | undefined);
    const compiled = await compileDocument(env, { document: input.document, documentUrl: input.document === undefined ? (row.documentUrl ?? undefined) : undefined, selection, url: row.url }, name, row.secretHeader);
    changes.operations = compiled.tools as unknown as Connector['operations'];
    changes.selection = (selection ?? null) as Connector['selection'];
    if (input.document !== undefined) changes.documentUrl = null;
    toolNames = compiled.tools.map((t) => t.name);
  } else {
    if (input.document !== undefined || input.selection !== undefined) throw invalid('A document and a selection apply to OpenAPI connectors only');
    toolNames = (await listTools(env, row)).tools.map((t) => `${name}_${t.name}`);
  }
  changes.toolScopes = checkedToolScopes(input.toolScopes ?? row.toolScopes, toolNames, name);
  await db.update(connectors).set(changes).where(eq(connectors.id, row.id));
  return getConnector(db, name);
}

/** Removes a connector and every tenant's secret for it; its tools disappear within the cache TTL. */
export async function removeConnector(db: Database, name: string): Promise<ConnectorInfo> {
  const removed = await getConnector(db, name);
  await db.delete(connectors).where(eq(connectors.id, removed.id));
  return removed;
}

/** Stores (or replaces) a tenant's secret for a `secret` connector, sealed; it is never shown again. */
export async function setConnectorSecret(db: Database, env: Pick<ConnectorEnv, 'secretBox' | 'credentials'>, name: string, tenantSlug: string, secret: string): Promise<{ connector: string; tenant: string; updatedAt: string }> {
  const row = await connectorRow(db, name);
  if (row.credential !== 'secret') throw invalid(`Connector "${name}" sends ${row.credential === 'identity' ? 'an identity token' : 'no credential'}, not a stored secret`);
  const tenant = await getTenant(db, tenantSlug);
  const sealed = await (await box(env)).seal(checkedSecret(secret), secretContext(row.id, tenant.id));
  const updatedAt = new Date();
  await db
    .insert(connectorSecrets)
    .values({ connectorId: row.id, tenantId: tenant.id, secret: sealed, updatedAt })
    .onConflictDoUpdate({ target: [connectorSecrets.connectorId, connectorSecrets.tenantId], set: { secret: sealed, updatedAt } });
  env.credentials.forget(row.id, tenant.id);
  return { connector: name, tenant: tenant.slug, updatedAt: updatedAt.toISOString() };
}

/** Deletes a tenant's secret for a connector; its calls then fail with an error result saying it is missing. */
export async function removeConnectorSecret(db: Database, env: Pick<ConnectorEnv, 'credentials'>, name: string, tenantSlug: string): Promise<void> {
  const row = await connectorRow(db, name);
  const tenant = await getTenant(db, tenantSlug);
  const deleted = await db.delete(connectorSecrets).where(and(eq(connectorSecrets.connectorId, row.id), eq(connectorSecrets.tenantId, tenant.id))).returning({ id: connectorSecrets.connectorId });
  if (deleted.length === 0) throw new AppError('not_found', `Tenant "${tenant.slug}" has no secret for connector "${name}"`);
  env.credentials.forget(row.id, tenant.id);
}

/** Whether each `secret` connector has a secret stored for the tenant: what the customer portal shows. */
export async function tenantConnectorSecrets(db: Database, tenantId: string): Promise<{ name: string; secretHeader: string; set: boolean; updatedAt: Date | null }[]> {
  const rows = await db
    .select({ name: connectors.name, secretHeader: connectors.secretHeader, updatedAt: connectorSecrets.updatedAt })
    .from(connectors)
    .leftJoin(connectorSecrets, and(eq(connectorSecrets.connectorId, connectors.id), eq(connectorSecrets.tenantId, tenantId)))
    .where(eq(connectors.credential, 'secret'))
    .orderBy(asc(connectors.name));
  return rows.map((r) => ({ name: r.name, secretHeader: r.secretHeader ?? 'Authorization', set: r.updatedAt !== null, updatedAt: r.updatedAt }));
}

/** Seals every connector secret sealed with an old key again with the current one; answers how many. */
export async function resealConnectorSecrets(db: Database, sealer: SecretBox): Promise<number> {
  let resealed = 0;
  for (const row of await db.select().from(connectorSecrets)) {
    if (!sealer.isStale(row.secret)) continue;
    const context = secretContext(row.connectorId, row.tenantId);
    const secret = await sealer.seal(await sealer.open(row.secret, context), context);
    await db.update(connectorSecrets).set({ secret }).where(and(eq(connectorSecrets.connectorId, row.connectorId), eq(connectorSecrets.tenantId, row.tenantId), eq(connectorSecrets.secret, row.secret)));
    resealed++;
  }
  for (const row of await db.select({ id: connectors.id, listSecret: connectors.listSecret }).from(connectors)) {
    if (row.listSecret === null || !sealer.isStale(row.listSecret)) continue;
    const listSecret = await sealer.seal(await sealer.open(row.listSecret, listSecretContext(row.id)), listSecretContext(row.id));
    await db.update(connectors).set({ listSecret }).where(and(eq(connectors.id, row.id), eq(connectors.listSecret, row.listSecret)));
    resealed++;
  }
  return resealed;
}

async function connectorRow(db: Database, name: string): Promise<Connector> {
  const [row] = await db.select().from(connectors).where(eq(connectors.name, name)).limit(1);
  if (!row) throw new AppError('not_found', `No connector "${name}"`);
  return row;
}

async function info(db: Database, row: Connector): Promise<ConnectorInfo> {
  const [secrets] = await db.select({ n: count() }).from(connectorSecrets).where(eq(connectorSecrets.connectorId, row.id));
  const operations = row.operations as unknown as OperationTool[] | null;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    documentUrl: row.documentUrl,
    selection: (row.selection ?? null) as OpenApiSelection | null,
    credential: row.credential,
    secretHeader: row.secretHeader,
    audience: row.audience,
    toolsTtlSeconds: row.toolsTtlSeconds,
    toolScopes: row.toolScopes,
    tools: operations?.map((o) => ({ name: o.name, readOnly: o.readOnly, scopes: row.toolScopes[o.name] ?? defaultToolScopes(row.name, o.readOnly) })) ?? null,
    tenantSecrets: secrets?.n ?? 0,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Fetches (or takes) and compiles an OpenAPI document; every refusal names the operation at fault. */
async function compileDocument(
  env: ConnectorEnv,
  input: Pick<AddConnectorInput, 'document' | 'documentUrl' | 'selection' | 'url'>,
  prefix: string,
  secretHeader: string | null,
): Promise<{ url: string; tools: OperationTool[] }> {
  if ((input.document === undefined) === (input.documentUrl === undefined)) throw invalid('Give the OpenAPI document either as text or as a URL, not both and not neither');
  if (!env.compileOpenApi) {
    throw invalid('This runtime cannot compile OpenAPI documents (Cloudflare Workers): add or refresh OpenAPI connectors with the CLI or a Node or Deno instance; their tools then work here too');
  }
  const compile = env.compileOpenApi;
  let text = input.document;
  if (input.documentUrl !== undefined) {
    try {
      const response = await env.fetch(await checkedUpstreamUrl(input.documentUrl, env.rules), { signal: AbortSignal.timeout(env.timeoutMs), headers: { Accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' } });
      if (!response.ok) throw new Error(`it answered ${response.status}`);
      text = await response.text();
    } catch (error) {
      throw invalid(`Cannot fetch the OpenAPI document ${input.documentUrl}: ${(error as Error).message}`);
    }
  }
  let compiled: CompiledOpenApi;
  try {
    compiled = await compile(text!, { prefix, selection: input.selection, reservedHeaders: secretHeader ? [secretHeader] : [] });
  } catch (error) {
    if (error instanceof OpenApiError) throw invalid(`The OpenAPI document is refused: ${error.message}`);
    throw invalid(`The OpenAPI document cannot be read: ${describeError(error)}`);
  }
  if (compiled.tools.length === 0) throw invalid('The OpenAPI document has no operation left after the selection: nothing would become a tool');
  const server = input.url ?? compiled.servers[0];
  if (server === undefined) throw invalid('The OpenAPI document names no server: give the base URL calls go to (--url)');
  // A relative server URL is relative to where the document came from (OpenAPI 3.x, "Server Object").
  const base = input.documentUrl ?? undefined;
  let url: string;
  try {
    url = new URL(server, base).href.replace(/\/$/, '');
  } catch {
    throw invalid(`The server URL "${server}" is relative and there is no document URL to resolve it against: give the base URL (--url)`);
  }
  return { url, tools: compiled.tools };
}

async function listTools(env: ConnectorEnv, row: Connector): Promise<UpstreamToolList> {
  try {
    const headers = await env.credentials.listingHeaders(row);
    return await listUpstreamTools(row.url, { fetch: env.fetch, headers, signal: AbortSignal.timeout(env.timeoutMs) });
  } catch (error) {
    throw invalid(`Cannot list the tools of ${row.url}: ${(error as Error).message}`);
  }
}

async function upstreamUrl(env: ConnectorEnv, url: string): Promise<string> {
  try {
    return (await checkedUpstreamUrl(url, env.rules)).replace(/\/$/, '');
  } catch (error) {
    throw invalid((error as Error).message);
  }
}

function checkedAudience(env: ConnectorEnv, audience: string): string {
  if (audience === '' || audience.length > 512 || /\s/.test(audience)) throw invalid(`Invalid audience "${audience.slice(0, 80)}"`);
  // An identity JWT addressed to this server would be accepted here as an access token.
  if (env.reservedAudiences.includes(audience.replace(/\/$/, ''))) throw invalid(`The audience "${audience}" is this server's own: identity tokens must be addressed to the upstream`);
  return audience;
}

function checkedSecretHeader(header: string): string {
  if (!HEADER_NAME.test(header) || FORBIDDEN_SECRET_HEADERS.has(header.toLowerCase())) throw invalid(`"${header.slice(0, 80)}" cannot carry the secret: give another header name, e.g. Authorization or X-Api-Key`);
  return header;
}

function checkedSecret(secret: string): string {
  // A header value: no line breaks (header injection), not empty, bounded.
  if (secret === '' || secret.length > MAX_SECRET_CHARS || /[\r\n\0]/.test(secret)) throw invalid(`The secret must be 1-${MAX_SECRET_CHARS} characters on one line`);
  return secret;
}

function checkedToolScopes(toolScopes: Record<string, string[]>, toolNames: string[], connector: string): Record<string, string[]> {
  for (const [tool, scopes] of Object.entries(toolScopes)) {
    if (!toolNames.includes(tool)) throw invalid(`Connector "${connector}" has no tool "${tool}" to give scopes to (its tools: ${toolNames.join(', ') || 'none'})`);
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || !SCOPE.test(s) || s.startsWith(RESERVED_SCOPE_PREFIX))) {
      throw invalid(`Invalid scopes for tool "${tool}": give one or more scopes such as ${connector}:admin (${RESERVED_SCOPE_PREFIX}* is reserved)`);
    }
  }
  return toolScopes;
}

async function box(env: Pick<ConnectorEnv, 'secretBox'>): Promise<SecretBox> {
  if (!env.secretBox) throw invalid('Storing a secret needs SECRETS_ENCRYPTION_KEY: secrets are kept encrypted (see docs/configuration.md)');
  return env.secretBox;
}

function invalid(message: string): AppError {
  return new AppError('invalid', message);
}

function randomId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => alphabet[b & 31]).join('');
}
