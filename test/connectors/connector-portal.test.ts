// A tenant's administrator sets the tenant's own connector secret on the customer page; it reaches
// the upstream with that tenant's calls only, and is never shown again.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { connectorEnv } from '../../src/connectors/connector-env.ts';
import { compileOpenApiText } from '../../src/connectors/openapi/openapi-compiler.ts';
import { addConnector } from '../../src/services/connectors.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { allTools } from '../../src/tools/index.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { getPage, type PageSession, postForm, signIn } from '../helpers/pages.ts';
import { type LoopbackUpstream, serveOnLoopback } from '../helpers/petstore.ts';
import { expectNoSecretsIn, secretsKey } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const ACME_SECRET = 'acme-crm-token-9b2d41e7';
let database: TempDatabase;
let server: RunningServer;
let upstream: LoopbackUpstream;
const seen: (string | undefined)[] = [];
const keys: Record<string, string> = {};
const sessions: Record<string, PageSession> = {};

beforeAll(async () => {
  database = await tempDatabase();
  upstream = await serveOnLoopback(new Hono().get('/contacts', (c) => (seen.push(c.req.header('Authorization')), c.json({ contacts: [] }))).fetch);
  const settings = { DATABASE_URL: database.url, CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', SECRETS_ENCRYPTION_KEY: secretsKey('k1'), KEY_CACHE_TTL_SECONDS: '0' };
  const document = JSON.stringify({
    openapi: '3.1.0',
    info: { title: 'CRM', version: '1' },
    paths: { '/contacts': { get: { operationId: 'listContacts', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } } } } },
  });
  const env = connectorEnv(database.db, parseConfig(settings), { signingKey: Promise.resolve(undefined), builtIn: allTools, openApiCompiler: compileOpenApiText });
  await addConnector(database.db, env, { name: 'crm', kind: 'openapi', document, url: upstream.url, credential: 'secret' });
  for (const slug of ['acme', 'globex']) {
    await createTenant(database.db, { slug, scopes: 'crm:read,tenant:admin' });
    keys[slug] = (await createKey(database.db, { tenant: slug, scopes: 'crm:read' })).key;
    keys[`${slug}-admin`] = (await createKey(database.db, { tenant: slug, scopes: 'tenant:admin,crm:read' })).key;
  }
  server = await startServer(settings);
  for (const slug of ['acme', 'globex']) sessions[slug] = await signIn(server.url, '/portal', keys[`${slug}-admin`]!);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  database?.dispose();
});

const callAs = async (slug: string) => {
  const res = await postMcp(server.url, rpc('tools/call', { name: 'crm_listContacts', arguments: {} }), { Authorization: `Bearer ${keys[slug]}` });
  return ((await res.json()) as { result: { isError?: boolean; content: { text: string }[] } }).result;
};

describe('connector credentials on the customer page', () => {
  it('lets a tenant administrator set its own secret, which only its calls send upstream', async () => {
    const before = await (await getPage(server.url, '/portal', sessions.acme!.cookie)).text();
    expect(before).toContain('Connector credentials');
    expect(before).toMatch(/<label for="secret-crm"[^>]*>New credential for crm<\/label>/);
    expect(before).toContain('Not set');
    expect((await callAs('acme')).isError).toBe(true);

    const saved = await postForm(server.url, '/portal/connectors/crm/secret', { secret: `Bearer ${ACME_SECRET}`, csrf: sessions.acme!.csrf }, { cookie: sessions.acme!.cookie });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('Location')).not.toContain(ACME_SECRET);
    expect((await callAs('acme')).isError).toBeFalsy();
    expect(seen).toEqual([`Bearer ${ACME_SECRET}`]);
    const globex = await callAs('globex');
    expect(globex.isError).toBe(true);
    expect(globex.content[0]!.text).toMatch(/has not set its credential for crm/);
    expect(seen).toHaveLength(1);

    const acmePage = await (await getPage(server.url, '/portal', sessions.acme!.cookie)).text();
    expect(acmePage).toMatch(/Set \d{4}-\d\d-\d\d/);
    const globexPage = await (await getPage(server.url, '/portal', sessions.globex!.cookie)).text();
    expect(globexPage).toContain('Not set');
    for (const text of [acmePage, globexPage, server.output()]) expectNoSecretsIn(text, [ACME_SECRET]);
  });

  it('refuses a form without the session\'s CSRF token, and a connector that takes no secret', async () => {
    const forged = await postForm(server.url, '/portal/connectors/crm/secret', { secret: 'forged', csrf: 'wrong' }, { cookie: sessions.globex!.cookie });
    expect(forged.status).toBe(403);
    const unknown = await postForm(server.url, '/portal/connectors/nope/secret', { secret: 'x', csrf: sessions.globex!.csrf }, { cookie: sessions.globex!.cookie });
    expect(unknown.status).toBe(404);
    expect((await callAs('globex')).isError).toBe(true);
  });

  it('removes the tenant\'s own secret only', async () => {
    await postForm(server.url, '/portal/connectors/crm/secret', { secret: 'globex-token', csrf: sessions.globex!.csrf }, { cookie: sessions.globex!.cookie });
    const removed = await postForm(server.url, '/portal/connectors/crm/secret/remove', { csrf: sessions.globex!.csrf }, { cookie: sessions.globex!.cookie });
    expect(removed.status).toBe(303);
    expect((await callAs('globex')).isError).toBe(true);
    expect((await callAs('acme')).isError).toBeFalsy();
    expect(seen.at(-1)).toBe(`Bearer ${ACME_SECRET}`);
  });
});
