import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { prng, type Rng } from '../helpers/prng.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A seeded fuzz of the admin API, beside the /mcp one: bad JSON, wrong types, odd path
// parameters, huge nesting and oversized bodies behind a valid admin credential. Every answer
// must be a problem+json 4xx or a documented 2xx; never a 5xx, a stack trace or a dropped connection.
// Reproduce a failure with FUZZ_SEED=<seed> npx vitest run test/security/admin-fuzz.test.ts

const CASES = 1500;
const CONCURRENCY = 8;
const SEED = Number(process.env.FUZZ_SEED ?? 0xad317f22);
const ADMIN_TOKEN = 'fuzz-admin-token-'.padEnd(48, 'x');

let database: TempDatabase;
let server: RunningServer;
let keyId: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  keyId = (await createKey(database.db, { tenant: 'acme', scopes: 'math' })).id;
  server = await startServer({ DATABASE_URL: database.url, ADMIN_TOKEN });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

const odd = ['acme', 'nobody', '', '..', '%2e%2e', '%00', 'ACME', 'a'.repeat(300), '💥', '%F0%9F%92%A5', "'%20OR%201=1", '__proto__', 'constructor', '-x', '%ZZ', '1e309'];
const routes = [
  ['GET', '/tenants'],
  ['POST', '/tenants'],
  ['GET', '/tenants/{slug}'],
  ['PATCH', '/tenants/{slug}'],
  ['POST', '/tenants/{slug}/keys'],
  ['GET', '/tenants/{slug}/keys'],
  ['POST', '/keys/{id}/revoke'],
  ['GET', '/tenants/{slug}/limits'],
  ['PATCH', '/tenants/{slug}/limits'],
  ['GET', '/tenants/{slug}/issuers'],
  ['POST', '/tenants/{slug}/issuers'],
  ['DELETE', '/issuers/{id}'],
  ['POST', '/tenants/{slug}/tokens'],
  ['GET', '/usage/events'],
  ['GET', '/usage/aggregates'],
] as const;
const fields = ['slug', 'name', 'scopes', 'status', 'expiresIn', 'rate', 'quota', 'tool', 'keyId', 'issuer', 'jwksUri', 'publicKey', 'audience', 'algorithms', 'subject', 'ttl', '__proto__', 'constructor'];
const queryNames = ['limit', 'cursor', 'status', 'tenant', 'keyId', 'tool', 'outcome', 'since', 'until', 'groupBy'];

function value(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53 + 1, 1e308, r.int(1e6)]);
    case 3:
      return r.pick(['math', 'notes:*', '*', 'active', 'suspended', '5/min', '10/month', 'none', '30d', 'add', 'https://idp.test', keyId]);
    case 4:
      return r.pick(odd);
    case 5:
      return 'x'.repeat(r.int(500));
    case 6:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(fields), value(r, depth + 1)]));
  }
}

function body(r: Rng): string | undefined {
  switch (r.int(8)) {
    case 0:
      return undefined;
    case 1: // deeply nested
      return `${'['.repeat(5000 + r.int(5000))}${']'.repeat(r.int(2) ? 10_000 : 3)}`;
    case 2: // truncated or mangled JSON
      return JSON.stringify(value(r)).slice(0, r.int(40)) + r.pick(['', '}', '"', '\\', '\u0000']);
    case 3: // over the 64 KiB limit
      return JSON.stringify({ name: 'x'.repeat(70_000 + r.int(100_000)) });
    default:
      return JSON.stringify(Object.fromEntries(Array.from({ length: r.int(6) }, () => [r.pick(fields), value(r)])));
  }
}

function request(r: Rng): { method: string; path: string; body?: string; contentType: string } {
  const [method, template] = r.pick(routes);
  const path = template.replace('{slug}', () => r.pick(odd)).replace('{id}', () => (r.chance(0.3) ? keyId : r.pick(odd)));
  const query = r.chance(0.5) ? `?${Array.from({ length: r.int(4) }, () => `${r.pick(queryNames)}=${encodeURIComponent(String(value(r)))}`).join('&')}` : '';
  const contentType = r.chance(0.9) ? 'application/json' : r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '']);
  return { method: r.chance(0.9) ? method : r.pick(['PUT', 'OPTIONS', 'DELETE', 'PATCH']), path: `/admin${path}${query}`, body: method === 'GET' ? undefined : body(r), contentType };
}

describe(`a fuzz of ${CASES} malformed admin API requests (seed ${SEED})`, () => {
  const failures: string[] = [];
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    const r = prng(SEED);
    const cases = Array.from({ length: CASES }, (_, i) => ({ i, ...request(r) }));
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          let status = 0;
          let text = '';
          try {
            const res = await fetch(new URL(c.path, server.url), {
              method: c.method,
              headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(c.contentType ? { 'Content-Type': c.contentType } : {}) },
              body: c.body,
            });
            status = res.status;
            text = await res.text();
            if (status >= 400 && !res.headers.get('Content-Type')?.startsWith('application/problem+json')) failures.push(`case ${c.i}: ${status} without a problem: ${c.method} ${c.path}`);
          } catch (error) {
            text = String(error);
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status < 200 || status >= 500) failures.push(`case ${c.i}: status ${status} ${text.slice(0, 200)} <- ${c.method} ${c.path.slice(0, 120)} ${String(c.body).slice(0, 120)}`);
          if (/\bat .+\.(ts|js):\d+/.test(text)) failures.push(`case ${c.i}: a stack trace`);
        }
      }),
    );
  }, 180_000);

  it('answers every case with a 2xx or a 4xx problem, never a 5xx or a dropped connection', () => {
    expect(failures.slice(0, 10), `seed ${SEED}, ${failures.length} failures`).toEqual([]);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(404)).toBeGreaterThan(0);
    expect(statuses.get(413)).toBeGreaterThan(0);
  });

  it('is still up afterwards and logged no unhandled error', async () => {
    expect((await fetch(new URL('/admin/tenants', server.url), { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    expect(server.output()).not.toMatch(/Unhandled error/);
  });
});
