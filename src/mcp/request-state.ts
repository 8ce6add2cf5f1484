import { fromBase64Url, toBase64Url } from '../encoding/base64url.ts';

/** Whom and what a request state belongs to: it is refused on any other tenant, credential, target or arguments. */
export interface StateBinding {
  tenantId: string;
  /** The API key's id, or the token's subject. */
  credential: string;
  /** The method and what it names, e.g. `tools/call note_delete`. */
  target: string;
  /** The request's arguments, as the client sent them. */
  args: unknown;
}

/** What a state carries between rounds of one call: the input requests asked so far, their answers, and the handler's own data. */
export interface RoundState {
  asked: string[];
  answers: Record<string, unknown>;
  data?: unknown;
}

interface Payload extends RoundState {
  v: 1;
  t: string;
  c: string;
  m: string;
  a: string;
  exp: number;
}

const encoder = new TextEncoder();
const CONTEXT = 'tenant-mcp request state v1\0';

/**
 * Seals the `requestState` of an `input_required` result (MCP 2026-07-28 multi round-trip requests)
 * with HMAC-SHA-256, bound to the tenant, the credential, the tool and its arguments, with a short
 * expiry. The client echoes it back; a state that was changed, has expired, or belongs to another
 * caller or call is refused. It is signed, not encrypted: the client may read it.
 */
export class RequestStateSealer {
  readonly #key: Promise<CryptoKey>;
  readonly #ttlMs: number;

  /** `secret` keys the HMAC; instances that serve the same clients need the same secret. Without one, a random key lives as long as the process. */
  constructor(secret: string | undefined, ttlMs: number) {
    this.#ttlMs = ttlMs;
    const material = secret === undefined ? Promise.resolve(crypto.getRandomValues(new Uint8Array(32))) : crypto.subtle.digest('SHA-256', encoder.encode(CONTEXT + secret));
    this.#key = material.then((raw) => crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));
  }

  /** The opaque state string for this round. */
  async seal(binding: StateBinding, state: RoundState): Promise<string> {
    const payload: Payload = { v: 1, t: binding.tenantId, c: binding.credential, m: binding.target, a: await digest(binding.args), exp: Date.now() + this.#ttlMs, ...state };
    const body = encoder.encode(JSON.stringify(payload));
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key, body));
    return `${toBase64Url(body)}.${toBase64Url(mac)}`;
  }

  /** The state the client echoed, if it verifies, has not expired, and belongs to this binding; otherwise undefined. */
  async open(token: string, binding: StateBinding): Promise<RoundState | undefined> {
    const [body, mac, extra] = token.split('.');
    if (body === undefined || mac === undefined || extra !== undefined) return undefined;
    let bytes: Uint8Array<ArrayBuffer>;
    let signature: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64Url(body) as Uint8Array<ArrayBuffer>;
      signature = fromBase64Url(mac) as Uint8Array<ArrayBuffer>;
    } catch {
      return undefined;
    }
    // crypto.subtle.verify compares in constant time.
    if (!(await crypto.subtle.verify('HMAC', await this.#key, signature, bytes))) return undefined;
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Payload;
    const fits = payload.v === 1 && payload.t === binding.tenantId && payload.c === binding.credential && payload.m === binding.target && payload.exp > Date.now();
    if (!fits || payload.a !== (await digest(binding.args))) return undefined;
    return { asked: payload.asked, answers: payload.answers, data: payload.data };
  }
}

async function digest(value: unknown): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(JSON.stringify(value ?? {})))));
}
