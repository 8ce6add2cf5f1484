import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { JsonRpcCode } from './json-rpc.ts';

type RequestHandler = (request: unknown, extra: unknown) => Promise<unknown>;

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
}

/**
 * Makes the server answer a request whose params fail the SDK's schema (e.g. `initialize` without
 * `capabilities`, or `tools/call` with non-object `arguments`) with -32602 "Invalid params" and a
 * one-line reason. The SDK reports those as -32603 Internal error with the raw validation dump:
 * a client's mistake must not read as a server failure. Call it after registering every handler.
 */
export function answerInvalidParamsAsClientErrors(server: McpServer): void {
  // The SDK keeps its handlers in a private map; this wraps each once, on the error path only.
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, RequestHandler> })._requestHandlers;
  for (const [method, handler] of handlers) {
    handlers.set(method, async (request, extra) => {
      try {
        return await handler(request, extra);
      } catch (error) {
        throw invalidParams(error) ?? error;
      }
    });
  }
}

function invalidParams(error: unknown): Error | undefined {
  const issues = (error as { name?: unknown; issues?: unknown }).issues;
  if (!(error instanceof Error) || !/^\$?ZodError$/.test(error.name) || !Array.isArray(issues) || issues.length === 0) return undefined;
  const first = issues[0] as ZodIssueLike;
  const where = first.path.map(String).join('.');
  return Object.assign(new Error(`Invalid params${where ? ` at ${where}` : ''}: ${first.message}`), { code: JsonRpcCode.InvalidParams });
}
