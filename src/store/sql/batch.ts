/**
 * The tool-call log is written in batches, off the hot path: a read-only tool call queues its row
 * and answers at once; the queue is written in one transaction every `intervalMs` or when
 * `maxRows` rows wait, whichever comes first. A mutating call (`durable`) waits until the batch
 * holding its row is on disk, with every commit before it: that wait is also what makes the
 * change itself durable before its caller is answered (see runTool).
 *
 * Loss bound: a clean shutdown (`close`) writes everything. A crash of the process loses at most
 * the rows queued since the last commit: at most `maxRows` rows, or `intervalMs` worth of read-only
 * calls, and never a mutating call's row once its caller was answered. A batch of read-only rows
 * only commits relaxed (no fsync of its own: see TransactionOptions), so a power cut may also lose
 * the read-only batches committed since the last durable commit; a batch holding a mutating call's
 * row is durable and takes every earlier batch to disk with it.
 */
import type { ToolCallLogEntry } from '../ports.js';
import type { Driver, Executor } from './driver.js';
import { bumpDurabilityMark, completeIdempotency, insertCallLogRows } from './repos.js';

type Row = { biz: string; e: ToolCallLogEntry; completes?: { key: string; resultJson: string } | undefined };

/** The batch's rows, and the idempotency completions that ride with them (CallLogRepo.record). */
async function writeBatch(ex: Executor, rows: readonly Row[]): Promise<void> {
  await insertCallLogRows(ex, rows);
  await completeIdempotency(ex, completionsOf(rows));
}

function completionsOf(rows: readonly Row[]) {
  return rows.flatMap((r) => (r.completes ? [{ biz: r.biz, ...r.completes }] : []));
}

export interface BatchOptions {
  intervalMs: number;
  maxRows: number;
  /** Called when a batch cannot be written (the rows are dropped: the log must not stop booking). */
  onError?: (err: unknown, rows: number) => void;
}

export class CallLogBatcher {
  private queue: Row[] = [];
  private durable = false;
  private scheduled = false;
  private syncWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: Driver,
    private readonly o: BatchOptions,
  ) {}

  /**
   * Queues a row. `durable`: resolves once the row's batch, and every commit this process made
   * before it, is on disk, exactly like sync(); rejects when that could not be made so. A row that
   * could not be written is dropped (and reported to onError) without failing the barrier.
   */
  add(biz: string, e: ToolCallLogEntry, durable: boolean, completes?: Row['completes']): Promise<void> {
    this.queue.push({ biz, e, completes });
    if (durable) return this.sync();
    if (this.queue.length >= this.o.maxRows) {
      void this.write(false);
      return Promise.resolve();
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.write(false), this.o.intervalMs);
      this.timer.unref();
    }
    return Promise.resolve();
  }

  /** Writes everything queued so far, durably; resolves when it is committed (or dropped on error). */
  flush(): Promise<void> {
    // Through sync(): where the flush of the disk runs outside the batch chain, the chain alone
    // would resolve at the commit.
    return this.sync().catch(() => undefined);
  }

  /**
   * Resolves once every commit this process made before the call is on disk: the next durable batch
   * flushes the engine's log up to its own commit, which covers every earlier relaxed commit. Calls
   * that arrive while a batch is being written share the next one (group commit). Rejects if that
   * commit fails: the caller must not report as durable what may not be.
   */
  sync(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
    void this.write(true);
    return done;
  }

  /**
   * Group commit: while a batch is being written, later rows gather for the next one, so concurrent
   * mutating calls share one durable commit instead of queueing one each. `forceDurable`: commit
   * with an fsync even when no queued row asks for one.
   */
  private write(forceDurable: boolean): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (forceDurable) this.durable = true;
    if (!this.scheduled) {
      this.scheduled = true;
      // One batch at a time, in order; this one takes what is queued when it starts.
      this.flushing = this.flushing.then(() => this.drain());
    }
    return this.flushing;
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const rows = this.queue;
    const durable = this.durable;
    const syncs = this.syncWaiters;
    this.queue = [];
    this.durable = false;
    this.syncWaiters = [];
    const flush = this.driver.sync?.bind(this.driver);
    if (flush && (durable || syncs.length)) {
      // The engine flushes its log on its own (SQLite): commit relaxed, and let the flush run
      // outside this chain, so the next batch commits while the disk works and shares the next
      // flush (./group-sync.ts) instead of queueing behind this one.
      if (rows.length) {
        try {
          await this.driver.transaction((ex) => writeBatch(ex, rows), { durable: false });
        } catch (err) {
          this.o.onError?.(err, rows.length);
          await this.completeAlone(rows);
        }
      }
      void flush().then(
        () => {
          for (const w of syncs) w.resolve();
        },
        (err: unknown) => {
          for (const w of syncs) w.reject(err);
        },
      );
      return;
    }
    try {
      if (rows.length) await this.driver.transaction((ex) => writeBatch(ex, rows), { durable });
      else if (syncs.length) await this.driver.transaction((ex) => bumpDurabilityMark(ex));
      for (const w of syncs) w.resolve();
    } catch (err) {
      if (rows.length) {
        this.o.onError?.(err, rows.length);
        await this.completeAlone(rows);
      }
      if (syncs.length === 0) return;
      // The log rows are dropped, but what the barrier covers must still reach the disk.
      try {
        await this.driver.transaction((ex) => bumpDurabilityMark(ex));
        for (const w of syncs) w.resolve();
      } catch (again) {
        for (const w of syncs) w.reject(again);
      }
    }
  }

  /**
   * The log rows of a failed batch are dropped, not the idempotency completions riding with them: a
   * retry must be answered from the record, not wait for it to go stale. Relaxed, as
   * IdempotencyRepo.complete; the barrier that follows covers it.
   */
  private async completeAlone(rows: readonly Row[]): Promise<void> {
    const items = completionsOf(rows);
    if (items.length === 0) return;
    await this.driver.transaction((ex) => completeIdempotency(ex, items), { durable: false }).catch((err: unknown) => this.o.onError?.(err, 0));
  }

  get pending(): number {
    return this.queue.length;
  }
}
