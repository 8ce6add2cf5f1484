// Two configurations of the production server (the bundle `npm start` runs), measured in turns:
// both run at once, each on its own database, and the load alternates between them in short
// slices, so that this VM's drift (its speed moves by half within seconds) falls on both alike.
// Reports each slice pair's ratio, and their median.
// Usage: npm run bench:interleave -- [--a USAGE_DURABILITY=commit] [--b USAGE_DURABILITY=buffered]
//          [--a-case call] [--b-case call] [--a-keys 0] [--b-keys 0] [--slices 30] [--slice 1.5] [--warmup 3] [--connections 32]
// --a and --b take comma-separated NAME=VALUE pairs for the server's environment; --a-case and
// --b-case choose each side's request: `call` (tools/call add, 2025-11-25) or `modern` (2026-07-28);
// --a-keys and --b-keys add that many more keys to a side's database (as `npm run bench`'s tenant-mcp-100k).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { hasTaskset, median, treeCpuSeconds } from './harness.ts';
import { startNodeServer } from './node-server.ts';
import { countUsage, provisionBenchDatabase } from './provision.ts';

const { values } = parseArgs({
  options: {
    a: { type: 'string', default: 'USAGE_DURABILITY=commit' },
    b: { type: 'string', default: 'USAGE_DURABILITY=buffered' },
    'a-case': { type: 'string', default: 'call' },
    'b-case': { type: 'string', default: 'call' },
    'a-keys': { type: 'string', default: '0' },
    'b-keys': { type: 'string', default: '0' },
    slices: { type: 'string', default: '30' },
    slice: { type: 'string', default: '1.5' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
});

interface Slice {
  rps: number;
  cpuUs: number;
  p50: number;
  p99: number;
}

interface Server {
  label: string;
  request: { body: string; headers: Record<string, string> };
  url: string;
  pid: number;
  key: string;
  keyId: string;
  dbUrl: string;
  /** Its temporary folder (the database), removed at the end. */
  work: string;
  stop(): Promise<void>;
  /** Per slice: ok req/s, CPU µs per call, and latency percentiles in ms. */
  slices: Slice[];
  answered: number;
}

for (const name of ['slices', 'slice', 'warmup', 'connections', 'a-keys', 'b-keys'] as const) {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !name.endsWith('keys'))) throw new Error(`--${name} must be a positive number, not "${values[name]}"`);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = hasTaskset();
if (pinned) execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } };
const modernMeta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
/** Each case's body and the headers it adds. */
const cases: Record<string, { body: string; headers: Record<string, string> }> = {
  call: { body: JSON.stringify(call), headers: { 'mcp-protocol-version': '2025-11-25' } },
  modern: {
    body: JSON.stringify({ ...call, params: { ...call.params, _meta: modernMeta } }),
    headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'add' },
  },
};

function headersOf(key: string): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}` };
}

function envOf(spec: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of spec.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`Cannot read "${pair}": expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

async function start(label: string, spec: string, kind: string, extraKeys: number): Promise<Server> {
  const request = cases[kind];
  if (!request) throw new Error(`Unknown case "${kind}": use call or modern`);
  const work = mkdtempSync(join(tmpdir(), 'tenant-mcp-interleave-'));
  const db = await provisionBenchDatabase(work, { extraKeys });
  const server = await startNodeServer(root, { databaseUrl: db.url, env: envOf(spec), pin: pinned });
  // One call checked before any is counted: 2 + 3 must come back as 5.
  const answer = await fetch(`${server.baseUrl}/mcp`, { method: 'POST', headers: { ...headersOf(db.key), ...request.headers }, body: request.body });
  const text = await answer.text();
  if (!answer.ok || !text.includes('"text":"5"')) {
    await server.stop();
    throw new Error(`${label}: the preflight call was answered ${answer.status}: ${text.slice(0, 300)}`);
  }
  return { label: `${label} (${[spec, kind !== 'call' && kind, extraKeys > 0 && `${extraKeys} more keys`].filter(Boolean).join(', ')})`, request, url: server.baseUrl, pid: server.pid, key: db.key, keyId: db.keyId, dbUrl: db.url, work, stop: server.stop, slices: [], answered: 1 }; // the preflight call
}

/** Sends `amount` calls; returns ok req/s, the server's CPU µs per call and latency. Throws on any failed answer. */
async function load(server: Server, amount: number): Promise<Slice> {
  const cpu0 = treeCpuSeconds([server.pid]);
  const t0 = performance.now();
  let last = t0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: `${server.url}/mcp`,
        connections: Number(values.connections),
        amount,
        method: 'POST',
        headers: { ...headersOf(server.key), ...server.request.headers },
        body: server.request.body,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    // autocannon ends on its next one-second tick: the rate is taken to the last answer.
    run.on('response', () => (last = performance.now()));
  });
  const seconds = (last - t0) / 1000;
  const cpu = treeCpuSeconds([server.pid]) - cpu0;
  const ok = result['2xx'];
  if (ok !== amount || result.errors || result.timeouts) throw new Error(`${server.label}: ${ok} of ${amount} answered 2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  server.answered += ok;
  return { rps: ok / seconds, cpuUs: (cpu * 1e6) / ok, p50: result.latency.p50, p99: result.latency.p99 };
}

const servers = [await start('a', values.a!, values['a-case']!, Number(values['a-keys'])), await start('b', values.b!, values['b-case']!, Number(values['b-keys']))];
try {
  // Warm both up; each slice's size comes from the slower one's rate, the same for both.
  const warm: number[] = [];
  for (const s of servers) {
    let rps = 0;
    for (const end = Date.now() + Number(values.warmup) * 1000; Date.now() < end; ) rps = (await load(s, 2000)).rps;
    warm.push(rps);
  }
  const amount = Math.round((Math.min(...warm) * Number(values.slice)) / 100) * 100;
  console.error(`warm: ${warm.map((r) => r.toFixed(0)).join(' / ')} req/s; ${values.slices} slices of ${amount} calls each, alternating which goes first`);
  for (let i = 0; i < Number(values.slices); i++) {
    for (const s of i % 2 ? [...servers].reverse() : servers) s.slices.push(await load(s, amount));
  }
} finally {
  for (const s of servers) await s.stop();
}

// Exactly one row per answered call: both servers have stopped gracefully.
for (const s of servers) {
  const { forKey } = await countUsage(s.dbUrl, s.keyId);
  if (forKey !== s.answered) throw new Error(`${s.label}: ${forKey} usage rows for ${s.answered} answered calls`);
  rmSync(s.work, { recursive: true, force: true });
}

const [a, b] = servers as [Server, Server];
const ratios = a.slices.map((x, i) => x.rps / b.slices[i]!.rps);
const cpuRatios = a.slices.map((x, i) => b.slices[i]!.cpuUs / x.cpuUs);
const f = (n: number, d = 2) => n.toFixed(d);
const quartiles = (v: number[]) => {
  const s = [...v].sort((x, y) => x - y);
  return `${f(s[Math.floor(s.length / 4)]!)}–${f(s[Math.floor((3 * s.length) / 4)]!)}`;
};
console.log('| server | median req/s | median CPU µs/call | median p50 ms | median p99 ms |\n|---|---:|---:|---:|---:|');
for (const s of servers) {
  const of = (k: keyof Slice) => median(s.slices.map((x) => x[k]));
  console.log(`| ${s.label} | ${of('rps').toFixed(0)} | ${f(of('cpuUs'), 1)} | ${of('p50')} | ${of('p99')} |`);
}
console.log(
  `\na ÷ b by req/s, per slice pair: median ${f(median(ratios))} (quartiles ${quartiles(ratios)}); by CPU per call: median ${f(median(cpuRatios))} (quartiles ${quartiles(cpuRatios)}). ` +
    `${ratios.length} pairs; usage rows = answered calls on both.`,
);
