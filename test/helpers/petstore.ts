// The shipped Petstore example (examples/petstore) as a real upstream on a free loopback port.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createPetstoreApp, type Pet } from '../../examples/petstore/app.ts';

/** A running upstream. */
export interface LoopbackUpstream {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** Serves a fetch handler with @hono/node-server on 127.0.0.1, on a free port. */
export async function serveOnLoopback(fetch: (request: Request) => Response | Promise<Response>): Promise<LoopbackUpstream> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Petstore example with fresh in-memory data. */
export async function startPetstore(options: { pets?: readonly Pet[] } = {}): Promise<LoopbackUpstream> {
  return serveOnLoopback(createPetstoreApp(options).fetch);
}
