// Generic child-process service: spawn in its own process group, wait for a readiness line
// on stdout/stderr, stop the whole group by PID (never by name).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface Service {
  pid: number;
  /** first capture group of `ready` (e.g. the URL), or '' */
  match: string;
  startupMs: number;
  logs: () => string;
  stop: () => Promise<void>;
}

export interface SpawnOptions {
  cmd: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** regex tested on combined stdout+stderr; its first group becomes `match`.
   *  Omit it to rely on `probe` only. */
  ready?: RegExp;
  timeoutMs?: number;
  /** optional extra readiness probe run after the line appears */
  probe?: (match: string) => Promise<boolean>;
}

export async function spawnService(o: SpawnOptions): Promise<Service> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(o.cmd, o.args, {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // own process group: stop() kills wrappers *and* their children (e.g. deno's bin.cjs
    // wrapper when postinstall did not run, or node --import tsx)
    detached: true,
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const stop = async () => {
    if (exitCode !== undefined || child.pid === undefined) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch {} }, 5000);
    await exited;
    clearTimeout(t);
  };
  const match = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`timeout after ${o.timeoutMs ?? 20000} ms`)), o.timeoutMs ?? 20000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`${o.cmd} ${o.args.join(' ')}: ${e.message}\n--- output ---\n${out}`));
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = o.ready ? o.ready.exec(out) : [''];
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData); child.stderr!.off('data', onData);
        child.stdout!.on('data', (d) => (out += d)); child.stderr!.on('data', (d) => (out += d));
        resolve(m[1] ?? '');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', fail);
    void exited.then((c) => fail(new Error(`exited early with code ${c}`)));
    if (!o.ready) onData(Buffer.alloc(0));
  });
  if (o.probe) {
    const deadline = Date.now() + (o.timeoutMs ?? 20000);
    while (!(await o.probe(match).catch(() => false))) {
      if (exitCode !== undefined) throw new Error(`${o.cmd} exited with code ${exitCode}\n${out}`);
      if (Date.now() > deadline) { await stop(); throw new Error(`probe failed\n${out}`); }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { pid: child.pid!, match, startupMs: Math.round(performance.now() - t0), logs: () => out, stop };
}

/** Ask the OS for a free loopback port (tiny race window; fine for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
