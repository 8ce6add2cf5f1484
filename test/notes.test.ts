import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  database = await tempDatabase();
  server = await startServer({ DATABASE_URL: database.url });
  const connect = async (slug: string) => {
    await createTenant(database.db, { slug, scopes: 'notes:*' });
    const { key } = await createKey(database.db, { tenant: slug, scopes: 'notes:*' });
    return connectClient(server.url, { Authorization: `Bearer ${key}` });
  };
  alice = await connect('alice-co');
  bob = await connect('bob-co');
});

afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  await server?.stop();
  database?.dispose();
});

const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

describe('notes', () => {
  it('stores, reads, lists and deletes a note', async () => {
    await call(alice, 'note_put', { key: 'plan/today', value: 'ship it' });
    const got = await call(alice, 'note_get', { key: 'plan/today' });
    expect(got.structuredContent).toMatchObject({ key: 'plan/today', value: 'ship it' });
    expect(JSON.parse((got.content as { text: string }[])[0]!.text)).toMatchObject({ value: 'ship it' });
    const listed = await call(alice, 'note_list', { prefix: 'plan/' });
    expect(listed.structuredContent).toMatchObject({ notes: [{ key: 'plan/today' }], next: null });
    expect((await call(alice, 'note_delete', { key: 'plan/today' })).structuredContent).toEqual({ key: 'plan/today', deleted: true });
    expect((await call(alice, 'note_get', { key: 'plan/today' })).isError).toBe(true);
  });

  it('pages through a list', async () => {
    for (const k of ['p/1', 'p/2', 'p/3']) await call(alice, 'note_put', { key: k, value: k });
    const first = await call(alice, 'note_list', { prefix: 'p/', limit: 2 });
    expect(first.structuredContent).toMatchObject({ notes: [{ key: 'p/1' }, { key: 'p/2' }], next: 'p/2' });
    const second = await call(alice, 'note_list', { prefix: 'p/', limit: 2, after: 'p/2' });
    expect(second.structuredContent).toMatchObject({ notes: [{ key: 'p/3' }], next: null });
  });

  it('treats % and _ in a prefix literally', async () => {
    await call(alice, 'note_put', { key: 'a_b', value: '1' });
    await call(alice, 'note_put', { key: 'axb', value: '2' });
    const listed = await call(alice, 'note_list', { prefix: 'a_' });
    expect(listed.structuredContent).toMatchObject({ notes: [{ key: 'a_b' }] });
  });

  it('keeps tenants apart: no reading, listing, overwriting or deleting across tenants', async () => {
    await call(alice, 'note_put', { key: 'secret', value: 'alice only' });
    expect((await call(bob, 'note_get', { key: 'secret' })).isError).toBe(true);
    expect((await call(bob, 'note_list', {})).structuredContent).toEqual({ notes: [], next: null });
    expect((await call(bob, 'note_delete', { key: 'secret' })).structuredContent).toEqual({ key: 'secret', deleted: false });
    await call(bob, 'note_put', { key: 'secret', value: 'bob' });
    expect((await call(alice, 'note_get', { key: 'secret' })).structuredContent).toMatchObject({ value: 'alice only' });
    expect((await call(bob, 'note_get', { key: 'secret' })).structuredContent).toMatchObject({ value: 'bob' });
  });

  it('refuses oversized values and malformed keys as tool errors', async () => {
    expect((await call(alice, 'note_put', { key: 'big', value: 'x'.repeat(64 * 1024 + 1) })).isError).toBe(true);
    expect((await call(alice, 'note_put', { key: 'bad key with spaces', value: 'x' })).isError).toBe(true);
  });
});
