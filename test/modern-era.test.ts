import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/services/keys.ts';
import { getNote, putNote } from '../src/services/notes.ts';
import { createTenant } from '../src/services/tenants.ts';
import { listUsage } from '../src/services/usage.ts';
import { type TempDatabase, tempDatabase } from './helpers/database.ts';
import { connectClient, connectModernClient, type ModernClient, modernRequest, postMcp, rpc } from './helpers/mcp.ts';
import { type RunningServer, startServer } from './helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let alice: { key: string; tenantId: string };
let aliceNarrow: string;
let aliceOther: string;
let remoteKey: { key: string; id: string };
let bob: string;
const clients: { close(): Promise<void> }[] = [];
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  database = await tempDatabase();
  const tenant = await createTenant(database.db, { slug: 'alice-co', scopes: 'math,notes:*' });
  await createTenant(database.db, { slug: 'bob-co', scopes: 'notes:*' });
  alice = { key: (await createKey(database.db, { tenant: 'alice-co', scopes: 'math,notes:*' })).key, tenantId: tenant.id };
  aliceNarrow = (await createKey(database.db, { tenant: 'alice-co', scopes: 'math,notes:read' })).key;
  aliceOther = (await createKey(database.db, { tenant: 'alice-co', scopes: 'notes:*' })).key;
  remoteKey = await createKey(database.db, { tenant: 'alice-co', scopes: 'math,notes:*' });
  bob = (await createKey(database.db, { tenant: 'bob-co', scopes: 'notes:*' })).key;
  server = await startServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  database?.dispose();
});

async function modern(key: string, answer?: Parameters<typeof connectModernClient>[2]): Promise<ModernClient> {
  const client = await connectModernClient(server.url, bearer(key), answer);
  clients.push(client);
  return client;
}

/** Posts a raw modern request and returns the HTTP status and the JSON-RPC body. */
async function send(key: string, method: string, params: Record<string, unknown> = {}, options: Parameters<typeof modernRequest>[2] = {}, extraHeaders: Record<string, string> = {}) {
  const { body, headers } = modernRequest(method, params, options);
  const res = await postMcp(server.url, body, { ...bearer(key), ...headers, ...extraHeaders });
  return { status: res.status, body: (await res.json()) as { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } } };
}

const elicitation = { elicitation: { form: {} } };

/** Asks to delete a note and returns the input_required result's state, as a client would keep it. */
async function deletionState(key: string, note: string): Promise<string> {
  const { body } = await send(key, 'tools/call', { name: 'note_delete', arguments: { key: note } }, { capabilities: elicitation });
  expect(body.result).toMatchObject({ resultType: 'input_required', inputRequests: { confirm_delete: { method: 'elicitation/create' } } });
  return body.result!.requestState as string;
}

const accepted = { confirm_delete: { action: 'accept', content: { confirm: true } } };

describe('the 2026-07-28 era with the official v2 client', () => {
  it('lists only the tools the key allows and calls one, without initialize', async () => {
    const client = await modern(aliceNarrow);
    expect(client.getProtocolEra?.()).toBe('modern');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['add', 'multiply', 'note_get', 'note_list', 'whoami']);
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(result.content).toEqual([{ type: 'text', text: '5' }]);
  });

  it('asks the user to confirm note_delete and deletes only after they accept', async () => {
    await putNote(database.db, alice.tenantId, 'keep', 'k');
    await putNote(database.db, alice.tenantId, 'drop', 'd');
    const asked: string[] = [];
    const declining = await modern(alice.key, (message) => (asked.push(message), { action: 'decline' }));
    const declined = await declining.callTool({ name: 'note_delete', arguments: { key: 'keep' } });
    expect(declined.isError).toBe(true);
    expect(await getNote(database.db, alice.tenantId, 'keep')).not.toBeNull();

    const accepting = await modern(alice.key, (message) => (asked.push(message), { action: 'accept', content: { confirm: true } }));
    const done = await accepting.callTool({ name: 'note_delete', arguments: { key: 'drop' } });
    expect(done.structuredContent).toEqual({ key: 'drop', deleted: true });
    expect(await getNote(database.db, alice.tenantId, 'drop')).toBeNull();
    expect(asked).toEqual(['Delete the note "keep"? This cannot be undone.', 'Delete the note "drop"? This cannot be undone.']);
  });

  it('logs each round of a call, with the protocol version', async () => {
    await expect
      .poll(async () => (await listUsage(database.db, { tenant: 'alice-co' })).items.filter((r) => r.tool === 'note_delete').map((r) => [r.outcome, r.protocolVersion]), { timeout: 5000 })
      .toEqual(expect.arrayContaining([['input_required', '2026-07-28'], ['ok', '2026-07-28'], ['tool_error', '2026-07-28']]));
  });

  it('still deletes at once for a legacy client, which cannot be asked', async () => {
    await putNote(database.db, alice.tenantId, 'legacy', 'l');
    const client = await connectClient(server.url, bearer(alice.key));
    clients.push(client);
    expect((await client.callTool({ name: 'note_delete', arguments: { key: 'legacy' } })).structuredContent).toEqual({ key: 'legacy', deleted: true });
  });
});

describe('the 2026-07-28 era on the wire', () => {
  it('answers server/discover with both eras and the server identity', async () => {
    const { status, body } = await send(alice.key, 'server/discover');
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      resultType: 'complete',
      supportedVersions: expect.arrayContaining(['2026-07-28', '2025-11-25']),
      capabilities: { tools: {} },
      cacheScope: 'private',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'tenant-mcp' } },
    });
  });

  it('marks tools/list private, with a TTL, because it depends on the credential', async () => {
    const { body } = await send(aliceNarrow, 'tools/list');
    expect(body.result).toMatchObject({ resultType: 'complete', cacheScope: 'private', ttlMs: 10_000 });
  });

  it('answers a tool outside the key scopes exactly like one that does not exist', async () => {
    const hidden = await send(aliceNarrow, 'tools/call', { name: 'note_put', arguments: { key: 'a', value: 'b' } });
    const missing = await send(aliceNarrow, 'tools/call', { name: 'no_such_tool', arguments: {} });
    expect(hidden.body.error).toEqual({ code: -32602, message: 'Unknown tool: note_put' });
    expect(missing.body.error).toEqual({ code: -32602, message: 'Unknown tool: no_such_tool' });
    expect(hidden.status).toBe(missing.status);
  });

  it('refuses a mismatched Mcp-Name with 400 and -32020', async () => {
    const { status, body } = await send(alice.key, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, { name: 'multiply' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: 1, error: { code: -32020 } });
  });

  it('refuses a modern request whose _meta lacks the protocol version with 400 and -32602', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/clientCapabilities': {} } } });
    const res = await postMcp(server.url, body, { ...bearer(alice.key), 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/list' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 7, error: { code: -32602, message: expect.stringContaining('io.modelcontextprotocol/protocolVersion') } });
  });

  it('refuses an unknown protocol version with 400 and -32022 listing the versions served', async () => {
    const { status, body } = await send(alice.key, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } }, {}, { 'MCP-Protocol-Version': '2099-01-01' });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: -32022, data: { requested: '2099-01-01', supported: expect.arrayContaining(['2026-07-28', '2025-11-25']) } });
  });

  it('refuses an initialize that carries modern _meta and headers, and negotiates nothing', async () => {
    const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };
    const withMeta = await send(alice.key, 'initialize', init);
    expect(withMeta.status).toBe(404);
    expect(withMeta.body).toMatchObject({ id: 1, error: { code: -32601 } });
    const headersOnly = await postMcp(server.url, rpc('initialize', init), { ...bearer(alice.key), 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'initialize' });
    expect(headersOnly.status).toBe(400);
    expect(await headersOnly.json()).toMatchObject({ error: { code: -32602 } });
  });

  it('refuses a tampered requestState with 400 and deletes nothing', async () => {
    await putNote(database.db, alice.tenantId, 'guarded', 'g');
    const state = await deletionState(alice.key, 'guarded');
    const [body, mac] = state.split('.');
    const forged = JSON.parse(Buffer.from(body!, 'base64url').toString());
    forged.exp += 86_400_000;
    for (const tampered of [`${state}x`, `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`]) {
      const res = await send(alice.key, 'tools/call', { name: 'note_delete', arguments: { key: 'guarded' }, requestState: tampered, inputResponses: accepted }, { capabilities: elicitation });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
    }
    expect(await getNote(database.db, alice.tenantId, 'guarded')).not.toBeNull();
  });

  it("refuses a requestState replayed with another tenant's key, another key, or another note", async () => {
    await putNote(database.db, alice.tenantId, 'mine', 'm');
    const state = await deletionState(alice.key, 'mine');
    const replay = (key: string, note: string) =>
      send(key, 'tools/call', { name: 'note_delete', arguments: { key: note }, requestState: state, inputResponses: accepted }, { capabilities: elicitation });
    for (const [key, note] of [[bob, 'mine'], [aliceOther, 'mine'], [alice.key, 'other']] as const) {
      const res = await replay(key, note);
      expect(res.status, `${note}`).toBe(400);
      expect(res.body.error?.code).toBe(-32602);
    }
    expect(await getNote(database.db, alice.tenantId, 'mine')).not.toBeNull();
    const own = await replay(alice.key, 'mine');
    expect(own.body.result).toMatchObject({ resultType: 'complete', structuredContent: { key: 'mine', deleted: true } });
  });
});

describe('a server reached on loopback (no PUBLIC_URL)', () => {
  it('accepts loopback Origins on any port and still refuses others', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:1', 'https://[::1]:8443', 'http://LOCALHOST']) {
      expect((await postMcp(server.url, rpc('tools/list'), { ...bearer(alice.key), Origin: origin })).status, origin).toBe(200);
    }
    for (const origin of ['http://evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:80', 'null']) {
      expect((await postMcp(server.url, rpc('tools/list'), { ...bearer(alice.key), Origin: origin })).status, origin).toBe(403);
    }
  });
});

describe('mcp-remote', () => {
  let configDir: string;
  beforeAll(() => {
    configDir = mkdtempSync(join(tmpdir(), 'tenant-mcp-mcp-remote-'));
  });
  afterAll(() => rmSync(configDir, { recursive: true, force: true }));

  async function throughMcpRemote(protocol: 'legacy' | 'auto'): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['node_modules/mcp-remote/dist/proxy.js', `${server.url}/mcp`, '--header', `Authorization:Bearer ${remoteKey.key}`, '--transport', 'http-only', '--protocol', protocol],
      env: { PATH: process.env.PATH ?? '', MCP_REMOTE_CONFIG_DIR: configDir },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-host', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { confirm: true } }));
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  it('bridges a legacy desktop host in legacy mode', { timeout: 30_000 }, async () => {
    const client = await throughMcpRemote('legacy');
    expect((await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })).content).toEqual([{ type: 'text', text: '42' }]);
  });

  it('speaks 2026-07-28 to the server with --protocol auto, elicitation included', { timeout: 30_000 }, async () => {
    await putNote(database.db, alice.tenantId, 'via-remote', 'r');
    const client = await throughMcpRemote('auto');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('note_delete');
    const result = await client.callTool({ name: 'note_delete', arguments: { key: 'via-remote' } });
    expect(result.structuredContent).toEqual({ key: 'via-remote', deleted: true });
    await expect
      .poll(async () => (await listUsage(database.db, { tenant: 'alice-co' })).items.filter((r) => r.keyId === remoteKey.id && r.tool === 'note_delete').map((r) => [r.outcome, r.protocolVersion]), { timeout: 5000 })
      .toEqual(expect.arrayContaining([['input_required', '2026-07-28'], ['ok', '2026-07-28']]));
  });
});
