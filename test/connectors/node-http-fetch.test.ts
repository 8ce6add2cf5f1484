import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpFetch } from '../../src/node/http-fetch.ts';
import { closedPort } from '../helpers/identity-provider.ts';

// A real loopback server: echoes what it got, streams a large body, hangs, or answers 204.
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200);
      for (let i = 0; i < 20; i++) res.write('z'.repeat(1000));
      return void res.end();
    }
    if (req.url === '/hang') return; // never answers
    if (req.url === '/empty') return void res.writeHead(204).end();
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => {
      res.writeHead(201, 'Made', { 'Content-Type': 'application/json', 'X-Seen-Key': String(req.headers['x-api-key']) });
      res.end(JSON.stringify({ method: req.method, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const fetchOverHttp = nodeHttpFetch({ maxResponseBytes: 8192 });

describe('nodeHttpFetch', () => {
  it('sends the method, headers and body, and answers status, headers and body as a Response', async () => {
    const res = await fetchOverHttp(`${base}/echo`, { method: 'POST', headers: { 'X-Api-Key': 'k1' }, body: 'hello' });
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Made');
    expect(res.headers.get('x-seen-key')).toBe('k1');
    expect(await res.json()).toEqual({ method: 'POST', body: 'hello' });
    expect((await fetchOverHttp(`${base}/empty`)).status).toBe(204);
  });

  it('refuses a body past the limit before holding all of it', async () => {
    await expect(fetchOverHttp(`${base}/big`)).rejects.toThrow('The upstream response is larger than the 8192-byte limit');
  });

  it('stops waiting when the signal aborts, and reports a refused connection', async () => {
    await expect(fetchOverHttp(`${base}/hang`, { signal: AbortSignal.timeout(200) })).rejects.toThrow(/timed out|aborted/i);
    await expect(fetchOverHttp(`http://127.0.0.1:${await closedPort()}/`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
