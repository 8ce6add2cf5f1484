import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { apiKeys, type UsageEvent, usageBatches } from '../db/schema.ts';
import { type BatchClient, batchClientOf, type UsageStatement, usageBatchStatements } from './write-usage-batch.ts';

/** `commit`: a tool call's answer waits until its row is committed. `buffered`: rows are written in the background. */
export type UsageDurability = 'commit' | 'buffered';

/** Options for {@link UsageRecorder}. */
export interface UsageRecorderOptions {
  /** Whether answered tool calls wait for their row ({@link UsageRecorder.commit}); default `buffered`. */
  durability?: UsageDurability;
  /** Group commit: how long the first of a group of committed events waits for others to share its transaction. */
  commitWindowMs?: number;
  /** How long an event may wait in memory before its batch is written. */
  flushIntervalMs: number;
  /** Events per INSERT; a flush starts at once when this many wait. */
  batchSize: number;
  /** Events kept in memory while the database is unreachable; past this the oldest are dropped and counted. */
  maxBuffered: number;
  /**
   * The database is a local file (not an embedded replica): a write that fails is known to have
   * rolled back, so batches need no `usage_batches` marker to be retried exactly once. Saves a
   * statement and three written pages per transaction, about 15% of a small group commit.
   */
  localFile?: boolean;
  /** Writes the batches; default the database's own libSQL client. */
  client?: BatchClient;
  /** Reports a failed write (never event contents). */
  onError?: (error: unknown) => void;
  /** Reports events dropped because the buffer was full: how many since the last report, and in all. At most once per flush. */
  onDrop?: (count: number, total: number) => void;
}

/** Events (and key stamps) written together, under an id that makes a retried write idempotent (remote databases). */
interface Batch {
  id: string;
  events: UsageEvent[];
  keys: [string, number][];
  /** A write was attempted and failed: it may have committed all the same. */
  attempted: boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

/** Events waiting for a group commit, and the answers waiting on them. */
interface Group {
  events: UsageEvent[];
  waiters: ((committed: boolean) => void)[];
  /** When the first of them arrived (performance.now()). */
  since: number;
}

// The check phase after I/O where the runtime has one (Node, Deno, workerd with nodejs_compat); else a timer.
const afterIo: (run: () => void) => void = typeof setImmediate === 'function' ? (run) => void setImmediate(run) : (run) => void setTimeout(run, 0);

/**
 * Buffers usage events and keys' `last_used_at` stamps in memory and writes them in batches, off
 * the request path: one INSERT per call would block the event loop on a local libSQL file.
 * A batch whose write failed is retried as it is, and only if its id was not recorded, so every
 * event is written exactly once even when a commit's answer was lost. With durability `commit`,
 * answered tool calls' events are instead written on the request path, by group commit ({@link commit}).
 */
export class UsageRecorder {
  readonly #db: Database;
  readonly #client: BatchClient;
  readonly #options: UsageRecorderOptions;
  #pending: UsageEvent[] = [];
  /** The batch being written, or whose last write failed: retried before anything newer. */
  #current: Batch | undefined;
  #keysUsed = new Map<string, number>();
  #next: Deferred | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #dropped = 0;
  #droppedReported = 0;
  /** Failed group commits, retried in the background before anything newer. */
  #withheld: Batch[] = [];
  #group: Group | undefined;
  #groupTimer: ReturnType<typeof setTimeout> | undefined;
  /** The group commit under way: at most one at a time; the next group gathers meanwhile. */
  #committing: Promise<void> | undefined;
  /** Requests under way that may commit a row ({@link hold}). */
  #held = 0;
  #earlyCheck = false;
  /** The gathering group's size at the last check ({@link #commitOnceAllJoined}). */
  #checkedSize = 0;

  constructor(db: Database, options: UsageRecorderOptions) {
    this.#db = db;
    // Rows are inserted with hand-built multi-row statements: drizzle's query builder spent about
    // six times the CPU of the write itself on every event.
    this.#client = options.client ?? batchClientOf(db);
    this.#options = options;
  }

  /** Events dropped because the buffer was full while the database was unreachable. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting to be written. */
  get buffered(): number {
    let n = this.#pending.length + (this.#current?.events.length ?? 0) + (this.#group?.events.length ?? 0);
    for (const batch of this.#withheld) n += batch.events.length;
    return n;
  }

  /** Whether answered tool calls are to wait for {@link commit} rather than use {@link record}. */
  get durability(): UsageDurability {
    return this.#options.durability ?? 'buffered';
  }

  /**
   * Writes an event in a group commit: events arriving within `commitWindowMs` of the first share
   * one transaction, and all their promises resolve when it ends: `true` once committed, `false`
   * if the write failed. Never rejects. A failed group is kept and retried in the background like
   * buffered events (exactly once, by its batch id), each event's outcome set to `error`: its call
   * is answered 503, but its tool did run.
   */
  commit(event: UsageEvent): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const group = (this.#group ??= { events: [], waiters: [], since: performance.now() });
      group.events.push(event);
      group.waiters.push(resolve);
      if (this.#committing) return; // taken as soon as the commit under way ends
      if (group.events.length >= this.#options.batchSize) return void this.#commitGroup();
      this.#groupTimer ??= setTimeout(() => void this.#commitGroup(), this.#options.commitWindowMs ?? 0);
      this.#commitOnceAllJoined();
    });
  }

  /**
   * Counts a request that may commit a row, until the returned function is called (once it has its
   * answer). A group commits as soon as every counted request has joined it and a turn of the event
   * loop brought none new, without waiting out `commitWindowMs`: nothing else can join then, and
   * waiting would only leave the server idle (about 7% of the time at 32 connections with a 1 ms
   * window, bench/RESULTS.md).
   */
  hold(): () => void {
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      this.#commitOnceAllJoined();
    };
  }

  /**
   * Queues an event. The promise settles (never rejects) once a write holding the event has been
   * attempted, so a runtime that ends isolates (Workers' `waitUntil`) can wait for it.
   */
  record(event: UsageEvent): Promise<void> {
    this.#pending.push(event);
    const overflow = Math.min(this.buffered - this.#options.maxBuffered, this.#pending.length);
    if (overflow > 0) {
      this.#pending.splice(0, overflow);
      this.#dropped += overflow;
    }
    const { promise } = this.#scheduled();
    // A full batch is written at once, unless a write is under way (the drain takes it next) or
    // failing (the retry timer paces the attempts).
    if (!this.#current && this.#pending.length === this.#options.batchSize) void this.flush();
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
    while (this.#committing || this.#group) await (this.#committing ?? this.#commitGroup());
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#next?.resolve();
    this.#next = undefined;
    return this.buffered;
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
    this.#reportDrops();
    try {
      while (this.#current || this.#withheld.length > 0 || this.#pending.length > 0 || this.#keysUsed.size > 0) {
        this.#current ??= this.#withheld.shift() ?? this.#nextBatch();
        if (!(await this.#write(this.#current))) {
          // Retry on the next tick of the interval, or on the next event's timer: a Worker cancels
          // this timer when the request that set it ends, so later events must not wait on it.
          this.#timer = setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
          break;
        }
        this.#current = undefined;
      }
    } finally {
      waiting?.resolve();
    }
  }

  #commitGroup(): Promise<void> {
    clearTimeout(this.#groupTimer);
    this.#groupTimer = undefined;
    const group = this.#group!;
    this.#group = undefined;
    this.#checkedSize = 0;
    const commit = (async () => {
      const batch: Batch = { id: crypto.randomUUID(), events: group.events, keys: [], attempted: false };
      const committed = await this.#write(batch);
      if (!committed) this.#keepWithheld(batch);
      this.#committing = undefined;
      for (const resolve of group.waiters) resolve(committed);
      this.#nextGroup();
    })();
    this.#committing = commit;
    return commit;
  }

  /** Starts the group that gathered during a commit: at once if its window has passed or it is full. */
  #nextGroup(): void {
    const group = this.#group;
    if (!group || this.#groupTimer) return;
    const wait = (this.#options.commitWindowMs ?? 0) - (performance.now() - group.since);
    if (wait <= 0 || group.events.length >= this.#options.batchSize) return void this.#commitGroup();
    this.#groupTimer = setTimeout(() => void this.#commitGroup(), wait);
    this.#commitOnceAllJoined();
  }

  /**
   * Commits the gathering group early when every held request is in it and a turn of the event
   * loop brought no new one; checked after each turn's I/O, so that requests already arrived get
   * to join first. A group that grew waits one more turn: requests that arrived while it was being
   * served are read in the next turn's poll (which does not block while an immediate is pending).
   * At 8 connections that gave 1.14× the req/s (bench/RESULTS.md).
   */
  #commitOnceAllJoined(): void {
    if (this.#earlyCheck || !this.#allJoined()) return;
    this.#earlyCheck = true;
    afterIo(() => {
      this.#earlyCheck = false;
      if (!this.#allJoined()) return;
      const size = this.#group!.events.length;
      if (size > this.#checkedSize) {
        this.#checkedSize = size;
        return this.#commitOnceAllJoined();
      }
      void this.#commitGroup();
    });
  }

  #allJoined(): boolean {
    return this.#group !== undefined && !this.#committing && this.#group.events.length >= this.#held;
  }

  /** Keeps a failed group for a background retry, marked as answered with an error, within the buffer's bound. */
  #keepWithheld(batch: Batch): void {
    for (const event of batch.events) event.outcome = 'error';
    if (this.buffered + batch.events.length > this.#options.maxBuffered) {
      this.#dropped += batch.events.length;
    } else {
      this.#withheld.push(batch);
    }
    this.#scheduled();
  }

  #nextBatch(): Batch {
    const keys = [...this.#keysUsed];
    this.#keysUsed.clear();
    return { id: crypto.randomUUID(), events: this.#pending.splice(0, this.#options.batchSize), keys, attempted: false };
  }

  async #write(batch: Batch): Promise<boolean> {
    const db = this.#db;
    // The events, their rollups and the batch's marker commit together, so a retried batch counts
    // once. A remote write can fail after committing (the answer is lost); a local one cannot.
    const marked = !this.#options.localFile;
    const statements: UsageStatement[] = usageBatchStatements(batch.events, marked ? batch.id : undefined);
    for (const [id, at] of batch.keys) {
      const query = db
        .update(apiKeys)
        .set({ lastUsedAt: sql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${at})` })
        .where(eq(apiKeys.id, id))
        .toSQL();
      statements.push({ sql: query.sql, args: query.params });
    }
    try {
      if (marked && batch.attempted && batch.events.length > 0) {
        const [written] = await db.select({ id: usageBatches.id }).from(usageBatches).where(eq(usageBatches.id, batch.id)).limit(1);
        if (written) return true;
      }
      batch.attempted = true;
      await this.#client.batch(statements, 'write');
      return true;
    } catch (error) {
      this.#options.onError?.(error);
      return false;
    }
  }

  #reportDrops(): void {
    const count = this.#dropped - this.#droppedReported;
    if (count === 0) return;
    this.#droppedReported = this.#dropped;
    this.#options.onDrop?.(count, this.#dropped);
  }
}
