import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { InputRequired, MissingClientCapability } from './input-round.ts';
import { JsonRpcCode } from './json-rpc.ts';

type RequestHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/** What a request handler answered: a result, or a JSON-RPC error. */
export type HandlerAnswer = { result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } };

/**
 * Hands one request to a per-request McpServer's own handler for its method, without a transport
 * or an `initialize`: how the modern era reaches what the SDK implements (resources, prompts,
 * completion). A handler finds the request's input round as `extra.input`. Resolves undefined when the server has no handler for the method. Errors become
 * the JSON-RPC error the SDK's protocol layer would send.
 */
export async function dispatchToSdk(server: McpServer, request: { method: string; params: unknown }, extra: object): Promise<HandlerAnswer | undefined> {
  // The SDK keeps its handlers in a private map (see invalid-params.ts for the same reach).
  const handler = (server.server as unknown as { _requestHandlers: Map<string, RequestHandler> })._requestHandlers.get(request.method);
  if (!handler) return undefined;
  try {
    return { result: (await handler(request, extra)) as Record<string, unknown> };
  } catch (error) {
    // A prompt or resource that asked the client for input ends its round with that result.
    if (error instanceof InputRequired) return { result: error.result };
    if (error instanceof MissingClientCapability) {
      return { error: { code: JsonRpcCode.MissingRequiredClientCapability, message: error.message, data: { requiredCapabilities: error.requiredCapabilities } } };
    }
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    const code = Number.isSafeInteger(e.code) ? (e.code as number) : ErrorCode.InternalError;
    const message = typeof e.message === 'string' ? e.message : 'Internal error';
    return { error: e.data === undefined ? { code, message } : { code, message, data: e.data } };
  }
}
