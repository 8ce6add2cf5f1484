import type { Context, Hono } from 'hono';
import type { SignInOption } from '../pages/sign-in-page.ts';
import type { SignedInUser } from './signed-in-user.ts';

/** A pending authorization request as a sign-in method sees it. */
export interface PendingAuthorization {
  /** Opaque, unguessable id; only the browser that started the request (its cookie) can use it. */
  id: string;
  clientId: string;
  clientName: string;
  redirectUri: string;
  resource: string;
  /** Scopes the client asked for; null when it asked for none. */
  scopes: string[] | null;
  expiresAt: Date;
}

/**
 * What the authorization server hands a sign-in method (the contract with OpenID Connect sign-in):
 *
 * 1. The sign-in page (`GET /oauth/requests/:id`) lists `options(pending)` as links and, when
 *    `organisationForm` is set, a form posting `request`, `csrf` and `organisation` to
 *    `POST /oauth/sign-in/organisation` (a route of the method's `routes`).
 * 2. The method keeps `pending.id` across its round trip to the identity provider (in its own
 *    `state`, for instance). The pending request lives in the database for 15 minutes and is
 *    bound to the browser by an HttpOnly SameSite=Lax cookie, which a top-level redirect back
 *    from the provider carries.
 * 3. After a successful callback it returns `completeSignIn(c, pending.id, user)`: a 303 to the
 *    consent page, or our error page when the request expired or belongs to another browser.
 */
export interface SignInKit {
  /** Records who signed in and answers with a redirect to the consent page. */
  completeSignIn(c: Context, pendingId: string, user: SignedInUser): Promise<Response>;
  /** The pending request when it exists, has not expired and belongs to this browser; else null. */
  pending(c: Context, pendingId: string): Promise<PendingAuthorization | null>;
  /** True when `token` is this browser's CSRF token for the request: check it on every form post. */
  checkCsrf(c: Context, pendingId: string, token: unknown): Promise<boolean>;
  /** Our error page (never a redirect to the client). */
  errorPage(title: string, message: string, status?: number): Promise<Response>;
  /** Shows the sign-in page again with an error (a failed sign-in). */
  signInAgain(c: Context, pendingId: string, error: string): Promise<Response>;
}

/** A sign-in method beyond pasting an API key. */
export interface SignInExtension {
  /** Extra links on the sign-in page (e.g. "Sign in with Acme SSO"). */
  options?(pending: PendingAuthorization): Promise<SignInOption[]>;
  /** Shows the "organisation or email" form, posting to /oauth/sign-in/organisation. */
  organisationForm?: boolean;
  /** Routes mounted at /oauth/sign-in: the organisation form's target, identity provider callbacks. */
  routes?: Hono;
}

/** Builds a sign-in extension from the kit; passed to the OAuth app by app.ts. */
export type SignInExtensionFactory = (kit: SignInKit) => SignInExtension;
