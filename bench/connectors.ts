// What a connector adds to a tool call: tenant-mcp's server CPU per proxied tools/call, against the
// same upstream called directly and against a built-in tool, on loopback (npm run bench:connectors).
//
// Three processes: an MCP upstream (bench/servers/hono-mcp.ts, one `add` tool), the Petstore
// example (examples/petstore), and tenant-mcp as `npm start` runs it, with two connectors (`up`,
// an MCP connector to the upstream; `petstore`, the shipped OpenAPI document). Each case sends
// `--requests` calls over `--connections` connections with autocannon; CPU is read from
// /proc/PID/stat of each process before and after; cases alternate for `--rounds` rounds and the
// median round is reported. Calling the upstream directly costs tenant-mcp nothing, so what a
// proxied call adds is tenant-mcp's own CPU per proxied call.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { parseConfig } from '../src/config.ts';
import { connectorEnv } from '../src/connectors/connector-env.ts';
import { compileOpenApiText } from '../src/connectors/openapi/openapi-compiler.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { addConnector } from '../src/services/connectors.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { allTools } from '../src/tools/index.ts';
import { freePort } from './harness.ts';
import { nodeServerArgs } from './node-server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: { requests: { type: 'string', default: '3000' }, connections: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } },
});
const requests = Number(flags.requests);
const connections = Number(flags.connections);
const rounds = Number(flags.rounds);
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function start(name: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
  return child;
}

const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-bench-connectors-'));
const [upstreamPort, petstorePort, serverPort] = [await freePort(), await freePort(), await freePort()];
const upstreamUrl = `http://127.0.0.1:${upstreamPort}/mcp`;
const petstoreUrl = `http://127.0.0.1:${petstorePort}`;
const serverUrl = `http://127.0.0.1:${serverPort}/mcp`;
const settings = { DATABASE_URL: `file:${join(dir, 'bench.db')}`, CONNECTOR_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' };

const upstream = await start('upstream', ['--import', 'tsx', 'bench/servers/hono-mcp.ts'], { PORT: String(upstreamPort) }, /listening/);
const petstore = await start('petstore', ['--import', 'tsx', 'examples/petstore/server.ts'], { PORT: String(petstorePort) }, /listening/);
const database = await openDatabase(settings.DATABASE_URL);
await migrateDatabase(database.db);
await createTenant(database.db, { slug: 'bench', scopes: 'math,up:*,petstore:read' });
const { key } = await createKey(database.db, { tenant: 'bench', scopes: 'math,up:*,petstore:read' });
const env = connectorEnv(database.db, parseConfig(settings), { signingKey: Promise.resolve(undefined), builtIn: allTools, openApiCompiler: compileOpenApiText });
await addConnector(database.db, env, { name: 'up', kind: 'mcp', url: upstreamUrl, credential: 'none' });
await addConnector(database.db, env, { name: 'petstore', kind: 'openapi', document: await (await fetch(`${petstoreUrl}/openapi.json`)).text(), url: petstoreUrl, credential: 'none' });
database.close();
const server = await start('tenant-mcp', nodeServerArgs(root), { ...settings, HOST: '127.0.0.1', PORT: String(serverPort) }, /listening on/);

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const call = (name: string, args: object) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
interface Case {
  name: string;
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  headers: Record<string, string>;
  /** Whether the call goes through tenant-mcp. */
  viaServer: boolean;
  /** The process that answers behind it (none for a built-in tool). */
  upstreamPid?: number;
  expect: string;
}
const cases: Case[] = [
  { name: 'upstream MCP server, called directly', url: upstreamUrl, method: 'POST', body: call('add', { a: 2, b: 3 }), headers: mcpHeaders, viaServer: false, upstreamPid: upstream.pid!, expect: '"5"' },
  { name: 'tenant-mcp, built-in add', url: serverUrl, method: 'POST', body: call('add', { a: 2, b: 3 }), headers: { ...mcpHeaders, authorization: `Bearer ${key}` }, viaServer: true, expect: '"5"' },
  { name: 'tenant-mcp, up_add (MCP connector)', url: serverUrl, method: 'POST', body: call('up_add', { a: 2, b: 3 }), headers: { ...mcpHeaders, authorization: `Bearer ${key}` }, viaServer: true, upstreamPid: upstream.pid!, expect: '"5"' },
  { name: 'Petstore API, GET /pets/1 directly', url: `${petstoreUrl}/pets/1`, method: 'GET', headers: {}, viaServer: false, upstreamPid: petstore.pid!, expect: '"Rex"' },
  { name: 'tenant-mcp, petstore_getPet (OpenAPI connector)', url: serverUrl, method: 'POST', body: call('petstore_getPet', { petId: 1 }), headers: { ...mcpHeaders, authorization: `Bearer ${key}` }, viaServer: true, upstreamPid: petstore.pid!, expect: 'Rex' },
];

interface Measure {
  /** tenant-mcp's CPU per call, µs. */
  cpuUs: number;
  /** The upstream's CPU per call, µs. */
  upstreamCpuUs: number;
  p50: number;
  p99: number;
  rps: number;
  bad: number;
}

async function measure(c: Case, amount: number): Promise<Measure> {
  const pids = [server.pid!, c.upstreamPid ?? server.pid!];
  const before = pids.map(cpuSeconds);
  let bad = 0;
  const result = await autocannon({
    url: c.url,
    method: c.method,
    body: c.body,
    headers: c.headers,
    connections,
    amount,
    setupClient: (client) => client.on('body', (body: Buffer) => void (body.toString().includes(c.expect) || bad++)),
  });
  const after = pids.map(cpuSeconds);
  const calls = result.requests.total || 1;
  return {
    cpuUs: ((after[0]! - before[0]!) / calls) * 1e6,
    upstreamCpuUs: c.upstreamPid ? ((after[1]! - before[1]!) / calls) * 1e6 : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    bad: bad + result.non2xx + result.errors,
  };
}

const results = new Map<string, Measure[]>();
try {
  for (const c of cases) await measure(c, 300); // warm-up: JIT, caches, the upstream's tool list
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const m = await measure(c, requests);
      results.set(c.name, [...(results.get(c.name) ?? []), m]);
      console.error(`round ${round + 1} ${c.name}: ${JSON.stringify(m)}`);
    }
  }
} finally {
  for (const child of [server, upstream, petstore]) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const median = (ms: Measure[], key: keyof Measure) => [...ms].sort((a, b) => a[key] - b[key])[Math.floor(ms.length / 2)]![key];
const rows = cases.map((c) => {
  const ms = results.get(c.name)!;
  return `| ${c.name} | ${c.viaServer ? median(ms, 'cpuUs').toFixed(0) : '0'} | ${c.upstreamPid ? median(ms, 'upstreamCpuUs').toFixed(0) : '-'} | ${median(ms, 'p50')} | ${median(ms, 'p99')} | ${median(ms, 'rps').toFixed(0)} | ${ms.reduce((n, m) => n + m.bad, 0)} |`;
});
console.log(
  [
    `${requests} calls per case and round, ${connections} connections, median of ${rounds} alternating rounds; Node ${process.version}.`,
    '',
    '| case | tenant-mcp CPU µs/call | upstream CPU µs/call | p50 ms | p99 ms | req/s | bad answers |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n'),
);
