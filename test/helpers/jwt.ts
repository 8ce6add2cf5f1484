import { writeFileSync } from 'node:fs';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** Ed25519 key pair; the public key is written as SPKI PEM for sqld --auth-jwt-key-file. */
export async function makeSqldAuth(pemPath: string) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  writeFileSync(pemPath, await exportSPKI(publicKey)); // -----BEGIN PUBLIC KEY-----
  return {
    token: (a: 'rw' | 'ro', ttl = '1h') => signToken(privateKey, a, ttl),
  };
}

function signToken(key: CryptoKey, a: 'rw' | 'ro', ttl: string) {
  return new SignJWT({ a }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).setIssuedAt().setExpirationTime(ttl).sign(key);
}
