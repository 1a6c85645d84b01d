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
 * runTool (src/tools/registry.ts) is the one caller, so every entry point gets the same limits.
 */
import { BusyError } from '../domain/errors.js';
import { failureResult } from '../domain/speech.js';
import type { ToolOutcome } from '../tools/registry.js';
import type { ToolResult } from '../tools/types.js';

export class Admission {
  private running = 0;
  /** Insertion-ordered: the first waiter is the oldest. */
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly maxConcurrent: number,
    readonly queueTimeoutMs: number,
  ) {}

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.size };
  }

  /**
   * Waits for a free slot: at most `queueTimeoutMs`, and never after `signal` aborts. Returns the
   * function that gives the slot back (call it exactly once). Throws BusyError when no slot freed up.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new BusyError();
    if (this.running < this.maxConcurrent && this.waiting.size === 0) return this.take();
    if (this.queueTimeoutMs === 0) throw new BusyError();
    await new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
      };
      const admit = () => {
        cleanup();
        resolve();
      };
      const giveUp = () => {
        this.waiting.delete(admit);
        cleanup();
        reject(new BusyError());
      };
      const timer = setTimeout(giveUp, this.queueTimeoutMs);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.waiting.add(admit);
    });
    // The slot was handed over by release(): `running` already counts it.
    return this.releaser();
  }

  private take(): () => void {
    this.running++;
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.values().next();
      if (next.done) {
        this.running--;
      } else {
        // Hand the slot straight to the oldest waiter, so a newcomer cannot overtake the line.
        this.waiting.delete(next.value);
        next.value();
      }
    };
  }
}

/** The sentence for a call that could not start, said in terms of what the caller asked for. */
const BUSY_SENTENCES: Record<string, string> = {
  book_appointment: "We're very busy right now; please try again in a moment. Nothing was booked.",
  cancel_appointment: "We're very busy right now; please try again in a moment. The appointment has not been cancelled.",
  reschedule_appointment: "We're very busy right now; please try again in a moment. The appointment has not been moved.",
};
const BUSY_DEFAULT = "We're very busy right now; please try again in a moment.";

export function busySentence(tool: string): string {
  return BUSY_SENTENCES[tool] ?? BUSY_DEFAULT;
}

/** Seconds a client should wait before retrying a BUSY answer (Retry-After on /tools). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Runs `fn` (one tool call) once it is admitted, with the call's deadline signal; answers BUSY when
 * it cannot start in time, and gives every BUSY answer (also one thrown by a lock wait inside the
 * call) the tool's sentence and the `busy` kind.
 */
export async function admitted(admission: Admission, deadlineMs: number, tool: string, fn: (signal: AbortSignal) => Promise<ToolOutcome>): Promise<ToolOutcome> {
  const signal = AbortSignal.timeout(deadlineMs);
  let release: () => void;
  try {
    release = await admission.acquire(signal);
  } catch (err) {
    if (!(err instanceof BusyError)) throw err;
    return { kind: 'busy', result: { ...(failureResult(err) as ToolResult), message: busySentence(tool) } };
  }
  try {
    const outcome = await fn(signal);
    if (outcome.result.code !== 'BUSY') return outcome;
    return { kind: 'busy', result: { ...outcome.result, message: busySentence(tool) } };
  } finally {
    release();
  }
}
