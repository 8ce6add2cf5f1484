// Profiles the production server under load: `node --cpu-prof` on src/entry/node.ts, autocannon on
// one case, then a summary of self time by function and by package.
// Usage: npm run bench:profile -- [--case call|connect] [--duration 10] [--connections 32] [--top 30]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { provisionBenchDatabase } from './provision.ts';

const { values } = parseArgs({
  options: {
    case: { type: 'string', default: 'call' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '30' },
  },
});

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tenant-mcp-profile-'));
const profDir = join(work, 'prof');
mkdirSync(profDir);
const db = await provisionBenchDatabase(work);

const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--import', 'tsx', 'src/entry/node.ts'], {
  cwd: root,
  env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: db.url, NODE_ENV: 'production' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
const baseUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.once('exit', () => reject(new Error(`server exited: ${out}`)));
});

const pv = '2025-11-25';
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${db.key}` };
const bodies =
  values.case === 'connect'
    ? [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: pv, capabilities: {}, clientInfo: { name: 'p', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      ]
    : [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }];
const requests = bodies.map((b, i) => ({
  method: 'POST' as const,
  path: '/mcp',
  headers: i === 0 && values.case === 'connect' ? headers : { ...headers, 'mcp-protocol-version': pv },
  body: JSON.stringify(b),
}));
const result = await autocannon({ url: baseUrl, connections: Number(values.connections), duration: Number(values.duration), requests });
console.error(`${values.case}: ${Math.round(result.requests.average)} req/s, non-2xx ${result.non2xx}, errors ${result.errors}`);
child.kill('SIGTERM');
await exited;

// --- summarise the .cpuprofile: self time per function and per package ---
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no .cpuprofile written');
const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs].filter(([id]) => ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id)!.callFrame.functionName));

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes(root)) return url.slice(url.indexOf(root) + root.length);
  return url || '(native)';
};
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const key = `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const p = url ? where(url).split('/')[0]! : functionName;
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`\nProfile ${join(profDir, file)}: ${(total / 1e6).toFixed(1)} s sampled; ` +
  idle.map(([id, us]) => `${byId.get(id)!.callFrame.functionName} ${pct(us)}`).join(', '));
console.log('\nSelf time by package / area:');
for (const [k, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${pct(us)}  ${k}`);
console.log(`\nTop ${values.top} functions by self time:`);
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(us)}  ${k}`);
