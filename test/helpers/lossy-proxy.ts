import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy that can lose the upstream's answers after the upstream has acted on a request. */
export interface LossyProxy {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** While true, every connection is cut as soon as the upstream starts to answer. */
  loseAnswers: boolean;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (host:port) on a free loopback port. */
export function startLossyProxy(target: { host: string; port: number }): Promise<LossyProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      if (proxy.loseAnswers) {
        client.destroy();
        upstream.destroy();
      } else {
        client.write(chunk);
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const proxy: LossyProxy = {
    url: '',
    loseAnswers: false,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      resolve(proxy);
    });
  });
}
