// What a connector's upstream MCP client costs this server: CPU per proxied `tools/call` over
// calling the upstream directly (issue 13: "at most 1 ms, p50, loopback upstream"), and the bytes
// it adds to the Worker bundle. The upstream is the SDK v2 dual-era handler (bench/servers/
// sdk-v2-handler.ts) in its own process, so `process.cpuUsage()` here counts only the client side.
// Candidates, each making N sequential calls, interleaved call by call:
//   direct        one fetch of a ready-made 2026-07-28 tools/call body and JSON.parse (the floor)
//   direct-legacy the same in the legacy era, answered as an event stream (the floor for legacy clients)
//   ours-*        src/connectors/mcp/call-upstream-tool.ts (legacy: on a kept session)
//   v2-*          @modelcontextprotocol/client 2.4 (kept: one connected Client reused; per-call: a new Client per call)
//   v1-*          @modelcontextprotocol/sdk 1.x Client + StreamableHTTPClientTransport (legacy only)
// Usage: npm run bench:upstream -- [--calls 400] [--rounds 3] [--only direct,ours-modern,...] [--no-bundle]
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { build } from 'esbuild';
import { callUpstreamTool } from '../src/connectors/mcp/call-upstream-tool.ts';
import { LegacySessionCache } from '../src/connectors/mcp/legacy-session-cache.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-bundle': { type: 'boolean', default: false },
  },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const headers = { Authorization: 'Bearer bench-upstream-token' };
const args = { a: 2, b: 3 };

/** Starts the upstream in its own process and resolves with its URL and a stop function. */
async function startUpstream(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/servers/sdk-v2-handler.ts'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`The upstream exited with ${code}`)));
  });
  return { url, stop: () => void child.kill('SIGTERM') };
}

type Call = () => Promise<unknown>;
type Candidate = { name: string; setUp(url: string): Promise<{ call: Call; close(): Promise<void> }> };

const modernBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'add', arguments: args, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'b', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } },
});
const modernHeaders = { ...headers, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'add' };

const legacyBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: args } });
const legacyHeaders = { ...headers, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-11-25' };

async function modernClient(url: string, prior?: Awaited<ReturnType<ModernClient['getDiscoverResult']>>): Promise<ModernClient> {
  const client = new ModernClient({ name: 'bench', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(new URL(url), { requestInit: { headers } }), prior ? { prior: { kind: 'modern', discover: prior } } : undefined);
  return client;
}
async function legacyV2Client(url: string): Promise<ModernClient> {
  const client = new ModernClient({ name: 'bench', version: '1' });
  await client.connect(new ModernTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
async function legacyV1Client(url: string): Promise<LegacyClient> {
  const client = new LegacyClient({ name: 'bench', version: '1' });
  await client.connect(new LegacyTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
const signal = () => AbortSignal.timeout(10_000);

const candidates: Candidate[] = [
  {
    name: 'direct',
    async setUp(url) {
      return { call: async () => (await fetch(url, { method: 'POST', headers: modernHeaders, body: modernBody })).json(), close: async () => {} };
    },
  },
  {
    // a legacy upstream may answer as an event stream (this one does): the floor reads its one data line
    name: 'direct-legacy',
    async setUp(url) {
      return {
        async call() {
          const text = await (await fetch(url, { method: 'POST', headers: legacyHeaders, body: legacyBody })).text();
          return JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? text);
        },
        close: async () => {},
      };
    },
  },
  {
    name: 'ours-modern',
    async setUp(url) {
      return { call: () => callUpstreamTool(url, 'add', args, { fetch, headers, signal: signal(), era: 'modern', protocolVersion: '2026-07-28' }), close: async () => {} };
    },
  },
  {
    name: 'ours-legacy-kept',
    async setUp(url) {
      const sessions = new LegacySessionCache();
      return { call: () => callUpstreamTool(url, 'add', args, { fetch, headers, signal: signal(), era: 'legacy', protocolVersion: '2025-11-25', sessions }), close: async () => {} };
    },
  },
  {
    name: 'v2-modern-kept',
    async setUp(url) {
      const client = await modernClient(url);
      return { call: () => client.callTool({ name: 'add', arguments: args }), close: () => client.close() };
    },
  },
  {
    name: 'v2-modern-per-call',
    async setUp(url) {
      const probe = await modernClient(url);
      const discover = probe.getDiscoverResult();
      await probe.close();
      return {
        async call() {
          const client = await modernClient(url, discover);
          const result = await client.callTool({ name: 'add', arguments: args });
          await client.close();
          return result;
        },
        close: async () => {},
      };
    },
  },
  {
    name: 'v2-legacy-kept',
    async setUp(url) {
      const client = await legacyV2Client(url);
      return { call: () => client.callTool({ name: 'add', arguments: args }), close: () => client.close() };
    },
  },
  {
    name: 'v1-legacy-kept',
    async setUp(url) {
      const client = await legacyV1Client(url);
      return { call: () => client.callTool({ name: 'add', arguments: args }), close: () => client.close() };
    },
  },
  {
    name: 'v1-legacy-per-call',
    async setUp(url) {
      return {
        async call() {
          const client = await legacyV1Client(url);
          const result = await client.callTool({ name: 'add', arguments: args });
          await client.close();
          return result;
        },
        close: async () => {},
      };
    },
  },
];

/** CPU µs of each call (user + system), measured around the awaited call. */
async function measure(call: Call, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = process.cpuUsage();
    const result = (await call()) as { isError?: boolean; result?: { isError?: boolean } };
    const spent = process.cpuUsage(before);
    if (result?.isError || result?.result?.isError) throw new Error(`The call failed: ${JSON.stringify(result)}`);
    samples.push(spent.user + spent.system);
  }
  return samples;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function bundleBytes(source: string): Promise<{ raw: number; gzip: number }> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]!.contents;
  return { raw: bytes.length, gzip: gzipSync(bytes).length };
}

const chosen = values.only ? candidates.filter((c) => values.only!.split(',').includes(c.name)) : candidates;
const upstream = await startUpstream();
try {
  // Interleaved call by call, so a neighbour's load on this shared machine weighs on every candidate alike.
  const perRound = new Map<string, { p50: number[]; mean: number[] }>(chosen.map((c) => [c.name, { p50: [], mean: [] }]));
  for (let round = 0; round < rounds; round++) {
    const set = await Promise.all(chosen.map((candidate) => candidate.setUp(upstream.url)));
    const samples = set.map(() => [] as number[]);
    for (let i = 0; i < Math.min(100, calls) + calls; i++) {
      for (const [index, { call }] of set.entries()) {
        const [spent] = await measure(call, 1);
        if (i >= Math.min(100, calls)) samples[index]!.push(spent!); // after the warm-up
      }
    }
    await Promise.all(set.map(({ close }) => close()));
    for (const [index, candidate] of chosen.entries()) {
      perRound.get(candidate.name)!.p50.push(median(samples[index]!));
      perRound.get(candidate.name)!.mean.push(samples[index]!.reduce((a, b) => a + b, 0) / samples[index]!.length);
    }
  }
  const direct = perRound.get('direct');
  const floor = direct ? median(direct.p50) : undefined;
  const legacy = perRound.get('direct-legacy');
  const legacyFloor = legacy ? median(legacy.p50) : undefined;
  console.log(`\nClient CPU per tools/call against a loopback upstream (${calls} sequential calls each, interleaved, × ${rounds} rounds; median over rounds)\n`);
  console.log('| client | p50 µs CPU/call | mean µs | p50 over direct, µs | p50 over direct-legacy, µs |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, { p50, mean }] of perRound) {
    console.log(`| ${name} | ${median(p50).toFixed(0)} | ${median(mean).toFixed(0)} | ${floor === undefined ? '–' : (median(p50) - floor).toFixed(0)} | ${legacyFloor === undefined ? '–' : (median(p50) - legacyFloor).toFixed(0)} |`);
  }
} finally {
  upstream.stop();
}

if (!values['no-bundle']) {
  // Bytes each client adds to a Worker bundle already holding the server side (SDK v1 McpServer, zod).
  const base = "export * from '@modelcontextprotocol/sdk/server/mcp.js'; export * from 'zod';";
  const variants = {
    'server side alone (the floor)': base,
    '+ ours': `${base} export * from './src/connectors/mcp/call-upstream-tool.ts'; export * from './src/connectors/mcp/list-upstream-tools.ts';`,
    '+ v1 Client + StreamableHTTPClientTransport': `${base} export * from '@modelcontextprotocol/sdk/client/index.js'; export * from '@modelcontextprotocol/sdk/client/streamableHttp.js';`,
    '+ v2 @modelcontextprotocol/client': `${base} export { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';`,
  };
  const floor = await bundleBytes(base);
  console.log('\nWorker bundle (esbuild, minified, workerd conditions)\n');
  console.log('| bundle | bytes | gzip | added gzip |');
  console.log('|---|---:|---:|---:|');
  for (const [name, source] of Object.entries(variants)) {
    const size = await bundleBytes(source);
    console.log(`| ${name} | ${size.raw} | ${size.gzip} | ${size.gzip - floor.gzip} |`);
  }
}
