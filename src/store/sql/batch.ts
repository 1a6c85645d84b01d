/**
 * The tool-call log is written in batches, off the hot path: a read-only tool call queues its row
 * and answers at once; the queue is written in one transaction every `intervalMs` or when
 * `maxRows` rows wait, whichever comes first. A mutating call (`durable`) waits for the commit of
 * the batch holding its row, so what a caller was told is on disk with it.
 *
 * Loss bound: a clean shutdown (`close`) writes everything. A crash loses at most the rows queued
 * since the last commit: at most `maxRows` rows, or `intervalMs` worth of read-only calls.
 */
import type { ToolCallLogEntry } from '../ports.js';
import type { Driver } from './driver.js';
import { insertCallLogRows } from './repos.js';

export interface BatchOptions {
  intervalMs: number;
  maxRows: number;
  /** Called when a batch cannot be written (the rows are dropped: the log must not stop booking). */
  onError?: (err: unknown, rows: number) => void;
}

export class CallLogBatcher {
  private queue: { biz: string; e: ToolCallLogEntry }[] = [];
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: Driver,
    private readonly o: BatchOptions,
  ) {}

  add(biz: string, e: ToolCallLogEntry, durable: boolean): Promise<void> {
    this.queue.push({ biz, e });
    if (durable || this.queue.length >= this.o.maxRows) {
      const done = new Promise<void>((resolve) => this.waiters.push(resolve));
      void this.flush();
      return durable ? done : Promise.resolve();
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.o.intervalMs);
      this.timer.unref();
    }
    return Promise.resolve();
  }

  /** Writes everything queued so far; resolves when it is committed (or dropped on error). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const rows = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    // One batch at a time, in order.
    this.flushing = this.flushing.then(async () => {
      try {
        if (rows.length) await this.driver.transaction((ex) => insertCallLogRows(ex, rows));
      } catch (err) {
        this.o.onError?.(err, rows.length);
      } finally {
        for (const w of waiters) w();
      }
    });
    return this.flushing;
  }

  get pending(): number {
    return this.queue.length;
  }
}
