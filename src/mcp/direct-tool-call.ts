import { type AnyObjectSchema, getParseErrorMessage, safeParseAsync } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { type CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { toolError } from '../tools/define-tool.ts';
import type { AnyTool } from '../tools/index.ts';
import type { InputRequiredResult } from './input-round.ts';
import { type ToolCallExtra, type ToolRun, runTool } from './tool-runner.ts';

/** A tool's zod objects, built once per process. */
export interface ToolSchemas {
  input: AnyObjectSchema;
  output?: AnyObjectSchema;
}

/**
 * Calls a tool the way the SDK's McpServer does (validate the arguments, run, validate the
 * structured output; a failure of either is an `isError` result with the SDK's own wording), but
 * without building a server and transport for the request. The hot path of both eras.
 */
export async function callToolDirectly(tool: AnyTool, schemas: ToolSchemas, args: unknown, extra: ToolCallExtra, run: ToolRun): Promise<CallToolResult | InputRequiredResult> {
  const parsed = await safeParseAsync(schemas.input, args ?? {});
  if (!parsed.success) {
    const reason = getParseErrorMessage(parsed.error);
    return toolError(new McpError(ErrorCode.InvalidParams, `Input validation error: Invalid arguments for tool ${tool.name}: ${reason}`).message);
  }
  const result = await runTool(tool, parsed.data, extra, run);
  if (!schemas.output || result.isError || 'resultType' in result) return result;
  if (!result.structuredContent) {
    return toolError(new McpError(ErrorCode.InvalidParams, `Output validation error: Tool ${tool.name} has an output schema but no structured content was provided`).message);
  }
  const output = await safeParseAsync(schemas.output, result.structuredContent);
  if (!output.success) {
    const reason = getParseErrorMessage(output.error);
    return toolError(new McpError(ErrorCode.InvalidParams, `Output validation error: Invalid structured content for tool ${tool.name}: ${reason}`).message);
  }
  return result;
}
