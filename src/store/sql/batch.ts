/**
 * The tool-call log is written in batches, off the hot path: a read-only tool call queues its row
 * and answers at once; the queue is written in one transaction every `intervalMs` or when
 * `maxRows` rows wait, whichever comes first. A mutating call (`durable`) waits for the commit of
 * the batch holding its row, so what a caller was told is on disk with it.
 *
 * Loss bound: a clean shutdown (`close`) writes everything. A crash of the process loses at most
 * the rows queued since the last commit: at most `maxRows` rows, or `intervalMs` worth of read-only
 * calls, and never a mutating call's row once its caller was answered. A batch of read-only rows
 * only commits relaxed (no fsync of its own: see TransactionOptions), so a power cut may also lose
 * the read-only batches committed since the last durable commit; a batch holding a mutating call's
 * row is durable and takes every earlier batch to disk with it.
 */
import type { ToolCallLogEntry } from '../ports.js';
import type { Driver } from './driver.js';
import { bumpDurabilityMark, insertCallLogRows } from './repos.js';

export interface BatchOptions {
  intervalMs: number;
  maxRows: number;
  /** Called when a batch cannot be written (the rows are dropped: the log must not stop booking). */
  onError?: (err: unknown, rows: number) => void;
}

export class CallLogBatcher {
  private queue: { biz: string; e: ToolCallLogEntry }[] = [];
  private waiters: (() => void)[] = [];
  private durable = false;
  private scheduled = false;
  private syncWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: Driver,
    private readonly o: BatchOptions,
  ) {}

  add(biz: string, e: ToolCallLogEntry, durable: boolean): Promise<void> {
    this.queue.push({ biz, e });
    if (durable) this.durable = true;
    if (durable || this.queue.length >= this.o.maxRows) {
      const done = new Promise<void>((resolve) => this.waiters.push(resolve));
      void this.write(false);
      return durable ? done : Promise.resolve();
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.write(false), this.o.intervalMs);
      this.timer.unref();
    }
    return Promise.resolve();
  }

  /** Writes everything queued so far, durably; resolves when it is committed (or dropped on error). */
  flush(): Promise<void> {
    return this.write(true);
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
    const waiters = this.waiters;
    const durable = this.durable;
    const syncs = this.syncWaiters;
    this.queue = [];
    this.waiters = [];
    this.durable = false;
    this.syncWaiters = [];
    try {
      if (rows.length) await this.driver.transaction((ex) => insertCallLogRows(ex, rows), { durable });
      else if (syncs.length) await this.driver.transaction((ex) => bumpDurabilityMark(ex));
      for (const w of syncs) w.resolve();
    } catch (err) {
      if (rows.length) this.o.onError?.(err, rows.length);
      if (syncs.length === 0) return;
      // The log rows are dropped, but what the barrier covers must still reach the disk.
      try {
        await this.driver.transaction((ex) => bumpDurabilityMark(ex));
        for (const w of syncs) w.resolve();
      } catch (again) {
        for (const w of syncs) w.reject(again);
      }
    } finally {
      for (const w of waiters) w();
    }
  }

  get pending(): number {
    return this.queue.length;
  }
}
