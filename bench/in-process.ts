// CPU cost of the app itself, without sockets: requests go straight to `app.fetch`, so the
// numbers move only when our code (or the SDK path it drives) does. Much less noisy than HTTP
// load on a shared machine; use it to compare optimisations, and `npm run bench` for the real thing.
// Usage: npm run bench:in-process -- [--requests 20000] [--concurrency 16] [--case call|connect|list]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { openDatabase } from '../src/node/database.ts';
import { hashSecretSync } from '../src/node/hash-secret.ts';
import { provisionBenchDatabase } from './provision.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    case: { type: 'string', default: 'call' },
    rounds: { type: 'string', default: '5' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-inproc-'));
const provisioned = await provisionBenchDatabase(dir);
const database = await openDatabase(provisioned.url);
const tenantMcp = createApp({ db: database.db, config: parseConfig({}), log: { info() {}, warn() {}, error: console.error }, hashSecret: hashSecretSync });

const pv = '2025-11-25';
const bodies = {
  call: [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }],
  list: [{ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }],
  connect: [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: pv, capabilities: {}, clientInfo: { name: 'b', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
  ],
}[values.case as 'call' | 'list' | 'connect'].map((b) => JSON.stringify(b));
if (!bodies) throw new Error(`unknown case ${values.case}`);

const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${provisioned.key}`,
  'mcp-protocol-version': pv,
  host: '127.0.0.1:8787',
};

async function one(i: number): Promise<void> {
  const body = bodies[i % bodies.length]!;
  const init = { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body };
  const res = await tenantMcp.fetch(new Request('http://127.0.0.1:8787/mcp', init));
  const text = await res.text();
  if (res.status !== 200 && res.status !== 202) throw new Error(`status ${res.status}: ${text}`);
  if (res.status === 200 && !text.includes('"result"')) throw new Error(`no result: ${text}`);
}

async function round(n: number, concurrency: number): Promise<{ cpuUs: number; wallMs: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await one(next++);
  }));
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
  console.log(`round ${r + 1}: ${(cpuUs / n).toFixed(1)} µs CPU/request, ${((n / wallMs) * 1000).toFixed(0)} req/s in-process`);
}
results.sort((a, b) => a - b);
console.log(`${values.case}: median ${results[Math.floor(results.length / 2)]!.toFixed(1)} µs CPU/request (min ${results[0]!.toFixed(1)})`);
const unwritten = await tenantMcp.close();
database.close();
rmSync(dir, { recursive: true, force: true });
if (unwritten > 0) throw new Error(`${unwritten} usage events unwritten`);
