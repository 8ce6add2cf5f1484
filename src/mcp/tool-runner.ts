import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, LoggingLevel, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../auth/caller.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { UsageOutcome } from '../db/schema.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { type ElicitAnswer, type ToolContext, toolError } from '../tools/define-tool.ts';
import type { AnyTool } from '../tools/index.ts';
import type { InFlightCalls } from './in-flight-calls.ts';
import { InputRequired, type InputRequiredResult, type InputRound, MissingClientCapability } from './input-round.ts';

/** What a tool call needs from the SDK's handler extra; the direct path builds just this. */
export type ToolCallExtra = Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, 'requestId' | '_meta' | 'sendNotification'> & {
  /** The SDK's request signal; the direct path has none (its calls stop through ToolRun). */
  signal?: AbortSignal;
};

/** One request's tool call: what the tool may use, and what it reports back for the usage log. */
export interface ToolRun {
  caller: Caller;
  db: Database;
  config: Config;
  /** Calls `onGone` if the HTTP client disconnects; returns a function that stops listening. */
  onClientGone: (onGone: (reason: unknown) => void) => () => void;
  calls: InFlightCalls;
  onToolError: (tool: string, error: unknown) => void;
  /** A modern-era call's round of `input_required`; absent in the legacy era, where tools cannot ask the client. */
  input?: InputRound;
  /** Set once the handler has finished, failed, timed out or been cancelled. */
  outcome?: UsageOutcome;
  /** The least severe log level sent to the client; null sends none (a modern request without `_meta` logLevel). Default: every level. */
  minLogLevel?: LoggingLevel | null;
  /** Set when the tool needs client capabilities the request did not declare: answered -32021, not as a tool error. */
  missingCapabilities?: Record<string, object>;
  /** Set when the tool failed because the database could not be reached: answered 503, not as a tool error. */
  unavailable?: boolean;
  /** A connector tool's upstream answer, for the usage row. */
  upstream?: { status: number | null; ms: number };
}

/** The text of the result a call gets when the database is unreachable (SSE answers keep it; JSON ones become 503). */
export const UNAVAILABLE_TEXT = 'The service is temporarily unavailable: its database cannot be reached. Retry shortly.';

/**
 * Runs a tool's handler for one call. The call ends at the first of: the handler settles, the
 * client cancels (`notifications/cancelled`) or disconnects, or TOOL_TIMEOUT_MS passes. A handler
 * that ignores its signal is not waited for. Never throws: failures become `isError` results,
 * and the outcome is left in `run` for the usage log.
 */
export async function runTool(tool: AnyTool, args: unknown, extra: ToolCallExtra, run: ToolRun): Promise<CallToolResult | InputRequiredResult> {
  const stopper = new CallStopper();
  const timer = setTimeout(() => stopper.stop(new DOMException('The tool call timed out.', 'TimeoutError'), true), run.config.TOOL_TIMEOUT_MS);
  const onRequestAbort = () => stopper.stop(extra.signal?.reason);
  if (extra.signal?.aborted) onRequestAbort();
  else extra.signal?.addEventListener('abort', onRequestAbort, { once: true });
  const unfollowClient = run.onClientGone((reason) => stopper.stop(reason));
  const untrack = run.calls.track(run.caller, extra.requestId, (reason) => stopper.stop(reason));
  try {
    const result = await Promise.race([tool.handler(args as never, new CallContext(tool, stopper, extra, run)), stopper.stopped]);
    run.outcome = result.isError ? 'tool_error' : 'ok';
    return result;
  } catch (error) {
    if (error instanceof InputRequired) {
      run.outcome = 'input_required';
      return error.result;
    }
    if (error instanceof MissingClientCapability) {
      run.outcome = 'invalid';
      run.missingCapabilities = error.requiredCapabilities;
      return toolError(error.message);
    }
    if (stopper.timedOut) {
      run.outcome = 'timeout';
      return toolError(`The ${tool.name} tool did not finish within ${run.config.TOOL_TIMEOUT_MS / 1000} s and was stopped.`);
    }
    if (stopper.isStopped) {
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
    clearTimeout(timer);
    extra.signal?.removeEventListener('abort', onRequestAbort);
    unfollowClient();
    untrack();
  }
}

/**
 * Ends a call at the first stop (timeout, cancellation, disconnect). The AbortSignal handed to the
 * tool is made only if the tool reads it: on Node 20 each AbortSignal costs more than a simple call.
 */
class CallStopper {
  timedOut = false;
  isStopped = false;
  /** Rejects at the first stop; raced against the handler. */
  readonly stopped: Promise<never>;
  #reason: unknown;
  #reject!: (reason: unknown) => void;
  #controller: AbortController | undefined;

  constructor() {
    this.stopped = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    // Raced only while the handler runs; a stop after that must not surface as unhandled.
    this.stopped.catch(() => {});
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.isStopped) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  stop(reason: unknown, timedOut = false): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.timedOut = timedOut;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#reject(reason);
  }
}

/**
 * What a handler gets as its context. Its functions are made when the handler reads them (tools
 * destructure them, so each is bound): most calls use none, and making six closures per call showed
 * in the call path's profile.
 */
class CallContext implements ToolContext {
  readonly caller: Caller;
  readonly db: Database;
  readonly config: Config;
  readonly #tool: AnyTool;
  readonly #stopper: CallStopper;
  readonly #extra: ToolCallExtra;
  readonly #run: ToolRun;

  constructor(tool: AnyTool, stopper: CallStopper, extra: ToolCallExtra, run: ToolRun) {
    this.caller = run.caller;
    this.db = run.db;
    this.config = run.config;
    this.#tool = tool;
    this.#stopper = stopper;
    this.#extra = extra;
    this.#run = run;
  }

  get signal(): AbortSignal {
    return this.#stopper.signal;
  }

  get roundData(): unknown {
    return this.#run.input?.data;
  }

  get progress(): ToolContext['progress'] {
    const progressToken = this.#extra._meta?.progressToken;
    return async (progress, total, message) => {
      if (progressToken !== undefined) await this.#send({ method: 'notifications/progress', params: { progressToken, progress, total, message } });
    };
  }

  get log(): ToolContext['log'] {
    return async (level, data) => {
      if (this.#tool.streaming && logs(this.#run.minLogLevel, level)) await this.#send({ method: 'notifications/message', params: { level, logger: this.#tool.name, data } });
    };
  }

  get ask(): ToolContext['ask'] {
    return async (requests, options) => this.#run.input?.ask(requests, options);
  }

  get elicit(): ToolContext['elicit'] {
    return async (key, message, requestedSchema) => {
      const answers = await this.#run.input?.ask({ [key]: { method: 'elicitation/create', params: { mode: 'form', message, requestedSchema } } });
      return answers?.[key] as ElicitAnswer | undefined;
    };
  }

  get recordUpstream(): ToolContext['recordUpstream'] {
    return (status, ms) => {
      this.#run.upstream = { status, ms: Math.round(ms) };
    };
  }

  /** Notifications are best effort: a client that went away must not fail the tool. */
  #send(notification: ServerNotification): Promise<void> {
    return this.#extra.sendNotification(notification).catch(() => {});
  }
}

const LOG_LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

function logs(min: LoggingLevel | null | undefined, level: LoggingLevel): boolean {
  if (min === undefined) return true;
  return min !== null && LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}
