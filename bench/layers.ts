// Where tenant-mcp's CPU per tools/call goes, layer by layer, in-process (no sockets): the MCP
// handler alone (a fixed caller, usage events discarded), then with real usage logging, with
// real API key authentication, with the Origin guard, and the whole app as
// createApp builds it; next to raw Hono and a minimal @hono/mcp server. Rounds are interleaved
// so that a noisy neighbour hits every layer alike.
// Usage: npm run bench:layers -- [--requests 4000] [--rounds 7]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { createApp } from '../src/app.ts';
import { ApiKeyVerifier } from '../src/auth/api-key-verifier.ts';
import { authenticate } from '../src/auth/authenticate.ts';
import type { Caller } from '../src/auth/caller.ts';
import { parseConfig } from '../src/config.ts';
import { originGuard } from '../src/http/origin-guard.ts';
import { RateLimiter } from '../src/limits/rate-limiter.ts';
import { mcpHandler } from '../src/mcp/mcp-handler.ts';
import { RequestStateSealer } from '../src/mcp/request-state.ts';
import { openDatabase } from '../src/node/database.ts';
import { hashSecretSync } from '../src/node/hash-secret.ts';
import { allTools } from '../src/tools/index.ts';
import { UsageRecorder } from '../src/usage/usage-recorder.ts';
import { provisionBenchDatabase } from './provision.ts';
import { app as minimal } from './servers/hono-mcp.ts';
import { app as sdkV2 } from './servers/sdk-v2-handler.ts';
import { app as raw } from './servers/raw-hono.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '7' } } });

const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-layers-'));
const provisioned = await provisionBenchDatabase(dir);
const database = await openDatabase(provisioned.url);
const config = parseConfig({});
const caller: Caller = { tenantId: 't', tenantSlug: 'bench', keyId: 'k', keyName: 'bench', subject: null, tenantScopes: ['math'], credentialScopes: ['math'] };
const discard = { record: () => Promise.resolve(), touchKey: () => Promise.resolve() } as unknown as UsageRecorder;
const recorder = new UsageRecorder(database.db, { flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS, batchSize: config.USAGE_BATCH_SIZE, maxBuffered: config.USAGE_BUFFER_MAX });
// The bench tenant has no limits: the limiter costs one cached lookup per call, as in production.
const limiter = new RateLimiter(database.db, { failMode: 'open', rulesTtlMs: 10_000, leaseMax: 100, maxEntries: 10_000 });

/** The app's /mcp route with some layers real and the others stubbed. */
function layered(layers: { usage?: boolean; auth?: boolean; guards?: boolean }): Hono {
  const app = new Hono();
  if (layers.guards) app.use('/mcp', originGuard({ allowed: ['http://127.0.0.1:8787'] }));
  if (layers.auth) {
    const keys = new ApiKeyVerifier(database.db, { ttlMs: 10_000, maxEntries: 10_000, hashSecret: hashSecretSync });
    app.use('/mcp', authenticate({ verify: (token) => keys.verify(token), onAccepted: (c) => void (layers.usage && recorder.touchKey(c.keyId!, Date.now())) }));
  } else {
    app.use('/mcp', async (c, next) => {
      c.set('caller', caller);
      await next();
    });
  }
  const usage = layers.usage ? recorder : discard;
  const requestState = new RequestStateSealer(undefined, 60_000);
  const handler = mcpHandler({ db: database.db, config, catalog: { tools: () => allTools }, usage, limiter, defer: () => {}, version: '0', onToolError: () => {}, requestState });
  app.all('/mcp', handler); // the body limit is the handler's own
  return app;
}

const full = createApp({ db: database.db, config, hashSecret: hashSecretSync, log: { info() {}, warn() {}, error: console.error } });
type App = { fetch: (r: Request) => Response | Promise<Response> };
// The same app answering the 2026-07-28 form of the call (version in _meta, Mcp-* headers).
const modern = (app: App): App & { modern: true } => ({ fetch: (r) => app.fetch(r), modern: true });
const apps: [string, App & { modern?: boolean }][] = [
  ['raw Hono (floor)', raw],
  ['minimal @hono/mcp, no auth, no logging', minimal],
  ['SDK v2 createMcpHandler, no auth, no logging', sdkV2],
  ['SDK v2 createMcpHandler, 2026-07-28 call', modern(sdkV2)],
  ['tenant-mcp handler, fixed caller, no logging', layered({})],
  ['+ usage logging', layered({ usage: true })],
  ['+ API key auth', layered({ auth: true })],
  ['+ Origin guard', layered({ guards: true })],
  ['all layers', layered({ usage: true, auth: true, guards: true })],
  ['createApp (production)', full],
  ['createApp (production), 2026-07-28 call', modern(full)],
];

const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const requestFor = (era: 'legacy' | 'modern') => {
  const params = { name: 'add', arguments: { a: 2, b: 3 }, ...(era === 'modern' ? { _meta: meta } : {}) };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': era === 'modern' ? '2026-07-28' : '2025-11-25',
    ...(era === 'modern' ? { 'mcp-method': 'tools/call', 'mcp-name': 'add' } : {}),
    authorization: `Bearer ${provisioned.key}`,
    'content-length': String(Buffer.byteLength(body)),
  };
  return { body, headers };
};
const requests = { legacy: requestFor('legacy'), modern: requestFor('modern') };

async function cpuPerRequest(app: (typeof apps)[number][1], n: number): Promise<number> {
  const { body, headers } = requests[app.modern ? 'modern' : 'legacy'];
  let i = 0;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (i++ < n) {
        const text = await (await app.fetch(new Request('http://127.0.0.1:8787/mcp', { method: 'POST', headers, body }))).text();
        if (!text.includes('"text":"5"') || (app.modern && !text.includes('"resultType":"complete"'))) throw new Error(`unexpected answer ${text}`);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const n = Number(values.requests);
for (const [, app] of apps) await cpuPerRequest(app, n); // warm-up
const samples = new Map<string, number[]>();
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, app] of apps) samples.set(name, [...(samples.get(name) ?? []), await cpuPerRequest(app, n)]);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const floor = median(samples.get('raw Hono (floor)')!);
console.log(`\ntools/call add, CPU per request in-process, median of ${values.rounds} interleaved rounds of ${n}\n`);
console.log('| layers | µs CPU/request | × raw Hono (CPU) |');
console.log('|---|---:|---:|');
for (const [name, v] of samples) console.log(`| ${name} | ${median(v).toFixed(1)} | ${(floor / median(v)).toFixed(3)} |`);
await recorder.close();
await full.close();
database.close();
rmSync(dir, { recursive: true, force: true });
