// The operator's path: `tenant-mcp connector ...` against the database two running server
// processes share; what the CLI changes reaches both within CONNECTOR_CACHE_TTL_SECONDS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runMain } from '../helpers/cli.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { type LoopbackUpstream, startPetstore } from '../helpers/petstore.ts';
import { expectNoSecretsIn, secretsKey } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { startLegacyStatefulUpstream, type Upstream } from './mcp-upstreams.ts';

let database: TempDatabase;
let petstore: LoopbackUpstream;
let mcpUpstream: Upstream;
let servers: RunningServer[] = [];
let env: Record<string, string>;
let key: string;

beforeAll(async () => {
  database = await tempDatabase();
  petstore = await startPetstore();
  mcpUpstream = await startLegacyStatefulUpstream();
  env = {
    DATABASE_URL: database.url,
    CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    CONNECTOR_CACHE_TTL_SECONDS: '1',
    SECRETS_ENCRYPTION_KEY: secretsKey('k1'),
    KEY_CACHE_TTL_SECONDS: '0',
  };
  expect((await runMain(['tenant', 'create', 'acme', '--scopes', 'petstore:read,docs:*'], env)).code).toBe(0);
  key = (await runMain(['key', 'create', '--tenant', 'acme', '--scopes', 'petstore:read,docs:*', '--json'], env)).stdout;
  key = JSON.parse(key).key;
  servers = await Promise.all([startServer(env), startServer(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await petstore?.close();
  await mcpUpstream?.stop();
  database?.dispose();
});

async function toolNames(server: RunningServer): Promise<string[]> {
  const res = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${key}` });
  return ((await res.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
}

describe('tenant-mcp connector', () => {
  it('adds the shipped Petstore document from a file, and every instance offers its tools within the cache TTL', async () => {
    // Each instance has read the connectors once (none yet).
    for (const server of servers) expect(await toolNames(server)).not.toContain('petstore_listPets');
    const added = await runMain(['connector', 'add', 'petstore', '--openapi', 'examples/petstore/openapi.json', '--url', petstore.url, '--credential', 'none', '--exclude', 'deletePet'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('petstore_listPets  petstore:read  read-only');
    expect(added.stdout).toContain('petstore_createPet  petstore:write');
    expect(added.stdout).not.toContain('deletePet');
    for (const server of servers) {
      await expect.poll(() => toolNames(server), { timeout: 5000, interval: 200 }).toEqual(expect.arrayContaining(['petstore_listPets', 'petstore_getPet']));
      expect(await toolNames(server)).not.toContain('petstore_createPet'); // petstore:write is not granted
    }
    const call = await postMcp(servers[1]!.url, rpc('tools/call', { name: 'petstore_getPet', arguments: { petId: 3 } }), { Authorization: `Bearer ${key}` });
    expect(await call.json()).toMatchObject({ result: { structuredContent: { id: 3, name: 'Nemo' } } });
  });

  it('adds a remote MCP server, lists and shows connectors, stores a secret from a file without printing it, and removes everywhere', async () => {
    const listSecret = join(database.dir, 'list-secret.txt');
    writeFileSync(listSecret, 'operator-list-secret-3141\n');
    const added = await runMain(['connector', 'add', 'docs', '--mcp', mcpUpstream.url, '--credential', 'secret', '--secret-header', 'X-Upstream-Key', '--list-secret-file', listSecret, '--tools-ttl', '2m'], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('listed from the upstream every 120 s');
    // The listing secret reached the upstream on the listing requests.
    expect(mcpUpstream.requests.find((r) => r.method === 'tools/list')?.headers['x-upstream-key']).toBe('operator-list-secret-3141');

    const list = await runMain(['connector', 'list', '--json'], env);
    expect(JSON.parse(list.stdout).map((c: { name: string }) => c.name)).toEqual(['docs', 'petstore']);
    const secretFile = join(database.dir, 'acme-secret.txt');
    writeFileSync(secretFile, 'acme-upstream-secret-2718\n');
    const set = await runMain(['connector', 'secret', 'set', 'docs', '--tenant', 'acme', '--secret-file', secretFile], env);
    expect(set.code).toBe(0);
    const shown = await runMain(['connector', 'show', 'docs'], env);
    expect(shown.stdout).toContain('1 tenant secret stored');
    expectNoSecretsIn(set.stdout + shown.stdout + list.stdout, ['acme-upstream-secret-2718', 'operator-list-secret-3141']);

    for (const server of servers) await expect.poll(() => toolNames(server), { timeout: 5000, interval: 200 }).toContain('docs_echo');
    const echoed = await postMcp(servers[0]!.url, rpc('tools/call', { name: 'docs_echo', arguments: { text: 'hello' } }), { Authorization: `Bearer ${key}` });
    expect(await echoed.json()).toMatchObject({ result: { content: [{ text: 'echo: hello' }] } });
    const call = mcpUpstream.requests.findLast((r) => r.method === 'tools/call')!;
    expect(call.headers['x-upstream-key']).toBe('acme-upstream-secret-2718');
    expect(call.headers.authorization).toBeUndefined(); // the caller's key is never passed on

    expect((await runMain(['connector', 'remove', 'docs'], env)).stdout).toBe('Removed connector docs and 1 stored secret.\n');
    for (const server of servers) await expect.poll(() => toolNames(server), { timeout: 5000, interval: 200 }).not.toContain('docs_echo');
    for (const server of servers) expectNoSecretsIn(server.output(), ['acme-upstream-secret-2718', 'operator-list-secret-3141', key]);
  });

  it('refuses bad input with one line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['connector', 'add', 'x', '--credential', 'none'], /Give either --openapi <document> or --mcp <URL>/],
      [['connector', 'add', 'x', '--mcp', 'https://mcp.example.com/mcp'], /Missing --credential/],
      [['connector', 'add', 'x', '--mcp', 'http://mcp.example.com/mcp', '--credential', 'none'], /must use https/],
      [['connector', 'add', 'x', '--openapi', 'no/such/file.json', '--credential', 'none'], /Cannot read no\/such\/file.json/],
      [['connector', 'add', 'petstore', '--mcp', mcpUpstream.url, '--credential', 'none'], /Connector "petstore" exists/],
      [['connector', 'show', 'nope'], /No connector "nope"/],
      [['connector', 'secret', 'set', 'petstore', '--tenant', 'acme', '--secret-file', 'README.md'], /sends no credential, not a stored secret/],
    ];
    for (const [args, message] of cases) {
      const run = await runMain(args, env);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });

  it('runs as the installed binary', async () => {
    const run = await runCli(['connector', 'list'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('petstore');
  });
});
