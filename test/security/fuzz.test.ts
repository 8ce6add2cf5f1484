import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { prng, type Rng } from '../helpers/prng.ts';
import { expectNoSecretsIn } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A bounded, reproducible fuzz: CASES generated requests from a seeded PRNG, half with malformed
// credentials, half with malformed JSON-RPC messages behind a valid key. Every answer must be a
// 4xx, or a well-formed JSON-RPC answer; never a 5xx, never a dropped connection.
// Reproduce a failure with FUZZ_SEED=<seed printed in the failure> npx vitest run test/security/fuzz.test.ts

const CASES = 3000;
const CONCURRENCY = 16;
const SEED = Number(process.env.FUZZ_SEED ?? 0x7e57c0de);

let database: TempDatabase;
let server: RunningServer;
let key: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math,notes:*' });
  key = (await createKey(database.db, { tenant: 'acme', scopes: 'math,notes:*' })).key;
  server = await startServer({ DATABASE_URL: database.url, MAX_BODY_BYTES: '65536', USAGE_FLUSH_INTERVAL_MS: '200' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});


// Header values must be ByteStrings for fetch: printable ASCII, tab and Latin-1 only.
const headerChars = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\tÿþéÀ\u0080\u00a0';
const headerString = (r: Rng, max: number) => Array.from({ length: r.int(max) }, () => r.pick(headerChars)).join('');

function mutateKey(r: Rng, valid: string): string {
  const chars = [...valid];
  switch (r.int(9)) {
    case 0: // flip one character
      chars[r.int(chars.length)] = r.pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-');
      return chars.join('');
    case 1:
      return valid.slice(0, r.int(valid.length));
    case 2:
      return valid + headerString(r, 20);
    case 3:
      return valid.replace(/^tmcp_/, r.pick(['TMCP_', 'tmcp-', 'tmcp__', '', 'sk_', 'tmcp_tmcp_']));
    case 4: // a well-formed key that does not exist
      return `tmcp_${Array.from({ length: 12 }, () => r.pick('abcdefghijklmnopqrstuvwxyz234567')).join('')}_${Array.from({ length: 43 }, () => r.pick('ABCabc019_-')).join('')}`;
    case 5: // the real id with another secret
      return valid.slice(0, 18) + Array.from({ length: 43 }, () => r.pick('ABCabc019_-')).join('');
    case 6:
      return headerString(r, 200);
    case 7:
      return 'x'.repeat(r.int(8000));
    default: // lookalikes: Latin-1 letters in place of ASCII
      return valid.replace(/[ae]/g, () => r.pick(['à', 'é', 'a', 'e']));
  }
}

function credentialHeaders(r: Rng): Record<string, string> {
  const bad = mutateKey(r, key);
  switch (r.int(6)) {
    case 0:
      return { Authorization: `Bearer ${bad}` };
    case 1:
      return { 'X-API-Key': bad };
    case 2:
      return { Authorization: `${r.pick(['Basic', 'Token', 'bearer', 'BEARER', 'Bearer:', 'Bearer\t', ''])} ${bad}` };
    case 3:
      return { Authorization: `Bearer ${bad}, Bearer ${key}` };
    case 4:
      return { Authorization: headerString(r, 100) };
    default:
      return { Authorization: `Bearer ${bad}`, 'X-API-Key': key }; // Authorization wins: a bad one is not rescued by a good X-API-Key
  }
}

const methods = ['initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/read', 'prompts/list', 'prompts/get', 'logging/setLevel', 'completion/complete', 'notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'sampling/createMessage', 'elicitation/create', 'tasks/get', '', 'rpc.discover', '__proto__', 'constructor', 'tools/call/../list', 'x'.repeat(300), 'tööls/list'];
const toolNames = ['add', 'multiply', 'whoami', 'note_put', 'note_get', 'note_list', 'note_delete', 'github_readme', 'test_slow', 'ADD', 'add ', '', '__proto__', 'x'.repeat(200)];
const nasty = ["' OR 1=1 --", '../../etc/passwd', '%00', '\u0000', '\ud800', '💥', '<script>alert(1)</script>', '${jndi:ldap://x}', 'a'.repeat(5_000), '-1e309', 'null', '{}'];

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 4 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE, r.int(1e9)]);
    case 3:
      return r.pick(nasty);
    case 4:
      return headerString(r, 30);
    case 5:
      return r.pick(['2.0', 'tmcp_', key.slice(0, 18), '']);
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) o[r.pick(['a', 'b', 'key', 'value', 'name', 'arguments', '_meta', '__proto__', 'constructor', 'prefix', 'limit', 'after', headerString(r, 8)])] = randomValue(r, depth + 1);
      return o;
    }
  }
}

function randomParams(r: Rng, method: string): unknown {
  if (method === 'tools/call' && r.chance(0.8)) {
    const name = r.pick(toolNames);
    const args = r.chance(0.3)
      ? randomValue(r)
      : { a: randomValue(r), b: randomValue(r), key: r.pick([...nasty.slice(0, 9), 'k', randomValue(r)]), value: randomValue(r), prefix: randomValue(r), limit: randomValue(r), ms: 1 };
    const meta = r.chance(0.15) ? { _meta: { progressToken: r.pick(['t', 1, randomValue(r)]) } } : {};
    return { name, arguments: args, ...meta };
  }
  if (method === 'initialize' && r.chance(0.5)) return { protocolVersion: r.pick(['2025-11-25', '2024-11-05', '1.0', randomValue(r)]), capabilities: randomValue(r), clientInfo: randomValue(r) };
  if (method === 'notifications/cancelled') return { requestId: randomValue(r), reason: randomValue(r) };
  return randomValue(r);
}

function randomMessage(r: Rng): string | Uint8Array {
  const method = r.pick(methods);
  const message: Record<string, unknown> = {};
  if (r.chance(0.95)) message.jsonrpc = r.chance(0.9) ? '2.0' : randomValue(r);
  if (r.chance(0.8)) message.id = r.chance(0.7) ? r.int(1000) : randomValue(r);
  if (r.chance(0.95)) message.method = r.chance(0.95) ? method : randomValue(r);
  if (r.chance(0.8)) message.params = randomParams(r, method);
  if (r.chance(0.05)) Object.assign(message, { result: randomValue(r), error: randomValue(r) });
  let text = JSON.stringify(message);
  switch (r.int(12)) {
    case 0: // truncated
      return text.slice(0, r.int(text.length));
    case 1: // a stray character
      return `${text.slice(0, r.int(text.length))}${r.pick(['}', ']', ',', '"', '\\', ':', '\u0000', '💥'])}${text.slice(r.int(text.length))}`;
    case 2: // invalid UTF-8
      return Buffer.concat([Buffer.from(text.slice(0, r.int(text.length))), Buffer.from([r.pick([0xff, 0xc3, 0xed, 0x80, 0xf8])]), Buffer.from(text.slice(r.int(text.length)))]);
    case 3:
      return `[${text}]`;
    case 4:
      return r.pick(['', 'null', '1', '"x"', 'true', '{}', '[]', '{"jsonrpc":"2.0"}', ' '.repeat(100)]);
    case 5: // a duplicated key, e.g. a second id
      return text.replace(/^\{/, `{"id":${JSON.stringify(randomValue(r))},`);
    default:
      return text;
  }
}

function randomHeaders(r: Rng): Record<string, string> {
  const headers: Record<string, string> = { Authorization: `Bearer ${key}` };
  headers['Content-Type'] = r.chance(0.9) ? 'application/json' : r.pick(['text/plain', 'application/json; charset=latin1', '', 'multipart/form-data']);
  headers.Accept = r.chance(0.85) ? 'application/json, text/event-stream' : r.pick(['application/json', 'text/event-stream', 'text/html', '*/*', '']);
  if (r.chance(0.2)) headers['MCP-Protocol-Version'] = r.pick(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', 'bad', headerString(r, 20)]);
  return headers;
}

/** True when a mangled credential is still the key as HTTP delivers it (e.g. "bearer" in lower case, or padded with spaces). */
function stillTheKey(headers: Record<string, string>): boolean {
  const trim = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, ''); // HTTP strips leading and trailing whitespace from values
  if (headers.Authorization !== undefined) return /^bearer +(\S+) *$/i.exec(trim(headers.Authorization))?.[1] === key;
  return trim(headers['X-API-Key'] ?? '') === key;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** The JSON-RPC messages of an SSE body (data lines). */
function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .map((event) => event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
    .filter(Boolean)
    .map((data) => JSON.parse(data));
}

/** Returns what is wrong with an answer, or undefined when it is acceptable. */
function problemWith(a: Answer): string | undefined {
  if (a.status >= 500 || a.status < 200) return `status ${a.status}`;
  if (/\bat .+\.(ts|js):\d+/.test(a.text)) return 'a stack trace';
  if (a.status === 202) return a.text === '' ? undefined : 'a 202 with a body';
  let messages: unknown[];
  try {
    messages = a.contentType.startsWith('text/event-stream') ? sseData(a.text) : [JSON.parse(a.text)];
  } catch {
    return 'a body that is not JSON';
  }
  const last = messages.at(-1) as Record<string, any> | undefined;
  if (!last || typeof last !== 'object') return 'no message';
  if (a.status >= 400 && typeof last.error === 'string') return undefined; // OAuth-style refusal (401)
  if (last.jsonrpc !== '2.0' || !('id' in last)) return 'not a JSON-RPC message';
  if ('error' in last) {
    if (!Number.isInteger(last.error?.code) || typeof last.error?.message !== 'string') return 'a malformed JSON-RPC error';
    if (last.error.code === -32603) return 'an internal error';
    return undefined;
  }
  if (a.status >= 400) return 'a 4xx without an error';
  return 'result' in last ? undefined : 'a JSON-RPC answer without result or error';
}

async function send(body: string | Uint8Array, headers: Record<string, string>): Promise<Answer> {
  try {
    const res = await fetch(new URL('/mcp', server.url), { method: 'POST', headers, body: body as BodyInit });
    return { status: res.status, contentType: res.headers.get('Content-Type') ?? '', text: await res.text() };
  } catch (error) {
    return { status: 0, contentType: '', text: String(error) };
  }
}

describe(`a fuzz of ${CASES} malformed credentials and JSON-RPC messages (seed ${SEED})`, () => {
  const failures: string[] = [];
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    const r = prng(SEED);
    // Generate every case up front so that the sequence does not depend on timing.
    const cases = Array.from({ length: CASES }, (_, i) => {
      const credential = r.chance(0.5);
      return { i, credential, headers: credential ? { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...credentialHeaders(r) } : randomHeaders(r), body: credential ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: r.pick(['ping', 'tools/list', 'tools/call']), params: { name: 'add', arguments: { a: 1, b: 2 } } }) : randomMessage(r) };
    });
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const answer = await send(c.body, c.headers);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const problem = problemWith(answer);
          if (c.credential && answer.status !== 401 && !stillTheKey(c.headers)) {
            failures.push(`case ${c.i}: a mangled credential was accepted (${answer.status}): ${JSON.stringify(c.headers)}`);
          }
          if (problem) failures.push(`case ${c.i}: ${problem}: ${answer.status} ${answer.text.slice(0, 200)} <- ${String(typeof c.body === 'string' ? c.body : Buffer.from(c.body).toString('latin1')).slice(0, 200)}`);
        }
      }),
    );
  }, 120_000);

  it('answers every case with a 4xx or a well-formed JSON-RPC answer, never a 5xx', () => {
    expect(failures.slice(0, 10), `seed ${SEED}, ${failures.length} failures`).toEqual([]);
    expect([...statuses.keys()].every((s) => s >= 200 && s < 500)).toBe(true);
    expect(statuses.get(401)).toBeGreaterThan(CASES / 4); // the credential half was really refused
    expect(statuses.get(400)).toBeGreaterThan(0);
  });

  it('is still up afterwards, logged no unhandled error, and never logged the key', async () => {
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    expect(server.output()).not.toMatch(/Unhandled error|Tool \S+ failed/);
    expectNoSecretsIn(server.output(), [key]);
  });
});
