import type { Database } from '../../src/db/database.ts';
import { type UsageRow, listUsage } from '../../src/services/usage.ts';

/** Polls the usage log until `done(rows)` holds (the server writes it in batches), or fails after `timeoutMs`. */
export async function waitForUsage(db: Database, done: (rows: UsageRow[]) => boolean, timeoutMs = 10_000): Promise<UsageRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items: rows } = await listUsage(db, {});
    if (done(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`The usage log did not reach the expected state; it holds:\n${JSON.stringify(rows.map((r) => [r.tool, r.outcome]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
