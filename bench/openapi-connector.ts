// The OpenAPI connector's own cost. Compiling the shipped Petstore document (ms, median), and the
// client-side CPU per call of invokeOperation (getPet) next to a bare fetch + JSON parse of the same
// URL, against the example app in a separate process on loopback, rounds interleaved.
// Usage: npm run bench:openapi -- [--requests 2000] [--rounds 7]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileOpenApi } from '../src/connectors/openapi/compile-openapi.ts';
import { invokeOperation } from '../src/connectors/openapi/invoke-operation.ts';
import { freePort } from '../test/helpers/proc.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '7' } } });
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const document = JSON.parse(readFileSync(new URL('../examples/petstore/openapi.json', import.meta.url), 'utf8')) as unknown;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const compileMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  await compileOpenApi(document, { prefix: 'petstore' });
  compileMs.push(performance.now() - start);
}
const tool = (await compileOpenApi(document, { prefix: 'petstore' })).tools.find((t) => t.name === 'petstore_getPet')!;

const port = await freePort();
const upstream = spawn(process.execPath, ['--import', 'tsx', 'examples/petstore/server.ts'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve) => upstream.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve()));
const baseUrl = `http://127.0.0.1:${port}`;

// Without sockets: a fetch answering the same body in-process isolates invokeOperation's own work.
const body = JSON.stringify({ id: 1, name: 'Rex', tag: 'dog' });
const inProcess = async (_url: string, _init?: RequestInit) => new Response(body, { headers: { 'content-type': 'application/json' } });
// Each call gets its own signal, as from the MCP layer (undici keeps a listener on a shared one until GC).
const ways = {
  'fetch + JSON.parse': async () => (await fetch(`${baseUrl}/pets/1`, { headers: { accept: 'application/json' }, signal: new AbortController().signal })).json(),
  'in-process fetch + JSON.parse': async () => (await inProcess(`${baseUrl}/pets/1`, { headers: { accept: 'application/json' } })).json(),
  'invokeOperation, in-process fetch': () => invokeOperation(tool, { petId: 1 }, { baseUrl, fetch: inProcess, headers: { authorization: 'Bearer bench' }, signal: new AbortController().signal }),
  invokeOperation: () => invokeOperation(tool, { petId: 1 }, { baseUrl, fetch, headers: { authorization: 'Bearer bench' }, signal: new AbortController().signal }),
};
const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (const way of Object.values(ways)) for (let i = 0; i < 200; i++) await way(); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, way] of Object.entries(ways)) {
    const before = process.cpuUsage();
    for (let i = 0; i < requests; i++) await way();
    const used = process.cpuUsage(before);
    cpu[name]!.push((used.user + used.system) / requests);
  }
}
upstream.kill('SIGTERM');

console.log(`compileOpenApi(Petstore): median ${median(compileMs).toFixed(1)} ms over 5 runs`);
for (const [name, samples] of Object.entries(cpu)) {
  console.log(`${name.padEnd(34)} client CPU per call: median ${median(samples).toFixed(1)} µs, rounds ${samples.map((s) => s.toFixed(0)).join(' ')}`);
}
