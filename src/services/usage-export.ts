import type { Database } from '../db/database.ts';
import { csv } from './csv.ts';
import { listUsage, type UsageFilter, type UsageRow } from './usage.ts';

/** Formats usage can be exported in. */
export type UsageExportFormat = 'json' | 'ndjson' | 'csv';

/** The columns of a CSV export, in order. */
export const usageColumns: (keyof UsageRow)[] = ['at', 'tenant', 'keyId', 'subject', 'tool', 'outcome', 'durationMs', 'requestBytes', 'responseBytes', 'protocolVersion', 'userAgent', 'clientId', 'upstreamStatus', 'upstreamMs'];

/**
 * Every matching event as a JSON array, NDJSON (one event per line) or CSV, produced a page of
 * 5,000 events at a time, so an export of millions never holds them all in memory. The CLI and
 * the console's downloads both use it.
 */
export async function* exportUsage(db: Database, filter: UsageFilter, format: UsageExportFormat): AsyncGenerator<string> {
  let first = true;
  if (format === 'json') yield '[';
  for await (const rows of usagePages(db, filter)) {
    if (format === 'ndjson') yield rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    else if (format === 'json') yield (first ? '' : ',') + rows.map((r) => JSON.stringify(r)).join(',');
    else yield `${csv(rows, usageColumns, { header: first })}\n`;
    first = false;
  }
  if (format === 'json') yield ']\n';
  else if (format === 'csv' && first) yield `${csv([], usageColumns)}\n`;
}

async function* usagePages(db: Database, filter: UsageFilter): AsyncGenerator<UsageRow[]> {
  let cursor: string | undefined;
  do {
    const page = await listUsage(db, { ...filter, limit: 5_000, cursor });
    if (page.items.length > 0) yield page.items;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
}
