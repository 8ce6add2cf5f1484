import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/services/tenants.ts';
import { runMain } from '../helpers/cli.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { secretsKey } from '../helpers/secrets.ts';

const CLIENT_SECRET = 'upstream-client-secret-9f8e7d6c5b4a';

let database: TempDatabase;
let env: Record<string, string>;
let secretFile: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'globex', scopes: 'math' });
  env = { DATABASE_URL: database.url, SECRETS_ENCRYPTION_KEY: secretsKey('k1') };
  secretFile = join(database.dir, 'client-secret.txt');
  writeFileSync(secretFile, `${CLIENT_SECRET}\n`, { mode: 0o600 });
});

afterAll(() => database?.dispose());

describe('sign-in provider commands', () => {
  let companyId: string;
  let ssoId: string;

  it('adds a company provider whose secret is stored encrypted and never printed', async () => {
    const add = await runMain(
      ['sign-in', 'add', '--kind', 'company', '--name', 'Example Corp', '--issuer', 'https://login.example.com/', '--client-id', 'tenant-mcp', '--client-secret-file', secretFile, '--tenant-claim', 'https://mcp.example.com/tenant', '--json'],
      env,
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const added = JSON.parse(add.stdout);
    companyId = added.id;
    expect(added).toMatchObject({ kind: 'company', tenant: null, clientAuth: 'client_secret', secretKeyId: 'k1', requestScopes: ['openid', 'email', 'profile'] });

    const outputs = [add, await runMain(['sign-in', 'list'], env), await runMain(['sign-in', 'list', '--json'], env), await runMain(['sign-in', 'show', companyId], env), await runMain(['sign-in', 'show', companyId, '--json'], env)];
    for (const run of outputs) {
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(CLIENT_SECRET);
    }
    expect(outputs[1]!.stdout).toContain('sealed (k1)');
  });

  it('sets the admin rule for /portal with --admin-claim/--admin-values, changes and removes it with sign-in update', async () => {
    const add = await runMain(['sign-in', 'add', '--kind', 'company', '--name', 'Admins Corp', '--issuer', 'https://admins.example.com/', '--client-id', 'a', '--tenant-claim', 'org', '--admin-claim', 'groups', '--admin-values', 'mcp-admins'], env);
    expect(add.stderr).toBe('');
    expect(add.stdout).toContain('Portal: users whose claim groups holds mcp-admins sign in to /portal as their tenant\'s administrator.');
    const id = /provider (sip_[a-z2-7]{12})/.exec(add.stdout)![1]!;
    expect((await runMain(['sign-in', 'list'], env)).stdout).toMatch(new RegExp(`${id}.*groups: mcp-admins`));
    const changed = JSON.parse((await runMain(['sign-in', 'update', id, '--admin-values', 'mcp-admins,owners', '--json'], env)).stdout);
    expect(changed).toMatchObject({ adminClaim: 'groups', adminValues: ['mcp-admins', 'owners'] });
    expect((await runMain(['sign-in', 'show', id], env)).stdout).toMatch(/adminValues\s+mcp-admins,owners/);
    const removed = await runMain(['sign-in', 'update', id, '--admin-claim', 'none'], env);
    expect(removed.stdout).toContain('Portal: nobody signs in to /portal through it (no --admin-claim).');
    const half = await runMain(['sign-in', 'update', id, '--admin-values', 'x'], env);
    expect(half.code).not.toBe(0);
    expect(half.stderr).toContain('Give an admin claim with the admin values');
    const nothing = await runMain(['sign-in', 'update', id], env);
    expect(nothing.stderr).toContain('Nothing to change');
    expect((await runMain(['sign-in', 'remove', id], env)).code).toBe(0);
  });

  it('keeps the secret unreadable in the database file', async () => {
    const bytes = readFileSync(new URL(database.url).pathname);
    const wal = (() => {
      try {
        return readFileSync(`${new URL(database.url).pathname}-wal`);
      } catch {
        return Buffer.alloc(0);
      }
    })();
    expect(Buffer.concat([bytes, wal]).includes(Buffer.from('Example Corp'))).toBe(true); // the file is readable: the check is real
    expect(Buffer.concat([bytes, wal]).includes(Buffer.from(CLIENT_SECRET))).toBe(false);
    expect(Buffer.concat([bytes, wal]).includes(Buffer.from('sb1.k1.'))).toBe(true);
  });

  it('adds a tenant SSO provider with email domains and refuses a domain sent elsewhere', async () => {
    const add = await runMain(['sign-in', 'add', '--kind', 'tenant', '--tenant', 'acme', '--name', 'Acme SSO', '--issuer', 'https://acme.okta.com', '--client-id', 'acme-app', '--email-domains', 'acme.com,ACME.io', '--json'], env);
    expect(add.code).toBe(0);
    const added = JSON.parse(add.stdout);
    ssoId = added.id;
    expect(added).toMatchObject({ kind: 'tenant', tenant: 'acme', clientAuth: 'none', secretKeyId: null, emailDomains: ['acme.com', 'acme.io'] });
    const clash = await runMain(['sign-in', 'add', '--kind', 'tenant', '--tenant', 'globex', '--name', 'Globex', '--issuer', 'https://globex.okta.com', '--client-id', 'g', '--email-domains', 'acme.com'], env);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`Email domain acme.com is already sent to provider ${ssoId}`);
    const listed = JSON.parse((await runMain(['sign-in', 'list', '--tenant', 'acme', '--json'], env)).stdout);
    const text = await runMain(['sign-in', 'add', '--kind', 'tenant', '--tenant', 'globex', '--name', 'Globex SSO', '--issuer', 'https://globex.okta.com', '--client-id', 'g'], { ...env, SECRETS_ENCRYPTION_KEY: '', PUBLIC_URL: 'https://mcp.example.com' });
    expect(text.stdout).toContain('Register https://mcp.example.com/oauth/sign-in/oidc/callback as its redirect URI at the provider.');
    expect(text.stdout).toContain('Sign-in with it stays off until the server runs with SECRETS_ENCRYPTION_KEY.');
    expect(listed.map((p: { id: string }) => p.id)).toEqual([ssoId]);
  });

  it('refuses a secret without an encryption key, a company provider without a tenant claim, and plain http issuers', async () => {
    const noKey = await runMain(['sign-in', 'add', '--kind', 'tenant', '--tenant', 'globex', '--name', 'G', '--issuer', 'https://g.example', '--client-id', 'g', '--client-secret-file', secretFile], { DATABASE_URL: database.url });
    expect(noKey.stderr).toContain('Cannot store a client secret: set SECRETS_ENCRYPTION_KEY');
    const noClaim = await runMain(['sign-in', 'add', '--kind', 'company', '--name', 'C', '--issuer', 'https://c.example', '--client-id', 'c'], env);
    expect(noClaim.stderr).toContain('A company provider needs a tenant claim');
    const http = await runMain(['sign-in', 'add', '--kind', 'tenant', '--tenant', 'globex', '--name', 'G', '--issuer', 'http://idp.example', '--client-id', 'g'], env);
    expect(http.stderr).toContain('Invalid issuer: use https://');
    for (const run of [noKey, noClaim, http]) expect(run.code).toBe(1);
  });

  it('turns sign-in methods off per tenant', async () => {
    expect((await runMain(['sign-in', 'methods', 'acme'], env)).stdout).toContain('api key on, company sign-in on, tenant SSO on');
    const off = await runMain(['sign-in', 'methods', 'acme', '--api-key', 'off', '--company', 'off', '--json'], env);
    expect(JSON.parse(off.stdout)).toEqual({ apiKey: false, company: false, tenantSso: true });
    expect((await runMain(['sign-in', 'methods', 'acme', '--tenant-sso', 'maybe'], env)).stderr).toContain('Invalid --tenant-sso "maybe": use on or off');
    expect(JSON.parse((await runMain(['sign-in', 'methods', 'globex', '--json'], env)).stdout)).toEqual({ apiKey: true, company: true, tenantSso: true });
  });

  it('reseals secrets with a rotated key, after which the old key is no longer needed', async () => {
    const rotated = { DATABASE_URL: database.url, SECRETS_ENCRYPTION_KEY: secretsKey('k2'), SECRETS_ENCRYPTION_OLD_KEYS: env.SECRETS_ENCRYPTION_KEY! };
    const reseal = await runMain(['secrets', 'reseal'], rotated);
    expect(reseal.stdout).toContain('Sealed 1 secret again with key k2.');
    expect(JSON.parse((await runMain(['sign-in', 'show', companyId, '--json'], rotated)).stdout).secretKeyId).toBe('k2');
    expect((await runMain(['secrets', 'reseal'], rotated)).stdout).toContain('Sealed 0 secrets again');
  });

  it('removes providers', async () => {
    expect((await runMain(['sign-in', 'remove', ssoId], env)).stdout).toContain(`Removed sign-in provider ${ssoId} (Acme SSO); ended 0 grants given through it.`);
    const again = await runMain(['sign-in', 'remove', ssoId], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No sign-in provider "${ssoId}"`);
  });
});
