import { fromBase64Url, toBase64Url } from '../encoding/base64url.ts';

/** A named AES-256 key as configured: `<id>:<32 bytes, base64url or base64>`. */
interface NamedKey {
  id: string;
  key: CryptoKey;
}

const FORMAT = 'sb1';
const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts small secrets for storage (AES-256-GCM through Web Crypto, so it runs on every
 * runtime). A sealed value reads `sb1.<key id>.<iv>.<ciphertext>`: the key id says which key
 * opens it, so keys can rotate. New values are sealed with the current key; old keys only open.
 * Each value is bound to a context (e.g. the row and column it lives in) through the GCM
 * additional data, so a sealed value copied to another row does not open there.
 */
export class SecretBox {
  readonly #current: NamedKey;
  readonly #keys: Map<string, CryptoKey>;

  private constructor(current: NamedKey, old: NamedKey[]) {
    this.#current = current;
    this.#keys = new Map([current, ...old].map((k) => [k.id, k.key]));
  }

  /** Imports the current key and any older ones (each `<id>:<base64url>`); throws naming the bad setting, never its value. */
  static async fromSettings(current: string, old: readonly string[] = []): Promise<SecretBox> {
    const now = await importNamedKey(current, 'SECRETS_ENCRYPTION_KEY');
    const previous = await Promise.all(old.map((k) => importNamedKey(k, 'SECRETS_ENCRYPTION_OLD_KEYS')));
    const ids = [now.id, ...previous.map((k) => k.id)];
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated !== undefined) throw new Error(`Invalid secrets encryption keys: key id "${repeated}" is used twice; give each key its own id`);
    return new SecretBox(now, previous);
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Encrypts `plaintext` for storage, bound to `context`. */
  async seal(plaintext: string, context: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(context) }, this.#current.key, encoder.encode(plaintext));
    return [FORMAT, this.#current.id, toBase64Url(iv), toBase64Url(new Uint8Array(ciphertext))].join('.');
  }

  /** Decrypts a sealed value for `context`; throws when its key is unknown or it was altered or moved. */
  async open(sealed: string, context: string): Promise<string> {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT) throw new Error('Cannot open a sealed secret: it is not in the sb1 format');
    const [, keyId, iv, ciphertext] = parts as [string, string, string, string];
    const key = this.#keys.get(keyId);
    if (!key) throw new Error(`Cannot open a sealed secret: its key "${keyId}" is neither SECRETS_ENCRYPTION_KEY nor in SECRETS_ENCRYPTION_OLD_KEYS`);
    try {
      const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: encoder.encode(context) }, key, bytes(ciphertext));
      return decoder.decode(plaintext);
    } catch {
      throw new Error(`Cannot open a sealed secret with key "${keyId}": it was altered, or sealed for another place`);
    }
  }

  /** Whether a sealed value uses an older key and should be sealed again with the current one. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#current.id;
  }
}

/** The id of the key a sealed value was made with (safe to show), or undefined if it is not sealed. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 4 && parts[0] === FORMAT ? parts[1] : undefined;
}

/** Why a key setting (`<id>:<32 bytes in base64url>`) is unusable, or undefined when it is fine. Never repeats the key. */
export function secretKeySettingProblem(setting: string): string | undefined {
  try {
    parseKeySetting(setting);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function parseKeySetting(setting: string): { id: string; raw: Uint8Array<ArrayBuffer> } {
  const colon = setting.indexOf(':');
  const id = setting.slice(0, colon).trim();
  if (colon < 1 || !keyIdPattern.test(id)) throw new Error('expected <key id>:<32 random bytes in base64url>, e.g. k1:$(openssl rand -base64 32)');
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = bytes(setting.slice(colon + 1).trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  } catch {
    throw new Error(`key "${id}" is not base64url`);
  }
  if (raw.length !== 32) throw new Error(`key "${id}" must be 32 bytes (AES-256), got ${raw.length}`);
  return { id, raw };
}

async function importNamedKey(setting: string, name: string): Promise<NamedKey> {
  let parsed: { id: string; raw: Uint8Array<ArrayBuffer> };
  try {
    parsed = parseKeySetting(setting);
  } catch (error) {
    throw new Error(`Invalid ${name}: ${(error as Error).message}`);
  }
  const key = await crypto.subtle.importKey('raw', parsed.raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { id: parsed.id, key };
}

/** Decoded base64url in a buffer Web Crypto accepts. */
function bytes(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(fromBase64Url(text));
}
