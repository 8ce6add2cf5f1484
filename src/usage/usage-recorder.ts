import { eq, getTableColumns, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { apiKeys, type UsageEvent, usageEvents } from '../db/schema.ts';

/** The part of the libSQL client (drizzle's `$client`, in every build) that writes a batch in one transaction. */
interface BatchClient {
  batch(statements: { sql: string; args: unknown[] }[], mode: 'write'): Promise<unknown>;
}

// usage_events columns but the generated id, in a fixed order; drizzle's own encoders map values.
const columns = Object.entries(getTableColumns(usageEvents)).filter(([key]) => key !== 'id') as [keyof UsageEvent, (typeof usageEvents.at)][];
const insertHead = `insert into "usage_events" (${columns.map(([, c]) => `"${c.name}"`).join(', ')}) values `;
const rowPlaceholders = `(${columns.map(() => '?').join(', ')})`;
// Far below SQLite's 32766 bound variables per statement, whatever USAGE_BATCH_SIZE says.
const ROWS_PER_INSERT = 1000;

/** Options for {@link UsageRecorder}. */
export interface UsageRecorderOptions {
  /** How long an event may wait in memory before its batch is written. */
  flushIntervalMs: number;
  /** Events per INSERT; a flush starts at once when this many wait. */
  batchSize: number;
  /** Events kept in memory while the database is unreachable; past this the oldest are dropped and counted. */
  maxBuffered: number;
  /** Reports a failed write (never event contents). */
  onError?: (error: unknown) => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * Buffers usage events and keys' `last_used_at` stamps in memory and writes them in batches, off
 * the request path: one INSERT per call would block the event loop on a local libSQL file.
 * A failed write keeps its events for the next attempt.
 */
export class UsageRecorder {
  readonly #db: Database;
  readonly #client: BatchClient;
  readonly #options: UsageRecorderOptions;
  #pending: UsageEvent[] = [];
  #keysUsed = new Map<string, number>();
  #next: Deferred | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(db: Database, options: UsageRecorderOptions) {
    this.#db = db;
    // Rows are inserted with one hand-built multi-row INSERT: drizzle's query builder spent about
    // six times the CPU of the write itself on every event.
    const client = (db as unknown as { $client?: BatchClient }).$client;
    if (typeof client?.batch !== 'function') throw new TypeError('UsageRecorder needs a drizzle libSQL database (with $client)');
    this.#client = client;
    this.#options = options;
  }

  /** Events dropped because the buffer was full while the database was unreachable. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting to be written. */
  get buffered(): number {
    return this.#pending.length;
  }

  /**
   * Queues an event. The promise settles (never rejects) once a write holding the event has been
   * attempted, so a runtime that ends isolates (Workers' `waitUntil`) can wait for it.
   */
  record(event: UsageEvent): Promise<void> {
    this.#pending.push(event);
    const overflow = this.#pending.length - this.#options.maxBuffered;
    if (overflow > 0) {
      this.#pending.splice(0, overflow);
      this.#dropped += overflow;
    }
    const { promise } = this.#scheduled();
    if (this.#pending.length >= this.#options.batchSize) void this.flush();
    return promise;
  }

  /** Notes that a key was used; written as `last_used_at` with the next batch, not per request. */
  touchKey(keyId: string, at: number): Promise<void> {
    this.#keysUsed.set(keyId, at);
    return this.#scheduled().promise;
  }

  /** Writes everything buffered now. Never rejects; failures are reported and kept for a retry. */
  flush(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#drain());
    return this.#chain;
  }

  /** Flushes and stops the timer, for a graceful shutdown. Returns how many events could not be written. */
  async close(): Promise<number> {
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#next?.resolve();
    this.#next = undefined;
    return this.#pending.length;
  }

  #scheduled(): Deferred {
    if (!this.#next) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#next = { promise, resolve };
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
    }
    return this.#next;
  }

  async #drain(): Promise<void> {
    const waiting = this.#next;
    this.#next = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      while (this.#pending.length > 0 || this.#keysUsed.size > 0) {
        if (!(await this.#writeBatch())) {
          // Retry on the next tick of the interval, or with the next event's batch: a Worker cancels
          // this timer when the request that set it ends, so later events must not wait on it.
          this.#timer = setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
          break;
        }
      }
    } finally {
      waiting?.resolve();
    }
  }

  async #writeBatch(): Promise<boolean> {
    const events = this.#pending.splice(0, this.#options.batchSize);
    const keys = [...this.#keysUsed];
    this.#keysUsed.clear();
    const db = this.#db;
    const statements: { sql: string; args: unknown[] }[] = [];
    for (let i = 0; i < events.length; i += ROWS_PER_INSERT) statements.push(insertStatement(events.slice(i, i + ROWS_PER_INSERT)));
    for (const [id, at] of keys) {
      const query = db
        .update(apiKeys)
        .set({ lastUsedAt: sql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${at})` })
        .where(eq(apiKeys.id, id))
        .toSQL();
      statements.push({ sql: query.sql, args: query.params });
    }
    try {
      await this.#client.batch(statements, 'write');
      return true;
    } catch (error) {
      this.#pending.unshift(...events);
      for (const [id, at] of keys) if (!this.#keysUsed.has(id)) this.#keysUsed.set(id, at);
      this.#options.onError?.(error);
      return false;
    }
  }
}

/** One multi-row INSERT for `events`, with values encoded as drizzle would. */
function insertStatement(events: UsageEvent[]): { sql: string; args: unknown[] } {
  const args: unknown[] = [];
  for (const event of events) {
    for (const [key, column] of columns) {
      const value = event[key];
      args.push(value === undefined || value === null ? null : column.mapToDriverValue(value as never));
    }
  }
  return { sql: insertHead + new Array(events.length).fill(rowPlaceholders).join(', '), args };
}
