import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Session, SessionClaims, SessionSigner } from './session-signer.ts';

/** Options for {@link PageSessions}. */
export interface PageSessionsOptions {
  signer: SessionSigner;
  /** `console` or `portal`: the cookie's name suffix, the session's kind, and (with a slash) its path. */
  kind: string;
  ttlMs: number;
  /** True when pages are served over https (PUBLIC_URL): cookies get `Secure`. */
  secure: boolean;
}

const LOGIN_TTL_MS = 15 * 60_000;

/**
 * The session cookies of one set of pages: `HttpOnly`, `SameSite=Strict`, `Secure` over https,
 * limited to the pages' path and expiring. A sign-in form gets its own short-lived cookie holding
 * the form's CSRF token, so the form itself is protected too.
 */
export class PageSessions {
  readonly #o: PageSessionsOptions;
  readonly #cookie: string;
  readonly #loginCookie: string;
  readonly #path: string;

  constructor(options: PageSessionsOptions) {
    this.#o = options;
    this.#cookie = `tmcp_${options.kind}`;
    this.#loginCookie = `tmcp_${options.kind}_login`;
    this.#path = `/${options.kind}`;
  }

  /** Starts a session (after a successful sign-in) and sets its cookie. */
  async start(c: Context, claims: SessionClaims = {}): Promise<Session> {
    const { session, value } = await this.#o.signer.issue(this.#o.kind, this.#o.ttlMs, claims);
    this.#set(c, this.#cookie, value, this.#o.ttlMs);
    deleteCookie(c, this.#loginCookie, { path: this.#path, secure: this.#o.secure });
    return session;
  }

  /** The request's session, if its cookie is valid. */
  read(c: Context): Promise<Session | undefined> {
    return this.#o.signer.read(this.#o.kind, getCookie(c, this.#cookie));
  }

  /** Ends the session: the cookie is cleared. */
  end(c: Context): void {
    deleteCookie(c, this.#cookie, { path: this.#path, secure: this.#o.secure });
  }

  /** A CSRF token for a sign-in form, set in its own short-lived cookie. */
  async loginToken(c: Context): Promise<string> {
    const { session, value } = await this.#o.signer.issue(`${this.#o.kind}-login`, LOGIN_TTL_MS);
    this.#set(c, this.#loginCookie, value, LOGIN_TTL_MS);
    return session.csrf;
  }

  /** The sign-in form's CSRF token from its cookie, if valid. */
  async loginSession(c: Context): Promise<Session | undefined> {
    return this.#o.signer.read(`${this.#o.kind}-login`, getCookie(c, this.#loginCookie));
  }

  #set(c: Context, name: string, value: string, ttlMs: number): void {
    setCookie(c, name, value, { path: this.#path, httpOnly: true, sameSite: 'Strict', secure: this.#o.secure, maxAge: Math.floor(ttlMs / 1000) });
  }
}
