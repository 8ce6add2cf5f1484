import type { Context, MiddlewareHandler } from 'hono';
import { constantTimeEqual } from '../auth/api-key.ts';

/**
 * The Content-Security-Policy of every page: nothing from another origin, no inline script or
 * style, no framing. Charts are inline SVG drawn on the server, so they need nothing more.
 */
export const pageCsp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const securityHeaders: Record<string, string> = {
  'Content-Security-Policy': pageCsp,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Sets the security headers of server-rendered pages and their assets. Answers are never cached: they may hold a key shown once. */
export function pageHeaders(): MiddlewareHandler {
  return async function setPageHeaders(c, next) {
    await next();
    for (const [name, value] of Object.entries(securityHeaders)) c.header(name, value);
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  };
}

/** Sets the same headers on a page answered outside {@link pageHeaders} (on another path); `headers` must be mutable. */
export function setPageSecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(securityHeaders)) headers.set(name, value);
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
}

/**
 * True when an unsafe request comes from this origin: `Sec-Fetch-Site: same-origin`, or an
 * `Origin` equal to the request's (or `allowedOrigin`, the PUBLIC_URL's, behind a proxy).
 */
export function sameOrigin(c: Context, allowedOrigin: string): boolean {
  if (c.req.header('Sec-Fetch-Site') === 'same-origin') return true;
  const origin = c.req.header('Origin');
  return origin !== undefined && (origin === new URL(c.req.url).origin || origin === allowedOrigin);
}

/** True when a posted form's `csrf` field matches the session's token (compared in constant time). */
export function csrfTokenMatches(field: unknown, expected: string): boolean {
  return typeof field === 'string' && field.length > 0 && constantTimeEqual(field, expected);
}
