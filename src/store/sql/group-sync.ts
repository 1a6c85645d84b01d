/**
 * Group fsync: many commits waiting for the disk share one flush. A flush already running may have
 * started before the caller's commit reached the log, so a caller arriving during one waits for
 * the next; every caller arriving meanwhile shares that next one. At most one flush runs at a time.
 */
export class GroupSync {
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves once everything written before the call is on disk; rejects if that flush failed. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.run();
    const settle = () => undefined;
    this.queued = this.inFlight.then(settle, settle).then(() => {
      this.queued = undefined;
      return this.run();
    });
    return this.queued;
  }

  private run(): Promise<void> {
    const p = this.flush();
    this.inFlight = p;
    const clear = () => {
      if (this.inFlight === p) this.inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}
