import { and, eq, gt, lt } from 'drizzle-orm';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual, hashSecret } from '../auth/api-key.ts';
import type { Database } from '../db/database.ts';
import { type OAuthRequest, oauthRequests } from '../db/schema.ts';
import { randomToken } from './random-token.ts';
import type { SignedInUser } from './sign-in/signed-in-user.ts';

/** The browser cookie that binds pending authorization requests to the browser that started them. */
const BROWSER_COOKIE = 'tmcp_oauth_browser';
/** A user has this long to sign in (also through an external identity provider) and consent. */
const PENDING_TTL_MS = 15 * 60_000;

/** What an authorization request asks for, once its client and redirect URI have been checked. */
export interface AuthorizationAsk {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string;
  scopes: string[] | null;
  state: string | null;
}

/** A pending authorization request as read back for this browser. */
export type PendingRequest = Omit<OAuthRequest, 'browserHash' | 'user'> & { user: SignedInUser | null };

/**
 * Pending authorization requests: short-lived rows keyed by a random id (in the page URL), each
 * usable only by the browser holding the cookie whose digest it stores. They survive a round
 * trip through an external identity provider and work across instances sharing the database.
 */
export class PendingRequests {
  readonly #db: Database;
  readonly #secureCookie: boolean;
  readonly #now: () => number;

  constructor(db: Database, options: { secureCookie: boolean; now?: () => number }) {
    this.#db = db;
    this.#secureCookie = options.secureCookie;
    this.#now = options.now ?? Date.now;
  }

  /** Stores a request for this browser (setting its cookie if it has none) and returns the request's id. */
  async create(c: Context, ask: AuthorizationAsk): Promise<string> {
    let browser = getCookie(c, BROWSER_COOKIE);
    if (!browser || !/^[A-Za-z0-9_-]{43}$/.test(browser)) {
      browser = randomToken();
      setCookie(c, BROWSER_COOKIE, browser, { httpOnly: true, secure: this.#secureCookie, sameSite: 'Lax', path: '/', maxAge: 86_400 });
    }
    const id = randomToken();
    // Expired requests are swept as new ones arrive; there is no background job.
    await this.#db.delete(oauthRequests).where(lt(oauthRequests.expiresAt, new Date(this.#now())));
    await this.#db.insert(oauthRequests).values({ id, browserHash: await hashSecret(browser), ...ask, expiresAt: new Date(this.#now() + PENDING_TTL_MS) });
    return id;
  }

  /** The request, if it exists, has not expired, and belongs to this browser; else null. */
  async get(c: Context, id: string): Promise<PendingRequest | null> {
    const browser = getCookie(c, BROWSER_COOKIE);
    if (!browser || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const [row] = await this.#db
      .select()
      .from(oauthRequests)
      .where(and(eq(oauthRequests.id, id), gt(oauthRequests.expiresAt, new Date(this.#now()))))
      .limit(1);
    if (!row || !constantTimeEqual(row.browserHash, await hashSecret(browser))) return null;
    const { browserHash: _, user, ...rest } = row;
    return { ...rest, user: (user as SignedInUser | null) ?? null };
  }

  /** The CSRF token every form of this request carries: derived from the browser's cookie, which a cross-site page cannot read. */
  async csrfToken(c: Context, id: string): Promise<string> {
    const browser = getCookie(c, BROWSER_COOKIE) ?? '';
    return hashSecret(`csrf:${browser}:${id}`);
  }

  /** True when `token` is this browser's CSRF token for request `id`. */
  async checkCsrf(c: Context, id: string, token: unknown): Promise<boolean> {
    if (typeof token !== 'string' || !getCookie(c, BROWSER_COOKIE)) return false;
    return constantTimeEqual(token, await this.csrfToken(c, id));
  }

  /** Records who signed in; the consent page comes next. */
  async signIn(id: string, user: SignedInUser): Promise<void> {
    await this.#db.update(oauthRequests).set({ user: { ...user } }).where(eq(oauthRequests.id, id));
  }

  /** Removes a request once answered; true when this call removed it (so a double submit issues one code). */
  async finish(id: string): Promise<boolean> {
    const removed = await this.#db.delete(oauthRequests).where(eq(oauthRequests.id, id)).returning({ id: oauthRequests.id });
    return removed.length === 1;
  }
}
