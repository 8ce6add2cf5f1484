// Memory with many distinct keys: the production server answers tools/call add for N different
// valid keys in turn, pass after pass, while its RSS is sampled. The verified-key cache holds at
// most KEY_CACHE_MAX_ENTRIES (default 10,000) entries, so with more keys than that RSS must level
// off instead of growing with the number of keys. Cycling through more keys than the cache holds
// is also the LRU's worst case (every call misses), so the run shows the cold path's cost too.
// Usage: npm run bench:keys -- [--keys 20000] [--passes 4] [--connections 32] [--cache 10000] [--no-pin]
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, statusKiB } from './harness.ts';
import { nodeServerArgs } from './node-server.ts';
import { countUsage, provisionBenchDatabase } from './provision.ts';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '20000' },
    passes: { type: 'string', default: '4' },
    connections: { type: 'string', default: '32' },
    cache: { type: 'string', default: '10000' },
    'no-pin': { type: 'boolean', default: false },
    out: { type: 'string', default: fileURLToPath(new URL('./results', import.meta.url)) },
  },
});
const nKeys = Number(values.keys);
const passes = Number(values.passes);
const connections = Number(values.connections);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(values.out!, 'work', 'many-keys');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const log = (m: string) => console.error(m);
const db = await provisionBenchDatabase(work, { extraKeys: nKeys, keepKeys: true, log });
const keys = db.extraKeys;
const port = await freePort();
const pin = !values['no-pin'];
const argv = nodeServerArgs(root);
const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '0', process.execPath, ...argv] : argv, {
  cwd: root,
  env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: db.url, KEY_CACHE_MAX_ENTRIES: values.cache! },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
await new Promise<void>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
    if (out.includes('listening on')) resolve();
  });
  child.once('exit', () => reject(new Error(`server exited: ${out}`)));
});
const pid = child.pid!;
const rssMiB = () => statusKiB(pid, 'VmRSS') / 1024;
log(`server pid ${pid}${pin ? ' on core 0' : ''}, KEY_CACHE_MAX_ENTRIES=${values.cache}, ${nKeys} keys, RSS at start ${rssMiB().toFixed(0)} MiB`);

const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });
let next = 0;
let ok = 0;
let bad = 0;
const rows: { pass: number; calls: number; seconds: number; rps: number; rss: number; peak: number }[] = [];
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 100);
let calls = 0;
for (let pass = 1; pass <= passes; pass++) {
  const t0 = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: nKeys,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/mcp',
        body,
        // Every call presents the next key: each key is used once per pass.
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2025-11-25',
            authorization: `Bearer ${keys[next++ % keys.length]}`,
          },
        }),
        onResponse: (status: number, text: string) => {
          if (status === 200 && text.includes('"text":"5"')) ok++;
          else bad++;
        },
      },
    ],
  } as autocannon.Options);
  const seconds = (performance.now() - t0) / 1000;
  calls += nKeys;
  rows.push({ pass, calls, seconds, rps: nKeys / seconds, rss: rssMiB(), peak });
  log(`pass ${pass}: ${nKeys} calls in ${seconds.toFixed(1)} s, RSS ${rssMiB().toFixed(0)} MiB (peak ${peak.toFixed(0)}), errors ${result.errors + result.timeouts}, bad ${bad}`);
}
clearInterval(sampler);
child.kill('SIGTERM');
const code = await exited;
const usage = await countUsage(db.url, db.keyId);

console.log(`Many distinct keys: ${nKeys.toLocaleString('en')} valid keys used in turn, ${passes} passes, ${connections} connections, KEY_CACHE_MAX_ENTRIES=${values.cache}.\n`);
console.log('| pass | calls so far | seconds | calls/s | RSS after pass MiB | peak RSS so far MiB |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.pass} | ${r.calls} | ${r.seconds.toFixed(1)} | ${r.rps.toFixed(0)} | ${r.rss.toFixed(0)} | ${r.peak.toFixed(0)} |`);
console.log(
  `\nVerified answers ${ok} of ${calls}; ${bad} bad. Exit code after SIGTERM: ${code}. Usage rows: ${usage.total} (every call is logged under its own key).`,
);
process.exitCode = bad === 0 && ok === calls && code === 0 && usage.total === calls ? 0 : 1;
