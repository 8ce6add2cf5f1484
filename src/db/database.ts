import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import type * as schema from './schema.ts';

/** The drizzle database every core module receives; how it was built is the entry's business. */
export type Database = LibSQLDatabase<typeof schema>;
