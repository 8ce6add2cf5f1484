// Profiles the production server under load: `node --cpu-prof` on the built src/entry/node.ts, autocannon on
// one case, then a summary of self time by function and by package.
// Usage: npm run bench:profile -- [--case call|modern|connect] [--duration 10] [--connections 32] [--top 30]
// USAGE_* variables in the environment reach the server (e.g. USAGE_DURABILITY=buffered).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { hasTaskset } from './harness.ts';
import { startNodeServer } from './node-server.ts';
import { provisionBenchDatabase } from './provision.ts';

const { values } = parseArgs({
  options: {
    case: { type: 'string', default: 'call' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '30' },
  },
});

function usageEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('USAGE_') && e[1] !== undefined));
}

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tenant-mcp-profile-'));
const profDir = join(work, 'prof');
mkdirSync(profDir);
const db = await provisionBenchDatabase(work);

// As `npm run bench` runs it: the server on CPU 0, this process (the load generator) on CPU 1.
const pinned = hasTaskset();
if (pinned) execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
const server = await startNodeServer(root, { databaseUrl: db.url, env: usageEnv(), nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir], pin: pinned });
const baseUrl = server.baseUrl;

const pv = '2025-11-25';
const modernMeta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${db.key}` };
const bodies =
  values.case === 'connect'
    ? [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: pv, capabilities: {}, clientInfo: { name: 'p', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      ]
    : values.case === 'modern'
      ? [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 }, _meta: modernMeta } }]
      : [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }];
const requests = bodies.map((b, i) => ({
  method: 'POST' as const,
  path: '/mcp',
  headers:
    values.case === 'modern'
      ? { ...headers, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'add' }
      : i === 0 && values.case === 'connect'
        ? headers
        : { ...headers, 'mcp-protocol-version': pv },
  body: JSON.stringify(b),
}));
const result = await autocannon({ url: baseUrl, connections: Number(values.connections), duration: Number(values.duration), requests });
console.error(`${values.case}: ${Math.round(result.requests.average)} req/s, non-2xx ${result.non2xx}, errors ${result.errors}`);
await server.stop();

// --- summarise the .cpuprofile: self and inclusive time per function, self time per package ---
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
// tsx's loader thread writes a profile too; the server's main thread has the largest.
const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
const file = files.map((f) => ({ f, size: statSync(join(profDir, f)).size })).sort((a, b) => b.size - a.size)[0]?.f;
if (!file) throw new Error('no .cpuprofile written');
const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes(root)) return url.slice(url.indexOf(root) + root.length);
  return url || '(native)';
};
const label = (id: number) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  return `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of selfUs) {
  self.set(label(id), (self.get(label(id)) ?? 0) + us);
  const { url, functionName } = byId.get(id)!.callFrame;
  const p = url ? where(url).split('/')[0]! : functionName;
  pkg.set(p, (pkg.get(p) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(cur);
    if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    seen.add(l);
  }
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`\nProfile ${join(profDir, file)}: ${(total / 1e6).toFixed(1)} s sampled (startup included).`);
console.log('\nSelf time by package or area:');
for (const [k, us] of top(pkg, 20)) console.log(`${pct(us)}  ${k}`);
console.log(`\nTop ${values.top} functions by self time:`);
for (const [k, us] of top(self, Number(values.top))) console.log(`${pct(us)}  ${k}`);
console.log(`\nTop ${values.top} functions by inclusive time:`);
for (const [k, us] of top(inclusive, Number(values.top))) console.log(`${pct(us)}  ${k}`);
