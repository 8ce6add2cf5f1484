import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Logger } from '../src/app.ts';
import { loadSigningKey } from '../src/auth/signing-key.ts';
import { parseConfig } from '../src/config.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { epochSeconds } from './helpers/identity-provider.ts';
import { rpc } from './helpers/mcp.ts';
import { startServer } from './helpers/server.ts';

describe('the server signing key', () => {
  it('loads an Ed25519 PKCS#8 PEM, naming it by its RFC 7638 thumbprint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const key = await loadSigningKey(await exportPKCS8(privateKey));
    const publicJwk = await exportJWK(publicKey);
    expect(key.alg).toBe('EdDSA');
    expect(key.kid).toBe(await calculateJwkThumbprint(publicJwk));
    expect(key.publicJwk).toEqual({ ...publicJwk, kid: key.kid, alg: 'EdDSA', use: 'sig' });
  });

  it('loads a P-256 private JWK, keeping its kid and publishing no private part', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const key = await loadSigningKey(JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'server-2026' }));
    expect(key).toMatchObject({ alg: 'ES256', kid: 'server-2026' });
    expect(Object.keys(key.publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('refuses RSA keys, public keys, other PEM kinds and garbage with a clear message', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    await expect(loadSigningKey(JSON.stringify(await exportJWK(rsa.privateKey)))).rejects.toThrow(/only Ed25519 \(EdDSA\) and P-256 \(ES256\) keys are supported, not RSA/);
    await expect(loadSigningKey(await exportPKCS8(rsa.privateKey))).rejects.toThrow(/not an Ed25519 or P-256 private key/);
    await expect(loadSigningKey(JSON.stringify(await exportJWK(ed.publicKey)))).rejects.toThrow(/no private part/);
    await expect(loadSigningKey('-----BEGIN EC PRIVATE KEY-----\nMHc=\n-----END EC PRIVATE KEY-----')).rejects.toThrow(/openssl pkcs8 -topk8/);
    await expect(loadSigningKey('{not json')).rejects.toThrow(/not valid JSON/);
    await expect(loadSigningKey('hunter2')).rejects.toThrow(/^Invalid TOKEN_SIGNING_KEY: expected a private JWK/);
  });

  it('stops the server from starting when it is unusable', async () => {
    const start = startServer({ DATABASE_URL: 'file::memory:', TOKEN_SIGNING_KEY: '{"kty":"RSA"}' });
    await expect(start).rejects.toThrow(/Invalid TOKEN_SIGNING_KEY: only Ed25519/);
  });
});

describe('a server with no signing key and no authorization servers', () => {
  let database: TempDatabase;
  let app: ReturnType<typeof createApp>;
  const logged: string[] = [];
  const log: Logger = { info: () => {}, warn: (line) => void logged.push(String(line)), error: (line) => void logged.push(String(line)) };

  beforeAll(async () => {
    database = await tempDatabase();
    await createTenant(database.db, { slug: 'acme', scopes: 'math' });
    app = createApp({ db: database.db, config: parseConfig({ PUBLIC_URL: 'https://mcp.example.test' }), log });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    database?.dispose();
  });

  it('publishes no resource metadata and no JWKS', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/jwks.json']) {
      expect((await app.fetch(new Request(`https://mcp.example.test${path}`))).status).toBe(404);
    }
  });

  it('refuses tokens claiming this server as issuer, and says why in the log', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const token = await new SignJWT({ iss: 'https://mcp.example.test', aud: 'https://mcp.example.test/mcp', tenant: 'acme', scope: 'math', iat: epochSeconds(), exp: epochSeconds(60) })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(privateKey);
    const res = await app.fetch(
      new Request('https://mcp.example.test/mcp', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: rpc('tools/list'),
      }),
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="tenant-mcp", error="invalid_token"');
    expect(logged).toContain('Refused a token: untrusted_issuer: the token claims this server as issuer, but TOKEN_SIGNING_KEY is not set');
  });
});
