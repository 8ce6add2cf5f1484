import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An https server on loopback with a throwaway self-signed certificate for localhost and 127.0.0.1. */
export interface HttpsServer {
  /** e.g. https://localhost:41234 */
  url: string;
  port: number;
  /** The certificate's PEM file, for NODE_EXTRA_CA_CERTS of the process that must trust it. */
  caFile: string;
  close(): Promise<void>;
}

/** Starts an https server answering with `handler`. */
export async function startHttpsServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-tls-'));
  const keyFile = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', keyFile, '-out', caFile, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,DNS:vm,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    port,
    caFile,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
