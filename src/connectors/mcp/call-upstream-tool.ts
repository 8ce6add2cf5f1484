import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { untilAborted } from './aborted-error.ts';
import { redactCredentials } from './redact-credentials.ts';
import { legacySessions, type LegacySessionCache } from './legacy-session-cache.ts';
import { mcpParamHeaders } from './mcp-param-headers.ts';
import { initializeUpstream } from './open-upstream-session.ts';
import type { UpstreamFetch } from '../upstream-fetch.ts';
import { UpstreamMcpError } from './upstream-mcp-error.ts';
import { sessionRequest, type UpstreamSession } from './upstream-session.ts';

/** What a call needs: the fetch, the headers (credentials), cancellation, and the era and revision the listing found. */
export interface CallUpstreamToolOptions {
  fetch: UpstreamFetch;
  headers: Record<string, string>;
  signal: AbortSignal;
  era: 'modern' | 'legacy';
  protocolVersion: string;
  /** The tool's input schema as listed: a 2026-07-28 call mirrors its `x-mcp-header` arguments as `Mcp-Param-*` headers. */
  inputSchema?: Record<string, unknown>;
  /** Where legacy sessions are kept between calls; the process-wide cache by default. */
  sessions?: LegacySessionCache;
}

/** The upstream's result (or an `isError` one saying what failed) and its HTTP status (null when no response came), for the usage row. */
export interface UpstreamCallOutcome {
  result: CallToolResult;
  status: number | null;
}

/**
 * Calls one tool on a remote MCP server. Modern era: one request. Legacy era: one request on a
 * kept session for these headers (opened with `initialize` when none is kept, and opened again
 * once when the upstream no longer knows it). Never throws: every failure is an `isError` result.
 */
export async function callUpstreamTool(url: string, name: string, args: Record<string, unknown>, options: CallUpstreamToolOptions): Promise<UpstreamCallOutcome> {
  const post = { fetch: options.fetch, headers: options.headers, signal: options.signal };
  const request = { method: 'tools/call', params: { name, arguments: args } };
  try {
    if (options.era === 'modern') {
      const headers = options.inputSchema ? mcpParamHeaders(options.inputSchema, args) : {};
      return outcome(await sessionRequest(url, { era: 'modern', protocolVersion: options.protocolVersion }, { ...request, headers }, post));
    }
    const sessions = options.sessions ?? legacySessions;
    let opened = false;
    const open = () => {
      opened = true;
      return initializeUpstream(url, post);
    };
    let kept = sessions.get(url, options.headers, open);
    let session: UpstreamSession;
    try {
      session = await untilAborted(kept, options.signal);
    } catch (error) {
      if (opened || options.signal.aborted) throw error;
      // another call's handshake failed (perhaps its own caller cancelled): try one of our own
      kept = sessions.get(url, options.headers, open);
      session = await untilAborted(kept, options.signal);
    }
    try {
      return outcome(await sessionRequest(url, session, request, post));
    } catch (error) {
      // A kept session the upstream has ended (404, or 400 from servers built on the SDK's examples) refused the request before running it: open a new one once.
      if (opened || !(error instanceof UpstreamMcpError) || (error.status !== 404 && error.status !== 400) || error.code !== undefined) throw error;
      sessions.forget(url, options.headers, kept);
      return outcome(await sessionRequest(url, await untilAborted(sessions.get(url, options.headers, open), options.signal), request, post));
    }
  } catch (error) {
    const message = error instanceof UpstreamMcpError ? error.message : `The upstream call failed: ${error instanceof Error ? error.message : String(error)}`;
    return { result: { content: [{ type: 'text', text: redactCredentials(message, options.headers) }], isError: true }, status: error instanceof UpstreamMcpError ? error.status : null };
  }
}

/** The upstream's `CallToolResult` fields passed through; an `input_required` or malformed result becomes an error. */
function outcome({ result, status }: { result: Record<string, unknown>; status: number }): UpstreamCallOutcome {
  if (result.resultType === 'input_required') {
    throw new UpstreamMcpError('The upstream asked for user input (input_required), which a connector cannot relay', status);
  }
  if (!Array.isArray(result.content)) throw new UpstreamMcpError('The upstream answered tools/call without a content array', status);
  const structured = result.structuredContent;
  return {
    result: {
      content: result.content as CallToolResult['content'],
      ...(structured !== null && typeof structured === 'object' && !Array.isArray(structured) ? { structuredContent: structured as Record<string, unknown> } : {}),
      ...(result.isError === true ? { isError: true } : {}),
    },
    status,
  };
}
