import { JsonRpcCode } from '../mcp/json-rpc.ts';
import type { Admission } from './rate-limiter.ts';

/**
 * Answers a tools/call over a rate limit or quota: 429 with Retry-After and a JSON-RPC error whose
 * message MCP clients show to the user.
 */
export function limitRefusal(refusal: Extract<Admission, { reason: 'limited' }>, id: string | number | null): Response {
  const headers = { 'Retry-After': String(refusal.retryAfterSeconds) };
  const { limit, resetsAt, retryAfterSeconds } = refusal;
  const scope = [limit.tool ? `tool ${limit.tool}` : undefined, limit.keyId ? `key ${limit.keyId}` : undefined].filter(Boolean).join(' with ');
  const per = `at most ${limit.limit} call${limit.limit === 1 ? '' : 's'} per ${limit.unit} for ${scope || 'this tenant'}`;
  const message =
    limit.kind === 'quota'
      ? `Monthly quota exceeded: ${per}. It resets at ${new Date(resetsAt).toISOString()}.`
      : `Rate limit exceeded: ${per}. Retry after ${retryAfterSeconds} s.`;
  const data = {
    reason: limit.kind === 'quota' ? 'quota_exceeded' : 'rate_limited',
    limit: limit.limit,
    per: limit.unit,
    keyId: limit.keyId,
    tool: limit.tool,
    retryAfterSeconds,
    resetsAt: new Date(resetsAt).toISOString(),
  };
  return Response.json({ jsonrpc: '2.0', id, error: { code: JsonRpcCode.RateLimited, message, data } }, { status: 429, headers });
}
