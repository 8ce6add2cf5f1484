// The mcp connector client under Deno and in workerd, against real SDK upstreams on loopback.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService } from '../helpers/proc.ts';
import { denoBin } from '../helpers/targets.ts';
import { startLegacyStatefulUpstream, startModernUpstream, type Upstream } from './mcp-upstreams.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const probe = join(root, 'test/connectors/mcp-runtime-probe.ts');

type Runtime = { url: string; stop(): Promise<unknown> };
const runtimes: Record<string, () => Promise<Runtime>> = {
  async deno() {
    const service = await spawnService({
      cmd: denoBin(),
      args: ['serve', '--allow-net', '--host', '127.0.0.1', '--port', '0', probe],
      cwd: root,
      env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: process.env.DENO_DIR },
      ready: /Listening on (http:\/\/127\.0\.0\.1:\d+)/,
    });
    return { url: service.match, stop: () => service.stop('SIGTERM') };
  },
  async workerd() {
    process.env.WRANGLER_SEND_METRICS = 'false';
    process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
    const { unstable_startWorker } = await import('wrangler');
    const worker = await unstable_startWorker({
      name: 'mcp-connector-probe',
      entrypoint: probe,
      compatibilityDate: '2026-04-01',
      compatibilityFlags: ['nodejs_compat'],
      dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, watch: false, logLevel: 'warn' },
    });
    await worker.ready;
    return { url: (await worker.url).origin, stop: () => worker.dispose() };
  },
};

describe.each(Object.keys(runtimes))('under %s', (name) => {
  let runtime: Runtime;
  const upstreams: Upstream[] = [];
  beforeAll(async () => {
    runtime = await runtimes[name]!();
    upstreams.push(await startModernUpstream(), await startLegacyStatefulUpstream());
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.stop()));
  });

  it.each([
    ['a 2026-07-28 upstream', 0, 'modern'],
    ['a legacy stateful upstream', 1, 'legacy'],
  ])('lists and calls the tools of %s', async (_kind, index, era) => {
    const upstream = upstreams[index as number]!;
    const response = await fetch(`${runtime.url}/?url=${encodeURIComponent(upstream.url)}`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      era,
      tools: era === 'modern' ? ['echo', 'fail', 'regional', 'slow'] : ['echo', 'fail', 'slow'],
      echo: { status: 200, result: { content: [{ type: 'text', text: 'echo: from afar' }], structuredContent: { said: 'from afar', length: 9 } } },
      fail: { status: 200, result: { content: [{ type: 'text', text: 'the widget is broken' }], isError: true } },
      down: { status: null, result: { isError: true, content: [{ type: 'text', text: expect.stringMatching(/^Cannot reach the upstream/) }] } },
    });
    for (const request of upstream.requests) expect(request.headers.authorization).toBe('Bearer runtime-probe-token');
  }, 30_000);
});
