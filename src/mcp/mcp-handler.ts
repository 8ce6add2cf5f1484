import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type AnyObjectSchema, objectFromShape } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  type JSONRPCMessage,
  ListToolsRequestSchema,
  type ListToolsResult,
  type LoggingLevel,
  LoggingLevelSchema,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Context, Handler } from 'hono';
import { z } from 'zod';
import type { Caller } from '../auth/caller.ts';
import { TtlCache } from '../auth/ttl-cache.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { UsageOutcome } from '../db/schema.ts';
import { fetchRequestReader, type RequestReader } from '../http/request-reader.ts';
import { SERVICE_UNAVAILABLE_MESSAGE, serviceUnavailable } from '../http/service-unavailable.ts';
import { limitRefusal } from '../limits/limit-refusal.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import { type AnyTool, type ToolCatalog, toolsVisibleTo } from '../tools/index.ts';
import { usageEvent } from '../usage/usage-event.ts';
import type { UsageRecorder } from '../usage/usage-recorder.ts';
import { type ToolSchemas, callToolDirectly } from './direct-tool-call.ts';
import { answersWithEventStream, eventStream, observeBody } from './event-stream.ts';
import { InFlightCalls, cancelledRequestId } from './in-flight-calls.ts';
import type { InsufficientScope } from './insufficient-scope.ts';
import { answerInvalidParamsAsClientErrors } from './invalid-params.ts';
import { JsonRpcCode, jsonRpcError } from './json-rpc.ts';
import { type InputRequiredResult, InputRound } from './input-round.ts';
import type { McpExtension } from './mcp-extension.ts';
import { MODERN_PROTOCOL_VERSIONS, MetaKey, type ModernRequest, SERVED_PROTOCOL_VERSIONS, checkModernRequest, isModern, unsupportedVersion } from './protocol-era.ts';
import type { RequestStateSealer, StateBinding } from './request-state.ts';
import { dispatchToSdk } from './sdk-dispatch.ts';
import { type ToolCallExtra, type ToolRun, runTool } from './tool-runner.ts';

/** Hands background work (usage writes) to the runtime, e.g. a Worker's `ctx.waitUntil`. */
export type Defer = (work: Promise<unknown>, c: Context) => void;

/** What the /mcp handler needs. */
export interface McpHandlerOptions {
  db: Database;
  config: Config;
  /** The tools on offer, built-in and from connectors; may change while the process runs. */
  catalog: ToolCatalog;
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
  /** Seals and opens the `requestState` of modern `input_required` results. */
  requestState: RequestStateSealer;
}

// ignoreBOM is the default; workerd's types require it to be spelled out.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf8Encoder = new TextEncoder();
// Distinct visible tool sets are few (one per scope combination in use); 256 bounds the worst case.
const TOOL_LIST_CACHE_ENTRIES = 256;
// Modern methods that 2026-07-28 removed: answered like unknown ones (404, -32601), never by the SDK's built-in handlers.
const REMOVED_METHODS = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);
// Modern results that carry caching hints (server/utilities/caching).
const CACHEABLE_METHODS = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);
const dropNotification = async () => {};
const LOG_LEVELS = new Set<string>(LoggingLevelSchema.options);

/**
 * Serves MCP over Streamable HTTP, statelessly: every POST gets a new McpServer and transport that
 * know at most the tools the caller may use. Sharing them across requests lets concurrent callers
 * with equal JSON-RPC ids receive each other's answers (GHSA-345p-7cg4-v4c7).
 *
 * Both protocol eras share this endpoint (2026-07-28 basic/versioning, "dual-era server"): a
 * request whose `_meta` carries a modern protocol version is served statelessly as 2026-07-28;
 * `initialize` and everything else keep the legacy behaviour. Scopes, limits, usage rows and the
 * body and time limits apply to both alike.
 *
 * The hot methods skip the per-request SDK server: a tools/call is validated and run the way
 * McpServer does it (direct-tool-call.ts), and a tools/list is answered from the list the SDK
 * computed once for the same visible tool set. Everything else (initialize, resources, prompts,
 * completion, streamed legacy calls) goes through a per-request McpServer.
 */
export function mcpHandler(options: McpHandlerOptions): Handler {
  // Every McpServer would otherwise compile its own Ajv instance; the SDK only uses it for elicitation.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const serverInfo = { name: 'tenant-mcp', version: options.version };
  const calls = new InFlightCalls();
  const reader = options.requestReader ?? fetchRequestReader;
  // The same objects McpServer.registerTool would build from the raw shapes, once per tool object.
  const toolSchemas = new WeakMap<AnyTool, ToolSchemas>();
  const schemasOf = (t: AnyTool): ToolSchemas => {
    let found = toolSchemas.get(t);
    if (!found) {
      // A connector's tool validates against its upstream's JSON Schema; its output belongs to the upstream.
      const input = t.jsonSchema ? (z.fromJSONSchema(t.jsonSchema.input as never) as AnyObjectSchema) : objectFromShape(t.inputSchema);
      toolSchemas.set(t, (found = { input, output: t.outputSchema && objectFromShape(t.outputSchema) }));
    }
    return found;
  };
  // tools/list results by visible tool set, for one catalog of tools: a new catalog starts afresh.
  let toolLists = new TtlCache<string, ListToolsResult>({ ttlMs: Number.POSITIVE_INFINITY, maxEntries: TOOL_LIST_CACHE_ENTRIES });
  let toolListsOf: readonly AnyTool[] | undefined;
  const listCacheFor = (tools: readonly AnyTool[]) => {
    if (toolListsOf !== tools) {
      toolListsOf = tools;
      toolLists = new TtlCache({ ttlMs: Number.POSITIVE_INFINITY, maxEntries: TOOL_LIST_CACHE_ENTRIES });
    }
    return toolLists;
  };
  // Visible tools by catalog and the caller's scope lists, which are the same arrays on every
  // request of a cached credential; entries go when those arrays are collected.
  const visibleTools = new WeakMap<readonly AnyTool[], WeakMap<readonly string[], WeakMap<readonly string[], readonly AnyTool[]>>>();
  const visibleTo = (caller: Caller, all: readonly AnyTool[]): readonly AnyTool[] => {
    let byTenant = visibleTools.get(all);
    if (!byTenant) visibleTools.set(all, (byTenant = new WeakMap()));
    let byCredential = byTenant.get(caller.tenantScopes);
    if (!byCredential) byTenant.set(caller.tenantScopes, (byCredential = new WeakMap()));
    let tools = byCredential.get(caller.credentialScopes);
    if (!tools) byCredential.set(caller.credentialScopes, (tools = toolsVisibleTo(caller, all)));
    return tools;
  };
  // Lists depend on the credential, so a cache must never share them across callers; the key cache's TTL bounds how stale its scopes may be.
  const cacheHints = { ttlMs: options.config.KEY_CACHE_TTL_SECONDS * 1000, cacheScope: 'private' as const };
  const serverMeta = Object.freeze({ [MetaKey.serverInfo]: serverInfo });

  /** A per-request server with the tools capability declared, what the extension adds for the caller, and the given tools registered. */
  const sdkServer = (caller: Caller, visible: readonly AnyTool[], registered: readonly AnyTool[], run: ToolRun): McpServer => {
    const logging = visible.some((t) => t.streaming);
    const server = new McpServer(serverInfo, { capabilities: { tools: {}, ...(logging ? { logging: {} } : {}) }, jsonSchemaValidator });
    for (const t of registered) registerTool(server, t, schemasOf(t), run);
    options.extension?.(server, caller);
    answerInvalidParamsAsClientErrors(server);
    return server;
  };

  /** The tools/list result for a visible tool set: computed once by the SDK, then shared (frozen). */
  const toolListFor = async (caller: Caller, all: readonly AnyTool[], visible: readonly AnyTool[], run: ToolRun): Promise<ListToolsResult> => {
    const lists = listCacheFor(all);
    const key = visible.map((t) => t.name).join(',');
    const cached = lists.get(key);
    if (cached) return cached;
    const answer = await dispatchToSdk(sdkServer(caller, visible, visible, run), { method: 'tools/list', params: {} }, { signal: new AbortController().signal, requestId: 0, sendNotification: dropNotification });
    if (!answer || !('result' in answer)) throw new Error('The SDK could not list the tools.');
    const list = deepFreeze(withJsonSchemas(answer.result as ListToolsResult, visible));
    lists.set(key, list);
    return list;
  };

  const serve = async (c: Context): Promise<Response> => {
    if (c.req.method !== 'POST') {
      // Stateless: there is no server-initiated stream to open with GET, and no session to DELETE.
      return jsonRpcError(405, JsonRpcCode.Refused, 'Method not allowed: send JSON-RPC messages with POST.', null, { Allow: 'POST' });
    }
    const protocolVersion = c.req.header('MCP-Protocol-Version');
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
    const catalog = options.catalog.tools();
    const all = Array.isArray(catalog) ? (catalog as readonly AnyTool[]) : await catalog;
    const checked = isModern(message, protocolVersion) ? checkModernRequest(message, (name) => c.req.header(name)) : undefined;
    if (checked && !checked.ok) return checked.refusal;
    // -32022 with the versions served: a dual-era client reads it as "modern server" and picks one (both eras' answer to a bad version).
    if (!checked && protocolVersion !== undefined && !SERVED_PROTOCOL_VERSIONS.includes(protocolVersion)) return unsupportedVersion(protocolVersion, requestIdOf(message));
    const modern = checked?.request;
    if (modern && REMOVED_METHODS.has(modern.method)) {
      return jsonRpcError(404, JsonRpcCode.MethodNotFound, `Method not found: ${modern.method} is not part of MCP ${modern.version}.`, modern.id);
    }
    const cancelled = cancelledRequestId(message);
    if (cancelled !== undefined) {
      calls.cancel(caller, cancelled);
      return accepted();
    }
    const visible = visibleTo(caller, all);
    const run: ToolRun = { caller, db: options.db, config: options.config, onClientGone: (onGone) => reader.onClientGone(c, onGone), calls, onToolError: options.onToolError };
    const call = toolCallOf(message);
    const eventOf = (outcome: UsageOutcome, responseBytes: number) =>
      usageEvent(c, caller, {
        outcome,
        tool: call!.name,
        durationMs: performance.now() - started,
        requestBytes: bytes.byteLength,
        responseBytes,
        upstreamStatus: run.upstream?.status ?? null,
        upstreamMs: run.upstream?.ms ?? null,
      });
    const record = (outcome: UsageOutcome, responseBytes: number) => options.defer(options.usage.record(eventOf(outcome, responseBytes)), c);
    // USAGE_DURABILITY=commit: an answered call's row is committed before the answer is released.
    const durable = call !== undefined && options.usage.durability === 'commit';
    const commit = (outcome: UsageOutcome, responseBytes: number) => {
      const committed = options.usage.commit(eventOf(outcome, responseBytes));
      options.defer(committed, c);
      return committed;
    };
    /** A tool call's JSON answer, released once its usage row is recorded (committed first under USAGE_DURABILITY=commit). */
    const answerCall = async (id: string | number, result: unknown): Promise<Response> => {
      const body = utf8Encoder.encode(JSON.stringify({ jsonrpc: '2.0', id, result }));
      const outcome = run.outcome ?? 'invalid';
      if (durable) {
        if (!(await commit(outcome, body.byteLength))) return serviceUnavailable(id);
      } else {
        record(outcome, body.byteLength);
      }
      return new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    /** For a streamed call under USAGE_DURABILITY=commit: its row is committed before the final event, which is withheld if it cannot be. */
    let streamRecorded = false;
    const commitBeforeEnd = durable
      ? async (final: object, bytes: number): Promise<object> => {
          streamRecorded = true;
          return (await commit(run.outcome ?? 'invalid', bytes)) ? final : unavailableAnswer(final as JSONRPCMessage);
        }
      : undefined;
    // For answers built here (rare): reads the body once to count its bytes, then logs the call.
    const logged = async (response: Response, outcome: UsageOutcome) => {
      const body = await response.arrayBuffer();
      record(outcome, body.byteLength);
      return new Response(body, response);
    };

    /** A 2026-07-28 request, once scopes and limits have let it through. */
    const answerModern = async (request: ModernRequest): Promise<Response> => {
      const { id, method, params } = request;
      if (method === 'server/discover') {
        // getCapabilities() is private in the SDK's types, and the one place that knows what the extension registered.
        const capabilities = (sdkServer(caller, visible, [], run).server as unknown as { getCapabilities(): ServerCapabilities }).getCapabilities();
        // Nothing is ever pushed: no subscriptions/listen stream, so no listChanged or subscribe to offer.
        for (const feature of [capabilities.tools, capabilities.prompts, capabilities.resources]) {
          if (feature) for (const flag of ['listChanged', 'subscribe'] as const) delete (feature as Record<string, unknown>)[flag];
        }
        return answered(id, modernResult(method, { supportedVersions: SERVED_PROTOCOL_VERSIONS, capabilities }));
      }
      if (method === 'tools/list') return answered(id, modernResult(method, await toolListFor(caller, all, visible, run)));
      const target = method === 'tools/call' || method === 'prompts/get' ? params.name : method === 'resources/read' ? params.uri : undefined;
      let input: InputRound | undefined;
      if (typeof target === 'string') {
        const binding: StateBinding = { tenantId: caller.tenantId, credential: caller.keyId ?? `sub:${caller.subject ?? ''}`, target: `${method} ${target}`, args: params.arguments };
        const state = params.requestState;
        const verified = state === undefined ? undefined : typeof state === 'string' ? await options.requestState.open(state, binding) : undefined;
        if (state !== undefined && !verified) {
          const refused = jsonRpcError(400, JsonRpcCode.InvalidParams, 'Invalid params: requestState failed verification (changed, expired, or issued for another caller or call).', id);
          return tool ? logged(refused, 'invalid') : refused;
        }
        input = new InputRound(options.requestState, binding, request.capabilities, verified, params.inputResponses);
      }
      if (tool) {
        run.input = input;
        // 2026-07-28 logging: messages only when the request asks for them, from the level it names.
        const logLevel = (params._meta as Record<string, unknown>)[MetaKey.logLevel];
        run.minLogLevel = typeof logLevel === 'string' && LOG_LEVELS.has(logLevel) ? (logLevel as LoggingLevel) : null;
        if (!isArguments(params.arguments)) return logged(jsonRpcError(200, JsonRpcCode.InvalidParams, 'Invalid params: arguments must be an object.', id), 'invalid');
        const callOnce = (send: ToolCallExtra['sendNotification']) =>
          callToolDirectly(tool, schemasOf(tool), params.arguments, { requestId: id, _meta: params._meta as ToolCallExtra['_meta'], sendNotification: send }, run);
        if (stream) {
          const work = async (send: (message: object) => void) => {
            const result = await callOnce(async (notification) => send({ jsonrpc: '2.0', ...notification }));
            return { jsonrpc: '2.0', id, result: modernResult(method, result) };
          };
          const onEnd = (bytes: number, completed: boolean) => {
            if (!streamRecorded) record(run.outcome ?? (completed ? 'invalid' : 'cancelled'), bytes);
          };
          return eventStream(work, onEnd, commitBeforeEnd);
        }
        const result = await callOnce(dropNotification);
        if (run.unavailable) return logged(serviceUnavailable(id), 'error');
        if (run.missingCapabilities) {
          const data = { requiredCapabilities: run.missingCapabilities };
          return logged(jsonRpcError(400, JsonRpcCode.MissingRequiredClientCapability, 'Missing required client capability', id, undefined, data), 'invalid');
        }
        return answerCall(id, modernResult(method, result));
      }
      const extra = { signal: new AbortController().signal, requestId: id, _meta: params._meta, sendNotification: dropNotification, sendRequest: refuseServerRequest, authInfo: c.get('auth'), requestInfo: { headers: c.req.header() }, input };
      const answer = await dispatchToSdk(sdkServer(caller, visible, [], run), { method, params }, extra);
      if (!answer) return jsonRpcError(404, JsonRpcCode.MethodNotFound, `Method not found: ${method}`, id);
      if ('error' in answer) {
        // resources/read of an unknown URI: -32602 naming the URI (2026-07-28 server/resources "Error Handling").
        const unknownResource = method === 'resources/read' && answer.error.code === JsonRpcCode.InvalidParams && answer.error.data === undefined;
        const error = unknownResource ? { ...answer.error, data: { uri: params.uri } } : answer.error;
        // 2026-07-28 basic/index: a missing client capability is a 400 on HTTP.
        return Response.json({ jsonrpc: '2.0', id, error }, { status: error.code === JsonRpcCode.MissingRequiredClientCapability ? 400 : 200 });
      }
      return answered(id, modernResult(method, answer.result));
    };
    /** A modern result: `resultType`, the server's identity, and caching hints where the spec wants them. */
    const modernResult = (method: string, result: Record<string, unknown> | CallToolResult | InputRequiredResult): object => {
      if (result.resultType === 'input_required') return result;
      // serverMeta is shared, never changed: answers are serialized as soon as they are built.
      const meta = result._meta === undefined ? serverMeta : { ...(result._meta as object), ...serverMeta };
      const complete = copyOf(result);
      complete.resultType = 'complete';
      if (CACHEABLE_METHODS.has(method)) Object.assign(complete, cacheHints);
      complete._meta = meta;
      return complete;
    };

    const tool = call && visible.find((t) => t.name === call.name);
    if (call && !tool) {
      const known = all.find((t) => t.name === call.name);
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

    // Notifications (progress, log messages) need an SSE answer; everything else gets plain JSON.
    const stream = answersWithEventStream(c.req.header('Accept'), message, visible);
    const refusal = mediaTypeRefusal(c.req.header('Accept'), c.req.header('Content-Type'));
    if (modern) {
      if (refusal) return refusal;
      return answerModern(modern);
    }

    // The legacy hot path: a plain JSON tools/call or tools/list, answered without a per-request server.
    const m = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: { arguments?: unknown; _meta?: ToolCallExtra['_meta'] } };
    const plain = !refusal && !stream && m.jsonrpc === '2.0' && (typeof m.id === 'string' || typeof m.id === 'number');
    if (plain && tool && isArguments(m.params?.arguments)) {
      const extra: ToolCallExtra = { requestId: m.id as string | number, _meta: m.params?._meta, sendNotification: dropNotification };
      const result = await callToolDirectly(tool, schemasOf(tool), m.params?.arguments, extra, run);
      if (run.unavailable) return logged(serviceUnavailable(call!.id), 'error');
      return answerCall(m.id as string | number, result);
    }
    if (plain && m.method === 'tools/list' && isArguments(m.params) && Object.keys(m.params ?? {}).every((k) => k === '_meta')) {
      return answered(m.id as string | number, await toolListFor(caller, all, visible, run));
    }

    const server = new McpServer(serverInfo, { capabilities: { tools: {}, ...(visible.some((t) => t.streaming) ? { logging: {} } : {}) }, jsonSchemaValidator });
    if (tool) {
      registerTool(server, tool, schemasOf(tool), run);
    } else if ((message as { method?: unknown }).method === 'tools/list') {
      // The list the hot path serves too: the same tools, the same JSON Schemas, computed once.
      const result = await toolListFor(caller, all, visible, run);
      server.server.setRequestHandler(ListToolsRequestSchema, () => result);
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
    if (!call) return response;
    if (run.unavailable) return logged(serviceUnavailable(call.id), 'error');
    // No outcome means the handler never ran: the SDK refused the arguments before calling it.
    // @hono/mcp writes the answer as JSON.stringify(answer), so this is the body's exact size.
    const responseBytes = answer ? utf8Encoder.encode(JSON.stringify(answer)).byteLength : 0;
    if (durable) return (await commit(run.outcome ?? 'invalid', responseBytes)) ? response : serviceUnavailable(call.id);
    record(run.outcome ?? 'invalid', responseBytes);
    return response;
  };

  return async function handleMcp(c) {
    if (options.usage.durability !== 'commit') return serve(c);
    // Counted while under way, so that a group of usage rows commits once every request has joined it.
    const release = options.usage.hold();
    try {
      return await serve(c);
    } finally {
      release();
    }
  };
}

/**
 * A shallow copy of a plain object. On Node 20 an object spread (`{ ...result }`) of a tool result
 * took about 1.5 µs, this loop 0.05 µs: it showed as 3% of a 2026-07-28 call's CPU.
 */
function copyOf(value: object): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = (value as Record<string, unknown>)[key];
  return copy;
}

/** A JSON-RPC result as a JSON answer. */
function answered(id: string | number, result: unknown): Response {
  const body = utf8Encoder.encode(JSON.stringify({ jsonrpc: '2.0', id, result }));
  return new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } });
}

/** The SDK transport's 406 and 415, for the requests answered without it. */
function mediaTypeRefusal(accept: string | undefined, contentType: string | undefined): Response | undefined {
  const a = accept ?? '*/*';
  if (!a.includes('application/json') && !a.includes('text/event-stream') && !a.includes('*/*')) {
    return jsonRpcError(406, JsonRpcCode.Refused, 'Not Acceptable: Client must accept application/json or text/event-stream');
  }
  if (!contentType?.includes('application/json')) return jsonRpcError(415, JsonRpcCode.Refused, 'Unsupported Media Type: Content-Type must be application/json');
  return undefined;
}

/** A message's JSON-RPC id, or null when it has none usable. */
function requestIdOf(message: object): string | number | null {
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Tool arguments (or params) as the schema allows them: absent, or a plain object. */
function isArguments(value: unknown): value is Record<string, unknown> | undefined {
  return value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value));
}

/** A modern server never sends requests to the client: it asks through `input_required` results. */
function refuseServerRequest(): Promise<never> {
  return Promise.reject(new Error('Cannot send a request to the client in MCP 2026-07-28: ask with ctx.ask() instead.'));
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
  // Legacy runs have no input round, so their answers are never input_required.
  server.registerTool(name, config, (args: unknown, extra: ToolCallExtra) => runTool(tool, args, extra, run) as Promise<CallToolResult>);
}

/** The list with each connector tool's own JSON Schemas in place of the ones the SDK derived from zod. */
function withJsonSchemas(list: ListToolsResult, visible: readonly AnyTool[]): ListToolsResult {
  const byName = new Map(visible.filter((t) => t.jsonSchema).map((t) => [t.name, t.jsonSchema!]));
  if (byName.size === 0) return list;
  const tools = list.tools.map((t) => {
    const own = byName.get(t.name);
    if (!own) return t;
    const listed = { ...t, inputSchema: own.input as ListToolsResult['tools'][number]['inputSchema'] };
    if (own.output) listed.outputSchema = own.output as ListToolsResult['tools'][number]['outputSchema'];
    return listed;
  });
  return { ...list, tools };
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
