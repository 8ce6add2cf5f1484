import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrant } from '../../src/oauth/grants.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { runCli, runMain } from '../helpers/cli.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';

let database: TempDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await tempDatabase();
  env = { DATABASE_URL: database.url };
});

afterAll(() => database?.dispose());

describe('tenant-mcp client and grant commands', () => {
  it('registers a confidential client, shows its secret once, lists it without, and removes it', async () => {
    const registered = await runCli(['client', 'register', '--name', 'Acme app', '--redirect-uri', 'https://app.acme.example/cb,http://127.0.0.1/cb', '--confidential', '--json'], env);
    expect(registered.code, registered.stderr).toBe(0);
    const client = JSON.parse(registered.stdout);
    expect(client).toMatchObject({ name: 'Acme app', redirectUris: ['https://app.acme.example/cb', 'http://127.0.0.1/cb'], clientSecret: expect.stringMatching(/^tmcs_/) });
    const listed = await runMain(['client', 'list'], env);
    expect(listed.stdout).toContain(client.clientId);
    expect(listed.stdout).not.toContain(client.clientSecret);
    expect((await runMain(['client', 'remove', client.clientId], env)).stdout).toContain(`Removed OAuth client ${client.clientId}`);
    expect((await runMain(['client', 'remove', client.clientId], env)).code).toBe(1);
  });

  it('refuses a redirect URI with a fragment', async () => {
    const run = await runMain(['client', 'register', '--name', 'x', '--redirect-uri', 'https://app.example/cb#frag'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('must not contain a fragment');
  });

  it('lists grants by subject and revokes them by client', async () => {
    const tenant = await createTenant(database.db, { slug: 'cli-co', scopes: 'math' });
    const client = JSON.parse((await runMain(['client', 'register', '--name', 'Holder', '--redirect-uri', 'https://h.example/cb', '--json'], env)).stdout);
    for (const subject of ['ann', 'ben']) {
      await createGrant(database.db, { user: { tenantId: tenant.id, subject, method: 'oidc' }, clientId: client.clientId, scopes: ['math'], resource: 'http://x/mcp', redirectUri: 'https://h.example/cb', codeChallenge: 'c'.repeat(43) });
    }
    const ann = JSON.parse((await runMain(['grant', 'list', '--subject', 'ann', '--json'], env)).stdout);
    expect(ann.map((g: { subject: string }) => g.subject)).toEqual(['ann']);
    expect((await runMain(['grant', 'revoke', '--client', client.clientId], env)).stdout).toContain('Revoked 2 grants.');
    expect(JSON.parse((await runMain(['grant', 'list', '--tenant', 'cli-co', '--json'], env)).stdout)).toEqual([]);
    expect(JSON.parse((await runMain(['grant', 'list', '--tenant', 'cli-co', '--all', '--json'], env)).stdout)).toHaveLength(2);
    expect((await runMain(['grant', 'revoke'], env)).stderr).toContain('Name a tenant, a subject or a client');
  });
});
