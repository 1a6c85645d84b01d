/**
 * The tool registry and the single dispatch path every entry point uses (HTTP, Vapi, and the other
 * platform adapters): parse -> fill the caller's number -> validate with the tool's zod schema ->
 * idempotency -> run under a deadline -> turn any error into a spoken result -> log the call.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { admitted } from '../booking/admission.js';
import type { Deps } from '../deps.js';
import { BookingError, InvalidArgumentError } from '../domain/errors.js';
import { normalizePhone } from '../domain/phone.js';
import { failureResult, oneLine } from '../domain/speech.js';
import { bookAppointment } from './book_appointment.js';
import { cancelAppointment } from './cancel_appointment.js';
import { findAvailableSlots } from './find_available_slots.js';
import { getNextAvailable } from './get_next_available.js';
import { listAppointments } from './list_appointments.js';
import { listServices } from './list_services.js';
import { rescheduleAppointment } from './reschedule_appointment.js';
import type { ToolContext, ToolDefinition, ToolResult } from './types.js';

// The order here is the order definitions are published in.
export const TOOLS: readonly ToolDefinition[] = [
  listServices,
  findAvailableSlots,
  getNextAvailable,
  bookAppointment,
  cancelAppointment,
  rescheduleAppointment,
  listAppointments,
] as unknown as readonly ToolDefinition[];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

export function getTool(name: string): ToolDefinition | undefined {
  return BY_NAME.get(name);
}

export interface CallMeta {
  platform: string;
  callId?: string | undefined;
  toolCallId?: string | undefined;
  callerPhone?: string | undefined;
  /** Replays with the same key get the first answer (mutating tools only). */
  idempotencyKey?: string | undefined;
  /**
   * The client address, for per-IP limits. Only entry points that callers reach directly pass it:
   * every Vapi request comes from Vapi's own addresses.
   */
  clientIp?: string | undefined;
}

const FIELD_WORDS: Record<string, string> = {
  customer_name: "the caller's name",
  customer_phone: "the caller's phone number",
  customer_email: "the caller's email address",
  service_name: 'which service the caller wants',
  staff_name: 'which staff member the caller wants',
  appointment_datetime: 'the date and time the caller wants',
  new_datetime: 'the new date and time',
  start_date: 'the first date to search',
  end_date: 'the last date to search',
  after: 'the date to search from',
  appointment_id: 'which appointment',
  time_of_day: 'the part of the day (morning, afternoon or evening)',
  max_results: 'how many times to offer (1 to 20)',
  notes: 'the note',
  reason: 'the reason',
};

/** A zod failure as one sentence that tells the assistant what to ask the caller. */
function invalidSentence(tool: ToolDefinition, error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const allowed = Object.keys(tool.schema.shape).join(', ');
    return `${tool.name} does not take ${issue.keys.map((k) => `"${k.slice(0, 40)}"`).join(', ')}; its arguments are ${allowed}.`;
  }
  const field = String(issue.path[0] ?? '');
  const words = FIELD_WORDS[field] ?? field.replace(/_/g, ' ');
  if (issue.code === 'invalid_type' && issue.input === undefined) return `I need ${words} to do that; please ask the caller.`;
  if (issue.code === 'too_big') return `The value given for ${words} is too long; please ask the caller again.`;
  if (field === 'customer_email') return `That email address doesn't look right; please ask the caller to spell it, or leave it out.`;
  return `The value given for ${words} isn't valid (${oneLine(issue.message).slice(0, 120)}); please ask the caller again.`;
}

function stripNulls(args: Record<string, unknown>): Record<string, unknown> {
  // OpenAI strict mode sends null for every optional argument the model leaves out.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== null && v !== '') out[k] = v;
  return out;
}

function hashArgs(tool: string, args: unknown): string {
  return createHash('sha256').update(tool).update('\0').update(JSON.stringify(args)).digest('hex');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ToolOutcome {
  result: ToolResult;
  /** For HTTP status mapping by callers that want it. */
  kind: 'ok' | 'failed' | 'invalid' | 'unknown_tool' | 'rate_limited' | 'busy';
  /** Refused by admission control before it ran: not written to the call log (src/booking/admission.ts). */
  shed?: boolean;
}

/** Runs one tool call from any platform. Never throws. */
export async function runTool(deps: Deps, name: string, rawArgs: unknown, meta: CallMeta): Promise<ToolOutcome> {
  const t0 = performance.now();
  const tool = getTool(name);
  let args: unknown = rawArgs;
  let replayed = false;
  let outcome: ToolOutcome;

  try {
    if (!tool) {
      outcome = {
        kind: 'unknown_tool',
        result: { ok: false, code: 'UNKNOWN_TOOL', message: `There is no tool called "${String(name).slice(0, 64)}"; the tools are ${TOOLS.map((t) => t.name).join(', ')}.` },
      };
    } else {
      // Admission control (src/booking/admission.ts): a call that cannot start within its budget is answered BUSY.
      outcome = await admitted(deps, tool.name, (signal) =>
        dispatch(deps, tool, rawArgs, meta, signal, (a) => (args = a), () => (replayed = true)),
      );
    }
  } catch (err) {
    deps.logger.error({ err, tool: name }, 'tool call failed unexpectedly');
    outcome = { kind: 'failed', result: failureResult(err) as ToolResult };
  }

  try {
    if (!outcome.shed) deps.store.calls.record({
      at: deps.clock.now(),
      platform: meta.platform,
      callId: meta.callId ?? null,
      toolCallId: meta.toolCallId ?? null,
      caller: meta.callerPhone ?? null,
      tool: String(name).slice(0, 100),
      args,
      ok: outcome.result.ok,
      code: outcome.result.code ?? null,
      result: outcome.result,
      latencyMs: performance.now() - t0,
      replayed,
    });
  } catch (err) {
    // The caller's answer matters more than the log line.
    deps.logger.error({ err }, 'could not write the call log');
  }
  return outcome;
}

async function dispatch(
  deps: Deps,
  tool: ToolDefinition,
  rawArgs: unknown,
  meta: CallMeta,
  /** Aborts at the call's deadline, counted from its arrival. */
  signal: AbortSignal,
  setArgs: (a: unknown) => void,
  markReplay: () => void,
): Promise<ToolOutcome> {
  let parsedArgs: unknown = rawArgs ?? {};
  if (typeof parsedArgs === 'string') {
    try {
      parsedArgs = parsedArgs.trim() === '' ? {} : JSON.parse(parsedArgs);
    } catch {
      return invalid(new InvalidArgumentError(`The arguments for ${tool.name} were not valid JSON; please try the call again.`));
    }
  }
  if (typeof parsedArgs !== 'object' || parsedArgs === null || Array.isArray(parsedArgs)) {
    return invalid(new InvalidArgumentError(`The arguments for ${tool.name} must be an object with named fields.`));
  }
  let args = stripNulls(parsedArgs as Record<string, unknown>);
  if (tool.callerPhoneArg && args[tool.callerPhoneArg] === undefined && meta.callerPhone) {
    args = { ...args, [tool.callerPhoneArg]: meta.callerPhone };
  }
  setArgs(args);

  const parsed = tool.schema.safeParse(args);
  if (!parsed.success) return invalid(new InvalidArgumentError(invalidSentence(tool, parsed.error)));

  const data = parsed.data as Record<string, unknown>;
  const region = deps.config.business.phoneRegion;
  const argPhone = tool.callerPhoneArg && typeof data[tool.callerPhoneArg] === 'string' ? normalizePhone(data[tool.callerPhoneArg] as string, region) : undefined;
  if (tool.bindToCaller && meta.callerPhone && !deps.settings.TRUST_MODEL_PHONE) {
    const caller = normalizePhone(meta.callerPhone, region);
    if (caller && argPhone !== caller) {
      deps.logger.warn({ tool: tool.name, platform: meta.platform, callId: meta.callId, caller, requested: argPhone }, 'refused: phone does not match the caller id');
      return {
        kind: 'failed',
        result: failureResult(
          new BookingError(
            'CALLER_MISMATCH',
            "For privacy, I can only look up or change appointments for the number you're calling from. If the appointment is under another number, please call from that number or contact us directly.",
          ),
        ) as ToolResult,
      };
    }
  }

  const key = tool.mutating && meta.idempotencyKey ? `${tool.name}:${meta.idempotencyKey}` : undefined;
  const deadlineMs = deps.settings.TOOL_DEADLINE_MS;
  if (key) {
    const argsHash = hashArgs(tool.name, parsed.data);
    for (;;) {
      const now = deps.clock.now();
      const claim = deps.store.idempotency.claim(key, tool.name, argsHash, now, now - 3 * deadlineMs);
      if (claim.state === 'claimed') break;
      if (claim.state === 'done') {
        markReplay();
        const result = JSON.parse(claim.resultJson) as ToolResult;
        return { kind: result.ok ? 'ok' : 'failed', result };
      }
      // Same call still running elsewhere: wait for its answer rather than run it twice.
      if (signal.aborted) {
        return { kind: 'failed', result: { ok: false, code: 'CALENDAR_UNAVAILABLE', message: 'That request is still being processed; please wait a moment and ask me to check.' } };
      }
      await sleep(25);
    }
  }

  if (tool.mutating) {
    const now = deps.clock.now();
    const phoneKey = argPhone ?? (meta.callerPhone ? normalizePhone(meta.callerPhone, region) : undefined);
    const limited = (phoneKey !== undefined && !deps.limits.perPhone.take(phoneKey, now)) || (meta.clientIp !== undefined && !deps.limits.perIp.take(meta.clientIp, now));
    if (limited) {
      if (key) deps.store.idempotency.release(key);
      deps.logger.warn({ tool: tool.name, platform: meta.platform, phone: phoneKey, ip: meta.clientIp }, 'write rate limit reached');
      return {
        kind: 'rate_limited',
        result: failureResult(
          new BookingError('RATE_LIMITED', 'There have been too many appointment changes from this number in a short time; please try again later, or contact us directly.'),
        ) as ToolResult,
      };
    }
  }

  const ctx: ToolContext = { deps, signal, platform: meta.platform, callerPhone: meta.callerPhone, requestKey: key };
  let result: ToolResult;
  try {
    result = await tool.handler(ctx, parsed.data);
    result.message = oneLine(result.message);
  } catch (err) {
    result = failureResult(err) as ToolResult;
    if (result.code === 'INTERNAL') deps.logger.error({ err, tool: tool.name }, 'tool handler failed');
  }
  if (key) {
    // A failure worth retrying (calendar down, our bug) must not be replayed forever.
    if (result.code === 'CALENDAR_UNAVAILABLE' || result.code === 'INTERNAL' || result.code === 'BUSY') deps.store.idempotency.release(key);
    else deps.store.idempotency.complete(key, JSON.stringify(result));
  }
  return { kind: result.ok ? 'ok' : result.code === 'INVALID_ARGUMENT' ? 'invalid' : 'failed', result };
}

function invalid(err: InvalidArgumentError): ToolOutcome {
  return { kind: 'invalid', result: failureResult(err) as ToolResult };
}
