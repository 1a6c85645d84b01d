/**
 * Admission control for tool calls. A voice platform gives up on a tool call after a fixed time
 * (Vapi: 20 s) and the caller hears silence; under a burst, letting every call queue behind the
 * per-staff locks and SQLite means every call is slow and many answer after the platform stopped
 * listening. Instead:
 *
 * - at most TOOL_MAX_CONCURRENCY calls run at once in this process; the rest wait in line (first
 *   come, first served) for at most TOOL_QUEUE_TIMEOUT_MS;
 * - a call that cannot start in that time is answered at once with BUSY, a sentence the assistant
 *   can say ("We're very busy right now; please try again in a moment...") and HTTP 503 with
 *   Retry-After on /tools. It has done nothing, so trying again is always safe;
 * - the call's deadline (TOOL_DEADLINE_MS) starts when it arrives, not when it gets its turn, and is
 *   the signal every lock wait and calendar call inside it obeys (KeyedMutex.run throws BUSY when
 *   the deadline passes while waiting for a staff member's lock).
 *
 * - a call refused here is not written to the SQLite call log (that write would feed the overload);
 *   a warning line counts them instead.
 *
 * runTool (src/tools/registry.ts) is the one caller, so every entry point gets the same limits.
 *
 * What it cannot see: a request the process has not read yet. Node accepts one new connection per
 * event-loop turn, so a burst of brand-new connections waits in the kernel until the process gets
 * through that many turns; keep-alive clients (or a reverse proxy's upstream pool) do not pay it.
 */
import type { Logger } from 'pino';
import type { Deps } from '../deps.js';
import { BusyError } from '../domain/errors.js';
import { failure } from '../tools/outcome.js';
import type { ToolOutcome } from '../tools/registry.js';

interface Waiter {
  arrivedAt: number;
  start(): void;
  refuse(): void;
}

/**
 * Calls are started one per turn of the event loop, from a queue, never straight from the socket
 * callback that read them. With the embedded calendar a call is mostly synchronous work (SQLite,
 * the slot engine); started straight away, a burst of them would run back to back inside one turn,
 * and requests on new connections would wait unread in the socket buffers, where no budget can
 * see them (measured: up to ~2 s on a 2-core machine). One start per turn keeps every turn short,
 * so each request is read, and its clock started, within about one call's time of arriving.
 */
export class Admission {
  private running = 0;
  /** In arrival order: the first waiter is the oldest. */
  private readonly waiting = new Set<Waiter>();
  private pumpScheduled = false;

  constructor(
    readonly maxConcurrent: number,
    readonly queueTimeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.size };
  }

  /** Refusals since the last warning line, and when that line was written. */
  private shed = 0;
  private shedLoggedAt = Number.NEGATIVE_INFINITY;

  /**
   * Counts a call refused here. Refused calls are not written to the SQLite call log (a write per
   * refusal would add to the very overload being shed); instead a warning line for the first one,
   * then at most one every 10 s with the count since the last.
   */
  noteShed(logger: Logger): void {
    this.shed++;
    const now = this.now();
    if (now - this.shedLoggedAt < 10_000) return;
    logger.warn({ shed: this.shed, maxConcurrent: this.maxConcurrent, queueTimeoutMs: this.queueTimeoutMs }, 'busy: tool calls answered BUSY without running (TOOL_MAX_CONCURRENCY, TOOL_QUEUE_TIMEOUT_MS)');
    this.shed = 0;
    this.shedLoggedAt = now;
  }

  /**
   * Waits for a slot until `queueTimeoutMs` after `arrivedAt` (when the call came in), and never
   * after `signal` aborts. Returns the function that gives the slot back (call it once; more calls
   * do nothing). Throws BusyError when no slot came in time. Time spent waiting for a busy event
   * loop counts too: lateness is checked every turn, not only by a timer that may fire late.
   */
  acquire(signal?: AbortSignal, arrivedAt = this.now()): Promise<() => void> {
    if (signal?.aborted || this.late(arrivedAt)) return Promise.reject(new BusyError());
    // 0 = never wait in line: refused at once when every slot is spoken for.
    if (this.queueTimeoutMs === 0 && this.running + this.waiting.size >= this.maxConcurrent) return Promise.reject(new BusyError());
    // A free slot and nobody ahead: start now, without a timer or a turn of the event loop.
    if (this.waiting.size === 0 && this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.waiting.delete(waiter);
        clearTimeout(timer);
        signal?.removeEventListener('abort', refuse);
      };
      const refuse = () => {
        cleanup();
        reject(new BusyError());
      };
      const waiter: Waiter = {
        arrivedAt,
        start: () => {
          cleanup();
          this.running++;
          resolve(this.releaser());
        },
        refuse,
      };
      // For an idle loop waiting on slots held by remote calls; a busy loop is checked by pump().
      const timer = this.queueTimeoutMs > 0 ? setTimeout(refuse, Math.max(0, arrivedAt + this.queueTimeoutMs - this.now())) : undefined;
      signal?.addEventListener('abort', refuse, { once: true });
      this.waiting.add(waiter);
      this.schedule();
    });
  }

  /** 0 means "never wait in line": only a free slot decides, whatever the event loop took. */
  private late(arrivedAt: number): boolean {
    return this.queueTimeoutMs > 0 && this.now() - arrivedAt > this.queueTimeoutMs;
  }

  private schedule(): void {
    if (this.pumpScheduled || this.waiting.size === 0 || this.running >= this.maxConcurrent) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  /** One turn: refuse the waiters already past their budget, start the oldest one left. */
  private pump(): void {
    this.pumpScheduled = false;
    for (const w of this.waiting) {
      if (!this.late(w.arrivedAt)) break; // in arrival order: the rest are younger
      w.refuse();
    }
    if (this.running < this.maxConcurrent) {
      const next = this.waiting.values().next();
      if (!next.done) next.value.start();
    }
    this.schedule();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.schedule();
    };
  }
}

/** What a refused call would have changed, so its answer can say that nothing was. */
const ACTIONS: Record<string, 'book' | 'cancel' | 'move'> = {
  book_appointment: 'book',
  schedule_meeting: 'book',
  cancel_appointment: 'cancel',
  reschedule_appointment: 'move',
};

/** Seconds a client should wait before retrying a BUSY answer (Retry-After on /tools). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Runs `fn` (one tool call) once it is admitted, with the call's deadline signal; answers BUSY when
 * it cannot start in time (`shed`: it did not run), and gives every BUSY answer (also one thrown by
 * a lock wait inside the call) the tool's sentence and the `busy` kind.
 */
export async function admitted(
  deps: Deps,
  tool: string,
  fn: (signal: AbortSignal) => Promise<ToolOutcome>,
  /** Runs on the final outcome while the slot is still held (the call log, the flush of the change). */
  finish: (outcome: ToolOutcome) => Promise<ToolOutcome> = async (o) => o,
): Promise<ToolOutcome> {
  const arrivedAt = performance.now();
  const signal = AbortSignal.timeout(deps.settings.TOOL_DEADLINE_MS);
  let release: () => void;
  try {
    release = await deps.admission.acquire(signal, arrivedAt);
  } catch (err) {
    if (!(err instanceof BusyError)) throw err;
    deps.admission.noteShed(deps.logger);
    const r = failure(deps, new BusyError(ACTIONS[tool]));
    return { kind: 'busy', shed: true, result: r.result, say: r.say };
  }
  try {
    const outcome = await fn(signal);
    if (outcome.result.code !== 'BUSY') return await finish(outcome);
    // A lock wait inside the call ran out: say it in terms of what the caller asked for.
    const r = failure(deps, new BusyError(ACTIONS[tool]));
    return await finish({ kind: 'busy', result: { ...outcome.result, message: r.result.message }, say: r.say });
  } finally {
    release();
  }
}
