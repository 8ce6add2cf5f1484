import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { SignInChallenge } from './relying-party.ts';

/**
 * What a sign-in is for, sealed with it: the authorization request waiting for it (the consent
 * page), or a sign-in to the customer page (`purpose: 'portal'`).
 */
export type SignInPurpose = { pendingId: string; purpose?: undefined } | { purpose: 'portal'; pendingId?: undefined };

/** What a sign-in remembers across the trip to the provider and back. */
export type SignInState = SignInChallenge &
  SignInPurpose & {
    providerId: string;
    /** Milliseconds since the epoch after which the state is refused. */
    expiresAt: number;
  };

const CONTEXT = 'oidc-sign-in-state';
const PREFIX = 'tmcp_oidc_';
const STATE_CHARS = 16;

/**
 * Keeps a sign-in's state, nonce and PKCE verifier in a cookie sealed with the SecretBox
 * (AES-GCM: unreadable and tamper-proof), so any instance can finish the sign-in and nothing is
 * written to the database. The cookie's name carries the start of `state`, so parallel sign-ins
 * in one browser do not overwrite each other, and it is sent only to the callback path.
 */
export class SignInStateCookie {
  readonly #box: SecretBox;
  readonly #path: string;
  readonly #secure: boolean;
  readonly #ttlMs: number;

  constructor(box: SecretBox, options: { path: string; secure: boolean; ttlMs: number }) {
    this.#box = box;
    this.#path = options.path;
    this.#secure = options.secure;
    this.#ttlMs = options.ttlMs;
  }

  /** Seals `state` into a cookie on the response. */
  async save(c: Context, state: SignInChallenge & SignInPurpose & { providerId: string }): Promise<void> {
    const full: SignInState = { ...state, expiresAt: Date.now() + this.#ttlMs };
    const sealed = await this.#box.seal(JSON.stringify(full), CONTEXT);
    setCookie(c, cookieName(state.state), sealed, {
      path: this.#path,
      httpOnly: true,
      secure: this.#secure,
      // Lax: the provider sends the browser back with a top-level GET from its own site.
      sameSite: 'Lax',
      maxAge: Math.ceil(this.#ttlMs / 1000),
    });
  }

  /** Reads and clears the state for the `state` the provider sent back; undefined when absent, altered or expired. */
  async take(c: Context, state: string): Promise<SignInState | undefined> {
    if (state.length < STATE_CHARS) return undefined;
    const name = cookieName(state);
    const sealed = getCookie(c, name);
    if (sealed === undefined) return undefined;
    deleteCookie(c, name, { path: this.#path, secure: this.#secure, httpOnly: true, sameSite: 'Lax' });
    let parsed: SignInState;
    try {
      parsed = JSON.parse(await this.#box.open(sealed, CONTEXT)) as SignInState;
    } catch {
      return undefined;
    }
    return parsed.expiresAt > Date.now() ? parsed : undefined;
  }
}

function cookieName(state: string): string {
  return PREFIX + state.slice(0, STATE_CHARS).replace(/[^A-Za-z0-9_-]/g, '');
}
