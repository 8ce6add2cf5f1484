import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP proxy that adds `Authorization: Bearer <token>` to every request. */
export interface AuthProxy {
  /** e.g. http://127.0.0.1:41235 */
  url: string;
  /** Where requests go; settable after start, so the target can be told the proxy's URL first. */
  target: URL | undefined;
  close(): Promise<void>;
}

/**
 * Starts the proxy on a free loopback port. Host and Origin pass unchanged, so the server's
 * Origin check still sees what the client sent. Bodies stream both ways (SSE included), and a
 * client that goes away tears down the upstream request too.
 */
export async function startAuthProxy(token: string): Promise<AuthProxy> {
  const proxy: AuthProxy = { url: '', target: undefined, close: async () => {} };
  const server = http.createServer((req, res) => {
    const target = proxy.target;
    if (!target) {
      res.writeHead(502).end('no target');
      return;
    }
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const upstream = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${error.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
