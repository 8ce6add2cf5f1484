// The runtimes one behaviour suite (test/runtimes/behaviour.ts) runs against. Each starts the real
// entry file on a free loopback port with the given settings and answers over real HTTP.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnService } from './proc.ts';
import { startServer } from './server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** A running server under test. */
export interface Target {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** What it printed so far, where that can be captured. */
  output(): string;
  /** Stops it (SIGTERM for processes) and resolves with its exit code where there is one. */
  stop(): Promise<number | null | void>;
}

/** Settings handed to the entry: its environment, or a Worker's vars and secrets. */
export type Settings = Record<string, string>;

/** src/entry/node.ts under Node, built as `npm start` runs it. */
export async function nodeTarget(settings: Settings): Promise<Target> {
  return startServer(settings);
}

/** The real deno executable from the `deno` npm package's platform package, not its bin.cjs wrapper (which outlives a kill). */
export function denoBin(): string {
  const platformPackage: Record<string, string> = {
    'linux-x64': '@deno/linux-x64-glibc',
    'linux-arm64': '@deno/linux-arm64-glibc',
    'darwin-x64': '@deno/darwin-x64',
    'darwin-arm64': '@deno/darwin-arm64',
  };
  const name = platformPackage[`${process.platform}-${process.arch}`];
  if (name) {
    try {
      return join(dirname(require.resolve(`${name}/package.json`)), 'deno');
    } catch {
      // not installed: fall through
    }
  }
  const linked = join(root, 'node_modules/deno/deno'); // made by the deno package's postinstall, when scripts ran
  if (existsSync(linked)) return linked;
  throw new Error('Cannot find the deno executable: run "npm ci" (deno is a devDependency)');
}

/** src/entry/deno.ts under `deno serve`, with the permissions deno.json's tasks give it. */
export async function denoTarget(settings: Settings, options: { port?: number } = {}): Promise<Target> {
  const service = await spawnService({
    cmd: denoBin(),
    args: ['serve', '--allow-net', '--allow-env', '--host', '127.0.0.1', '--port', String(options.port ?? 0), 'src/entry/deno.ts'],
    cwd: root,
    env: { ...settings, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: process.env.DENO_DIR },
    ready: /Listening on (http:\/\/127\.0\.0\.1:\d+)/,
  });
  return { url: service.match, output: service.output, stop: () => service.stop('SIGTERM') };
}

/**
 * The Worker in workerd, bundled from wrangler.jsonc by wrangler's own dev server, in this process.
 * Every setting is bound as a plain-text var, except those named in `secrets` (secret_text).
 */
export async function workerTarget(settings: Settings, options: { secrets?: string[]; port?: number } = {}): Promise<Target> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'; // offline: no Request.cf download
  const { unstable_startWorker } = await import('wrangler');
  const persist = mkdtempSync(join(tmpdir(), 'tenant-mcp-wrangler-'));
  const bindings = Object.fromEntries(
    Object.entries(settings).map(([name, value]) => [
      name,
      options.secrets?.includes(name) ? { type: 'secret_text' as const, value } : { type: 'plain_text' as const, value },
    ]),
  );
  const worker = await unstable_startWorker({
    config: join(root, 'wrangler.jsonc'),
    bindings,
    dev: { server: { hostname: '127.0.0.1', port: options.port ?? 0 }, inspector: false, persist, watch: false, logLevel: 'warn' },
  });
  try {
    await worker.ready;
    const url = (await worker.url).origin;
    return {
      url,
      output: () => '',
      async stop() {
        await worker.dispose();
        rmSync(persist, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await worker.dispose();
    rmSync(persist, { recursive: true, force: true });
    throw error;
  }
}
