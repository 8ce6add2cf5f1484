import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { type HttpsServer, startHttpsServer } from '../helpers/https-server.ts';
import { pkcePair, sdkOAuthFlow, startOAuthServer } from '../helpers/oauth.ts';
import type { RunningServer } from '../helpers/server.ts';

const REDIRECT = 'http://127.0.0.1:33418/callback';
let database: TempDatabase;
let server: RunningServer;
let documents: HttpsServer;
let key: string;

/** The documents the https server serves, by path. */
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {};

function document(path: string, overrides: Record<string, unknown> = {}) {
  return { client_id: `${documents.url}${path}`, client_name: 'Metadata app', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...overrides };
}

function serveJson(path: string, body: unknown) {
  routes[path] = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

beforeAll(async () => {
  documents = await startHttpsServer((req, res) => (routes[req.url!] ?? ((_, r) => r.writeHead(404).end()))(req, res));
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'alice-co', scopes: 'math' });
  key = (await createKey(database.db, { tenant: 'alice-co', scopes: 'math' })).key;
  server = await startOAuthServer({
    DATABASE_URL: database.url,
    NODE_EXTRA_CA_CERTS: documents.caFile,
    OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: 'localhost',
    OAUTH_CIMD_TIMEOUT_MS: '500',
  });
  serveJson('/good.json', document('/good.json'));
  serveJson('/other-id.json', document('/other-id.json', { client_id: `${documents.url}/good.json` }));
  serveJson('/big.json', document('/big.json', { client_name: 'x'.repeat(100), padding: 'p'.repeat(6000) }));
  routes['/slow.json'] = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"client_id":');
    setTimeout(() => res.end(`"${documents.url}/slow.json","redirect_uris":["${REDIRECT}"]}`), 2000).unref();
  };
});

afterAll(async () => {
  await server?.stop();
  await documents?.close();
  database?.dispose();
});

/** Opens the authorization URL for `clientId` as a browser would; returns status, Location and page. */
async function authorize(clientId: string) {
  const { challenge } = await pkcePair();
  const url = new URL('/authorize', server.url);
  const params = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', resource: `${server.url}/mcp`, state: 's' };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('Location'), page: await res.text() };
}

describe('client metadata documents (CIMD)', () => {
  it('lets the SDK client use an https metadata document URL as its client_id', async () => {
    const flow = await sdkOAuthFlow(server.url, key, { clientMetadataUrl: `${documents.url}/good.json` });
    expect(flow.provider.information?.client_id).toBe(`${documents.url}/good.json`);
    expect(flow.sum).toEqual([{ type: 'text', text: '5' }]);
  });

  it('caches a fetched document: the client keeps working while its host is down', async () => {
    serveJson('/cached.json', document('/cached.json'));
    expect((await authorize(`${documents.url}/cached.json`)).status).toBe(303);
    routes['/cached.json'] = (_req, res) => res.writeHead(503).end();
    const again = await authorize(`${documents.url}/cached.json`);
    expect(again.status).toBe(303);
    expect(again.location).toMatch(/^\/oauth\/requests\//);
  });

  it.each([
    ['an http URL', () => `http://localhost:${documents.port}/good.json`, /not an https URL/],
    ['a loopback address', () => `https://127.0.0.1:${documents.port}/good.json`, /private or loopback address/],
    ['a name that resolves to a loopback address', () => `https://${hostname()}:${documents.port}/good.json`, /resolves to a private or loopback address/],
    ['an oversized document', () => `${documents.url}/big.json`, /larger than 5120 bytes/],
    ['a document that arrives too slowly', () => `${documents.url}/slow.json`, /did not arrive within 500 ms|did not answer within 500 ms/],
    ['a document whose client_id differs from its URL', () => `${documents.url}/other-id.json`, /client_id differs from the URL/],
  ])('refuses %s on our own page, without redirecting', async (_what, clientId, reason) => {
    const res = await authorize(clientId());
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
    expect(res.page).toMatch(reason);
  });
});
