import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionSnippets } from '../src/services/connection-snippets.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';

const key = 'tmcp_abcdefghijkl_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

describe('connection snippets', () => {
  it('point every client at the /mcp endpoint of the public URL with the key as a bearer header', () => {
    const s = connectionSnippets('https://mcp.example.com/', key);
    const url = 'https://mcp.example.com/mcp';
    expect(s.url).toBe(url);
    expect(s.claudeDesktop.config).toEqual({
      mcpServers: {
        'tenant-mcp': {
          command: 'npx',
          args: ['-y', 'mcp-remote', url, '--header', 'Authorization:${AUTH_HEADER}', '--transport', 'http-only'],
          env: { AUTH_HEADER: `Bearer ${key}` },
        },
      },
    });
    expect(s.cursor.config).toEqual({ mcpServers: { 'tenant-mcp': { url, headers: { Authorization: `Bearer ${key}` } } } });
    expect(s.vscode.config).toEqual({ servers: { 'tenant-mcp': { type: 'http', url, headers: { Authorization: `Bearer ${key}` } } } });
    expect(s.claudeConnector.url).toBe(url);
    expect(s.claudeConnector.note).toMatch(/OAuth/);
    expect(s.oauth.url).toBe(url);
    expect(s.oauth.vscode.config).toEqual({ servers: { 'tenant-mcp': { type: 'http', url } } });
    expect(JSON.stringify(s.oauth)).not.toContain(key); // URL only: safe to show anywhere
    expect(s.inspector).toBe(`npx @modelcontextprotocol/inspector --cli ${url} --transport http --header "Authorization: Bearer ${key}" --method tools/list`);
  });

  it('lets mcp-remote use plain http only where the URL needs it', () => {
    const remote = connectionSnippets('http://mcp.internal:8787', key).claudeDesktop.config as any;
    expect(remote.mcpServers['tenant-mcp'].args.at(-1)).toBe('--allow-http');
    const local = connectionSnippets('http://127.0.0.1:8787', key).claudeDesktop.config as any;
    expect(local.mcpServers['tenant-mcp'].args).not.toContain('--allow-http');
  });

  it('quotes a URL for the shell when it has to', () => {
    expect(connectionSnippets('https://example.com/a b', key).inspector).toContain('--cli "https://example.com/a b/mcp"');
    expect(connectionSnippets('https://example.com/$HOME', key).inspector).toContain("--cli 'https://example.com/$HOME/mcp'");
  });
});

describe('tenant-mcp key create --json', () => {
  let database: TempDatabase;
  beforeAll(async () => {
    database = await tempDatabase();
    await createTenant(database.db, { slug: 'acme', scopes: 'math' });
  });
  afterAll(() => database?.dispose());

  it('prints the key with the same snippets the admin API returns, for PUBLIC_URL', () => {
    const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
    const run = spawnSync(process.execPath, [bin, 'key', 'create', '--tenant', 'acme', '--scopes', 'math', '--json'], {
      env: { PATH: process.env.PATH, DATABASE_URL: database.url, PUBLIC_URL: 'https://mcp.example.com' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const created = JSON.parse(run.stdout);
    expect(Object.keys(created)).toEqual(expect.arrayContaining(['key', 'id', 'tenant', 'name', 'scopes', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt', 'snippets']));
    expect(created.snippets).toEqual(connectionSnippets('https://mcp.example.com', created.key));
  });
});
