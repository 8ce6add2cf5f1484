import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { migrateDatabase, openDatabase } from '../../src/node/database.ts';

/** A fresh libSQL file in a temporary folder, built by the real migrations. */
export interface TempDatabase {
  url: string;
  dir: string;
  db: Database;
  /** Closes the client and deletes the folder. */
  dispose(): void;
}

/** Creates and migrates a temporary database file. */
export async function tempDatabase(): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'tenant-mcp-test-'));
  const url = `file:${join(dir, 'test.db')}`;
  const { db, close } = await openDatabase(url);
  await migrateDatabase(db);
  return {
    url,
    dir,
    db,
    dispose() {
      close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
