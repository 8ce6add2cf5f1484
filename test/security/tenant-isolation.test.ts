import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/services/keys.ts';
import { putNote } from '../../src/services/notes.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { expectNoSecretsIn } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { sseMessages } from '../helpers/sse.ts';
import { waitForUsage } from '../helpers/usage.ts';

let database: TempDatabase;
let server: RunningServer;
const tenants = ['alpha', 'beta'] as const;
type Slug = (typeof tenants)[number];
const keys = {} as Record<Slug, string>;
const secretOf = (slug: Slug) => `${slug}-private-note-value`;

beforeAll(async () => {
  database = await tempDatabase();
  for (const slug of tenants) {
    const tenant = await createTenant(database.db, { slug, scopes: 'math,notes:*' });
    keys[slug] = (await createKey(database.db, { tenant: slug, scopes: 'math,notes:*' })).key;
    await putNote(database.db, tenant.id, 'shared/key', secretOf(slug));
  }
  server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

/** One call as `slug`, always with JSON-RPC id 1; streamed (SSE) when `stream`. Returns the answer message. */
async function callAs(slug: Slug, name: string, args: Record<string, unknown>, stream: boolean) {
  const params = { name, arguments: args, ...(stream ? { _meta: { progressToken: 1 } } : {}) };
  const res = await postMcp(server.url, rpc('tools/call', params, 1), { Authorization: `Bearer ${keys[slug]}` });
  expect(res.status).toBe(200);
  if (!stream) return res.json();
  let last: unknown;
  for await (const m of sseMessages(res)) last = m;
  return last;
}

describe('two tenants calling at once with identical JSON-RPC ids', () => {
  it('each get their own answers, and nothing of the other tenant', async () => {
    const calls = Array.from({ length: 240 }, (_, i) => {
      const slug = tenants[i % 2]!;
      const stream = i % 4 >= 2;
      const [name, args] = ([['whoami', {}], ['note_get', { key: 'shared/key' }], ['note_list', {}]] as const)[i % 3]!;
      return { slug, name, promise: callAs(slug, name, args, stream) };
    });
    for (const { slug, name, promise } of calls) {
      const answer = (await promise) as { id: number; result: { structuredContent: Record<string, any>; isError?: boolean } };
      const other = slug === 'alpha' ? 'beta' : 'alpha';
      expect(answer.id).toBe(1);
      expect(answer.result.isError, name).toBeUndefined();
      const text = JSON.stringify(answer);
      expect(text).not.toContain(other);
      if (name === 'whoami') expect(answer.result.structuredContent.tenant).toBe(slug);
      if (name === 'note_get') expect(answer.result.structuredContent.value).toBe(secretOf(slug));
      if (name === 'note_list') expect(answer.result.structuredContent.notes.map((n: { key: string }) => n.key)).toEqual(['shared/key']);
    }
  });

  it("cannot reach the other tenant's notes by key, prefix or deletion", async () => {
    const deleted = (await callAs('beta', 'note_delete', { key: 'shared/key' }, false)) as { result: unknown };
    expect(JSON.stringify(deleted)).not.toContain('alpha');
    const still = (await callAs('alpha', 'note_get', { key: 'shared/key' }, false)) as { result: { structuredContent: { value: string } } };
    expect(still.result.structuredContent.value).toBe(secretOf('alpha'));
    for (const prefix of ['', '%', '_', '*', "' OR 1=1 --"]) {
      const listed = (await callAs('beta', 'note_list', { prefix }, false)) as { result: { structuredContent: { notes: unknown[] } } };
      expect(listed.result.structuredContent.notes, prefix).toEqual([]);
    }
  });

  it('logs every call under the tenant that made it', async () => {
    const rows = await waitForUsage(database.db, (rows) => rows.length >= 247);
    const count = (slug: Slug) => rows.filter((r) => r.tenant === slug).length;
    expect(count('alpha')).toBe(121);
    expect(count('beta')).toBe(126);
    const keyIdOf = (slug: Slug) => keys[slug].split('_')[1];
    expect(rows.every((r) => r.keyId === keyIdOf(r.tenant as Slug))).toBe(true);
  });

  it('never logged a key or a note', () => {
    expectNoSecretsIn(server.output(), Object.values(keys));
    for (const slug of tenants) expect(server.output()).not.toContain(secretOf(slug));
  });
});
