/**
 * Per-key async mutex. Booking a staff member's time is check-then-write against a calendar that
 * may be remote; holding this lock for that staff member across both steps is what makes the check
 * still true when the write lands. (Across processes, the SQLite reservation in
 * AppointmentRepo.reserve is the guard.)
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
