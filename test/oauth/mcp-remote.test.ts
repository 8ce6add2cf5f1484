import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGrants } from '../../src/oauth/grants.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { startOAuthServer } from '../helpers/oauth.ts';
import { freePort } from '../helpers/proc.ts';
import type { RunningServer } from '../helpers/server.ts';

const require = createRequire(import.meta.url);
const mcpRemote = join(dirname(require.resolve('mcp-remote/package.json')), 'dist/proxy.js');
const fakeBrowser = fileURLToPath(new URL('../helpers/fake-browser.mjs', import.meta.url));

let database: TempDatabase;
let server: RunningServer;
let authDir: string;

beforeAll(async () => {
  database = await tempDatabase();
  server = await startOAuthServer({ DATABASE_URL: database.url });
  authDir = mkdtempSync(join(tmpdir(), 'tenant-mcp-mcp-auth-'));
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
  rmSync(authDir, { recursive: true, force: true });
});

describe('mcp-remote with no header', () => {
  it('completes the OAuth flow (the user pastes a key in the browser page) and calls a tool', async () => {
    await createTenant(database.db, { slug: 'remote-co', scopes: 'math' });
    const { key } = await createKey(database.db, { tenant: 'remote-co', scopes: 'math' });
    const client = new Client({ name: 'mcp-remote-test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [mcpRemote, `${server.url}/mcp`, String(await freePort()), '--transport', 'http-only', '--host', '127.0.0.1'],
      env: { PATH: process.env.PATH!, HOME: authDir, MCP_REMOTE_CONFIG_DIR: authDir, BROWSER: fakeBrowser, TMCP_TEST_API_KEY: key },
      stderr: 'pipe',
    });
    let log = '';
    transport.stderr?.on('data', (chunk) => (log += chunk.toString()));
    try {
      await client.connect(transport);
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools, log).toEqual(['add', 'multiply', 'whoami']);
      expect((await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })).content).toEqual([{ type: 'text', text: '42' }]);
      expect(await listGrants(database.db, { tenant: 'remote-co' })).toEqual([expect.objectContaining({ subject: expect.stringMatching(/^key:/), scopes: ['math'] })]);
    } finally {
      await client.close();
    }
  }, 60_000);
});
