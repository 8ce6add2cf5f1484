import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Service, freePort, spawnService } from './proc.ts';
import { sqldBin } from './sqld.ts';

/** A libSQL server that can be stopped and started again on the same port and data, to simulate an outage. */
export interface RestartableSqld {
  url: string;
  /** Starts the server (again) on the same port and database. */
  start(): Promise<void>;
  /** Stops the server; its data stays. */
  stop(): Promise<void>;
  /** Stops the server and deletes its data. */
  dispose(): Promise<void>;
}

/** Starts sqld on a free loopback port with a temporary database (startSqld from sqld.ts cannot restart). */
export async function startRestartableSqld(): Promise<RestartableSqld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqld-outage-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let running: Service | undefined;
  const start = async () => {
    running = await spawnService({
      cmd: sqldBin(),
      args: ['--db-path', path.join(dir, 'data.sqld'), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'],
      env: { RUST_LOG: 'warn' },
      probe: async () => (await fetch(`${url}/health`)).ok,
      timeoutMs: 15_000,
    });
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  await start();
  return {
    url,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
