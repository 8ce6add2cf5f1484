import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { AppError } from '../src/errors.ts';
import { addIssuer, listIssuers, removeIssuer } from '../src/services/issuers.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { generateTestKey, type TestKey } from './helpers/identity-provider.ts';

let database: TempDatabase;
let es256: TestKey;
let rsa: CryptoKeyPair;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'globex', scopes: 'math' });
  await createTenant(database.db, { slug: 'initech', scopes: 'math' });
  es256 = await generateTestKey('ES256', 'k1');
  rsa = await generateKeyPair('RS256', { extractable: true });
});

afterAll(() => database?.dispose());

async function expectInvalid(promise: Promise<unknown>, message: RegExp, code = 'invalid') {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  expect((error as AppError).message).toMatch(message);
}

describe('registering trusted issuers', () => {
  const base = { tenant: 'acme', jwksUri: 'https://idp.example.test/jwks.json' };

  it('stores a PEM public key, a JWK and a JWKS as public JWKs only', async () => {
    const pem = await addIssuer(database.db, { tenant: 'acme', issuer: 'https://pem.example.test', publicKey: await exportSPKI(rsa.publicKey) });
    expect(pem).toMatchObject({ inlineKeys: 1, jwksUri: null, audience: null, scopeClaim: 'scope', algorithms: expect.arrayContaining(['RS256', 'ES256', 'EdDSA']) });
    const jwk = await addIssuer(database.db, { tenant: 'acme', issuer: 'https://jwk.example.test', publicKey: JSON.stringify(es256.publicJwk), algorithms: 'ES256' });
    expect(jwk).toMatchObject({ inlineKeys: 1, algorithms: ['ES256'] });
    const set = await addIssuer(database.db, { tenant: 'acme', issuer: 'https://jwks.example.test', publicKey: JSON.stringify({ keys: [es256.publicJwk, await exportJWK(rsa.publicKey)] }) });
    expect(set.inlineKeys).toBe(2);
  });

  it('refuses none and HMAC algorithms', async () => {
    await expectInvalid(addIssuer(database.db, { ...base, issuer: 'https://a.example.test', algorithms: 'none' }), /Algorithm none is not allowed/);
    await expectInvalid(addIssuer(database.db, { ...base, issuer: 'https://a.example.test', algorithms: 'RS256,HS256' }), /Algorithm HS256 is not allowed/);
  });

  it('needs exactly one of a JWKS URI and a public key', async () => {
    await expectInvalid(addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test' }), /either a JWKS URI or a public key/);
    await expectInvalid(
      addIssuer(database.db, { ...base, issuer: 'https://a.example.test', publicKey: JSON.stringify(es256.publicJwk) }),
      /either a JWKS URI or a public key/,
    );
  });

  it('refuses private and symmetric keys', async () => {
    await expectInvalid(addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test', publicKey: await exportPKCS8(rsa.privateKey) }), /is a private key/);
    await expectInvalid(
      addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test', publicKey: JSON.stringify(await exportJWK(rsa.privateKey)) }),
      /private or secret key material/,
    );
    await expectInvalid(addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test', publicKey: '{"kty":"oct","k":"c2VjcmV0"}' }), /private or secret key material/);
  });

  it('refuses a key that cannot verify any allowed algorithm', async () => {
    await expectInvalid(
      addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test', publicKey: await exportSPKI(rsa.publicKey), algorithms: 'ES256' }),
      /cannot verify any allowed algorithm \(ES256\)/,
    );
  });

  it('refuses a JWKS URI over plain http except on loopback', async () => {
    await expectInvalid(addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test', jwksUri: 'http://idp.example.test/jwks.json' }), /use https:\/\//);
    await expectInvalid(addIssuer(database.db, { tenant: 'acme', issuer: 'https://a.example.test', jwksUri: 'not a url' }), /Invalid JWKS URI/);
  });

  it("refuses the server's own issuer", async () => {
    await expectInvalid(addIssuer(database.db, { ...base, issuer: 'https://mcp.example.test', reservedIssuer: 'https://mcp.example.test' }), /this server's own/);
  });

  it('lets tenants share an issuer only when all of them name the same tenant claim with distinct values', async () => {
    const issuer = 'https://shared.example.test';
    await addIssuer(database.db, { ...base, issuer, tenantClaim: 'org_id', tenantClaimValue: 'org-a' });
    await expectInvalid(addIssuer(database.db, { ...base, issuer, tenantClaim: 'org_id', tenantClaimValue: 'org-b' }), /already trusts issuer/, 'conflict');
    await expectInvalid(addIssuer(database.db, { ...base, tenant: 'globex', issuer }), /must all name the same tenant claim \("org_id"\)/, 'conflict');
    await expectInvalid(addIssuer(database.db, { ...base, tenant: 'globex', issuer, tenantClaim: 'tid', tenantClaimValue: 'x' }), /same tenant claim/, 'conflict');
    await expectInvalid(addIssuer(database.db, { ...base, tenant: 'globex', issuer, tenantClaim: 'org_id', tenantClaimValue: 'org-a' }), /"acme" already trusts .* for org_id=org-a/, 'conflict');
    await addIssuer(database.db, { ...base, tenant: 'globex', issuer, tenantClaim: 'org_id', tenantClaimValue: 'org-g' });

    const solo = 'https://solo.example.test';
    await addIssuer(database.db, { ...base, issuer: solo });
    await expectInvalid(addIssuer(database.db, { ...base, tenant: 'globex', issuer: solo, tenantClaim: 'org_id', tenantClaimValue: 'g' }), /theirs has none/, 'conflict');
    await expectInvalid(addIssuer(database.db, { ...base, issuer: 'https://b.example.test', tenantClaim: 'org_id' }), /tenant claim and its value together/);
  });

  it('lists and removes registrations', async () => {
    const added = await addIssuer(database.db, { ...base, tenant: 'initech', issuer: 'https://gone-soon.example.test' });
    expect((await listIssuers(database.db, 'initech')).map((i) => i.id)).toEqual([added.id]);
    expect(await removeIssuer(database.db, added.id)).toMatchObject({ id: added.id, tenant: 'initech' });
    expect(await listIssuers(database.db, 'initech')).toEqual([]);
    await expectInvalid(removeIssuer(database.db, added.id), /No trusted issuer/, 'not_found');
  });
});

describe('issuer and token commands', () => {
  let env: Record<string, string>;

  // The CLI's own entry function, in-process: bin.js calls exactly this with process.argv and
  // process.env (jwt.test.ts runs the real bin once). A process per command would cost ~1.5 s each.
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const info = vi.spyOn(console, 'info').mockImplementation((line: unknown) => void stdout.push(`${line}\n`));
    const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void stderr.push(`${line}\n`));
    try {
      const code = await main(args, env);
      return { code, stdout: stdout.join(''), stderr: stderr.join('') };
    } finally {
      info.mockRestore();
      error.mockRestore();
    }
  }

  async function expectOneLineError(args: string[], message: RegExp) {
    const { code, stdout, stderr } = await cli(...args);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toMatch(new RegExp(`^tenant-mcp: ${message.source}[^\\n]*$`));
  }

  beforeAll(() => {
    env = { PATH: process.env.PATH!, DATABASE_URL: database.url, PUBLIC_URL: 'https://mcp.example.test' };
  });

  it('adds an issuer from a PEM file, lists it and removes it', async () => {
    const file = join(database.dir, 'idp.pem');
    writeFileSync(file, await exportSPKI(rsa.publicKey));
    const added = await cli('issuer', 'add', '--tenant', 'globex', '--issuer', 'https://cli.example.test', '--jwk-file', file, '--scope-claim', 'scp', '--json');
    expect(added.code).toBe(0);
    const info = JSON.parse(added.stdout);
    expect(info).toMatchObject({ tenant: 'globex', issuer: 'https://cli.example.test', inlineKeys: 1, scopeClaim: 'scp' });

    const listed = await cli('issuer', 'list', '--tenant', 'globex');
    expect(listed.stdout).toMatch(new RegExp(`^${info.id}\\s+globex\\s+https://cli\\.example\\.test\\s+1 inline\\s+\\(default\\) https://mcp\\.example\\.test/mcp\\s+scp`, 'm'));

    const removed = await cli('issuer', 'remove', info.id);
    expect(removed.stdout).toBe(`Removed issuer https://cli.example.test (id ${info.id}) from tenant globex.\n`);
  });

  it('adds an issuer with a JWKS URI and a tenant claim', async () => {
    const { code, stdout } = await cli(
      'issuer', 'add', '--tenant', 'initech', '--issuer', 'https://okta.example.test', '--jwks-uri', 'https://okta.example.test/keys',
      '--audience', 'api://mcp', '--tenant-claim', 'org_id', '--tenant-claim-value', 'org-i',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Tenant initech trusts issuer https:\/\/okta\.example\.test \(id iss_[a-z2-7]{12}, keys from https:\/\/okta\.example\.test\/keys, audience api:\/\/mcp, when org_id=org-i\)\.$/m);
  });

  it('refuses bad issuer and token input with one line', async () => {
    const file = join(database.dir, 'private.pem');
    writeFileSync(file, await exportPKCS8(rsa.privateKey));
    await expectOneLineError(['issuer', 'add', '--tenant', 'acme', '--issuer', 'https://x.example.test', '--jwk-file', file], /The key is a private key/);
    await expectOneLineError(['issuer', 'add', '--tenant', 'acme', '--issuer', 'https://x.example.test', '--jwk-file', join(database.dir, 'missing.pem')], /Cannot read --jwk-file/);
    await expectOneLineError(['issuer', 'add', '--tenant', 'acme', '--jwks-uri', 'https://x.example.test/k'], /Missing --issuer/);
    await expectOneLineError(['token', 'mint', '--tenant', 'acme', '--scopes', 'math'], /Cannot mint tokens: set TOKEN_SIGNING_KEY/);

    const keyFile = join(database.dir, 'server.pem');
    writeFileSync(keyFile, await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey));
    env = { ...env, TOKEN_SIGNING_KEY_FILE: keyFile };
    await expectOneLineError(['token', 'mint', '--tenant', 'acme', '--scopes', 'github:read'], /Scope github:read is not allowed for tenant "acme"/);
    await expectOneLineError(['token', 'mint', '--tenant', 'acme', '--scopes', 'math', '--ttl', '2d'], /A token lives at most 24h/);
    const minted = await cli('token', 'mint', '--tenant', 'acme', '--scopes', 'math');
    expect(minted.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);

    env = { ...env, TOKEN_SIGNING_KEY: 'also-set' };
    await expectOneLineError(['token', 'mint', '--tenant', 'acme', '--scopes', 'math'], /Invalid configuration: set TOKEN_SIGNING_KEY or TOKEN_SIGNING_KEY_FILE, not both/);
  });
});
