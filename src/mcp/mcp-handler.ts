import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type AnyObjectSchema, objectFromShape } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { type JSONRPCMessage, ListToolsRequestSchema, type ListToolsResult, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Context, Handler } from 'hono';
import { TtlCache } from '../auth/ttl-cache.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { UsageOutcome } from '../db/schema.ts';
import type { ToolContext } from '../tools/define-tool.ts';
import { type AnyTool, toolsVisibleTo } from '../tools/index.ts';
import { usageEvent } from '../usage/usage-event.ts';
import type { UsageRecorder } from '../usage/usage-recorder.ts';
import { JsonRpcCode, jsonRpcError } from './json-rpc.ts';

/** Hands background work (usage writes) to the runtime, e.g. a Worker's `ctx.waitUntil`. */
export type Defer = (work: Promise<unknown>, c: Context) => void;

/** What the /mcp handler needs. */
export interface McpHandlerOptions {
  db: Database;
  config: Config;
  tools: readonly AnyTool[];
  usage: UsageRecorder;
  defer: Defer;
  version: string;
  onToolError: (tool: string, error: unknown) => void;
}

/** A tool's zod objects, built once instead of by every per-request McpServer. */
interface ToolSchemas {
  input: AnyObjectSchema;
  output?: AnyObjectSchema;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();
// Distinct visible tool sets are few (one per scope combination in use); 256 bounds the worst case.
const TOOL_LIST_CACHE_ENTRIES = 256;

/**
 * Serves MCP over Streamable HTTP, statelessly: every POST gets a new McpServer and transport that
 * know at most the tools the caller may use. Sharing them across requests lets concurrent callers
 * with equal JSON-RPC ids receive each other's answers (GHSA-345p-7cg4-v4c7).
 *
 * What a request does not need is not built: a tools/call registers only the tool it calls, other
 * methods none (the tools capability is declared up front), and a tools/list is answered, through
 * the SDK's own request pipeline, from the result the SDK computed for the same visible tool set.
 */
export function mcpHandler(options: McpHandlerOptions): Handler {
  // Every McpServer would otherwise compile its own Ajv instance; the SDK only uses it for elicitation.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const serverInfo = { name: 'tenant-mcp', version: options.version };
  // The same objects McpServer.registerTool would build from the raw shapes, once per process.
  const schemas = new Map<AnyTool, ToolSchemas>(
    options.tools.map((t) => [t, { input: objectFromShape(t.inputSchema), output: t.outputSchema && objectFromShape(t.outputSchema) }]),
  );
  // tools/list results by visible tool set. Tools are fixed for the process, so entries never go stale.
  const toolLists = new TtlCache<string, ListToolsResult>({ ttlMs: Number.POSITIVE_INFINITY, maxEntries: TOOL_LIST_CACHE_ENTRIES });

  return async function handleMcp(c) {
    if (c.req.method !== 'POST') {
      // Stateless: there is no server-initiated stream to open with GET, and no session to DELETE.
      return jsonRpcError(405, JsonRpcCode.Refused, 'Method not allowed: send JSON-RPC messages with POST.', null, { Allow: 'POST' });
    }
    const protocolVersion = c.req.header('MCP-Protocol-Version');
    if (protocolVersion !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersion)) {
      return jsonRpcError(400, JsonRpcCode.InvalidRequest, `Unsupported MCP-Protocol-Version. Supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`);
    }
    const started = performance.now();
    const bytes = await c.req.arrayBuffer();
    let message: unknown;
    try {
      message = JSON.parse(utf8.decode(bytes));
    } catch {
      return jsonRpcError(400, JsonRpcCode.ParseError, 'Parse error: the body is not valid UTF-8 JSON.');
    }
    if (Array.isArray(message)) {
      return jsonRpcError(400, JsonRpcCode.InvalidRequest, 'Invalid Request: JSON-RPC batches are not supported; send one message per request.');
    }
    if (typeof message !== 'object' || message === null) {
      return jsonRpcError(400, JsonRpcCode.InvalidRequest, 'Invalid Request: the body must be one JSON-RPC message object.');
    }

    const caller = c.get('caller');
    const call = toolCallOf(message);
    const logCall = (outcome: UsageOutcome, responseBytes: number) => {
      const fields = { outcome, tool: call!.name, durationMs: performance.now() - started, requestBytes: bytes.byteLength, responseBytes };
      options.defer(options.usage.record(usageEvent(c, caller, fields)), c);
    };

    const tool = call && toolsVisibleTo(caller, options.tools).find((t) => t.name === call.name);
    if (call && !tool) {
      // A tool outside the caller's grants is indistinguishable from one that does not exist.
      const exists = options.tools.some((t) => t.name === call.name);
      const refusal = jsonRpcError(200, JsonRpcCode.InvalidParams, `Unknown tool: ${call.name}`, call.id);
      const body = await refusal.arrayBuffer();
      logCall(exists ? 'denied' : 'invalid', body.byteLength);
      return new Response(body, refusal);
    }

    const server = new McpServer(serverInfo, { capabilities: { tools: {} }, jsonSchemaValidator });
    const run: { outcome?: UsageOutcome } = {};
    let listKey: string | undefined;
    let cachedList: ListToolsResult | undefined;
    if (tool) {
      registerTool(server, tool, schemas.get(tool)!, { ...options, c, run });
    } else if ((message as { method?: unknown }).method === 'tools/list') {
      const visible = toolsVisibleTo(caller, options.tools);
      listKey = visible.map((t) => t.name).join(',');
      cachedList = toolLists.get(listKey);
      if (cachedList) {
        const result = cachedList;
        server.server.setRequestHandler(ListToolsRequestSchema, () => result);
      } else {
        for (const t of visible) registerTool(server, t, schemas.get(t)!, { ...options, c, run });
      }
    }

    const transport = new AnswerKeepingTransport({ enableJsonResponse: true });
    await server.connect(transport);
    let response: Response | undefined;
    try {
      response = await transport.handleRequest(c, message);
    } catch (error) {
      void server.close();
      throw error;
    }
    // Not closed on success: in JSON mode the answer has been sent by now, nothing is in flight, and
    // close() would only allocate a "Connection closed" error and abort a finished handler's signal.
    // Nothing refers to the server or transport after this request, so both are collected.

    // An empty byte body, not null: it goes out with Content-Length: 0 (Node's adapter writes it
    // directly; a null body takes its slow path and goes out chunked with a text/plain type).
    if (!response || response.status === 202) return new Response(new Uint8Array(0), { status: 202, headers: {} });
    const answer = transport.answer;
    if (listKey !== undefined && !cachedList && answer && 'result' in answer) {
      toolLists.set(listKey, deepFreeze(answer.result as ListToolsResult));
    }
    if (!call) return response;
    // No outcome means the handler never ran: the SDK refused the arguments before calling it.
    // @hono/mcp writes the answer as JSON.stringify(answer), so this is the body's exact size.
    logCall(run.outcome ?? 'invalid', answer ? utf8Encoder.encode(JSON.stringify(answer)).byteLength : 0);
    return response;
  };
}

/** @hono/mcp's transport, keeping the JSON-RPC answer it sends, to count its bytes without reading the HTTP body back. */
class AnswerKeepingTransport extends StreamableHTTPTransport {
  answer: JSONRPCMessage | undefined;

  override send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.answer = message;
    return super.send(message, options);
  }
}

interface ToolRegistration extends McpHandlerOptions {
  c: Context;
  run: { outcome?: UsageOutcome };
}

function registerTool(server: McpServer, tool: AnyTool, schemas: ToolSchemas, r: ToolRegistration): void {
  const { name, title, description, annotations } = tool;
  const config = { title, description, inputSchema: schemas.input, outputSchema: schemas.output, annotations };
  server.registerTool(name, config, async (args: unknown, extra: { signal: AbortSignal }) => {
    let signal: AbortSignal | undefined;
    const context: ToolContext = {
      caller: r.c.get('caller'),
      db: r.db,
      config: r.config,
      // Built on first use: combining signals allocates, and most tools never look.
      get signal() {
        return (signal ??= AbortSignal.any([extra.signal, r.c.req.raw.signal]));
      },
    };
    try {
      const result = await tool.handler(args as never, context);
      r.run.outcome = result.isError ? 'tool_error' : 'ok';
      return result;
    } catch (error) {
      r.run.outcome = 'error';
      r.onToolError(name, error);
      return { content: [{ type: 'text' as const, text: `The ${name} tool failed unexpectedly. Try again later.` }], isError: true };
    }
  });
}

function toolCallOf(message: object): { id: string | number | null; name: string } | undefined {
  const m = message as { method?: unknown; id?: unknown; params?: { name?: unknown } };
  if (m.method !== 'tools/call') return undefined;
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  const name = typeof m.params?.name === 'string' ? m.params.name.slice(0, 128) : '';
  return { id, name };
}

/** Freezes a value and everything inside it, so a result shared between requests cannot be changed by one. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
