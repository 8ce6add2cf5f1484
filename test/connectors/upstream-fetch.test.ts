import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamFetch } from '../../src/connectors/upstream-fetch.ts';

// A real loopback upstream whose routes redirect, answer large bodies, or echo what they got.
let server: Server;
let base: string;
let otherBase: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/same') return void res.writeHead(302, { Location: '/echo' }).end();
    if (req.url === '/loop') return void res.writeHead(307, { Location: '/loop' }).end();
    if (req.url === '/elsewhere') return void res.writeHead(302, { Location: `${otherBase}/echo` }).end();
    if (req.url === '/big-declared') return void res.writeHead(200, { 'Content-Length': '5000' }).end('x'.repeat(5000));
    if (req.url === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write('y'.repeat(600));
      return void res.end();
    }
    if (req.url === '/empty') return void res.writeHead(204).end();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  // The same server under another host name: a different origin for redirect checks.
  otherBase = `http://localhost:${port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const loopback = upstreamFetch({ allowedPrivateHosts: ['127.0.0.1', 'localhost'], maxResponseBytes: 4096 });

describe('upstreamFetch', () => {
  it('refuses http to a host that is not an allowed private host', async () => {
    const strict = upstreamFetch({ allowedPrivateHosts: [], maxResponseBytes: 4096 });
    await expect(strict(`${base}/echo`)).rejects.toThrow(/must use https/);
    await expect(strict('https://127.0.0.1/echo')).rejects.toThrow(/private or loopback address/);
    await expect(strict('https://10.1.2.3/x')).rejects.toThrow(/CONNECTOR_ALLOWED_PRIVATE_HOSTS/);
    await expect(strict('https://intranet/x')).rejects.toThrow(/private or loopback name/);
  });

  it('refuses a host name that resolves to a private address', async () => {
    const strict = upstreamFetch({ allowedPrivateHosts: [], maxResponseBytes: 4096, resolveHost: async () => ['192.168.1.9'] });
    await expect(strict('https://api.example.com/x')).rejects.toThrow(/resolves to a private or loopback address/);
  });

  it('resolves a host once for many calls, not on every call', async () => {
    let lookups = 0;
    const resolveHost = async () => (lookups++, ['93.184.216.34']);
    // The network itself is not under test here: the checks before it are.
    const answering = upstreamFetch({ allowedPrivateHosts: [], maxResponseBytes: 4096, resolveHost, fetch: async () => new Response('ok') });
    for (let i = 0; i < 3; i++) expect(await (await answering('https://api.example.com/v1/pets')).text()).toBe('ok');
    expect(lookups).toBe(1);
    await expect(answering('https://user:pw@api.example.com/v1/pets')).rejects.toThrow(/must not carry credentials/);
  });

  it('refuses credentials in the URL without echoing them', async () => {
    const error = await loopback(`http://user:s3cret@127.0.0.1:1/x`).catch((e: Error) => e);
    expect(String(error)).toMatch(/must not carry credentials/);
    expect(String(error)).not.toContain('s3cret');
  });

  it('follows a redirect on the same origin', async () => {
    const response = await loopback(`${base}/same`);
    expect(await response.json()).toEqual({ method: 'GET', url: '/echo' });
  });

  it('refuses a redirect to another host', async () => {
    await expect(loopback(`${base}/elsewhere`)).rejects.toThrow(/redirected to another host \(localhost:\d+\)/);
  });

  it('stops a redirect loop', async () => {
    await expect(loopback(`${base}/loop`)).rejects.toThrow(/redirected more than 3 times/);
  });

  it('fails to read a body larger than the limit, declared or streamed', async () => {
    await expect((await loopback(`${base}/big-declared`)).text()).rejects.toThrow(/larger than the 4096-byte limit/);
    await expect((await loopback(`${base}/big-chunked`)).text()).rejects.toThrow(/larger than the 4096-byte limit/);
  });

  it('passes a body within the limit and a bodiless answer through', async () => {
    const response = await loopback(`${base}/echo`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ method: 'POST', url: '/echo' });
    expect((await loopback(`${base}/empty`)).status).toBe(204);
  });
});
