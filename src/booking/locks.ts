/**
 * Per-key async mutex. Booking a staff member's time is check-then-write against a calendar that
 * may be remote; holding this lock for that staff member across both steps is what makes the check
 * still true when the write lands. (Across processes, the SQLite reservation in
 * AppointmentRepo.reserve is the guard.)
 *
 * A wait for the lock is bounded by the call's deadline: when `signal` aborts first, run() throws
 * BusyError without running `fn`, and its place in line passes to whoever is behind it.
 */
import { BusyError } from '../domain/errors.js';

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new BusyError();
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    const done = () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    try {
      await untilSettledOrAborted(prev, signal);
    } catch (err) {
      // Gave up waiting: the ones behind us go as soon as the one ahead of us is done.
      void prev.then(done);
      throw err;
    }
    try {
      return await fn();
    } finally {
      done();
    }
  }
}

/** Resolves with `p`, or rejects with BusyError as soon as `signal` aborts, whichever comes first. */
function untilSettledOrAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(new BusyError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
