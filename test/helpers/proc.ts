import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** A child process started by {@link spawnService}, in its own process group. */
export interface Service {
  pid: number;
  /** The first capture group of `ready` (e.g. the URL it listens on), or ''. */
  match: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once it has exited (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` to its whole process group, SIGKILL after 5 s; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How to start a {@link Service} and tell that it is ready. */
export interface SpawnOptions {
  cmd: string;
  args: string[];
  /** Added to a minimal environment (PATH, HOME); the parent's environment is not inherited. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Tested on stdout and stderr together; its first group becomes `match`. */
  ready?: RegExp;
  /** Polled after `ready` matched (or at once without `ready`) until it resolves true. */
  probe?: (match: string) => Promise<boolean>;
  timeoutMs?: number;
}

/**
 * Spawns a long-running process and waits until it is ready. It runs in its own process group so
 * that stop() also ends what a wrapper started, and it is stopped by its PID, never by name.
 */
export async function spawnService(options: SpawnOptions): Promise<Service> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child: ChildProcess = spawn(options.cmd, options.args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (exitCode !== undefined || child.pid === undefined) return exitCode ?? null;
    try {
      process.kill(-child.pid, signal);
    } catch {
      return exited;
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };
  const service = { pid: child.pid!, match: '', output: () => output, exited, stop };

  const deadline = Date.now() + timeoutMs;
  const failed = (why: string) => new Error(`${options.cmd} ${options.args.join(' ')}: ${why}\n--- output ---\n${output}`);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(failed(e.message))));
  spawnError.catch(() => {});
  for (;;) {
    if (exitCode !== undefined) throw failed(`exited early with code ${exitCode}`);
    const m = options.ready ? options.ready.exec(output) : [''];
    if (m) {
      service.match = m[1] ?? '';
      if (!options.probe || (await options.probe(service.match).catch(() => false))) return service;
    }
    if (Date.now() > deadline) {
      await stop();
      throw failed(`not ready after ${timeoutMs} ms`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 25)), spawnError]);
  }
}

/** Asks the OS for a free loopback port (a tiny race window; fine for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
