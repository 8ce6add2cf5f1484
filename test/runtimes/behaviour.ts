// One behaviour suite, run against every runtime the server ships for (see the *.test.ts files
// beside this one). Tenants and keys are made through the real services on a Node libSQL client
// to the same database the server under test uses, and what the server writes is read back there.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { createKey, revokeKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { connectClient, connectModernClient, postMcp, rpc } from '../helpers/mcp.ts';
import { getPage, signIn } from '../helpers/pages.ts';
import type { Target } from '../helpers/targets.ts';

/** A server under test and its database. */
export interface BehaviourSubject {
  target: Target;
  /** The database the server uses, opened from Node. */
  db: Database;
  /** Stops what setup started besides the target (called after the target is stopped). */
  dispose?: () => Promise<void> | void;
}

/** Runs the shared behaviour suite against the subject `setup` starts. */
export function describeBehaviour(name: string, setup: () => Promise<BehaviourSubject>): void {
  describe(name, () => {
    let subject: BehaviourSubject;
    let url: string;
    let keys: { full: string; narrow: string; narrowId: string; revoked: string; bob: string };
    const clients: Pick<Client, 'close'>[] = [];

    const connect = async (key: string) => {
      const client = await connectClient(url, { Authorization: `Bearer ${key}` });
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      subject = await setup();
      url = subject.target.url;
      const { db } = subject;
      await createTenant(db, { slug: 'alice-co', scopes: 'math,notes:*' });
      await createTenant(db, { slug: 'bob-co', scopes: 'notes:*' });
      const narrow = await createKey(db, { tenant: 'alice-co', scopes: 'math,notes:read' });
      const revoked = await createKey(db, { tenant: 'alice-co', scopes: 'math' });
      await revokeKey(db, revoked.id);
      keys = {
        full: (await createKey(db, { tenant: 'alice-co', scopes: 'math,notes:*' })).key,
        narrow: narrow.key,
        narrowId: narrow.id,
        revoked: revoked.key,
        bob: (await createKey(db, { tenant: 'bob-co', scopes: 'notes:*' })).key,
      };
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await subject?.target.stop();
      await subject?.dispose?.();
    });

    const expect401 = async (headers: Record<string, string>) => {
      const res = await postMcp(url, rpc('tools/list'), headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="tenant-mcp"/);
    };

    it('rejects a request without a key with 401', async () => {
      await expect401({});
    });

    it('rejects an unknown key with 401', async () => {
      await expect401({ Authorization: `Bearer ${keys.full.replace(/^tmcp_[a-z2-7]{12}/, 'tmcp_aaaaaaaaaaaa')}` });
    });

    it('rejects a revoked key with 401', async () => {
      await expect401({ Authorization: `Bearer ${keys.revoked}` });
    });

    it('accepts a valid key with 200', async () => {
      const res = await postMcp(url, rpc('tools/list'), { Authorization: `Bearer ${keys.full}` });
      expect(res.status).toBe(200);
    });

    it("lists only the tools the key's scopes allow", async () => {
      const client = await connect(keys.narrow);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['add', 'multiply', 'note_get', 'note_list', 'whoami']);
    });

    it('serves the official v2 client in the 2026-07-28 era: list, call, and a confirmation asked through elicitation', async () => {
      const asked: string[] = [];
      const client = await connectModernClient(url, { Authorization: `Bearer ${keys.full}` }, (message) => (asked.push(message), { action: 'accept', content: { confirm: true } }));
      clients.push(client);
      expect(client.getProtocolEra?.()).toBe('modern');
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('note_delete');
      expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([{ type: 'text', text: '5' }]);
      await client.callTool({ name: 'note_put', arguments: { key: 'modern', value: 'v' } });
      expect((await client.callTool({ name: 'note_delete', arguments: { key: 'modern' } })).structuredContent).toEqual({ key: 'modern', deleted: true });
      expect(asked).toEqual(['Delete the note "modern"? This cannot be undone.']);
    });

    it('calls a tool: add 2 and 3 is "5"', async () => {
      const client = await connect(keys.full);
      const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      expect(result.content).toEqual([{ type: 'text', text: '5' }]);
    });

    it("keeps one tenant's notes from another", async () => {
      const alice = await connect(keys.full);
      const bob = await connect(keys.bob);
      await alice.callTool({ name: 'note_put', arguments: { key: 'plan', value: 'alice only' } });
      expect((await bob.callTool({ name: 'note_get', arguments: { key: 'plan' } })).isError).toBe(true);
      expect((await bob.callTool({ name: 'note_list', arguments: {} })).structuredContent).toEqual({ notes: [], next: null });
      await bob.callTool({ name: 'note_put', arguments: { key: 'plan', value: 'bob only' } });
      expect((await alice.callTool({ name: 'note_get', arguments: { key: 'plan' } })).structuredContent).toMatchObject({ value: 'alice only' });
      expect((await bob.callTool({ name: 'note_get', arguments: { key: 'plan' } })).structuredContent).toMatchObject({ value: 'bob only' });
    });

    it('reads a body that arrives in several chunks, and refuses one over the limit with 413, declared or streamed', async () => {
      const auth = { Authorization: `Bearer ${keys.full}` };
      const call = (pad: string) => rpc('tools/call', { name: 'add', arguments: { a: 2, b: 3, pad } }, 1);
      const streamed = (body: string, chunks: number) =>
        fetch(new URL('/mcp', url), {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
          body: new ReadableStream({
            start(controller) {
              const bytes = new TextEncoder().encode(body);
              const step = Math.ceil(bytes.length / chunks);
              for (let i = 0; i < bytes.length; i += step) controller.enqueue(bytes.slice(i, i + step));
              controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit);
      const inChunks = await streamed(call('y'.repeat(100_000)), 7);
      expect(inChunks.status).toBe(200);
      expect(await inChunks.json()).toMatchObject({ id: 1, result: { content: [{ type: 'text', text: '5' }] } });
      const big = call('x'.repeat(1024 * 1024)); // over the default MAX_BODY_BYTES
      expect((await postMcp(url, big, auth)).status).toBe(413);
      expect((await streamed(big, 4)).status).toBe(413);
    });

    it('writes a usage row for a tool call to the database', async () => {
      const client = await connect(keys.narrow);
      await client.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
      // Written in the background after the answer (a Worker's waitUntil), so poll for it.
      await expect
        .poll(async () => (await listUsage(subject.db, { tenant: 'alice-co' })).items.filter((r) => r.tool === 'multiply'), { timeout: 15_000, interval: 200 })
        .toEqual([expect.objectContaining({ keyId: keys.narrowId, outcome: 'ok' })]);
    });

    it('has the usage row of a tool call committed when its answer arrives (USAGE_DURABILITY=commit, the default)', async () => {
      // Padded to a size no other call here has, which the row records: it names this call.
      const body = rpc('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, 'durable');
      const res = await postMcp(url, body + ' '.repeat(4321 - body.length), { Authorization: `Bearer ${keys.full}` });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ result: { content: [{ text: '3' }] } });
      const rows = (await listUsage(subject.db, { tenant: 'alice-co' })).items.filter((r) => r.requestBytes === 4321);
      expect(rows).toEqual([expect.objectContaining({ tool: 'add', outcome: 'ok' })]);
    });

    it('writes one usage row per call when calls arrive together', async () => {
      const calls = [1, 2, 3, 4, 5].map((id) => postMcp(url, rpc('tools/call', { name: 'whoami', arguments: {} }, id), { Authorization: `Bearer ${keys.full}` }));
      expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await expect
        .poll(async () => (await listUsage(subject.db, { tenant: 'alice-co' })).items.filter((r) => r.tool === 'whoami').map((r) => r.outcome), { timeout: 15_000, interval: 200 })
        .toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    });

    it('serves the customer page: signs in with a tenant:admin key, under a strict CSP', async () => {
      await createTenant(subject.db, { slug: 'carol-co', name: 'Carol Co', scopes: 'math,tenant:admin' });
      const admin = await createKey(subject.db, { tenant: 'carol-co', scopes: 'tenant:admin,math' });
      const session = await signIn(url, '/portal', admin.key);
      expect(session.response.status).toBe(303);
      const page = await getPage(url, '/portal', session.cookie);
      expect(page.status).toBe(200);
      expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain('Carol Co');
      expect((await getPage(url, '/portal/assets/app.css')).headers.get('Content-Type')).toContain('text/css');
    });
  });
}
