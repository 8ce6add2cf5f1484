// The issue 13 performance goal, measured: "a proxied tools/call adds at most 1 ms of server CPU
// over calling the upstream directly (p50, loopback upstream)". The whole app as createApp builds
// it runs in this process (real API key auth, catalog, scopes, limits, usage on libSQL) with an
// `mcp` connector added through the admin API; the upstream (the SDK v2 dual-era handler,
// bench/servers/sdk-v2-handler.ts) runs in its own process, so `process.cpuUsage()` here counts
// tenant-mcp's CPU plus the one fetch a direct call would make anyway. Calls are sequential and
// interleaved call by call, so a neighbour's load weighs on every row alike.
// Usage: npm run bench:connector -- [--calls 600] [--rounds 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { openDatabase } from '../src/node/database.ts';
import { hashSecretSync } from '../src/node/hash-secret.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { provisionBenchDatabase } from './provision.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '600' }, rounds: { type: 'string', default: '3' } } });
const root = fileURLToPath(new URL('..', import.meta.url));
const calls = Number(values.calls);
const warmUp = Math.min(100, calls);

const child = spawn(process.execPath, ['--import', 'tsx', 'bench/servers/sdk-v2-handler.ts'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
const upstreamUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const m = /listening on (http:\/\/\S+\/mcp)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.once('exit', (code) => reject(new Error(`The upstream exited with ${code}`)));
});

const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-connector-bench-'));
const provisioned = await provisionBenchDatabase(dir);
const database = await openDatabase(provisioned.url);
await createTenant(database.db, { slug: 'proxy', scopes: 'math,up:read,up:write' });
const key = (await createKey(database.db, { tenant: 'proxy', scopes: 'math,up:read,up:write', name: 'proxy' })).key;
const adminToken = 'bench-admin-token-0123456789abcdef0123456789';
const config = parseConfig({ ADMIN_TOKEN: adminToken, CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
const app = createApp({ db: database.db, config, hashSecret: hashSecretSync, log: { info() {}, warn() {}, error: console.error } });
const origin = 'http://127.0.0.1:8787';

const added = await app.fetch(
  new Request(`${origin}/admin/connectors`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'up', kind: 'mcp', url: upstreamUrl, credential: 'none' }),
  }),
);
if (added.status !== 201) throw new Error(`Cannot add the connector: ${added.status} ${await added.text()}`);

const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
function request(name: string, era: 'legacy' | 'modern') {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { a: 2, b: 3 }, ...(era === 'modern' ? { _meta: meta } : {}) } });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': era === 'modern' ? '2026-07-28' : '2025-11-25',
    ...(era === 'modern' ? { 'mcp-method': 'tools/call', 'mcp-name': name } : {}),
    authorization: `Bearer ${key}`,
  };
  return async () => {
    const text = await (await app.fetch(new Request(`${origin}/mcp`, { method: 'POST', headers, body }))).text();
    if (!text.includes('"text":"5"')) throw new Error(`Unexpected answer to ${name}: ${text.slice(0, 300)}`);
  };
}
const directBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 }, _meta: meta } });
const directHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'add' };

const rows: [string, () => Promise<void>][] = [
  [
    'the upstream called directly (one fetch + JSON.parse)',
    async () => {
      const text = await (await fetch(upstreamUrl, { method: 'POST', headers: directHeaders, body: directBody })).text();
      if (!text.includes('"text":"5"')) throw new Error(`Unexpected direct answer: ${text}`);
    },
  ],
  ['tenant-mcp, built-in add (legacy call)', request('add', 'legacy')],
  ['tenant-mcp, proxied up_add (legacy call)', request('up_add', 'legacy')],
  ['tenant-mcp, proxied up_add (2026-07-28 call)', request('up_add', 'modern')],
];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const perRound = new Map<string, number[]>(rows.map(([name]) => [name, []]));
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const samples = rows.map(() => [] as number[]);
    for (let i = 0; i < warmUp + calls; i++) {
      for (const [index, [, call]] of rows.entries()) {
        const before = process.cpuUsage();
        await call();
        const spent = process.cpuUsage(before);
        if (i >= warmUp) samples[index]!.push(spent.user + spent.system);
      }
    }
    for (const [index, [name]] of rows.entries()) perRound.get(name)!.push(median(samples[index]!));
  }
  const direct = median(perRound.get(rows[0]![0])!);
  const builtIn = median(perRound.get(rows[1]![0])!);
  console.log(`\nCPU per sequential tools/call in this process (p50 of ${calls} calls each, interleaved; median of ${values.rounds} rounds)\n`);
  console.log('| call | p50 µs CPU | over the direct call, µs | over the built-in tool, µs |');
  console.log('|---|---:|---:|---:|');
  for (const [name, p50s] of perRound) {
    const p50 = median(p50s);
    console.log(`| ${name} | ${p50.toFixed(0)} | ${(p50 - direct).toFixed(0)} | ${(p50 - builtIn).toFixed(0)} |`);
  }
} finally {
  await app.close();
  database.close();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
