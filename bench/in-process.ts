// CPU cost of each app itself, without sockets: requests go straight to `app.fetch`, so the
// numbers move only when the app (or the SDK path it drives) does. Far less noisy than HTTP load
// on a shared machine; use it to compare optimisations, and `npm run bench` for the real thing.
// Each server runs in its own child process; the table gives CPU per request and its ratio to raw Hono.
// Usage: npm run bench:in-process -- [--server tenant-mcp,hono-mcp-minimal,sdk-web-standard,raw-hono] [--case call|list|connect]
//                                    [--requests 20000] [--concurrency 16] [--rounds 5]
// tenant-mcp reads USAGE_DURABILITY and USAGE_COMMIT_WINDOW_MS from the environment (default: commit).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'tenant-mcp,hono-mcp-minimal,sdk-web-standard,raw-hono' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    case: { type: 'string', default: 'call' },
    rounds: { type: 'string', default: '5' },
    child: { type: 'boolean', default: false },
  },
});

const servers = values.server!.split(',');
if (!values.child) {
  // Parent: one child per server, the same arguments, then a table.
  const script = fileURLToPath(import.meta.url);
  const results = servers.map((server) => {
    const args = ['--import', 'tsx', script, '--child', '--server', server, '--case', values.case!, '--requests', values.requests!, '--concurrency', values.concurrency!, '--rounds', values.rounds!];
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return { server, us: Number(/median ([\d.]+) µs/.exec(out)?.[1]) };
  });
  const floor = results.find((r) => r.server === 'raw-hono');
  console.log(`\n${values.case}: CPU per request in-process (median of ${values.rounds} rounds of ${values.requests})\n`);
  console.log('| server | µs CPU/request | × raw Hono (CPU) |');
  console.log('|---|---:|---:|');
  for (const r of results) console.log(`| ${r.server} | ${r.us.toFixed(1)} | ${floor ? (floor.us / r.us).toFixed(3) : '–'} |`);
  process.exit(0);
}

const pv = '2025-11-25';
const bodies = {
  call: [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }],
  list: [{ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }],
  connect: [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: pv, capabilities: {}, clientInfo: { name: 'b', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
  ],
}[values.case as 'call' | 'list' | 'connect']?.map((b) => JSON.stringify(b));
if (!bodies) throw new Error(`unknown case ${values.case}`);

const headers: Record<string, string> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': pv,
  host: '127.0.0.1:8787',
};
let fetchApp: (request: Request) => Response | Promise<Response>;
let close = async () => {};
const server = servers[0];
if (server === 'tenant-mcp') {
  const { createApp } = await import('../src/app.ts');
  const { parseConfig } = await import('../src/config.ts');
  const { openDatabase } = await import('../src/node/database.ts');
  // Absent from older checkouts, which this script may be copied into to measure them.
  const hashSecret = await import('../src/node/hash-secret.ts').then((m) => m.hashSecretSync, () => undefined);
  const { provisionBenchDatabase } = await import('./provision.ts');
  const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-inproc-'));
  const provisioned = await provisionBenchDatabase(dir);
  const database = await openDatabase(provisioned.url);
  const app = createApp({ db: database.db, config: parseConfig({ USAGE_DURABILITY: process.env.USAGE_DURABILITY, USAGE_COMMIT_WINDOW_MS: process.env.USAGE_COMMIT_WINDOW_MS }), log: { info() {}, warn() {}, error: console.error }, hashSecret });
  headers.authorization = `Bearer ${provisioned.key}`;
  fetchApp = app.fetch;
  close = async () => {
    const unwritten = await app.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
    if (unwritten > 0) throw new Error(`${unwritten} usage events unwritten`);
  };
} else if (server === 'raw-hono' || server === 'hono-mcp-minimal' || server === 'sdk-web-standard') {
  const file = { 'raw-hono': './servers/raw-hono.ts', 'hono-mcp-minimal': './servers/hono-mcp.ts', 'sdk-web-standard': './servers/sdk-web-standard.ts' }[server];
  const { app } = (await import(file)) as { app: { fetch: typeof fetchApp } };
  fetchApp = app.fetch;
} else {
  throw new Error(`unknown server ${server}`);
}

async function one(i: number): Promise<void> {
  const body = bodies![i % bodies!.length]!;
  const init = { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body };
  const res = await fetchApp(new Request('http://127.0.0.1:8787/mcp', init));
  const text = await res.text();
  if (res.status !== 200 && res.status !== 202) throw new Error(`status ${res.status}: ${text}`);
  if (res.status === 200 && !text.includes('"result"')) throw new Error(`no result: ${text}`);
}

async function round(n: number, concurrency: number): Promise<{ cpuUs: number; wallMs: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0 };
}

const n = Number(values.requests);
const c = Number(values.concurrency);
await round(Math.min(n, 5000), c); // warm-up: JIT, caches
const results: number[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const { cpuUs, wallMs } = await round(n, c);
  results.push(cpuUs / n);
  console.error(`${server} round ${r + 1}: ${(cpuUs / n).toFixed(1)} µs CPU/request, ${((n / wallMs) * 1000).toFixed(0)} req/s in-process`);
}
results.sort((a, b) => a - b);
console.log(`${server} ${values.case}: median ${results[Math.floor(results.length / 2)]!.toFixed(1)} µs CPU/request (min ${results[0]!.toFixed(1)})`);
await close();
