import { fromBase64Url, toBase64Url } from '../encoding/base64url.ts';

/** What a signed session cookie holds. Never a secret: an API key's public id or a user's subject at most. */
export interface Session {
  /** Which page it is for: `console`, `portal`, or a sign-in form's `console-login` / `portal-login`. */
  kind: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** The per-session CSRF token every form carries. */
  csrf: string;
  /** Portal sessions: the tenant's slug, and the signed-in key's id (API key sign-in)... */
  keyId?: string;
  tenant?: string;
  /** ...or who signed in through OpenID Connect: `oidc:<provider id>:<sub>`, the provider, and a name to show. */
  subject?: string;
  providerId?: string;
  name?: string;
  /** The digest of the provider's admin rule and scope ceiling at sign-in: a changed rule ends the session. */
  rule?: string;
  /** The most scopes keys created in this session may carry (the provider's ceiling); absent: the tenant's plan. */
  maxScopes?: string[];
}

/** What a session carries besides its kind, expiry and CSRF token. */
export type SessionClaims = Omit<Session, 'kind' | 'exp' | 'csrf'>;

const encoder = new TextEncoder();

/**
 * Signs and verifies session cookies with HMAC-SHA-256: `base64url(JSON).base64url(MAC)`. The key
 * is derived from a server secret (HKDF), so no session table is needed; changing the secret ends
 * every session. Verification is constant-time (Web Crypto's verify), and expiry and kind are
 * checked after the MAC.
 */
export class SessionSigner {
  readonly #key: Promise<CryptoKey>;
  readonly #now: () => number;

  /** `secret`: SESSION_SECRET, or the admin token; undefined gives a random per-process key (sessions end on restart). */
  constructor(secret: string | undefined, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    const material = secret === undefined ? crypto.getRandomValues(new Uint8Array(32)) : encoder.encode(secret);
    this.#key = crypto.subtle
      .importKey('raw', material, 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode('tenant-mcp session cookie v1') },
          base,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign', 'verify'],
        ),
      );
  }

  /** A new session of `kind` lasting `ttlMs`, with a fresh CSRF token, and its cookie value. */
  async issue(kind: string, ttlMs: number, claims: SessionClaims = {}): Promise<{ session: Session; value: string }> {
    const session: Session = { kind, exp: this.#now() + ttlMs, csrf: toBase64Url(crypto.getRandomValues(new Uint8Array(24))), ...claims };
    const payload = toBase64Url(encoder.encode(JSON.stringify(session)));
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key, encoder.encode(payload)));
    return { session, value: `${payload}.${toBase64Url(mac)}` };
  }

  /** The session a cookie value holds, if its MAC verifies, it is of `kind` and not expired. */
  async read(kind: string, value: string | undefined): Promise<Session | undefined> {
    if (value === undefined || value.length > 4096) return undefined;
    const [payload, mac, extra] = value.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    let session: Session;
    try {
      const valid = await crypto.subtle.verify('HMAC', await this.#key, fromBase64Url(mac) as Uint8Array<ArrayBuffer>, encoder.encode(payload));
      if (!valid) return undefined;
      session = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
    } catch {
      return undefined;
    }
    if (session.kind !== kind || typeof session.exp !== 'number' || session.exp <= this.#now() || typeof session.csrf !== 'string') return undefined;
    return session;
  }
}
