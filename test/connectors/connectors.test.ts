// Connectors end to end: the real server process, real upstreams on loopback (the shipped Petstore
// API, small Hono APIs with their own OpenAPI documents, MCP servers built with the official SDKs),
// the official MCP client, and the admin API checked against its own OpenAPI document.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { createRemoteJWKSet, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRow } from '../../src/services/usage.ts';
import { AdminClient } from '../helpers/admin.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { closedPort } from '../helpers/identity-provider.ts';
import { connectClient, modernRequest, postMcp, rpc } from '../helpers/mcp.ts';
import { type LoopbackUpstream, serveOnLoopback, startPetstore } from '../helpers/petstore.ts';
import { freePort } from '../helpers/proc.ts';
import { expectNoSecretsIn, secretsKey } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { waitForUsage } from '../helpers/usage.ts';
import { startLegacyStatelessUpstream, startModernUpstream, type Upstream } from './mcp-upstreams.ts';

const ADMIN_TOKEN = 'admin-token-for-connector-tests-0123456789';
const petstoreDocument = JSON.parse(readFileSync(join(import.meta.dirname, '../../examples/petstore/openapi.json'), 'utf8'));

let database: TempDatabase;
let server: RunningServer;
let admin: AdminClient;
let petstore: LoopbackUpstream;
let identityApi: LoopbackUpstream & { tokens: string[]; claims: Record<string, unknown>[] };
let secretApi: LoopbackUpstream & { seen: (string | undefined)[] };
let faultyApi: LoopbackUpstream;
let legacyMcp: Upstream;
let modernMcp: Upstream;
const keys: Record<string, string> = {};
// How many requests to the slow upstream route were abandoned by tenant-mcp before they answered.
let slowAborted = 0;

/** A small OpenAPI 3.1 document with one operation per entry, all GET, answering JSON objects. */
function documentFor(title: string, operations: Record<string, string>) {
  const paths: Record<string, unknown> = {};
  for (const [operationId, path] of Object.entries(operations)) {
    paths[path] = {
      get: {
        operationId,
        summary: `${operationId} on ${title}`,
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } },
      },
    };
  }
  return { openapi: '3.1.0', info: { title, version: '1.0.0' }, paths };
}

beforeAll(async () => {
  database = await tempDatabase();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const signingKey = await generateKeyPair('EdDSA', { extractable: true });

  petstore = await startPetstore();
  // Verifies the identity JWT with this server's JWKS, as a SaaS backend would.
  const jwks = createRemoteJWKSet(new URL(`${publicUrl}/.well-known/jwks.json`));
  const tokens: string[] = [];
  const claims: Record<string, unknown>[] = [];
  const identity = new Hono().get('/me', async (c) => {
    const token = c.req.header('Authorization')?.replace(/^Bearer /, '') ?? '';
    tokens.push(token);
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: publicUrl, audience: 'https://api.example.test', typ: 'tenant-mcp-identity+jwt' });
      claims.push(payload);
      return c.json({ tenant: payload.tenant, sub: payload.sub, tool: payload.tool });
    } catch (error) {
      return c.json({ refused: String(error) }, 401);
    }
  });
  identityApi = Object.assign(await serveOnLoopback(identity.fetch), { tokens, claims });
  const seen: (string | undefined)[] = [];
  secretApi = Object.assign(await serveOnLoopback(new Hono().get('/data', (c) => (seen.push(c.req.header('X-Api-Key')), c.json({ ok: true }))).fetch), { seen });
  faultyApi = await serveOnLoopback(
    new Hono()
      .get('/boom', (c) => c.json({ message: 'the database is on fire' }, 500))
      .get('/slow', async (c) => {
        c.req.raw.signal.addEventListener('abort', () => slowAborted++);
        await new Promise((r) => setTimeout(r, 4000));
        return c.json({ late: true });
      })
      .get('/big', (c) => c.json({ blob: 'x'.repeat(20_000) })).fetch,
  );
  legacyMcp = await startLegacyStatelessUpstream();
  modernMcp = await startModernUpstream();

  server = await startServer({
    DATABASE_URL: database.url,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    ADMIN_TOKEN,
    TOKEN_SIGNING_KEY: await exportPKCS8(signingKey.privateKey),
    SECRETS_ENCRYPTION_KEY: secretsKey('k1'),
    CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    CONNECTOR_MAX_RESPONSE_BYTES: '8192',
    KEY_CACHE_TTL_SECONDS: '0',
    USAGE_FLUSH_INTERVAL_MS: '20',
    TOOL_TIMEOUT_MS: '1500',
  });
  admin = await AdminClient.connect(server.url, ADMIN_TOKEN);

  const plans: Record<string, string[]> = {
    reader: ['petstore:read', 'legacy:read', 'modern:*', 'idapi:read', 'vault:read', 'faulty:read'],
    writer: ['petstore:*', 'math'],
    outsider: ['math'],
    other: ['vault:read', 'idapi:read'],
  };
  for (const [slug, scopes] of Object.entries(plans)) {
    expect((await admin.post('/tenants', { slug, scopes })).status).toBe(201);
    keys[slug] = (await admin.post(`/tenants/${slug}/keys`, { scopes })).body.key;
  }

  const added = [
    { name: 'petstore', kind: 'openapi', document: petstoreDocument, url: petstore.url, credential: 'none' },
    { name: 'idapi', kind: 'openapi', document: documentFor('Identity', { me: '/me' }), url: identityApi.url, credential: 'identity', audience: 'https://api.example.test' },
    { name: 'vault', kind: 'openapi', document: documentFor('Vault', { data: '/data' }), url: secretApi.url, credential: 'secret', secretHeader: 'X-Api-Key' },
    { name: 'faulty', kind: 'openapi', document: documentFor('Faulty', { boom: '/boom', slow: '/slow', big: '/big' }), url: faultyApi.url, credential: 'none' },
    { name: 'legacy', kind: 'mcp', url: legacyMcp.url, credential: 'none', toolsTtlSeconds: 600 },
    { name: 'modern', kind: 'mcp', url: modernMcp.url, credential: 'none', toolsTtlSeconds: 600 },
  ];
  for (const connector of added) {
    const res = await admin.post('/connectors', connector);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([petstore, identityApi, secretApi, faultyApi].map((u) => u?.close()));
  await Promise.all([legacyMcp, modernMcp].map((u) => u?.stop()));
  database?.dispose();
});

const bearer = (slug: string) => ({ Authorization: `Bearer ${keys[slug]}` });

async function callAs(slug: string, name: string, args: Record<string, unknown> = {}) {
  const res = await postMcp(server.url, rpc('tools/call', { name, arguments: args }), bearer(slug));
  return (await res.json()) as { result?: { content: { text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean }; error?: { code: number; message: string } };
}

async function usageOf(tool: string, count = 1): Promise<UsageRow[]> {
  const rows = await waitForUsage(database.db, (all) => all.filter((r) => r.tool === tool).length >= count);
  return rows.filter((r) => r.tool === tool);
}

describe('connectors', () => {
  it('shows each tenant exactly the connector tools its plan and key grant, and only those can be called', async () => {
    const connectorTools = ['petstore_listPets', 'petstore_getPet', 'petstore_createPet', 'petstore_deletePet', 'legacy_echo', 'legacy_fail', 'legacy_slow', 'modern_echo', 'modern_fail', 'modern_slow'];
    const expected: Record<string, string[]> = {
      reader: ['legacy_echo', 'modern_echo', 'modern_fail', 'modern_slow', 'petstore_getPet', 'petstore_listPets'],
      writer: ['petstore_createPet', 'petstore_deletePet', 'petstore_getPet', 'petstore_listPets'],
      outsider: [],
    };
    for (const [slug, visible] of Object.entries(expected)) {
      const client = await connectClient(server.url, bearer(slug));
      try {
        const listed = (await client.listTools()).tools.map((t) => t.name).filter((n) => connectorTools.includes(n));
        expect(listed.sort(), slug).toEqual(visible);
        for (const name of connectorTools.filter((n) => !n.endsWith('_slow'))) {
          const call = client.callTool({ name, arguments: name.endsWith('echo') ? { text: 'hi' } : name.endsWith('getPet') ? { petId: 1 } : name.endsWith('deletePet') ? { petId: 2 } : name.endsWith('createPet') ? { body: { name: 'Tom' } } : {} });
          if (visible.includes(name)) await expect(call, `${slug} calls ${name}`).resolves.toHaveProperty('content');
          else {
            const error = await call.catch((e: unknown) => e);
            expect(error, `${slug} calls ${name}`).toBeInstanceOf(McpError);
            expect((error as McpError).message).toBe(`MCP error -32602: Unknown tool: ${name}`);
          }
        }
      } finally {
        await client.close();
      }
    }
  });

  it('lists an operation with its own JSON Schema, readOnlyHint and scopes, and answers text plus structuredContent', async () => {
    const client = await connectClient(server.url, bearer('writer'));
    try {
      const { tools } = await client.listTools();
      const getPet = tools.find((t) => t.name === 'petstore_getPet')!;
      expect(getPet.annotations).toMatchObject({ readOnlyHint: true });
      expect(getPet.inputSchema).toMatchObject({ type: 'object', properties: { petId: { type: 'integer' } }, required: ['petId'] });
      expect(tools.find((t) => t.name === 'petstore_createPet')!.annotations).toMatchObject({ readOnlyHint: false });
      const result = await client.callTool({ name: 'petstore_getPet', arguments: { petId: 1 } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ id: 1 });
      expect((result.content as { text: string }[])[0]!.text).toContain('"id"');
      const missing = await client.callTool({ name: 'petstore_getPet', arguments: { petId: 999 } });
      expect(missing.isError).toBe(true);
      expect((missing.content as { text: string }[])[0]!.text).toContain('404');
      const invalid = await client.callTool({ name: 'petstore_getPet', arguments: { petId: 'one' } });
      expect(invalid.isError).toBe(true);
      expect((invalid.content as { text: string }[])[0]!.text).toMatch(/Input validation error/);
    } finally {
      await client.close();
    }
    // Three calls here, after three in the first test (reader, writer, and the outsider's denied one).
    const rows = await usageOf('petstore_getPet', 6);
    const statuses = rows.map((r) => r.upstreamStatus);
    expect(statuses).toContain(200);
    expect(statuses).toContain(404);
    // Refused by the input schema: the upstream was never called.
    expect(rows.find((r) => r.outcome === 'invalid' && r.upstreamStatus === null)).toBeDefined();
    for (const row of rows.filter((r) => r.upstreamStatus !== null)) expect(row.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it('serves connector tools in the 2026-07-28 era too', async () => {
    const { body, headers } = modernRequest('tools/call', { name: 'petstore_listPets', arguments: { limit: 1 } });
    const res = await postMcp(server.url, body, { ...bearer('reader'), ...headers });
    const answer = (await res.json()) as { result: { resultType: string; structuredContent?: { result?: unknown[] } } };
    expect(answer.result.resultType).toBe('complete');
    expect(answer.result.structuredContent?.result).toHaveLength(1);
    const listed = modernRequest('tools/list');
    const list = (await (await postMcp(server.url, listed.body, { ...bearer('reader'), ...listed.headers })).json()) as { result: { tools: { name: string }[]; cacheScope: string } };
    expect(list.result.cacheScope).toBe('private');
    expect(list.result.tools.map((t) => t.name)).toContain('legacy_echo');
  });

  it('sends an identity JWT the upstream verifies with our JWKS, and which this server refuses as a credential', async () => {
    const answer = await callAs('reader', 'idapi_me');
    expect(answer.result?.isError).toBeFalsy();
    expect(answer.result?.structuredContent).toEqual({ tenant: 'reader', sub: expect.stringMatching(/^key:[a-z2-7]{12}$/), tool: 'idapi_me' });
    const claims = identityApi.claims.at(-1)!;
    expect(claims).toMatchObject({ tenant: 'reader', aud: 'https://api.example.test', connector: 'idapi' });
    expect(String(claims.scope).split(' ')).toContain('idapi:read');
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    // Never the caller's key, and never usable against /mcp.
    expect(identityApi.tokens.at(-1)).not.toBe(keys.reader);
    const replayed = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${identityApi.tokens.at(-1)}` });
    expect(replayed.status).toBe(401);
    // Each tenant gets its own.
    await callAs('other', 'idapi_me');
    expect(identityApi.claims.at(-1)).toMatchObject({ tenant: 'other' });
  });

  it('sends each tenant its own sealed secret, never another tenant\'s, and never stores or shows it in the clear', async () => {
    const secretOfReader = 'reader-upstream-token-7f3a9c2e1b';
    const secretOfOther = 'other-upstream-token-0d8e4f6a2c';
    const missing = await callAs('other', 'vault_data');
    expect(missing.result?.isError).toBe(true);
    expect(missing.result?.content[0]!.text).toMatch(/has not set its credential for vault/);
    expect(secretApi.seen).toEqual([]);

    expect((await admin.request('PUT', '/connectors/vault/secrets/reader', { body: { secret: secretOfReader } })).status).toBe(200);
    expect((await callAs('reader', 'vault_data')).result?.isError).toBeFalsy();
    expect(secretApi.seen).toEqual([secretOfReader]);
    const stillMissing = await callAs('other', 'vault_data');
    expect(stillMissing.result?.isError).toBe(true);
    expect(secretApi.seen).toEqual([secretOfReader]);

    expect((await admin.request('PUT', '/connectors/vault/secrets/other', { body: { secret: secretOfOther } })).status).toBe(200);
    await callAs('other', 'vault_data');
    await callAs('reader', 'vault_data');
    expect(secretApi.seen).toEqual([secretOfReader, secretOfOther, secretOfReader]);

    const shown = await admin.get('/connectors/vault');
    expect(shown.body.tenantSecrets).toBe(2);
    const everything = [JSON.stringify(shown.body), readFileSync(join(database.dir, 'test.db')).toString('latin1'), server.output()];
    try {
      everything.push(readFileSync(join(database.dir, 'test.db-wal')).toString('latin1'));
    } catch {
      // no WAL file left
    }
    for (const text of everything) expectNoSecretsIn(text, [secretOfReader, secretOfOther]);
    const rows = await usageOf('vault_data', 5);
    expectNoSecretsIn(JSON.stringify(rows), [secretOfReader, secretOfOther]);

    expect((await admin.request('DELETE', '/connectors/vault/secrets/other')).status).toBe(204);
    expect((await callAs('other', 'vault_data')).result?.isError).toBe(true);
  });

  it('turns an upstream that fails, hangs, answers too much or is down into error results with usage rows saying so', async () => {
    const boom = await callAs('reader', 'faulty_boom');
    expect(boom.result?.isError).toBe(true);
    expect(boom.result?.content[0]!.text).toMatch(/500/);
    const slow = await callAs('reader', 'faulty_slow');
    expect(slow.result?.isError).toBe(true);
    expect(slow.result?.content[0]!.text).toMatch(/did not finish within 1.5 s/);
    const big = await callAs('reader', 'faulty_big');
    expect(big.result?.isError).toBe(true);
    expect(big.result?.content[0]!.text).toMatch(/larger than the 8192-byte limit/);

    expect((await usageOf('faulty_boom'))[0]).toMatchObject({ outcome: 'tool_error', upstreamStatus: 500 });
    expect((await usageOf('faulty_slow'))[0]).toMatchObject({ outcome: 'timeout', upstreamStatus: null });
    expect((await usageOf('faulty_big'))[0]).toMatchObject({ outcome: 'tool_error' });

    const down = await admin.post('/connectors', { name: 'down', kind: 'openapi', document: documentFor('Down', { ping: '/ping' }), url: `http://127.0.0.1:${await closedPort()}`, credential: 'none' });
    expect(down.status).toBe(201);
    const res = await postMcp(server.url, rpc('tools/call', { name: 'down_ping', arguments: {} }), bearer('writer'));
    expect(res.status).toBe(200); // not listed for writer: answered as unknown, no upstream touched
    const key = (await admin.post('/tenants/reader/keys', { scopes: ['down:read'] })).status;
    expect(key).toBe(400); // the reader plan lacks down:read
    await admin.request('PATCH', '/tenants/reader', { body: { scopes: ['petstore:read', 'legacy:read', 'modern:*', 'idapi:read', 'vault:read', 'faulty:read', 'down:read'] } });
    const downKey = (await admin.post('/tenants/reader/keys', { scopes: ['down:read'] })).body.key as string;
    const unreachable = (await (await postMcp(server.url, rpc('tools/call', { name: 'down_ping', arguments: {} }), { Authorization: `Bearer ${downKey}` })).json()) as { result: { isError: boolean; content: { text: string }[] } };
    expect(unreachable.result.isError).toBe(true);
    const rows = await usageOf('down_ping', 2);
    expect(rows.map((r) => [r.outcome, r.upstreamStatus])).toEqual([['denied', null], ['tool_error', null]]);
  });

  it('stops the upstream request when the client cancels the call, and records the call as cancelled', async () => {
    const client = await connectClient(server.url, bearer('reader'));
    try {
      const abortedBefore = slowAborted;
      const controller = new AbortController();
      const call = client.callTool({ name: 'faulty_slow', arguments: {} }, undefined, { signal: controller.signal });
      setTimeout(() => controller.abort('changed my mind'), 300);
      await expect(call).rejects.toThrow();
      // tenant-mcp gave up the upstream request too, rather than leaving it to run.
      await expect.poll(() => slowAborted, { timeout: 3000 }).toBe(abortedBefore + 1);
    } finally {
      await client.close();
    }
    const rows = await usageOf('faulty_slow', 2);
    expect(rows.at(-1)).toMatchObject({ outcome: 'cancelled', upstreamStatus: null });
    expect(rows.at(-1)!.durationMs).toBeLessThan(1500);
  });

  it('proxies a remote MCP server\'s tools under its prefix, in both upstream eras, listing each at most once per TTL', async () => {
    const listsBefore = [legacyMcp, modernMcp].map((u) => u.requests.filter((r) => r.method === 'tools/list').length);
    const client = await connectClient(server.url, bearer('reader'));
    try {
      for (let i = 0; i < 5; i++) {
        const echoed = await client.callTool({ name: 'legacy_echo', arguments: { text: `hi ${i}` } });
        expect(echoed.structuredContent).toEqual({ said: `hi ${i}`, length: 4 });
        await client.listTools();
      }
      const modern = await client.callTool({ name: 'modern_echo', arguments: { text: 'yo' } });
      expect((modern.content as { text: string }[])[0]!.text).toBe('echo: yo');
      const failed = await client.callTool({ name: 'modern_fail', arguments: {} });
      expect(failed.isError).toBe(true);
      expect((failed.content as { text: string }[])[0]!.text).toBe('the widget is broken');
      const listed = (await client.listTools()).tools.find((t) => t.name === 'legacy_echo')!;
      expect(listed.outputSchema).toMatchObject({ type: 'object', properties: { said: { type: 'string' } } });
    } finally {
      await client.close();
    }
    const listsAfter = [legacyMcp, modernMcp].map((u) => u.requests.filter((r) => r.method === 'tools/list').length);
    // The first /mcp request of this instance may have listed each once; nothing after that.
    expect(listsAfter[0]! - listsBefore[0]!).toBeLessThanOrEqual(1);
    expect(listsAfter[1]! - listsBefore[1]!).toBeLessThanOrEqual(1);
    const proxied = (await usageOf('legacy_echo', 6)).filter((r) => r.outcome === 'ok');
    expect(proxied.length).toBeGreaterThanOrEqual(5);
    expect(proxied.every((r) => r.upstreamStatus === 200 && r.upstreamMs !== null)).toBe(true);
  });

  it('refuses at add time a document with a cycle, a name collision, or an unsafe upstream, with a clear error', async () => {
    const cyclic = {
      openapi: '3.0.3',
      info: { title: 'Cyclic', version: '1' },
      paths: { '/nodes': { post: { operationId: 'addNode', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } }, responses: { '200': { description: 'ok' } } } } },
      components: { schemas: { Node: { type: 'object', properties: { child: { $ref: '#/components/schemas/Node' } } } } },
    };
    const refused = await admin.post('/connectors', { name: 'cyclic', kind: 'openapi', document: cyclic, url: petstore.url, credential: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/addNode/);
    const twice = {
      openapi: '3.1.0',
      info: { title: 'Twice', version: '1' },
      paths: { '/a': { get: { operationId: 'same', responses: { '200': { description: 'ok' } } } }, '/b': { get: { operationId: 'same', responses: { '200': { description: 'ok' } } } } },
    };
    const collision = await admin.post('/connectors', { name: 'twice', kind: 'openapi', document: twice, url: petstore.url, credential: 'none' });
    expect(collision.status).toBe(400);
    expect(collision.body.detail).toMatch(/same/);
    const plainHttp = await admin.post('/connectors', { name: 'plain', kind: 'mcp', url: 'http://mcp.example.com/mcp', credential: 'none' });
    expect(plainHttp.status).toBe(400);
    expect(plainHttp.body.detail).toMatch(/must use https/);
    const intranet = await admin.post('/connectors', { name: 'intranet', kind: 'mcp', url: 'https://10.1.2.3/mcp', credential: 'none' });
    expect(intranet.status).toBe(400);
    expect(intranet.body.detail).toMatch(/private or loopback address/);
    const ownAudience = await admin.post('/connectors', { name: 'sneaky', kind: 'openapi', document: documentFor('S', { s: '/s' }), url: petstore.url, credential: 'identity', audience: `${server.url}/mcp` });
    expect(ownAudience.status).toBe(400);
    expect(ownAudience.body.detail).toMatch(/this server's own/);
    const builtIn = await admin.post('/connectors', { name: 'notes', kind: 'mcp', url: legacyMcp.url, credential: 'none' });
    expect(builtIn.status).toBe(400);
    expect(builtIn.body.detail).toMatch(/built-in tool/);
    expect((await admin.post('/connectors', { name: 'petstore', kind: 'mcp', url: legacyMcp.url, credential: 'none' })).status).toBe(409);
  });

  it('gives a tool the scopes an operator names instead of the read/write default, and refreshes, lists and removes connectors', async () => {
    const refreshed = await admin.post('/connectors/petstore/refresh', { toolScopes: { petstore_deletePet: ['petstore:admin'] } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.tools.find((t: { name: string }) => t.name === 'petstore_deletePet').scopes).toEqual(['petstore:admin']);
    // The writer's key has petstore:* from its plan: the override still needs its plan to allow petstore:admin, which petstore:* does.
    const client = await connectClient(server.url, bearer('writer'));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('petstore_deletePet');
    } finally {
      await client.close();
    }
    const unknownTool = await admin.post('/connectors/petstore/refresh', { toolScopes: { petstore_nope: ['petstore:x'] } });
    expect(unknownTool.status).toBe(400);
    const list = await admin.get('/connectors');
    expect(list.body.items.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['petstore', 'legacy', 'modern', 'vault']));
    expect((await admin.get('/connectors/nope')).status).toBe(404);
    expect((await admin.request('DELETE', '/connectors/down')).status).toBe(200);
    const after = await callAs('reader', 'down_ping');
    expect(after.error?.message).toBe('Unknown tool: down_ping');
    expect((await admin.request('DELETE', '/connectors/down/secrets/reader')).status).toBe(404);
  });

  it('offers connector scopes to OAuth clients in the resource and authorization server metadata', async () => {
    const resource = (await (await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { scopes_supported: string[] };
    expect(resource.scopes_supported).toEqual(expect.arrayContaining(['petstore:read', 'petstore:write', 'petstore:admin', 'math']));
    const authorization = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[] };
    expect(authorization.scopes_supported).toEqual(resource.scopes_supported);
  });
});
