import type { MiddlewareHandler } from 'hono';
import { JsonRpcCode, jsonRpcError } from '../mcp/json-rpc.ts';

/** What the guard lets through besides requests without an Origin. */
export interface OriginGuardOptions {
  /** Exact origins (scheme, host and port) allowed to call. */
  allowed: readonly string[];
  /** Also accept any loopback Origin (localhost, 127.0.0.1, [::1]) on any port: for a server that is itself only reachable on loopback. */
  loopback?: boolean;
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * Refuses requests whose `Origin` header is present and not allowed (MCP transport spec: defends
 * against DNS rebinding from a browser). Requests without `Origin` (non-browser clients) pass. A
 * rebinding page's Origin is its own public name, never a loopback one, so a loopback server may
 * accept loopback Origins on any port, as the MCP SDK's localhost protection does.
 */
export function originGuard(options: OriginGuardOptions): MiddlewareHandler {
  const allowed = new Set(options.allowed.map((o) => o.replace(/\/$/, '').toLowerCase()));
  return async function checkOrigin(c, next) {
    const origin = c.req.header('Origin')?.toLowerCase();
    if (origin !== undefined && !allowed.has(origin) && !(options.loopback && LOOPBACK_ORIGIN.test(origin))) {
      return jsonRpcError(403, JsonRpcCode.Refused, 'Forbidden: this Origin is not allowed.');
    }
    await next();
  };
}

/** True when a URL names this machine's loopback interface. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK_ORIGIN.test(new URL(url).origin);
}
