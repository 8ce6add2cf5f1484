import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../app.ts';
import type { Database } from '../db/database.ts';
import { type Connector, connectors } from '../db/schema.ts';
import { describeError } from '../errors.ts';
import { type ToolContext, toolError } from '../tools/define-tool.ts';
import type { AnyTool, ToolCatalog } from '../tools/index.ts';
import { callUpstreamTool } from './mcp/call-upstream-tool.ts';
import { listUpstreamTools, type UpstreamToolList } from './mcp/list-upstream-tools.ts';
import type { OperationTool } from './openapi/operation-tool.ts';
import { invokeOperation } from './openapi/invoke-operation.ts';
import { defaultToolScopes } from './tool-scopes.ts';
import { MissingUpstreamCredential, type UpstreamCredentials } from './upstream-credentials.ts';
import type { UpstreamFetch } from './upstream-fetch.ts';

/** What the catalog needs. */
export interface ConnectorCatalogOptions {
  /** The tools written in TypeScript, always offered first. */
  builtIn: readonly AnyTool[];
  /** How long the connectors read from the database are used before reading them again. */
  ttlMs: number;
  fetch: UpstreamFetch;
  credentials: UpstreamCredentials;
  log: Logger;
  /** How long listing an upstream MCP server's tools may take. */
  listTimeoutMs: number;
  now?: () => number;
}

/** An upstream call's answer, and its HTTP status for the usage row. */
type Invoke = (args: Record<string, unknown>, options: { headers: Record<string, string>; signal: AbortSignal }) => Promise<{ result: CallToolResult; status: number | null }>;

/** What one connector contributes, kept between reads while the connector is unchanged. */
interface Built {
  updatedAt: number;
  tools: readonly AnyTool[];
  /** `mcp`: when the upstream's tool list was fetched (or last tried). */
  listedAt?: number;
  list?: UpstreamToolList;
}

// Tool names as the MCP spec recommends them, kept short enough for every client's limit.
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
// After a failed read, try again soon rather than after a whole TTL.
const RETRY_MS = 5000;

/**
 * The tools on offer: the built-in ones, then every connector's, read from libSQL at most once per
 * TTL per instance (so a change reaches every instance within it) and, for MCP upstreams, listed
 * at most once per the connector's own TTL. Connector tools are ordinary tools: scopes, limits,
 * usage rows and both protocol eras apply to them unchanged.
 */
export class ConnectorCatalog implements ToolCatalog {
  readonly #db: Database;
  readonly #options: ConnectorCatalogOptions;
  readonly #now: () => number;
  readonly #built = new Map<string, Built>();
  #tools: readonly AnyTool[];
  #freshUntil = Number.NEGATIVE_INFINITY;
  #reading: Promise<readonly AnyTool[]> | undefined;

  constructor(db: Database, options: ConnectorCatalogOptions) {
    this.#db = db;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#tools = Object.freeze([...options.builtIn]);
  }

  tools(): readonly AnyTool[] | Promise<readonly AnyTool[]> {
    if (this.#now() < this.#freshUntil) return this.#tools;
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  /** Reads the connectors again at the next request: a change made through this instance shows at once. */
  invalidate(): void {
    this.#freshUntil = Number.NEGATIVE_INFINITY;
  }

  async #read(): Promise<readonly AnyTool[]> {
    let rows: Connector[];
    try {
      rows = await this.#db.select().from(connectors).orderBy(connectors.name);
    } catch (error) {
      // The built-in tools keep working while the database is away; connectors keep their last copy.
      this.#options.log.error(`Cannot read the connectors, keeping the last copy: ${describeError(error)}`);
      this.#freshUntil = this.#now() + Math.min(RETRY_MS, this.#options.ttlMs);
      return this.#tools;
    }
    const now = this.#now();
    const seen = new Set<string>();
    let changed = rows.length !== this.#built.size;
    await Promise.all(
      rows.map(async (row) => {
        seen.add(row.id);
        const before = this.#built.get(row.id);
        const updatedAt = row.updatedAt.getTime();
        const stale = !before || before.updatedAt !== updatedAt;
        if (row.kind === 'openapi') {
          if (stale) this.#built.set(row.id, { updatedAt, tools: this.#openApiTools(row) });
        } else if (stale || now - (before.listedAt ?? 0) >= row.toolsTtlSeconds * 1000) {
          this.#built.set(row.id, await this.#mcpTools(row, stale ? undefined : before, now));
        }
        // A list fetched again but unchanged keeps its tools, so the catalog (and what /mcp caches by it) stays the same.
        if (this.#built.get(row.id)?.tools !== before?.tools) changed = true;
      }),
    );
    for (const id of this.#built.keys()) if (!seen.has(id)) this.#built.delete(id);
    if (changed) {
      const taken = new Set(this.#options.builtIn.map((t) => t.name));
      const added: AnyTool[] = [];
      for (const row of rows) {
        for (const tool of this.#built.get(row.id)?.tools ?? []) {
          // A built-in tool or an earlier connector keeps a name; the later one is left out, and said so.
          if (taken.has(tool.name)) {
            this.#options.log.warn(`Connector ${row.name}: tool ${tool.name} is left out: another tool has that name`);
            continue;
          }
          taken.add(tool.name);
          added.push(tool);
        }
      }
      this.#tools = Object.freeze([...this.#options.builtIn, ...added]);
    }
    this.#freshUntil = this.#now() + this.#options.ttlMs;
    return this.#tools;
  }

  #openApiTools(row: Connector): readonly AnyTool[] {
    const tools: AnyTool[] = [];
    for (const operation of (row.operations ?? []) as unknown as OperationTool[]) {
      const invoke: Invoke = (args, { headers, signal }) => invokeOperation(operation, args, { baseUrl: row.url, fetch: this.#options.fetch, headers, signal });
      const tool = this.#tool(row, { ...operation, upstreamName: operation.name }, invoke);
      if (tool) tools.push(tool);
    }
    return tools;
  }

  /** The upstream's tools, listed again; on failure the previous list stays (or none, the first time). */
  async #mcpTools(row: Connector, before: Built | undefined, now: number): Promise<Built> {
    const updatedAt = row.updatedAt.getTime();
    let list: UpstreamToolList;
    try {
      const headers = await this.#options.credentials.listingHeaders(row);
      list = await listUpstreamTools(row.url, { fetch: this.#options.fetch, headers, signal: AbortSignal.timeout(this.#options.listTimeoutMs) });
    } catch (error) {
      this.#options.log.error(`Connector ${row.name}: cannot list the upstream's tools, ${before ? 'keeping the last list' : 'offering none'} until it answers: ${describeError(error)}`);
      // Retried after RETRY_MS, not after a whole TTL.
      return { updatedAt, tools: before?.tools ?? [], list: before?.list, listedAt: now - row.toolsTtlSeconds * 1000 + RETRY_MS };
    }
    if (before?.list && JSON.stringify(before.list) === JSON.stringify(list)) return { ...before, listedAt: now };
    const tools: AnyTool[] = [];
    for (const upstream of list.tools) {
      const invoke: Invoke = (args, { headers, signal }) =>
        callUpstreamTool(row.url, upstream.name, args, { fetch: this.#options.fetch, headers, signal, era: list.era, protocolVersion: list.protocolVersion, inputSchema: upstream.inputSchema });
      const readOnly = upstream.annotations?.readOnlyHint === true;
      const tool = this.#tool(
        row,
        {
          name: `${row.name}_${upstream.name}`,
          upstreamName: upstream.name,
          title: upstream.title ?? (upstream.annotations?.title as string | undefined) ?? upstream.name,
          description: upstream.description ?? '',
          inputSchema: upstream.inputSchema,
          outputSchema: upstream.outputSchema,
          readOnly,
        },
        invoke,
      );
      if (tool) tools.push(tool);
    }
    return { updatedAt, tools, list, listedAt: now };
  }

  /** An ordinary tool that calls the upstream with the connector's credentials; undefined (and logged) when it cannot be offered. */
  #tool(row: Connector, spec: ConnectorToolSpec, invoke: Invoke): AnyTool | undefined {
    const refuse = (why: string) => {
      this.#options.log.warn(`Connector ${row.name}: tool ${spec.name.slice(0, 80)} is left out: ${why}`);
      return undefined;
    };
    if (!TOOL_NAME.test(spec.name)) return refuse('its name is not 1-64 characters of A-Z a-z 0-9 _ . -');
    const input = spec.inputSchema as Record<string, unknown>;
    if (typeof input !== 'object' || input === null || input.type !== 'object') return refuse('its input schema is not an object schema');
    try {
      z.fromJSONSchema(input as never);
    } catch (error) {
      return refuse(`its input schema cannot be used: ${describeError(error)}`);
    }
    const { credentials } = this.#options;
    return {
      name: spec.name,
      title: spec.title,
      description: spec.description,
      scopes: row.toolScopes[spec.name] ?? defaultToolScopes(row.name, spec.readOnly),
      inputSchema: {},
      jsonSchema: { input, output: spec.outputSchema as Record<string, unknown> | undefined },
      annotations: { title: spec.title, readOnlyHint: spec.readOnly, openWorldHint: true },
      handler: async (args: Record<string, unknown>, ctx: ToolContext) => {
        let headers: Record<string, string>;
        try {
          headers = await credentials.headersFor(row, ctx.caller, spec.upstreamName);
        } catch (error) {
          if (error instanceof MissingUpstreamCredential) return toolError(error.message);
          throw error;
        }
        const started = performance.now();
        const { result, status } = await invoke(args, { headers, signal: ctx.signal });
        ctx.recordUpstream(status, performance.now() - started);
        return result;
      },
    };
  }
}

/** What a connector tool is made from, whatever its kind. */
interface ConnectorToolSpec {
  name: string;
  /** The upstream's own name for it (an operation's tool name, an MCP tool's name). */
  upstreamName: string;
  title: string;
  description: string;
  inputSchema: unknown;
  outputSchema?: unknown;
  readOnly: boolean;
}
