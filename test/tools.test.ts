import { parseApiKey } from '../src/auth/api-key.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let github: Server;
const clients: Client[] = [];

/** A stand-in for the GitHub API on loopback. */
function startGithub(): Promise<string> {
  github = createServer((req, res) => {
    if (req.url === '/repos/honojs/hono/readme' && req.headers.accept?.includes('raw')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('# Hono\nWeb framework.');
    } else if (req.url === '/repos/broken/repo/readme') {
      res.writeHead(502).end('bad gateway');
    } else {
      res.writeHead(404).end('{"message":"Not Found"}');
    }
  });
  return new Promise((resolve) => github.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(github.address() as AddressInfo).port}`)));
}

async function clientFor(tenantScopes: string, keyScopes: string): Promise<Client> {
  const slug = `t${clients.length}`;
  await createTenant(database.db, { slug, scopes: tenantScopes });
  const { key } = await createKey(database.db, { tenant: slug, scopes: keyScopes });
  const client = await connectClient(server.url, { Authorization: `Bearer ${key}` });
  clients.push(client);
  return client;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

async function expectUnknownTool(client: Client, name: string) {
  const error = await client.callTool({ name, arguments: {} }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(McpError);
  expect((error as McpError).code).toBe(-32602);
  expect((error as McpError).message).toBe(`MCP error -32602: Unknown tool: ${name}`);
}

beforeAll(async () => {
  database = await tempDatabase();
  const githubUrl = await startGithub();
  server = await startServer({ DATABASE_URL: database.url, GITHUB_API_URL: githubUrl });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  github?.close();
  database?.dispose();
});

describe('tool visibility follows tenant and key scopes', () => {
  it('shows math tools and whoami to a math key', async () => {
    const client = await clientFor('math,notes:*', 'math');
    expect(await toolNames(client)).toEqual(['add', 'multiply', 'whoami']);
  });

  it('shows only read tools to a notes:read key, though its tenant has notes:*', async () => {
    const client = await clientFor('notes:*', 'notes:read');
    expect(await toolNames(client)).toEqual(['note_get', 'note_list', 'whoami']);
    await expectUnknownTool(client, 'note_put');
    await expectUnknownTool(client, 'note_delete');
    await expectUnknownTool(client, 'add');
  });

  it('shows every tool to a * key of a * tenant', async () => {
    const client = await clientFor('*', '*');
    expect(await toolNames(client)).toEqual(['add', 'github_readme', 'multiply', 'note_delete', 'note_get', 'note_list', 'note_put', 'whoami']);
  });

  it('shows github_readme only with github:read', async () => {
    expect(await toolNames(await clientFor('github:read', 'github:read'))).toEqual(['github_readme', 'whoami']);
    await expectUnknownTool(await clientFor('math,github:read', 'math'), 'github_readme');
  });

  it('answers a hidden tool exactly like one that does not exist', async () => {
    const client = await clientFor('math', 'math');
    await expectUnknownTool(client, 'note_get');
    await expectUnknownTool(client, 'no_such_tool');
  });

  it('declares descriptions, annotations and object input schemas for every tool', async () => {
    const { tools } = await (await clientFor('*', '*')).listTools();
    for (const tool of tools) {
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.annotations, tool.name).toBeDefined();
      expect(tool.name).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
    }
    expect(tools.find((t) => t.name === 'whoami')?.outputSchema).toBeDefined();
  });
});

describe('built-in tools', () => {
  it('adds and multiplies, answering the decimal result as text', async () => {
    const client = await clientFor('math', 'math');
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([{ type: 'text', text: '5' }]);
    expect((await client.callTool({ name: 'multiply', arguments: { a: 2.5, b: -4 } })).content).toEqual([{ type: 'text', text: '-10' }]);
  });

  it('reports bad arguments as a tool error the model can read', async () => {
    const client = await clientFor('math', 'math');
    const result = await client.callTool({ name: 'add', arguments: { a: 'two' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/Input validation error/);
  });

  it('tells whoami the tenant, key and scopes, never the secret', async () => {
    await createTenant(database.db, { slug: 'who', scopes: 'math,notes:*' });
    const created = await createKey(database.db, { tenant: 'who', scopes: 'math', name: 'laptop' });
    const client = await connectClient(server.url, { 'X-API-Key': created.key });
    clients.push(client);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(result.structuredContent).toEqual({
      tenant: 'who',
      keyId: created.id,
      keyName: 'laptop',
      subject: null,
      tenantScopes: ['math', 'notes:*'],
      credentialScopes: ['math'],
    });
    expect(JSON.stringify(result)).not.toContain(parseApiKey(created.key)!.secret);
  });

  it('fetches a README from the configured GitHub API', async () => {
    const client = await clientFor('github:read', 'github:read');
    const result = await client.callTool({ name: 'github_readme', arguments: { owner: 'honojs', repo: 'hono' } });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: '# Hono\nWeb framework.' }]);
  });

  it('turns upstream failures into clear tool errors', async () => {
    const client = await clientFor('github:read', 'github:read');
    const missing = await client.callTool({ name: 'github_readme', arguments: { owner: 'nobody', repo: 'nothing' } });
    expect(missing).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/not found/) }] });
    const broken = await client.callTool({ name: 'github_readme', arguments: { owner: 'broken', repo: 'repo' } });
    expect(broken).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/GitHub answered 502/) }] });
    const bad = await client.callTool({ name: 'github_readme', arguments: { owner: '../etc', repo: 'x' } });
    expect(bad.isError).toBe(true);
  });
});
