import type { CallToolResult, LoggingLevel, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Caller } from '../auth/caller.ts';
import { RESERVED_SCOPE_PREFIX } from '../auth/tenant-admin.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';

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
