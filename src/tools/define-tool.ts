import type { CallToolResult, LoggingLevel, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Caller } from '../auth/caller.ts';
import { RESERVED_SCOPE_PREFIX } from '../auth/tenant-admin.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { AskOptions, InputRequests } from '../mcp/input-round.ts';

/** What a tool handler may use. Everything tenant-specific comes from `caller`. */
export interface ToolContext {
  caller: Caller;
  db: Database;
  config: Config;
  /** Aborted when the client cancels or disconnects, or the call exceeds TOOL_TIMEOUT_MS. */
  signal: AbortSignal;
  /** Reports progress when the client asked for it (`_meta.progressToken`); otherwise does nothing. Never rejects. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Sends a log message to the client (`notifications/message`); delivered only to tools declared `streaming`. Never rejects. */
  log(level: LoggingLevel, data: unknown): Promise<void>;
  /**
   * Asks the client for input in the middle of the call (MCP 2026-07-28 `input_required`: elicitation,
   * sampling, roots). Resolves with the answers by key once the client has given them all; resolves
   * undefined when the client cannot be asked (a legacy-era client, or none of the requests is for a
   * capability it declared), so the tool decides what to do without. While answers are missing the
   * round ends here and the handler runs again from the top with them, so code before the last
   * question must not change anything. `options.data` (signed, not encrypted) comes back as
   * `roundData`; `options.required` refuses the call (-32021) when the client cannot be asked.
   */
  ask(requests: InputRequests, options?: AskOptions): Promise<Record<string, unknown> | undefined>;
  /** One elicitation form through `ask`: the user's answer, or undefined when the client cannot be asked. */
  elicit(key: string, message: string, requestedSchema: ElicitSchema): Promise<ElicitAnswer | undefined>;
  /** What the handler passed to `ask` as `data` in the previous round; undefined on the first. */
  roundData: unknown;
  /** A tool that calls an upstream says how it answered (HTTP status, null when none came) and how long it took, for the usage row. */
  recordUpstream(status: number | null, ms: number): void;
}

/** The form an elicitation asks the user to fill: a flat object of primitive fields. */
export type ElicitSchema = { type: 'object'; properties: Record<string, object>; required?: string[] };

/** The user's answer to an elicitation form. */
export interface ElicitAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

type Shape = z.ZodRawShape;

/** A tool: its MCP metadata, the scopes it needs, its zod input (and output) shape, and its handler. */
export interface ToolDefinition<Input extends Shape = Shape, Output extends Shape = Shape> {
  /** 1-128 chars of [A-Za-z0-9_.-]. */
  name: string;
  title: string;
  description: string;
  /** Every one of these must be granted by both the tenant and the credential. */
  scopes: string[];
  inputSchema: Input;
  outputSchema?: Output;
  /**
   * JSON Schemas that replace the zod shapes (leave `inputSchema` empty): arguments are validated
   * against `input` (converted by zod's `fromJSONSchema`), and listings show both as given. How a
   * connector offers its upstream's tools; `output` is listed, not enforced (the upstream owns it).
   */
  jsonSchema?: { input: Record<string, unknown>; output?: Record<string, unknown> };
  annotations: ToolAnnotations;
  /** The tool sends log messages while it runs: its calls are answered as an SSE stream when the client accepts one. */
  streaming?: boolean;
  handler: (args: z.infer<z.ZodObject<Input>>, ctx: ToolContext) => Promise<CallToolResult>;
}

/** Declares a tool; an identity function that gives the handler typed arguments. */
export function defineTool<Input extends Shape, Output extends Shape = Shape>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(definition.name)) {
    throw new Error(`Tool name "${definition.name}" must be 1-128 characters of A-Z a-z 0-9 _ . -`);
  }
  const reserved = definition.scopes.filter((s) => s.startsWith(RESERVED_SCOPE_PREFIX));
  if (reserved.length > 0) {
    throw new Error(`Tool "${definition.name}" cannot need scope ${reserved.join(', ')}: scopes under ${RESERVED_SCOPE_PREFIX} are reserved for tenant administration`);
  }
  return definition;
}

/** A plain text result. */
export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

/** A structured result with its JSON repeated as text, as the spec asks for clients without structured support. */
export function structuredResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A business failure the model should see and may correct: `isError: true`, not a protocol error. */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
