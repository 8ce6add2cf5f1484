// Builds the database the production server is benchmarked against: a temp libSQL file, migrated
// by the real migrations, a tenant and key provisioned through src/services (as the CLI does), and
// optionally many more real keys inserted in bulk. Also counts usage rows after a run.
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { and, count, eq, ne } from 'drizzle-orm';
import { apiKeys, tenants, usageEvents } from '../src/db/schema.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';
import { createKey } from '../src/services/keys.ts';
import { createTenant } from '../src/services/tenants.ts';

/** A provisioned benchmark database. */
export interface BenchDatabase {
  url: string;
  /** The benchmark's own key (tenant scopes "math", key scopes "math"). */
  key: string;
  keyId: string;
  /** Extra valid keys, when asked for with `keepKeys`. */
  extraKeys: string[];
}

const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A real, valid `tmcp_` key and what the database stores for it (only the digest of the secret). */
function makeKey(): { id: string; key: string; secretHash: string } {
  const id = Array.from(randomBytes(12), (b) => base32[b & 31]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `tmcp_${id}_${secret}`, secretHash: createHash('sha256').update(secret).digest('base64url') };
}

/**
 * Creates `dir/bench.db`, migrates it, provisions tenant "bench" (scopes "math") with one key
 * (scopes "math"), and `extraKeys` more active keys spread over `extraKeys / 1000` other tenants,
 * inserted in one transaction with multi-row INSERTs.
 */
export async function provisionBenchDatabase(
  dir: string,
  options: { extraKeys?: number; keepKeys?: boolean; log?: (m: string) => void } = {},
): Promise<BenchDatabase> {
  const path = join(dir, 'bench.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const url = `file:${path}`;
  const database = await openDatabase(url);
  try {
    await migrateDatabase(database.db);
    await createTenant(database.db, { slug: 'bench', scopes: 'math' });
    const created = await createKey(database.db, { tenant: 'bench', scopes: 'math', name: 'bench' });
    const extra = options.extraKeys ?? 0;
    const kept: string[] = [];
    if (extra > 0) {
      const started = Date.now();
      const perTenant = 1000;
      const tenantRows = Array.from({ length: Math.ceil(extra / perTenant) }, (_, i) => ({
        id: crypto.randomUUID(), slug: `bulk-${i}`, name: `bulk ${i}`, scopes: ['math'],
      }));
      const keyRows = Array.from({ length: extra }, (_, i) => {
        const k = makeKey();
        if (options.keepKeys) kept.push(k.key);
        return { id: k.id, tenantId: tenantRows[Math.floor(i / perTenant)]!.id, name: `bulk-${i}`, scopes: ['math'], secretHash: k.secretHash };
      });
      await database.db.transaction(async (tx) => {
        for (let i = 0; i < tenantRows.length; i += 500) await tx.insert(tenants).values(tenantRows.slice(i, i + 500));
        // 6 bound values per row; stay well under SQLite's 32766-variable limit.
        for (let i = 0; i < keyRows.length; i += 2000) await tx.insert(apiKeys).values(keyRows.slice(i, i + 2000));
      });
      options.log?.(`inserted ${extra} extra keys in ${tenantRows.length} tenants in ${Date.now() - started} ms`);
    }
    return { url, key: created.key, keyId: created.id, extraKeys: kept };
  } finally {
    database.close();
  }
}

/** Usage rows after a run: all of them, those of one key (by key id, or by the subject `key:<id>` of OAuth calls), and how many of that key's are not `ok`. */
export async function countUsage(url: string, keyId: string, by: 'keyId' | 'subject' = 'keyId'): Promise<{ total: number; forKey: number; notOk: number }> {
  const database = await openDatabase(url);
  const forKey = by === 'keyId' ? eq(usageEvents.keyId, keyId) : eq(usageEvents.subject, `key:${keyId}`);
  try {
    const [all] = await database.db.select({ n: count() }).from(usageEvents);
    const [mine] = await database.db.select({ n: count() }).from(usageEvents).where(forKey);
    const [bad] = await database.db
      .select({ n: count() })
      .from(usageEvents)
      .where(and(forKey, ne(usageEvents.outcome, 'ok')));
    return { total: all!.n, forKey: mine!.n, notOk: bad!.n };
  } finally {
    database.close();
  }
}
