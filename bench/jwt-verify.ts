// Verification cost per credential kind, in-process, caches warm. Run: npx tsx bench/jwt-verify.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { ApiKeyVerifier } from '../src/auth/api-key-verifier.ts';
import { JwtVerifier } from '../src/auth/jwt-verifier.ts';
import { loadSigningKey } from '../src/auth/signing-key.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { addIssuer } from '../src/services/issuers.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { mintToken } from '../src/services/tokens.ts';
import { generateTestKey, startJwksServer } from '../test/helpers/identity-provider.ts';

const N = Number(process.env.N ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-'));
const { db, close } = await openDatabase(`file:${join(dir, 'bench.db')}`);
await migrateDatabase(db);
await createTenant(db, { slug: 'acme', scopes: 'math' });

const resource = 'https://mcp.example.test/mcp';
const signingKey = await loadSigningKey(await exportPKCS8((await generateKeyPair('EdDSA', { extractable: true })).privateKey));
const es256 = await generateTestKey('ES256', 'k-es');
const rs256 = await generateTestKey('RS256', 'k-rs');
const jwks = await startJwksServer([es256.publicJwk]);
await addIssuer(db, { tenant: 'acme', issuer: 'https://es.example.test', jwksUri: jwks.url });
await addIssuer(db, { tenant: 'acme', issuer: 'https://rs.example.test', publicKey: JSON.stringify(rs256.publicJwk) });

const jwts = new JwtVerifier(db, {
  ownIssuer: 'https://mcp.example.test', resource, signingKey: Promise.resolve(signingKey),
  clockToleranceSeconds: 30, jwksTimeoutMs: 5000, jwksCooldownMs: 30_000, ttlMs: 10_000, maxEntries: 10_000,
});
const keys = new ApiKeyVerifier(db, { ttlMs: 10_000, maxEntries: 10_000 });
const claims = (iss: string) => ({ iss, aud: resource, sub: 'u', scope: 'math', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });
const cases: [string, () => Promise<unknown>][] = [
  ['API key (tmcp_)', await (async () => { const { key } = await createKey(db, { tenant: 'acme', scopes: 'math' }); return () => keys.verify(key); })()],
  ['minted EdDSA', await (async () => { const { token } = await mintToken(db, signingKey, { tenant: 'acme', scopes: 'math', issuer: 'https://mcp.example.test', audience: resource }); return () => jwts.verify(token); })()],
  ['ES256 via JWKS URI', await (async () => { const t = await new SignJWT(claims('https://es.example.test')).setProtectedHeader({ alg: 'ES256', kid: 'k-es' }).sign(es256.privateKey); return () => jwts.verify(t); })()],
  ['RS256 inline key', await (async () => { const t = await new SignJWT(claims('https://rs.example.test')).setProtectedHeader({ alg: 'RS256', kid: 'k-rs' }).sign(rs256.privateKey); return () => jwts.verify(t); })()],
];
for (const [name, run] of cases) {
  const first = await run() as { ok: boolean };
  if (!first.ok) throw new Error(`${name} was refused: ${JSON.stringify(first)}`);
  for (let i = 0; i < 200; i++) await run();
  const started = performance.now();
  for (let i = 0; i < N; i++) await run();
  const us = ((performance.now() - started) * 1000) / N;
  console.info(`${name.padEnd(20)} ${us.toFixed(1).padStart(7)} µs/verify  (${Math.round(1e6 / us)} /s, one core)`);
}
console.info(`JWKS fetches during the run: ${jwks.hits}`);
await jwks.close();
close();
rmSync(dir, { recursive: true, force: true });
