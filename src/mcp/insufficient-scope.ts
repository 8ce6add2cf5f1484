import { bearerChallenge } from '../auth/bearer-challenge.ts';
import type { Caller } from '../auth/caller.ts';
import { grants, grantsAll } from '../auth/scopes.ts';
import type { AnyTool } from '../tools/index.ts';
import { JsonRpcCode, jsonRpcError } from './json-rpc.ts';

/** Answers a call of a tool the caller cannot see, or returns undefined to treat the tool as unknown. */
export type InsufficientScope = (caller: Caller, tool: AnyTool, id: string | number | null) => Response | undefined;

/**
 * Step-up for token callers (MCP authorization, "Scope Challenge Handling"): a tool that the
 * tenant's plan includes but the token's scopes do not gets 403 `insufficient_scope`, naming the
 * scopes to ask the authorization server for. Tools outside the plan still look unknown, so the
 * answer reveals nothing beyond the plan. API keys are not challenged: an operator sets their
 * scopes and no authorization flow can widen them, so for them the tool stays unknown (-32602).
 */
export function insufficientScope(options: { resourceMetadata?: string }): InsufficientScope {
  return function answerInsufficientScope(caller, tool, id) {
    if (caller.keyId !== null || !grantsAll(caller.tenantScopes, tool.scopes)) return undefined;
    const missing = tool.scopes.filter((s) => !grants(caller.credentialScopes, s));
    // 2025-11-25 recommends naming the scopes already held as well, so the new token keeps them.
    const scope = [...new Set([...caller.credentialScopes, ...tool.scopes])].join(' ');
    const challenge = bearerChallenge({ error: 'insufficient_scope', scope, resourceMetadata: options.resourceMetadata });
    const message = `Insufficient scope: ${tool.name} needs ${missing.join(', ')}. Get a token that includes it.`;
    return jsonRpcError(403, JsonRpcCode.Refused, message, id, { 'WWW-Authenticate': challenge });
  };
}
