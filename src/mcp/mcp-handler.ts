import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type AnyObjectSchema, objectFromShape } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, ListToolsRequestSchema, type ListToolsResult, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Context, Handler } from 'hono';
import type { Caller } from '../auth/caller.ts';
import { TtlCache } from '../auth/ttl-cache.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { UsageOutcome } from '../db/schema.ts';
import { fetchRequestReader, type RequestReader } from '../http/request-reader.ts';
import { SERVICE_UNAVAILABLE_MESSAGE, serviceUnavailable } from '../http/service-unavailable.ts';
import { limitRefusal } from '../limits/limit-refusal.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import { type AnyTool, toolsVisibleTo } from '../tools/index.ts';
import { usageEvent } from '../usage/usage-event.ts';
import type { UsageRecorder } from '../usage/usage-recorder.ts';
import { answersWithEventStream, observeBody } from './event-stream.ts';
import { InFlightCalls, cancelledRequestId } from './in-flight-calls.ts';
import type { InsufficientScope } from './insufficient-scope.ts';
import { answerInvalidParamsAsClientErrors } from './invalid-params.ts';
import { JsonRpcCode, jsonRpcError } from './json-rpc.ts';
import type { McpExtension } from './mcp-extension.ts';
import { type ToolCallExtra, type ToolRun, runTool } from './tool-runner.ts';

/** Hands background work (usage writes) to the runtime, e.g. a Worker's `ctx.waitUntil`. */
export type Defer = (work: Promise<unknown>, c: Context) => void;

/** What the /mcp handler needs. */
export interface McpHandlerOptions {
  db: Database;
  config: Config;
  tools: readonly AnyTool[];
  usage: UsageRecorder;
  limiter: RateLimiter;
  defer: Defer;
  version: string;
  onToolError: (tool: string, error: unknown) => void;
  /** Answers calls of tools the credential's scopes lack (step-up); default: every such tool looks unknown. */
  insufficientScope?: InsufficientScope;
  /** Registers resources and prompts beyond the tools. */
  extension?: McpExtension;
  /** Reads bodies and watches for disconnects; default: through the Fetch API's Request. */
  requestReader?: RequestReader;
}

/** A tool's zod objects, built once instead of by every per-request McpServer. */
interface ToolSchemas {
  input: AnyObjectSchema;
  output?: AnyObjectSchema;
}

// ignoreBOM is the default; workerd's types require it to be spelled out.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
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
  const calls = new InFlightCalls();
  const reader = options.requestReader ?? fetchRequestReader;
  // The same objects McpServer.registerTool would build from the raw shapes, once per process.
  const schemas = new Map<AnyTool, ToolSchemas>(
    options.tools.map((t) => [t, { input: objectFromShape(t.inputSchema), output: t.outputSchema && objectFromShape(t.outputSchema) }]),
  );
  // tools/list results by visible tool set. Tools are fixed for the process, so entries never go stale.
  const toolLists = new TtlCache<string, ListToolsResult>({ ttlMs: Number.POSITIVE_INFINITY, maxEntries: TOOL_LIST_CACHE_ENTRIES });
  // Visible tools by the caller's scope lists, which are the same arrays on every request of a
  // cached credential; entries go when those lists are collected.
  const visibleTools = new WeakMap<readonly string[], WeakMap<readonly string[], readonly AnyTool[]>>();
  const visibleTo = (caller: Caller): readonly AnyTool[] => {
    let byCredential = visibleTools.get(caller.tenantScopes);
    if (!byCredential) visibleTools.set(caller.tenantScopes, (byCredential = new WeakMap()));
    let tools = byCredential.get(caller.credentialScopes);
    if (!tools) byCredential.set(caller.credentialScopes, (tools = toolsVisibleTo(caller, options.tools)));
    return tools;
  };

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
    const read = await reader.body(c, options.config.MAX_BODY_BYTES);
    // Either way the rest of the body is not read: close the connection so that it is not reused.
    if (!read.ok && read.reason === 'too_large') {
      return jsonRpcError(413, JsonRpcCode.Refused, `Payload too large: the limit is ${options.config.MAX_BODY_BYTES} bytes.`, null, { Connection: 'close' });
    }
    if (!read.ok) return jsonRpcError(400, JsonRpcCode.ParseError, 'Parse error: the body ended before it was complete.', null, { Connection: 'close' });
    const bytes = read.bytes;
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
    const cancelled = cancelledRequestId(message);
    if (cancelled !== undefined) {
      calls.cancel(caller, cancelled);
      return accepted();
    }
    const visible = visibleTo(caller);
    const call = toolCallOf(message);
    const eventOf = (outcome: UsageOutcome, responseBytes: number) =>
      usageEvent(c, caller, { outcome, tool: call!.name, durationMs: performance.now() - started, requestBytes: bytes.byteLength, responseBytes });
    const record = (outcome: UsageOutcome, responseBytes: number) => options.defer(options.usage.record(eventOf(outcome, responseBytes)), c);
    // USAGE_DURABILITY=commit: an answered call's row is committed before the answer is released.
    const durable = call !== undefined && options.usage.durability === 'commit';
    const commit = (outcome: UsageOutcome, responseBytes: number) => {
      const committed = options.usage.commit(eventOf(outcome, responseBytes));
      options.defer(committed, c);
      return committed;
    };
    // For answers built here (rare): reads the body once to count its bytes, then logs the call.
    const logged = async (response: Response, outcome: UsageOutcome) => {
      const body = await response.arrayBuffer();
      record(outcome, body.byteLength);
      return new Response(body, response);
    };

    const tool = call && visible.find((t) => t.name === call.name);
    if (call && !tool) {
      const known = options.tools.find((t) => t.name === call.name);
      const stepUp = known && options.insufficientScope?.(caller, known, call.id);
      if (stepUp) return logged(stepUp, 'denied');
      // Otherwise a tool outside the caller's grants is indistinguishable from one that does not exist.
      return logged(jsonRpcError(200, JsonRpcCode.InvalidParams, `Unknown tool: ${call.name}`, call.id), known ? 'denied' : 'invalid');
    }
    if (call) {
      // Only tools/call is charged, before the tool runs; initialize, ping and tools/list are free.
      const admission = await options.limiter.admit(caller, call.name);
      if (!admission.ok) return admission.reason === 'limited' ? logged(limitRefusal(admission, call.id), 'rate_limited') : logged(serviceUnavailable(call.id), 'error');
    }

    const run: ToolRun = { caller, db: options.db, config: options.config, onClientGone: (onGone) => reader.onClientGone(c, onGone), calls, onToolError: options.onToolError };
    // Notifications (progress, log messages) need an SSE answer; everything else gets plain JSON.
    const stream = answersWithEventStream(c.req.header('Accept'), message, visible);
    const logging = visible.some((t) => t.streaming);
    const server = new McpServer(serverInfo, { capabilities: { tools: {}, ...(logging ? { logging: {} } : {}) }, jsonSchemaValidator });
    let listKey: string | undefined;
    let cachedList: ListToolsResult | undefined;
    if (tool) {
      registerTool(server, tool, schemas.get(tool)!, run);
    } else if ((message as { method?: unknown }).method === 'tools/list') {
      listKey = visible.map((t) => t.name).join(',');
      cachedList = toolLists.get(listKey);
      if (cachedList) {
        const result = cachedList;
        server.server.setRequestHandler(ListToolsRequestSchema, () => result);
      } else {
        for (const t of visible) registerTool(server, t, schemas.get(t)!, run);
      }
    }
    options.extension?.(server, caller);
    answerInvalidParamsAsClientErrors(server);
    const transport = new AnswerKeepingTransport({ enableJsonResponse: !stream });
    // A streamed call's row is committed before its final event; if it cannot be, the result is withheld.
    if (stream && durable) transport.beforeAnswer = async (answer, bytes) => ((await commit(run.outcome ?? 'invalid', bytes)) ? answer : unavailableAnswer(answer));
    await server.connect(transport);
    let response: Response | undefined;
    try {
      response = await transport.handleRequest(c, message);
    } catch (error) {
      void server.close();
      throw error;
    }
    if (stream && response?.status === 200) {
      // The SSE body is still being written: closing the server now would cut it short.
      return observeBody(response, (responseBytes, completed) => {
        void server.close();
        if (call && !transport.answered) record(run.outcome ?? (completed ? 'invalid' : 'cancelled'), responseBytes);
      });
    }
    // Not closed on success: in JSON mode the answer has been sent by now, nothing is in flight, and
    // close() would only allocate a "Connection closed" error and abort a finished handler's signal.
    // Nothing refers to the server or transport after this request, so both are collected.
    if (!response || response.status === 202) return accepted();
    const answer = transport.answer;
    if (listKey !== undefined && !cachedList && answer && 'result' in answer) {
      toolLists.set(listKey, deepFreeze(answer.result as ListToolsResult));
    }
    if (!call) return response;
    if (run.unavailable) return logged(serviceUnavailable(call.id), 'error');
    // No outcome means the handler never ran: the SDK refused the arguments before calling it.
    // @hono/mcp writes the answer as JSON.stringify(answer), so this is the body's exact size.
    const responseBytes = answer ? utf8Encoder.encode(JSON.stringify(answer)).byteLength : 0;
    if (durable) return (await commit(run.outcome ?? 'invalid', responseBytes)) ? response : serviceUnavailable(call.id);
    record(run.outcome ?? 'invalid', responseBytes);
    return response;
  };
}

/** 202 for a notification: an empty byte body goes out with Content-Length: 0 (a null body goes out chunked on Node). */
function accepted(): Response {
  return new Response(new Uint8Array(0), { status: 202 });
}

// @hono/mcp frames each SSE message as `event: message\ndata: <JSON>\n\n`.
const SSE_FRAME_BYTES = 'event: message\ndata: \n\n'.length;

/**
 * @hono/mcp's transport, keeping the JSON-RPC answer it sends, to count its bytes without reading
 * the HTTP body back. With `beforeAnswer`, a streamed answer (the final SSE event) waits for it.
 */
class AnswerKeepingTransport extends StreamableHTTPTransport {
  answer: JSONRPCMessage | undefined;
  /** Set once the answer has been handed to `beforeAnswer`, which records the call. */
  answered = false;
  /** Called with the answer and the stream's size once it is sent; returns what to send instead. */
  beforeAnswer: ((answer: JSONRPCMessage, bytes: number) => Promise<JSONRPCMessage>) | undefined;
  #streamedBytes = 0;

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (!this.beforeAnswer) {
      this.answer = message;
      return super.send(message, options);
    }
    const frameBytes = utf8Encoder.encode(JSON.stringify(message)).byteLength + SSE_FRAME_BYTES;
    this.#streamedBytes += frameBytes;
    if ('id' in message && ('result' in message || 'error' in message)) {
      // Set before waiting: a client that goes away meanwhile must not get a second row.
      this.answered = true;
      message = await this.beforeAnswer(message, this.#streamedBytes);
    }
    this.answer = message;
    return super.send(message, options);
  }
}

/** The JSON-RPC error sent instead of a streamed result whose usage row could not be committed. */
function unavailableAnswer(answer: JSONRPCMessage): JSONRPCMessage {
  const id = (answer as { id: string | number }).id;
  return { jsonrpc: '2.0', id, error: { code: JsonRpcCode.InternalError, message: SERVICE_UNAVAILABLE_MESSAGE } };
}

function registerTool(server: McpServer, tool: AnyTool, schemas: ToolSchemas, run: ToolRun): void {
  const { name, title, description, annotations } = tool;
  const config = { title, description, inputSchema: schemas.input, outputSchema: schemas.output, annotations };
  server.registerTool(name, config, (args: unknown, extra: ToolCallExtra) => runTool(tool, args, extra, run));
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
