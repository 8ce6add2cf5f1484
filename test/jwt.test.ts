import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addIssuer } from '../src/services/issuers.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant, updateTenant } from '../src/services/tenants.ts';
import { listUsage, type UsageRow } from '../src/services/usage.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import {
  b64url,
  closedPort,
  epochSeconds,
  generateTestKey,
  type JwksServer,
  signToken,
  startJwksServer,
  type TestKey,
} from './helpers/identity-provider.ts';
import { connectClient, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

const PUBLIC_URL = 'https://mcp.example.test';
const RESOURCE = `${PUBLIC_URL}/mcp`;
const METADATA_URL = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`;
const IDP = 'https://idp.example.test';
const SHARED_IDP = 'https://shared-idp.example.test';
const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));

let database: TempDatabase;
let server: RunningServer;
let jwks: JwksServer;
let hanging: JwksServer;
let keyA: TestKey; // the IdP's first key, served by its JWKS
let keyB: TestKey; // the IdP's next key, for rotation
let sharedKey: TestKey; // a shared IdP's key, registered inline
let stranger: TestKey; // nobody trusts this one
let serverKeyFile: string;
let serverKey: CryptoKeyPair;
const clients: Client[] = [];

beforeAll(async () => {
  database = await tempDatabase();
  [keyA, keyB, sharedKey, stranger] = await Promise.all([
    generateTestKey('ES256', 'key-a'),
    generateTestKey('RS256', 'key-b'),
    generateTestKey('EdDSA', 'shared-1'),
    generateTestKey('ES256', 'key-a'),
  ]);
  jwks = await startJwksServer([keyA.publicJwk]);
  hanging = await startJwksServer();
  hanging.setMode('hang');

  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'alpha', scopes: 'math' });
  await createTenant(database.db, { slug: 'beta', scopes: 'notes:*' });
  await createTenant(database.db, { slug: 'sleepy', scopes: 'math' });
  await addIssuer(database.db, { tenant: 'acme', issuer: IDP, jwksUri: jwks.url });
  for (const [tenant, org] of [['alpha', 'org-a'], ['beta', 'org-b']]) {
    await addIssuer(database.db, { tenant: tenant!, issuer: SHARED_IDP, publicKey: JSON.stringify(sharedKey.publicJwk), tenantClaim: 'org_id', tenantClaimValue: org });
  }
  await addIssuer(database.db, { tenant: 'acme', issuer: 'https://slow.example.test', jwksUri: hanging.url });
  await addIssuer(database.db, { tenant: 'acme', issuer: 'https://gone.example.test', jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` });

  serverKey = await generateKeyPair('EdDSA', { extractable: true });
  serverKeyFile = join(database.dir, 'signing-key.pem');
  writeFileSync(serverKeyFile, await exportPKCS8(serverKey.privateKey));
  server = await startServer({
    DATABASE_URL: database.url,
    PUBLIC_URL,
    AUTHORIZATION_SERVERS: 'https://auth.example.test',
    TOKEN_SIGNING_KEY_FILE: serverKeyFile,
    JWKS_TIMEOUT_MS: '500',
    JWKS_COOLDOWN_MS: '1000',
    KEY_CACHE_TTL_SECONDS: '1',
    USAGE_FLUSH_INTERVAL_MS: '100',
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  await jwks?.close();
  await hanging?.close();
  database?.dispose();
});

/** Standard claims of a token from the IdP for tenant acme, with overrides (undefined removes one). */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: IDP, aud: RESOURCE, sub: 'user-42', iat: epochSeconds(), exp: epochSeconds(300), scope: 'math', ...overrides };
}

async function connect(token: string): Promise<Client> {
  const client = await connectClient(server.url, { Authorization: `Bearer ${token}` });
  clients.push(client);
  return client;
}

async function toolNames(token: string): Promise<string[]> {
  const client = await connect(token);
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

async function whoami(token: string): Promise<Record<string, unknown>> {
  const client = await connect(token);
  return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
}

async function status(token: string): Promise<number> {
  return (await postMcp(server.url, rpc('ping'), { Authorization: `Bearer ${token}` })).status;
}

/** Expects the token to be refused with 401 and an invalid_token challenge; returns the body. */
async function expectRefused(token: string): Promise<{ error: string; error_description: string }> {
  const res = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${token}` });
  expect(res.status).toBe(401);
  expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="tenant-mcp", error="invalid_token", /);
  return res.json();
}

/** Waits until the server's log matches (its output arrives through a pipe, a moment after the response). */
async function expectLogged(pattern: RegExp): Promise<void> {
  for (let i = 0; i < 50 && !pattern.test(server.output()); i++) await sleep(50);
  expect(server.output()).toMatch(pattern);
}

async function usageRows(match: (row: UsageRow) => boolean, count = 1): Promise<UsageRow[]> {
  let rows: UsageRow[] = [];
  for (let i = 0; i < 60; i++) {
    rows = (await listUsage(database.db, {})).items.filter(match);
    if (rows.length >= count) break;
    await sleep(50);
  }
  return rows;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH!, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('JWTs from a trusted issuer', () => {
  it("accepts a token signed by a key from the issuer's JWKS, as the official MCP client sends it", async () => {
    const me = await whoami(await signToken(keyA, claims()));
    expect(me).toMatchObject({ tenant: 'acme', keyId: null, keyName: null, subject: 'user-42', credentialScopes: ['math'] });
  });

  it("shows only the tools both the token's scopes and the tenant's plan grant", async () => {
    // acme's plan is math,notes:*; github:read lies outside it.
    expect(await toolNames(await signToken(keyA, claims({ scope: 'math notes:read github:read' })))).toEqual(['add', 'multiply', 'note_get', 'note_list', 'whoami']);
    expect(await toolNames(await signToken(keyA, claims({ scope: 'notes:*' })))).toEqual(['note_delete', 'note_get', 'note_list', 'note_put', 'whoami']);
    expect(await toolNames(await signToken(keyA, claims({ scope: undefined, scp: ['math'] })))).toEqual(['add', 'multiply', 'whoami']);
    expect(await toolNames(await signToken(keyA, claims({ scope: 'openid profile' })))).toEqual(['whoami']);
  });

  it("answers a call of a tool in the tenant's plan but outside the token's scopes with 403 insufficient_scope", async () => {
    const token = await signToken(keyA, claims({ scope: 'notes:read' }));
    const res = await postMcp(server.url, rpc('tools/call', { name: 'note_put', arguments: { key: 'k', value: 'v' } }, 7), { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(403);
    expect(res.headers.get('WWW-Authenticate')).toBe(
      `Bearer realm="tenant-mcp", error="insufficient_scope", scope="notes:read notes:write", resource_metadata="${METADATA_URL}"`,
    );
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32000, message: expect.stringContaining('note_put needs notes:write') } });
    const denied = await usageRows((r) => r.tool === 'note_put' && r.subject === 'user-42');
    expect(denied[0]).toMatchObject({ tenant: 'acme', outcome: 'denied', keyId: null });
  });

  it("keeps a tool outside the tenant's plan unknown (-32602), for tokens and API keys alike", async () => {
    const token = await signToken(keyA, claims({ scope: 'math github:read' }));
    const call = rpc('tools/call', { name: 'github_readme', arguments: { owner: 'a', repo: 'b' } });
    const res = await postMcp(server.url, call, { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect((await res.json()).error).toEqual({ code: -32602, message: 'Unknown tool: github_readme' });

    // An API key cannot be stepped up, so a tool outside its scopes stays unknown too.
    const { key } = await createKey(database.db, { tenant: 'acme', scopes: 'math' });
    const put = await postMcp(server.url, rpc('tools/call', { name: 'note_put', arguments: { key: 'k', value: 'v' } }), { Authorization: `Bearer ${key}` });
    expect(put.status).toBe(200);
    expect((await put.json()).error).toEqual({ code: -32602, message: 'Unknown tool: note_put' });
  });

  it('tolerates a small clock skew', async () => {
    expect(await status(await signToken(keyA, claims({ exp: epochSeconds(-5), iat: epochSeconds(5) })))).toBe(200);
  });

  it.each([
    ['a wrong audience', () => signToken(keyA, claims({ aud: 'https://other.example.test/mcp' })), /invalid_token: unexpected "aud" claim value/],
    ['an issuer nobody trusts', () => signToken(keyA, claims({ iss: 'https://evil.example.test' })), /untrusted_issuer: no tenant trusts issuer "https:\/\/evil\.example\.test"/],
    ['another trusted issuer than the one whose key signed it', () => signToken(keyA, claims({ iss: SHARED_IDP, org_id: 'org-a' })), /invalid_token: no key matches the token's header \(alg "ES256", kid "key-a"\) \(issuer "https:\/\/shared-idp/],
    ['an expired token', () => signToken(keyA, claims({ iat: epochSeconds(-600), exp: epochSeconds(-120) })), /expired: "exp" claim timestamp check failed/],
    ['a token not valid yet', () => signToken(keyA, claims({ nbf: epochSeconds(120) })), /invalid_token: "nbf" claim timestamp check failed/],
    ['a token issued in the future', () => signToken(keyA, claims({ iat: epochSeconds(120) })), /invalid_token: "iat" claim is in the future/],
    ['a token without exp', () => signToken(keyA, claims({ exp: undefined })), /invalid_token: missing required "exp" claim/],
    ['a token without iat', () => signToken(keyA, claims({ iat: undefined })), /invalid_token: missing required "iat" claim/],
    ['a key nobody trusts, under a trusted kid', () => signToken(stranger, claims()), /invalid_token: bad signature \(alg "ES256", kid "key-a"\)/],
    [
      'HS256 signed with the public key as the secret (algorithm confusion)',
      async () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'key-a' }).sign(new TextEncoder().encode(await exportSPKI(keyA.publicKey))),
      /invalid_token: algorithm not allowed \(alg "HS256", kid "key-a"\)/,
    ],
    ['alg none', async () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`, /invalid_token: .*alg "none"/],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await signToken(keyA, claims())).split('.');
        return `${header}.${b64url(claims({ scope: '*' }))}.${signature}`;
      },
      /invalid_token: bad signature \(alg "ES256", kid "key-a"\)/,
    ],
  ])('refuses %s with 401 and logs why, never the token', async (_case, make, reason) => {
    const token = await make();
    const body = await expectRefused(token);
    expect(body).toEqual({ error: 'invalid_token', error_description: 'The credential is invalid, expired or revoked.' });
    await expectLogged(new RegExp(`Refused a token: ${reason.source}`));
    expect(server.output()).not.toContain(token.split('.')[1]);
  });

  it('records the subject of token calls in usage events, and refused tokens as unauthenticated', async () => {
    const client = await connect(await signToken(keyA, claims({ sub: 'user-usage' })));
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    const [row] = await usageRows((r) => r.subject === 'user-usage');
    expect(row).toMatchObject({ tenant: 'acme', keyId: null, subject: 'user-usage', tool: 'add', outcome: 'ok' });

    await expectRefused(await signToken(keyA, claims({ sub: 'user-late', exp: epochSeconds(-3600), iat: epochSeconds(-7200) })));
    const refused = await usageRows((r) => r.outcome === 'unauthenticated' && r.tenant === 'acme');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.subject === null && r.keyId === null)).toBe(true);
  });
});

describe('an issuer shared by several tenants', () => {
  const shared = (org: string | undefined, scope: string) => signToken(sharedKey, claims({ iss: SHARED_IDP, org_id: org, scope }));

  it('tells the tenants apart by the tenant claim', async () => {
    expect(await whoami(await shared('org-a', 'math notes:read'))).toMatchObject({ tenant: 'alpha', tenantScopes: ['math'] });
    expect(await whoami(await shared('org-b', 'math notes:read'))).toMatchObject({ tenant: 'beta', tenantScopes: ['notes:*'] });
    expect(await toolNames(await shared('org-a', 'math notes:read'))).toEqual(['add', 'multiply', 'whoami']);
    expect(await toolNames(await shared('org-b', 'math notes:read'))).toEqual(['note_get', 'note_list', 'whoami']);
  });

  it('refuses a token whose tenant claim matches no tenant, or is missing', async () => {
    await expectRefused(await shared('org-c', 'math'));
    await expectRefused(await shared(undefined, 'math'));
    await expectLogged(/untrusted_issuer: issuer "https:\/\/shared-idp\.example\.test" is shared and its "org_id" claim matches no tenant/);
  });

  it("refuses a forged tenant claim: the claim is checked with that tenant's registration and keys", async () => {
    const [header, , signature] = (await shared('org-a', 'math')).split('.');
    await expectRefused(`${header}.${b64url(claims({ iss: SHARED_IDP, org_id: 'org-b', scope: 'math' }))}.${signature}`);
  });
});

describe('JWKS fetching', () => {
  it('follows key rotation: a new kid is fetched once, and a removed kid is refused', async () => {
    expect(await status(await signToken(keyA, claims()))).toBe(200);
    const before = jwks.hits;
    jwks.setKeys([keyB.publicJwk]); // the IdP rotates: key-b in, key-a out
    await sleep(1_100); // JWKS_COOLDOWN_MS=1000 for this server
    expect(await status(await signToken(keyB, claims()))).toBe(200);
    expect(jwks.hits).toBe(before + 1);
    // key-a is gone from the fresh set; within the cooldown it does not trigger another fetch.
    await expectRefused(await signToken(keyA, claims()));
    expect(jwks.hits).toBe(before + 1);
    await expectLogged(/no key matches the token's header \(alg "ES256", kid "key-a"\) \(issuer "https:\/\/idp\.example\.test"/);
  });

  it('refetches at most once for an unknown kid', async () => {
    await sleep(1_100);
    const before = jwks.hits;
    const unknown = await generateTestKey('ES256', 'key-unknown');
    await expectRefused(await signToken(unknown, claims()));
    expect(jwks.hits).toBe(before + 1);
    await expectRefused(await signToken(unknown, claims()));
    expect(jwks.hits).toBe(before + 1);
  });

  it('refuses with a clear 401 when the JWKS server hangs, after the timeout, and logs why', async () => {
    const token = await signToken(keyA, claims({ iss: 'https://slow.example.test' }));
    const res = await postMcp(server.url, rpc('ping'), { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: "The token's issuer keys cannot be fetched right now. Retry shortly." });
    await expectLogged(/jwks_unavailable: Cannot fetch the JWKS from http:\/\/127\.0\.0\.1:\d+\/jwks\.json: the request timed out/);
  });

  it('refuses with a clear 401 when nothing listens at the JWKS URI, and keeps serving', async () => {
    await expectRefused(await signToken(keyA, claims({ iss: 'https://gone.example.test' })));
    await expectLogged(/jwks_unavailable: Cannot fetch the JWKS from http:\/\/127\.0\.0\.1:\d+\/jwks\.json: fetch failed \(ECONNREFUSED\)/);
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    expect(await status(await signToken(keyB, claims()))).toBe(200);
  });
});

describe('tokens minted by the server', () => {
  const minted = (overrides: Record<string, unknown> = {}) =>
    new SignJWT({ iss: PUBLIC_URL, aud: RESOURCE, sub: 'end-user-7', tenant: 'acme', scope: 'math notes:read', iat: epochSeconds(), nbf: epochSeconds(), exp: epochSeconds(600), jti: crypto.randomUUID(), ...overrides })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .sign(serverKey.privateKey);

  it('publishes the public key at /.well-known/jwks.json', async () => {
    const res = await fetch(new URL('/.well-known/jwks.json', server.url));
    expect(res.status).toBe(200);
    const { keys } = await res.json();
    expect(keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' }]);
  });

  it('accepts a token from `tenant-mcp token mint`, with its subject and scopes', async () => {
    const env = { DATABASE_URL: database.url, PUBLIC_URL, TOKEN_SIGNING_KEY_FILE: serverKeyFile };
    const { code, stdout, stderr } = await cli(['token', 'mint', '--tenant', 'acme', '--scopes', 'math', '--subject', 'cli-user', '--ttl', '5m', '--json'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ token: expect.any(String), tenant: 'acme', subject: 'cli-user', scopes: ['math'] });
    expect(Date.parse(out.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(await toolNames(out.token)).toEqual(['add', 'multiply', 'whoami']);
    const client = await connect(out.token);
    await client.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
    const [row] = await usageRows((r) => r.subject === 'cli-user');
    expect(row).toMatchObject({ tenant: 'acme', keyId: null, tool: 'multiply', outcome: 'ok' });
  });

  it('accepts a token a backend minted with the documented claims and any JWT library', async () => {
    expect(await whoami(await minted())).toMatchObject({ tenant: 'acme', subject: 'end-user-7', credentialScopes: ['math', 'notes:read'] });
  });

  it('refuses minted tokens that are forged, unknown to a tenant or lack claims', async () => {
    const other = await generateKeyPair('EdDSA');
    await expectRefused(await new SignJWT({ iss: PUBLIC_URL, aud: RESOURCE, tenant: 'acme', scope: 'math', iat: epochSeconds(), exp: epochSeconds(60) }).setProtectedHeader({ alg: 'EdDSA' }).sign(other.privateKey));
    await expectRefused(await minted({ tenant: 'nobody' }));
    await expectRefused(await minted({ tenant: undefined }));
    await expectRefused(await minted({ aud: IDP }));
    await expectRefused(await minted({ exp: epochSeconds(-120) }));
    await expectLogged(/Refused a token: unknown: the token names tenant "nobody", which does not exist/);
  });

  it("refuses a suspended tenant's tokens within the cache bound", async () => {
    const token = await minted({ tenant: 'sleepy', scope: 'math' });
    expect(await status(token)).toBe(200);
    await updateTenant(database.db, 'sleepy', { status: 'suspended' });
    await sleep(1_100); // KEY_CACHE_TTL_SECONDS=1 for this server
    await expectRefused(token);
  });
});

describe('OAuth protected resource metadata', () => {
  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])('is served at %s', async (path) => {
    const res = await fetch(new URL(path, server.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [PUBLIC_URL, 'https://auth.example.test'], // the built-in server first, then the configured ones
      scopes_supported: ['github:read', 'math', 'notes:read', 'notes:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'tenant-mcp',
    });
  });

  it('is named in the 401 challenge, with the scopes to ask for', async () => {
    const res = await postMcp(server.url, rpc('tools/list'));
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe(`Bearer realm="tenant-mcp", scope="github:read math notes:read notes:write", resource_metadata="${METADATA_URL}"`);
  });
});
