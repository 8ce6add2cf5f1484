import { StreamableHTTPTransport } from '@hono/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Context, Handler } from 'hono';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { UsageOutcome } from '../db/schema.ts';
import { serviceUnavailable } from '../http/service-unavailable.ts';
import { limitRefusal } from '../limits/limit-refusal.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import { type AnyTool, toolsVisibleTo } from '../tools/index.ts';
import { usageEvent } from '../usage/usage-event.ts';
import type { UsageRecorder } from '../usage/usage-recorder.ts';
import type { InsufficientScope } from './insufficient-scope.ts';
import { answersWithEventStream, observeBody } from './event-stream.ts';
import { InFlightCalls, cancelledRequestId } from './in-flight-calls.ts';
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
}

// ignoreBOM is the default; workerd's types require it to be spelled out.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Serves MCP over Streamable HTTP, statelessly: every POST gets a new McpServer and transport that
 * know only the tools the caller may use. Sharing them across requests lets concurrent callers
 * with equal JSON-RPC ids receive each other's answers (GHSA-345p-7cg4-v4c7).
 */
export function mcpHandler(options: McpHandlerOptions): Handler {
  // Every McpServer would otherwise compile its own Ajv instance; the SDK only uses it for elicitation.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const serverInfo = { name: 'tenant-mcp', version: options.version };
  const calls = new InFlightCalls();

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
    const cancelled = cancelledRequestId(message);
    if (cancelled !== undefined) {
      calls.cancel(caller, cancelled);
      return new Response(null, { status: 202 });
    }
    const visible = toolsVisibleTo(caller, options.tools);
    const call = toolCallOf(message);
    const record = (outcome: UsageOutcome, responseBytes: number) => {
      const fields = { outcome, tool: call!.name, durationMs: performance.now() - started, requestBytes: bytes.byteLength, responseBytes };
      options.defer(options.usage.record(usageEvent(c, caller, fields)), c);
    };
    // Reads the answer once to count its bytes, then logs the call and returns the answer.
    const logged = async (response: Response, outcome: UsageOutcome) => {
      const body = await response.arrayBuffer();
      record(outcome, body.byteLength);
      return new Response(body, response);
    };

    if (call && !visible.some((t) => t.name === call.name)) {
      const tool = options.tools.find((t) => t.name === call.name);
      const stepUp = tool && options.insufficientScope?.(caller, tool, call.id);
      if (stepUp) return logged(stepUp, 'denied');
      // Otherwise a tool outside the caller's grants is indistinguishable from one that does not exist.
      return logged(jsonRpcError(200, JsonRpcCode.InvalidParams, `Unknown tool: ${call.name}`, call.id), tool ? 'denied' : 'invalid');
    }
    if (call) {
      // Only tools/call is charged, before the tool runs; initialize, ping and tools/list are free.
      const admission = await options.limiter.admit(caller, call.name);
      if (!admission.ok) return admission.reason === 'limited' ? logged(limitRefusal(admission, call.id), 'rate_limited') : logged(serviceUnavailable(call.id), 'error');
    }

    const run: ToolRun = { caller, db: options.db, config: options.config, clientGone: c.req.raw.signal, calls, onToolError: options.onToolError };
    // Notifications (progress, log messages) need an SSE answer; everything else gets plain JSON.
    const stream = answersWithEventStream(c.req.header('Accept'), message, visible);
    const logging = visible.some((t) => t.streaming);
    const server = new McpServer(serverInfo, { capabilities: { tools: {}, ...(logging ? { logging: {} } : {}) }, jsonSchemaValidator });
    for (const tool of visible) registerTool(server, tool, run);
    options.extension?.(server, caller);
    answerInvalidParamsAsClientErrors(server);
    const transport = new StreamableHTTPTransport({ enableJsonResponse: !stream });
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
        if (call) record(run.outcome ?? (completed ? 'invalid' : 'cancelled'), responseBytes);
      });
    }
    void server.close();
    if (!response || response.status === 202) return new Response(null, { status: 202 });
    if (!call) return response;
    if (run.unavailable) return logged(serviceUnavailable(call.id), 'error');
    // No outcome means the handler never ran: the SDK refused the arguments before calling it.
    return logged(response, run.outcome ?? 'invalid');
  };
}

function registerTool(server: McpServer, tool: AnyTool, run: ToolRun): void {
  const { name, title, description, inputSchema, outputSchema, annotations } = tool;
  server.registerTool(name, { title, description, inputSchema, outputSchema, annotations }, (args: unknown, extra: ToolCallExtra) => runTool(tool, args, extra, run));
}

function toolCallOf(message: object): { id: string | number | null; name: string } | undefined {
  const m = message as { method?: unknown; id?: unknown; params?: { name?: unknown } };
  if (m.method !== 'tools/call') return undefined;
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  const name = typeof m.params?.name === 'string' ? m.params.name.slice(0, 128) : '';
  return { id, name };
}
