import type { MiddlewareHandler } from 'hono';
import { JsonRpcCode, jsonRpcError } from '../mcp/json-rpc.ts';

/**
 * Refuses requests whose `Origin` header is present and not allowed (MCP transport spec: defends
 * against DNS rebinding from a browser). Requests without `Origin` (non-browser clients) pass.
 */
export function originGuard(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  return async function checkOrigin(c, next) {
    const origin = c.req.header('Origin');
    if (origin !== undefined && !allowed.has(origin.toLowerCase())) {
      return jsonRpcError(403, JsonRpcCode.Refused, 'Forbidden: this Origin is not allowed.');
    }
    await next();
  };
}
