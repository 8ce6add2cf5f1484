import net from 'node:net';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// Issue #15, section 4: a body over the limit is answered 413 with `Connection: close`, after the
// rest of it has been drained, so that a client still sending reads the answer, not a reset.

const ADMIN_TOKEN = 'a'.repeat(40);
let database: TempDatabase;
let server: RunningServer;
let key: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math' });
  key = (await createKey(database.db, { tenant: 'acme', scopes: 'math' })).key;
  server = await startServer({ DATABASE_URL: database.url, ADMIN_TOKEN, MAX_BODY_BYTES: '65536' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

/** Sends a POST with a body of `size` bytes in 64 KiB writes, as a client that does not wait for an answer; resolves with what it read. */
function sendLargeBody(path: string, size: number, headers: string): Promise<{ head: string; reset: boolean }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let reset = false;
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', (error) => (reset = (error as NodeJS.ErrnoException).code === 'ECONNRESET' || reset));
    socket.on('close', () => resolve({ head: received.split('\r\n\r\n')[0] ?? '', reset }));
    socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${headers}Content-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size && !socket.destroyed) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!socket.write(chunk.subarray(0, n))) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

const targets = [
  { name: '/admin', path: '/admin/tenants', headers: () => `Authorization: Bearer ${ADMIN_TOKEN}\r\n` },
  { name: '/console', path: '/console/tenants', headers: () => `Authorization: Bearer ${ADMIN_TOKEN}\r\n` },
  { name: '/portal', path: '/portal/login', headers: () => '' },
  { name: '/token (OAuth)', path: '/token', headers: () => '' },
  { name: '/mcp', path: '/mcp', headers: () => `Authorization: Bearer ${key}\r\nAccept: application/json, text/event-stream\r\n` },
];

describe('bodies over the limit', () => {
  for (const target of targets) {
    it(`answers a 5 MiB POST ${target.name} with a 413 the client reads, then closes the connection`, async () => {
      for (let run = 0; run < 4; run++) {
        const { head, reset } = await sendLargeBody(target.path, 5 * 1024 * 1024, target.headers());
        expect(head).toMatch(/^HTTP\/1\.1 413 /);
        expect(head.toLowerCase()).toContain('connection: close');
        expect(reset).toBe(false);
      }
    });
  }

  it('lets the next admin request succeed on a fresh connection (keep-alive agent, one connection)', async () => {
    // The repro used undici with one connection; node:http's keep-alive agent with one socket is the same shape.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const call = (method: string, body?: string) =>
      new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
        const req = http.request(new URL('/admin/tenants', server.url), { method, agent, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const big = await call('POST', JSON.stringify({ slug: 'big', scopes: ['math'], name: 'x'.repeat(2 * 1024 * 1024) }));
      expect(big.status).toBe(413);
      expect(big.connection).toBe('close');
      expect(JSON.parse(big.text)).toMatchObject({ type: 'urn:tenant-mcp:problem:too-large' });
      const next = await call('GET');
      expect(next.status).toBe(200);
      expect(JSON.parse(next.text).items.map((t: { slug: string }) => t.slug)).not.toContain('big');
    } finally {
      agent.destroy();
    }
  });

  it('still accepts an admin body just under the limit', async () => {
    const res = await fetch(new URL('/admin/tenants', server.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ slug: 'fits', scopes: ['math'], name: 'n'.repeat(150) }),
    });
    expect(res.status).toBe(201);
  });
});
