import type { Context, MiddlewareHandler } from 'hono';
import { bearerToken } from '../auth/authenticate.ts';
import type { PageSessions } from './page-sessions.ts';
import { csrfTokenMatches, sameOrigin } from './page-security.ts';
import type { Session } from './session-signer.ts';

/** What a page handler may read: the session (undefined for bearer automation) and the CSRF token its forms carry. */
export type PageEnv = { Variables: { session: Session | undefined; csrf: string } };

/** Options for {@link requireSession}. */
export interface RequireSessionOptions {
  sessions: PageSessions;
  /** Where a browser without a valid session is sent. */
  loginPath: string;
  /** PUBLIC_URL's origin, accepted as a form's Origin besides the request's own. */
  allowedOrigin: string;
  /** Accepts `Authorization: Bearer` for automation (no cookie, so no CSRF risk); absent: refused. */
  bearer?: (token: string) => Promise<boolean>;
  /** Re-checks a valid session against current state (a revoked key ends a portal session). */
  stillValid?: (session: Session, c: Context) => Promise<boolean>;
}

const unsafe = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/**
 * Lets a request through with a valid session cookie, or a bearer credential when allowed. Every
 * unsafe request with a cookie must come from this origin and carry the session's CSRF token in
 * its form: hono/csrf's Origin check alone would trust any same-site page.
 */
export function requireSession(options: RequireSessionOptions): MiddlewareHandler<PageEnv> {
  const { sessions, loginPath, allowedOrigin, bearer, stillValid } = options;
  return async function checkSession(c, next) {
    const authorization = c.req.header('Authorization');
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      if (bearer === undefined || token === undefined || !(await bearer(token))) {
        return c.text('The bearer credential is invalid.', 401, { 'WWW-Authenticate': 'Bearer realm="tenant-mcp console"' });
      }
      c.set('session', undefined);
      c.set('csrf', '');
      return next();
    }
    let session = await sessions.read(c);
    if (session && stillValid && !(await stillValid(session, c))) {
      sessions.end(c);
      session = undefined;
    }
    if (!session) {
      if (!unsafe(c.req.method)) return c.redirect(loginPath, 303);
      return c.text('Your session is missing or has expired. Sign in again.', 401);
    }
    if (unsafe(c.req.method)) {
      if (!sameOrigin(c, allowedOrigin)) return c.text('Refused a form posted from another site.', 403);
      const form = await c.req.parseBody();
      if (!csrfTokenMatches(form.csrf, session.csrf)) return c.text("The form's CSRF token is missing or wrong. Reload the page and try again.", 403);
    }
    c.set('session', session);
    c.set('csrf', session.csrf);
    return next();
  };
}
