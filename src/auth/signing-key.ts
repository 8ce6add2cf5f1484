import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, type JWK } from 'jose';

/** The JOSE `typ` of the identity JWTs connectors send upstream; never accepted here as a credential. */
export const IDENTITY_TOKEN_TYPE = 'tenant-mcp-identity+jwt';

/** The algorithms the server signs its own tokens with. */
export type SigningAlgorithm = 'EdDSA' | 'ES256';

/** The server's token signing key: the private half for minting, the public JWK for /.well-known/jwks.json. */
export interface SigningKey {
  alg: SigningAlgorithm;
  kid: string;
  privateKey: CryptoKey;
  /** Public members only, with `kid`, `alg` and `use`. */
  publicJwk: JWK;
}

const INVALID = 'Invalid TOKEN_SIGNING_KEY';

/**
 * Loads the server's signing key from a private JWK (JSON) or a PKCS#8 PEM. Only Ed25519 (EdDSA)
 * and P-256 (ES256) keys are accepted: small, fast, and free of RSA's padding pitfalls.
 */
export async function loadSigningKey(material: string): Promise<SigningKey> {
  const text = material.trim();
  let privateJwk: JWK;
  let alg: SigningAlgorithm;
  if (text.startsWith('{')) {
    try {
      privateJwk = JSON.parse(text) as JWK;
    } catch {
      throw new Error(`${INVALID}: it starts with "{" but is not valid JSON`);
    }
    alg = algorithmOf(privateJwk);
    if (typeof privateJwk.d !== 'string') throw new Error(`${INVALID}: the JWK has no private part ("d"); give the private key`);
  } else if (text.startsWith('-----BEGIN PRIVATE KEY-----')) {
    ({ alg, privateJwk } = await pemToJwk(text));
  } else if (/^-----BEGIN (EC|OPENSSH|ENCRYPTED) PRIVATE KEY-----/.test(text)) {
    throw new Error(`${INVALID}: give an unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"); convert with "openssl pkcs8 -topk8 -nocrypt -in key.pem"`);
  } else {
    throw new Error(`${INVALID}: expected a private JWK (JSON) or a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")`);
  }
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ ...privateJwk, alg }, alg)) as CryptoKey;
  } catch (error) {
    throw new Error(`${INVALID}: ${(error as Error).message}`);
  }
  // Only the public members, in the fixed set RFC 7638 thumbprints use.
  const bare: JWK = { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, ...(privateJwk.y ? { y: privateJwk.y } : {}) };
  const kid = typeof privateJwk.kid === 'string' && privateJwk.kid !== '' ? privateJwk.kid : await calculateJwkThumbprint(bare);
  return { alg, kid, privateKey, publicJwk: { ...bare, kid, alg, use: 'sig' } };
}

function algorithmOf(jwk: JWK): SigningAlgorithm {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error(`${INVALID}: only Ed25519 (EdDSA) and P-256 (ES256) keys are supported, not ${jwk.kty ?? 'unknown'} ${jwk.crv ?? ''}`.trimEnd());
}

async function pemToJwk(pem: string): Promise<{ alg: SigningAlgorithm; privateJwk: JWK }> {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    try {
      const key = await importPKCS8(pem, alg, { extractable: true });
      return { alg, privateJwk: await exportJWK(key) };
    } catch {
      // not this key type; try the next
    }
  }
  throw new Error(`${INVALID}: the PEM is not an Ed25519 or P-256 private key`);
}
