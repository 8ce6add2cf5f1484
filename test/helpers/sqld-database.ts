import type { Database } from '../../src/db/database.ts';
import { migrateDatabase, openDatabase } from '../../src/node/database.ts';
import { type Sqld, type SqldOptions, startSqld } from './sqld.ts';

/** A sqld built by the real migrations, and a Node client to it. */
export interface SqldDatabase {
  sqld: Sqld;
  db: Database;
  /** Closes the client, stops sqld and deletes its data. */
  dispose(): Promise<void>;
}

/** Starts sqld and migrates it through the Node opener, with `authToken` when it checks JWTs. */
export async function sqldDatabase(options: SqldOptions & { authToken?: string } = {}): Promise<SqldDatabase> {
  const sqld = await startSqld(options);
  try {
    const { db, close } = await openDatabase(sqld.url, options.authToken);
    await migrateDatabase(db);
    return {
      sqld,
      db,
      async dispose() {
        close();
        await sqld.stop();
      },
    };
  } catch (error) {
    await sqld.stop();
    throw error;
  }
}
