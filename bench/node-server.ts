// The production Node server as `npm start` runs it: the bundle `npm run build` makes of
// src/entry/node.ts. A checkout from before the build step existed runs its sources through tsx.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const built = new Set<string>();

/** Node's arguments for the checkout's production server, building it first (once per checkout and process). */
export function nodeServerArgs(checkout: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts.build) return ['--import', 'tsx', 'src/entry/node.ts'];
  if (!built.has(checkout)) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: checkout, stdio: 'inherit' });
    built.add(checkout);
  }
  return ['--enable-source-maps', 'dist/entry/node.js'];
}

/** A production server started by {@link startNodeServer}. */
export interface RunningNodeServer {
  /** `http://127.0.0.1:PORT`, as the server printed it. */
  baseUrl: string;
  pid: number;
  /** SIGTERM, then waits for the exit (the server writes its buffered usage first). */
  stop(): Promise<void>;
}

/**
 * Starts the checkout's production server on a free port of 127.0.0.1, on CPU 0 when `pin` (as
 * `npm run bench` runs servers; the caller keeps the other core for the load), with `env` over a
 * minimal environment and `nodeArgs` before the entry (e.g. `--cpu-prof`).
 */
export async function startNodeServer(
  checkout: string,
  options: { databaseUrl: string; env?: Record<string, string>; nodeArgs?: string[]; pin?: boolean },
): Promise<RunningNodeServer> {
  const argv = [process.execPath, ...(options.nodeArgs ?? []), ...nodeServerArgs(checkout)];
  const child = spawn(options.pin ? 'taskset' : argv[0]!, options.pin ? ['-c', '0', ...argv] : argv.slice(1), {
    cwd: checkout,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: options.databaseUrl, NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`The server exited before listening: ${out}`)));
  });
  return {
    baseUrl,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
