export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A settable clock for tests and simulations. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
