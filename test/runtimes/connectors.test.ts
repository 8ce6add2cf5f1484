// The same connectors on the Deno and Worker targets: real `deno serve` and real workerd, on one
// libSQL server, calling real upstreams on loopback (an OpenAPI API with a per-tenant sealed
// secret, and an MCP server built with the official SDK).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { connectorEnv } from '../../src/connectors/connector-env.ts';
import { compileOpenApiText } from '../../src/connectors/openapi/openapi-compiler.ts';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { addConnector, setConnectorSecret } from '../../src/services/connectors.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { allTools } from '../../src/tools/index.ts';
import { startLegacyStatelessUpstream, type Upstream } from '../connectors/mcp-upstreams.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { createPetstoreApp } from '../../examples/petstore/app.ts';
import { type LoopbackUpstream, serveOnLoopback } from '../helpers/petstore.ts';
import { secretsKey } from '../helpers/secrets.ts';
import { type SqldDatabase, sqldDatabase } from '../helpers/sqld-database.ts';
import { denoTarget, type Target, workerTarget } from '../helpers/targets.ts';

const SECRET = 'acme-petstore-token-5a1c';
let database: SqldDatabase;
let petstore: LoopbackUpstream;
let mcpUpstream: Upstream;
let settings: Record<string, string>;
let key: string;
const seenKeys: (string | null)[] = [];

beforeAll(async () => {
  database = await sqldDatabase();
  // The Petstore example, noting the credential header of every request it gets.
  const app = createPetstoreApp();
  petstore = await serveOnLoopback((request) => {
    if (new URL(request.url).pathname !== '/openapi.json') seenKeys.push(request.headers.get('X-Api-Key'));
    return app.fetch(request);
  });
  mcpUpstream = await startLegacyStatelessUpstream();
  settings = { DATABASE_URL: database.sqld.url, CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', SECRETS_ENCRYPTION_KEY: secretsKey('k1'), ADMIN_TOKEN: 'admin-token-for-runtime-connectors-0123' };
  const config = parseConfig(settings);
  const env = connectorEnv(database.db, config, { signingKey: Promise.resolve(undefined), secretBox: SecretBox.fromSettings(config.SECRETS_ENCRYPTION_KEY!), builtIn: allTools, openApiCompiler: compileOpenApiText });
  await createTenant(database.db, { slug: 'acme', scopes: 'petstore:read,docs:read' });
  key = (await createKey(database.db, { tenant: 'acme', scopes: 'petstore:read,docs:read' })).key;
  const document = await (await fetch(`${petstore.url}/openapi.json`)).text();
  await addConnector(database.db, env, { name: 'petstore', kind: 'openapi', document, url: petstore.url, credential: 'secret', secretHeader: 'X-Api-Key' });
  await setConnectorSecret(database.db, env, 'petstore', 'acme', SECRET);
  await addConnector(database.db, env, { name: 'docs', kind: 'mcp', url: mcpUpstream.url, credential: 'none' });
}, 60_000);

afterAll(async () => {
  await petstore?.close();
  await mcpUpstream?.stop();
  await database?.dispose();
});

// Whether the runtime compiles OpenAPI documents in its admin API (workerd forbids the parser's generated code).
const targets: [string, () => Promise<Target>, boolean][] = [
  ['Deno', () => denoTarget(settings), true],
  ['the Worker (workerd)', () => workerTarget(settings, { secrets: ['SECRETS_ENCRYPTION_KEY', 'ADMIN_TOKEN'] }), false],
];

describe.each(targets)('connectors on %s', (name, start, compiles) => {
  let target: Target;
  beforeAll(async () => {
    target = await start();
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
  });

  const call = async (name: string, args: Record<string, unknown>) => {
    const res = await postMcp(target.url, rpc('tools/call', { name, arguments: args }), { Authorization: `Bearer ${key}` });
    return (await res.json()) as { result: { content: { text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean } };
  };

  it('lists the connector tools the key may use, calls the OpenAPI one with the tenant\'s sealed secret and the MCP one, and records both', async () => {
    const listed = await postMcp(target.url, rpc('tools/list'), { Authorization: `Bearer ${key}` });
    const names = ((await listed.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
    expect(names.filter((n) => n.includes('_')).sort()).toEqual(['docs_echo', 'petstore_getPet', 'petstore_listPets']);

    const pet = await call('petstore_getPet', { petId: 1 });
    expect(pet.result.structuredContent).toMatchObject({ id: 1, name: 'Rex' });
    const echoed = await call('docs_echo', { text: 'from a runtime' });
    expect(echoed.result.structuredContent).toEqual({ said: 'from a runtime', length: 14 });
    const missing = await call('petstore_getPet', { petId: 404 });
    expect(missing.result.isError).toBe(true);

    await expect
      .poll(async () => (await listUsage(database.db, { tenant: 'acme' })).items.filter((r) => r.upstreamStatus !== null).length, { timeout: 10_000, interval: 200 })
      .toBeGreaterThanOrEqual(3);
  });

  it(compiles ? 'adds an OpenAPI connector through its admin API' : 'refuses to compile an OpenAPI document in its admin API, saying where to add it', async () => {
    const document = await (await fetch(`${petstore.url}/openapi.json`)).json();
    const res = await fetch(`${target.url}/admin/connectors`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${settings.ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `pets-${name.length}`, kind: 'openapi', document, url: petstore.url, credential: 'none' }),
    });
    const body = (await res.json()) as { detail?: string; tools?: unknown[] };
    if (compiles) {
      expect(res.status).toBe(201);
      expect(body.tools).toHaveLength(4);
    } else {
      expect(res.status).toBe(400);
      expect(body.detail).toMatch(/cannot compile OpenAPI documents \(Cloudflare Workers\): add or refresh OpenAPI connectors with the CLI or a Node or Deno instance/);
    }
  });
});

describe('the upstreams', () => {
  it('got the tenant\'s secret from every runtime in the configured header, and the MCP one never a credential', () => {
    expect(seenKeys.length).toBeGreaterThanOrEqual(4);
    expect(seenKeys.every((k) => k === SECRET)).toBe(true);
    expect(mcpUpstream.requests.every((r) => r.headers['x-api-key'] === undefined && r.headers.authorization === undefined)).toBe(true);
  });
});
