import type { z } from 'zod';
import { fromBase64Url, toBase64Url } from '../encoding/base64url.ts';
import { AppError } from '../errors.ts';

/** One page of a list: its items and the cursor that fetches the next page, or null at the end. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Which page to read: at most `limit` items (all when absent), after the position `cursor` names. */
export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/**
 * Encodes a position in a list (the sort key of its last item) as an opaque cursor. Cursors are
 * not signed: they only say where to resume, and every query still applies the caller's filters.
 */
export function encodeCursor(position: readonly (string | number)[]): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(position)));
}

/** Decodes a cursor made by {@link encodeCursor}, checked against the position's shape. */
export function decodeCursor<T>(cursor: string, shape: z.ZodType<T>): T {
  let position: unknown;
  try {
    position = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromBase64Url(cursor)));
  } catch {
    position = undefined;
  }
  const parsed = shape.safeParse(position);
  if (!parsed.success) throw new AppError('invalid', 'Invalid cursor: pass the "next" value of a previous page unchanged');
  return parsed.data;
}

/**
 * Turns rows fetched with `limit + 1` into a page: the extra row only tells that more exist.
 * `positionOf` gives the sort key the next page resumes after.
 */
export function pageOf<T>(rows: T[], limit: number | undefined, positionOf: (row: T) => readonly (string | number)[]): Page<T> {
  if (limit === undefined || rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(positionOf(items.at(-1)!)) };
}

/** The LIMIT to query with so that {@link pageOf} can tell whether another page exists. */
export function fetchLimit(limit: number | undefined): number {
  if (limit === undefined) return -1; // SQLite: a negative LIMIT means none
  if (!Number.isInteger(limit) || limit < 1) throw new AppError('invalid', `Invalid page limit ${limit}: use a positive whole number`);
  return limit + 1;
}
