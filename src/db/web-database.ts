import { drizzle } from 'drizzle-orm/libsql/web';
import type { Database } from './database.ts';
import * as schema from './schema.ts';

/** URL schemes the fetch-based libSQL client is used with here. */
const remoteSchemes = ['libsql:', 'https:', 'http:'];

/**
 * Opens a libSQL server (Turso, sqld) over HTTP with Web APIs only, for runtimes without the
 * native client (Deno, Workers). They cannot open a local `file:` database, so that is refused
 * up front rather than on the first request.
 */
export function openWebDatabase(url: string, authToken?: string): Database {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0].toLowerCase();
  if (!scheme || !remoteSchemes.includes(scheme)) {
    const shown = scheme === 'file:' ? url.split('?')[0] : `a ${scheme ?? 'scheme-less'} URL`;
    throw new Error(
      `Cannot open database ${shown}: this runtime reaches libSQL over HTTP only. ` +
        'Set DATABASE_URL to the libsql://, https:// or http:// URL of a libSQL server (Turso or sqld).',
    );
  }
  return drizzle({ connection: { url, authToken }, schema });
}
