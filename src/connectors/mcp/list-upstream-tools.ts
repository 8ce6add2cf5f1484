import { legacySessions, type LegacySessionCache } from './legacy-session-cache.ts';
import { redactCredentials } from './redact-credentials.ts';
import { openUpstreamSession } from './open-upstream-session.ts';
import type { UpstreamFetch } from '../upstream-fetch.ts';
import { UpstreamMcpError } from './upstream-mcp-error.ts';
import { sessionRequest } from './upstream-session.ts';

/** One tool as the upstream lists it, as plain JSON. */
export interface UpstreamTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** The upstream's tools and the era and revision to call them with. */
export interface UpstreamToolList {
  era: 'modern' | 'legacy';
  protocolVersion: string;
  tools: UpstreamTool[];
}

/** What listing needs: the fetch, the headers for every request (credentials), cancellation; `sessions` for tests. */
export interface ListUpstreamToolsOptions {
  fetch: UpstreamFetch;
  headers: Record<string, string>;
  signal: AbortSignal;
  sessions?: LegacySessionCache;
}

const maxPages = 100;
const maxTools = 1000;

/**
 * Lists a remote MCP server's tools: finds its era (modern `server/discover`, else legacy
 * `initialize`), then follows `tools/list` pages (at most 100 pages, 1,000 tools). A legacy session
 * is kept for later calls with the same headers. Throws an `UpstreamMcpError` saying what failed.
 */
export async function listUpstreamTools(url: string, options: ListUpstreamToolsOptions): Promise<UpstreamToolList> {
  try {
    return await listPages(url, options);
  } catch (error) {
    if (!(error instanceof UpstreamMcpError)) throw error;
    throw new UpstreamMcpError(redactCredentials(error.message, options.headers), error.status, error.code);
  }
}

async function listPages(url: string, options: ListUpstreamToolsOptions): Promise<UpstreamToolList> {
  const post = { fetch: options.fetch, headers: options.headers, signal: options.signal };
  const session = await openUpstreamSession(url, post);
  if (session.era === 'legacy') (options.sessions ?? legacySessions).keep(url, options.headers, session);
  const tools: UpstreamTool[] = [];
  const names = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const { result, status } = await sessionRequest(url, session, { method: 'tools/list', params: cursor === undefined ? {} : { cursor } }, post);
    if (result.resultType !== undefined && result.resultType !== 'complete') {
      throw new UpstreamMcpError(`The upstream answered tools/list with result type ${String(result.resultType)}`, status);
    }
    if (!Array.isArray(result.tools)) throw new UpstreamMcpError('The upstream answered tools/list without a tools array', status);
    for (const entry of result.tools) {
      const tool = toolFrom(entry, status);
      if (names.has(tool.name)) throw new UpstreamMcpError(`The upstream lists the tool "${tool.name}" twice`, status);
      names.add(tool.name);
      tools.push(tool);
    }
    if (tools.length > maxTools) throw new UpstreamMcpError(`The upstream lists more than ${maxTools} tools`, status);
    if (typeof result.nextCursor !== 'string' || result.nextCursor === '') {
      return { era: session.era, protocolVersion: session.protocolVersion, tools };
    }
    cursor = result.nextCursor;
  }
  throw new UpstreamMcpError(`The upstream's tool list did not end after ${maxPages} pages`, null);
}

/** The plain-JSON fields of one listed tool, refusing an entry without a name or an object input schema. */
function toolFrom(entry: unknown, status: number): UpstreamTool {
  const record = isObject(entry) ? entry : {};
  const { name, title, description, inputSchema, outputSchema, annotations } = record;
  if (typeof name !== 'string' || name === '') throw new UpstreamMcpError('The upstream lists a tool without a name', status);
  if (!isObject(inputSchema)) throw new UpstreamMcpError(`The upstream lists the tool "${name.slice(0, 128)}" without an object input schema`, status);
  return {
    name,
    ...(typeof title === 'string' ? { title } : {}),
    ...(typeof description === 'string' ? { description } : {}),
    inputSchema,
    ...(isObject(outputSchema) ? { outputSchema } : {}),
    ...(isObject(annotations) ? { annotations } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
