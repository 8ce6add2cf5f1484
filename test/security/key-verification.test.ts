import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiKeyVerifier } from '../../src/auth/api-key-verifier.ts';
import * as schema from '../../src/db/schema.ts';
import { createKey, revokeKey } from '../../src/services/keys.ts';
import { createTenant, updateTenant } from '../../src/services/tenants.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { expectNoSecretsIn } from '../helpers/secrets.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

let database: TempDatabase;
let key: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'acme', scopes: 'math' });
  key = (await createKey(database.db, { tenant: 'acme', scopes: 'math' })).key;
});

afterAll(() => database?.dispose());

/** The same key with another id (unknown) or another secret (wrong), both well-formed. */
const unknownId = () => key.replace(/^tmcp_[a-z2-7]{12}/, 'tmcp_zzzzzzzzzzzz');
const wrongSecret = () => key.slice(0, -3) + (key.endsWith('AAA') ? 'BBB' : 'AAA');

describe('key verification', () => {
  it('takes the same path for an unknown key id as for a wrong secret: one lookup, one digest, then cached', async () => {
    // The real database file, with a logger that records each query the verifier sends.
    const client = createClient({ url: database.url });
    const queries: { sql: string; params: unknown[] }[] = [];
    const db = drizzle(client, { schema, logger: { logQuery: (sql, params) => void queries.push({ sql, params }) } });
    const verifier = new ApiKeyVerifier(db, { ttlMs: 60_000, maxEntries: 100 });
    const digest = vi.spyOn(crypto.subtle, 'digest');
    const trace = async (token: string) => {
      const [q, d] = [queries.length, digest.mock.calls.length];
      const result = await verifier.verify(token);
      return { reason: result.ok ? 'ok' : result.reason, queries: queries.slice(q).map((x) => x.sql), digests: digest.mock.calls.length - d };
    };
    try {
      const unknown = await trace(unknownId());
      const wrong = await trace(wrongSecret());
      expect(unknown.reason).toBe('unknown');
      expect(wrong.reason).toBe('bad_secret');
      expect(unknown.digests).toBe(1);
      expect(wrong.digests).toBe(1);
      expect(unknown.queries).toHaveLength(1);
      expect(unknown.queries).toEqual(wrong.queries); // the same statement, only the id parameter differs
      // Repeated: both answered from the cache, both still hash the presented secret.
      expect(await trace(unknownId())).toEqual({ reason: 'unknown', queries: [], digests: 1 });
      expect(await trace(wrongSecret())).toEqual({ reason: 'bad_secret', queries: [], digests: 1 });
    } finally {
      digest.mockRestore();
      client.close();
    }
  });

  it('answers unknown, wrong, revoked, expired and suspended keys byte for byte alike', async () => {
    await createTenant(database.db, { slug: 'sleepy', scopes: 'math' });
    const suspended = (await createKey(database.db, { tenant: 'sleepy', scopes: 'math' })).key;
    await updateTenant(database.db, 'sleepy', { status: 'suspended' });
    const revoked = await createKey(database.db, { tenant: 'acme', scopes: 'math' });
    await revokeKey(database.db, revoked.id);
    const expired = (await createKey(database.db, { tenant: 'acme', scopes: 'math', expiresInMs: 1_000, now: Date.now() - 60_000 })).key;
    const server: RunningServer = await startServer({ DATABASE_URL: database.url });
    try {
      const answers = [];
      for (const token of [unknownId(), wrongSecret(), revoked.key, expired, suspended]) {
        const res = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${token}` });
        const headers = [...res.headers].filter(([name]) => name !== 'date');
        answers.push({ status: res.status, headers, body: await res.text() });
      }
      expect(answers[0]!.status).toBe(401);
      for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
      expectNoSecretsIn(server.output(), [key, revoked.key, expired, suspended]);
    } finally {
      await server.stop();
    }
  });
});
