import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../auth/caller.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { UsageOutcome } from '../db/schema.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { type ToolContext, toolError } from '../tools/define-tool.ts';
import type { AnyTool } from '../tools/index.ts';
import type { InFlightCalls } from './in-flight-calls.ts';

/** What the SDK hands a tool callback. */
export type ToolCallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** One request's tool call: what the tool may use, and what it reports back for the usage log. */
export interface ToolRun {
  caller: Caller;
  db: Database;
  config: Config;
  /** Aborted when the HTTP client disconnects. */
  clientGone: AbortSignal;
  calls: InFlightCalls;
  onToolError: (tool: string, error: unknown) => void;
  /** Set once the handler has finished, failed, timed out or been cancelled. */
  outcome?: UsageOutcome;
  /** Set when the tool failed because the database could not be reached: answered 503, not as a tool error. */
  unavailable?: boolean;
}

/** The text of the result a call gets when the database is unreachable (SSE answers keep it; JSON ones become 503). */
export const UNAVAILABLE_TEXT = 'The service is temporarily unavailable: its database cannot be reached. Retry shortly.';

/**
 * Runs a tool's handler for one call. The call ends at the first of: the handler settles, the
 * client cancels (`notifications/cancelled`) or disconnects, or TOOL_TIMEOUT_MS passes. A handler
 * that ignores its signal is not waited for. Never throws: failures become `isError` results,
 * and the outcome is left in `run` for the usage log.
 */
export async function runTool(tool: AnyTool, args: unknown, extra: ToolCallExtra, run: ToolRun): Promise<CallToolResult> {
  const timeout = AbortSignal.timeout(run.config.TOOL_TIMEOUT_MS);
  const cancel = new AbortController();
  const untrack = run.calls.track(run.caller, extra.requestId, cancel);
  const signal = AbortSignal.any([extra.signal, run.clientGone, cancel.signal, timeout]);
  let onAbort = () => {};
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = await Promise.race([tool.handler(args as never, toolContext(tool, signal, extra, run)), stopped]);
    run.outcome = result.isError ? 'tool_error' : 'ok';
    return result;
  } catch (error) {
    if (timeout.aborted) {
      run.outcome = 'timeout';
      return toolError(`The ${tool.name} tool did not finish within ${run.config.TOOL_TIMEOUT_MS / 1000} s and was stopped.`);
    }
    if (signal.aborted) {
      run.outcome = 'cancelled';
      return toolError(`The ${tool.name} call was cancelled.`);
    }
    run.outcome = 'error';
    run.onToolError(tool.name, error);
    if (isDatabaseUnavailable(error)) {
      run.unavailable = true;
      return toolError(UNAVAILABLE_TEXT);
    }
    return toolError(`The ${tool.name} tool failed unexpectedly. Try again later.`);
  } finally {
    // Node holds a combined signal strongly while it has abort listeners: let it go with the call.
    signal.removeEventListener('abort', onAbort);
    untrack();
  }
}

function toolContext(tool: AnyTool, signal: AbortSignal, extra: ToolCallExtra, run: ToolRun): ToolContext {
  const progressToken = extra._meta?.progressToken;
  // Notifications are best effort: a client that went away must not fail the tool.
  const send = (notification: ServerNotification) => extra.sendNotification(notification).catch(() => {});
  return {
    caller: run.caller,
    db: run.db,
    config: run.config,
    signal,
    progress: async (progress, total, message) => {
      if (progressToken !== undefined) await send({ method: 'notifications/progress', params: { progressToken, progress, total, message } });
    },
    log: async (level, data) => {
      if (tool.streaming) await send({ method: 'notifications/message', params: { level, logger: tool.name, data } });
    },
  };
}
