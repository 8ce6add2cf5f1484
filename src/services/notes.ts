import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { notes } from '../db/schema.ts';

/** A note's key: what note_* tools accept. */
export const noteKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:/@-]+$/, 'Use letters, digits and _ . : / @ -')
  .describe('Note key, e.g. "todo/today"');

/** A note's value. */
export const noteValueSchema = z.string().max(64 * 1024).describe('Note text, up to 64 KiB');

/** One stored note. */
export interface Note {
  key: string;
  value: string;
  updatedAt: string;
}

// Every query below filters by tenant id: that filter is what isolates tenants.

/** Creates or replaces a tenant's note. */
export async function putNote(db: Database, tenantId: string, key: string, value: string): Promise<Note> {
  const updatedAt = new Date();
  await db
    .insert(notes)
    .values({ tenantId, key, value, updatedAt })
    .onConflictDoUpdate({ target: [notes.tenantId, notes.key], set: { value, updatedAt } });
  return { key, value, updatedAt: updatedAt.toISOString() };
}

/** Reads a tenant's note, or null. */
export async function getNote(db: Database, tenantId: string, key: string): Promise<Note | null> {
  const [row] = await db
    .select()
    .from(notes)
    .where(and(eq(notes.tenantId, tenantId), eq(notes.key, key)))
    .limit(1);
  return row ? { key: row.key, value: row.value, updatedAt: row.updatedAt.toISOString() } : null;
}

/** Lists a tenant's note keys in order, optionally under a prefix, a page at a time. */
export async function listNotes(
  db: Database,
  tenantId: string,
  options: { prefix?: string; after?: string; limit: number },
): Promise<{ key: string; updatedAt: string }[]> {
  const rows = await db
    .select({ key: notes.key, updatedAt: notes.updatedAt })
    .from(notes)
    .where(
      and(
        eq(notes.tenantId, tenantId),
        // substr, not LIKE: a prefix's % and _ are plain characters.
        options.prefix ? sql`substr(${notes.key}, 1, ${options.prefix.length}) = ${options.prefix}` : undefined,
        options.after ? gt(notes.key, options.after) : undefined,
      ),
    )
    .orderBy(asc(notes.key))
    .limit(options.limit);
  return rows.map((r) => ({ key: r.key, updatedAt: r.updatedAt.toISOString() }));
}

/** Deletes a tenant's note; true when one existed. */
export async function deleteNote(db: Database, tenantId: string, key: string): Promise<boolean> {
  const deleted = await db
    .delete(notes)
    .where(and(eq(notes.tenantId, tenantId), eq(notes.key, key)))
    .returning({ key: notes.key });
  return deleted.length > 0;
}
