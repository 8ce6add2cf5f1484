import Database from 'libsql';
import type { BatchClient, UsageStatement } from '../usage/write-usage-batch.ts';

// Distinct statements the usage writer sends: a multi-row INSERT per group size, a few upserts.
const STATEMENTS_KEPT = 64;

/** A {@link BatchClient} on its own connection to a local database file, which it opens at first use. */
export interface LocalBatchClient extends BatchClient {
  close(): void;
}

/**
 * Writes batches to a local libSQL file through the `libsql` driver directly, with each statement
 * prepared once: @libsql/client prepares every statement of every batch again, and a small group
 * commit (`USAGE_DURABILITY=commit`) spent about half its time there (bench/RESULTS.md). Its own
 * connection, as the CLI has: WAL lets them share the file. Node only; the edge runtimes have no file.
 */
export function localBatchClient(path: string): LocalBatchClient {
  let db: Database.Database | undefined;
  const prepared = new Map<string, Database.Statement<unknown[]>>();

  const open = (): Database.Database => {
    if (db) return db;
    db = new Database(path);
    // Per connection: the same settings as the server's own (src/node/database.ts).
    db.exec('PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 10000');
    return db;
  };
  const statement = (sql: string): Database.Statement<unknown[]> => {
    let found = prepared.get(sql);
    if (found) {
      // Most recently used last, so the least used goes first when the map is full.
      prepared.delete(sql);
    } else {
      found = open().prepare(sql);
      if (prepared.size >= STATEMENTS_KEPT) prepared.delete(prepared.keys().next().value!);
    }
    prepared.set(sql, found);
    return found;
  };

  return {
    async batch(statements: UsageStatement[]): Promise<{ rowsAffected: number }[]> {
      const connection = open();
      statement('BEGIN IMMEDIATE').run();
      try {
        const results = statements.map((s) => ({ rowsAffected: statement(s.sql).run(s.args).changes }));
        statement('COMMIT').run();
        return results;
      } finally {
        // A failed statement or COMMIT leaves the transaction open: nothing of it is kept.
        if (connection.inTransaction) connection.exec('ROLLBACK');
      }
    },
    close(): void {
      prepared.clear();
      db?.close();
      db = undefined;
    },
  };
}
