import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import type { Database } from '../db/database.ts';
import * as schema from '../db/schema.ts';

const migrationsFolder = new URL('../../migrations', import.meta.url).pathname;

/** An open database and the way to close it. */
export interface OpenDatabase {
  db: Database;
  close(): void;
}

/**
 * Opens a libSQL database from Node: a local `file:` database (created, in WAL mode) or a
 * remote libSQL server (`libsql://`, `http(s)://`) with an optional auth token.
 */
export async function openDatabase(url: string, authToken?: string): Promise<OpenDatabase> {
  try {
    return await open(url, authToken);
  } catch (error) {
    const where = url.split('?')[0]; // a query string may carry a token
    throw new Error(`Cannot open database ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function open(url: string, authToken?: string): Promise<OpenDatabase> {
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).split('?')[0]!;
    if (path && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  }
  const client = createClient({ url, authToken });
  if (url.startsWith('file:')) {
    // WAL lets the CLI and the server share the file; NORMAL sync is safe in WAL and much faster.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = NORMAL');
    await client.execute('PRAGMA busy_timeout = 5000');
  }
  await client.execute('PRAGMA foreign_keys = ON');
  return { db: drizzle(client, { schema }), close: () => client.close() };
}

/** Applies every pending migration from `migrations/`. */
export async function migrateDatabase(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder });
}
