/**
 * The tool registry and the single dispatch path every entry point uses (HTTP, Vapi, and the other
 * platform adapters): parse -> translate an alias -> fill the caller's number -> validate with the
 * tool's zod schema -> idempotency -> run under a deadline -> render the outcome -> log the call.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { admitted } from '../booking/admission.js';
import type { Deps } from '../deps.js';
import { BookingError, StoreUnavailableError } from '../domain/errors.js';
import type { Message } from '../domain/messages.js';
import { normalizePhone } from '../domain/phone.js';
import { ALIASES, aliasFor, isAliasName } from './aliases.js';
import { knownTools, recordToolCall } from '../metrics/index.js';
import { bookAppointment } from './book_appointment.js';
import { cancelAppointment } from './cancel_appointment.js';
import { findAvailableSlots } from './find_available_slots.js';
import { getNextAvailable } from './get_next_available.js';
import { listAppointments } from './list_appointments.js';
import { listServices } from './list_services.js';
import { failure, loadRendered, type Rendered, storeRendered, success } from './outcome.js';
import { requestCallbackTool } from './request_callback.js';
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
  requestCallbackTool,
] as unknown as readonly ToolDefinition[];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));
knownTools([...BY_NAME.keys(), ...ALIASES.map((a) => a.name)]);

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

/** A zod failure as a message code about the first problem; never the validator's own words. */
function invalidArguments(schema: z.ZodObject, error: z.ZodError): BookingError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => k.slice(0, 40));
    return new BookingError('ARG_UNEXPECTED', { names }, { unexpected: names, allowed_arguments: Object.keys(schema.shape) });
  }
  const field = String(issue.path[0] ?? '');
  const details = { field };
  if (issue.code === 'invalid_type' && issue.input === undefined) return new BookingError('ARG_MISSING', { field }, details);
  if (issue.code === 'too_big') return new BookingError('ARG_TOO_LONG', { field }, details);
  return new BookingError('ARG_INVALID', { field }, details);
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

export type OutcomeKind = 'ok' | 'failed' | 'invalid' | 'unknown_tool' | 'rate_limited' | 'conflict' | 'busy';

export interface ToolOutcome {
  /** What the platform gets (serialized). */
  result: ToolResult;
  /** For HTTP status mapping by callers that want it. */
  kind: OutcomeKind;
  /** The outcome as a message code and parameters, for renderers other than voice (not serialized). */
  say?: Message | undefined;
  /** Refused by admission control before it ran: not written to the call log (src/booking/admission.ts). */
  shed?: boolean;
}

function kindOf(result: ToolResult): OutcomeKind {
  if (result.ok) return 'ok';
  if (result.code === 'INVALID_ARGUMENT') return 'invalid';
  if (result.code === 'UNKNOWN_TOOL') return 'unknown_tool';
  if (result.code === 'RATE_LIMITED') return 'rate_limited';
  if (result.code === 'IDEMPOTENCY_MISMATCH') return 'conflict';
  if (result.code === 'BUSY') return 'busy';
  return 'failed';
}

function outcome(r: Rendered): ToolOutcome {
  return { result: r.result, say: r.say, kind: kindOf(r.result) };
}

/** What dispatch learns of a call that runTool's call log needs. */
interface CallState {
  /** As logged: the arguments once parsed (an alias's as the assistant sent them). */
  args: unknown;
  /** Answered from the idempotency record. */
  replayed: boolean;
  /** The tool that runs changes appointments (an alias's target decides). */
  mutating: boolean;
  /** A successful change's idempotency completion, made in the commit of its call-log row. */
  completes: { key: string; resultJson: string } | undefined;
}

/** Runs one tool call from any platform. Never throws. */
export async function runTool(deps: Deps, name: string, rawArgs: unknown, meta: CallMeta): Promise<ToolOutcome> {
  const t0 = performance.now();
  const tool = getTool(name);
  const state: CallState = { args: rawArgs, replayed: false, mutating: tool?.mutating === true, completes: undefined };
  let logged = false;

  // A change a caller is told about is logged with a durable commit, and that commit's flush is
  // also what puts the change itself on disk: a handler may leave its own commits relaxed
  // (book_appointment does), so one flush per booking does for both. It runs inside the call's
  // admission slot, so the wait for the disk counts against the capacity like the rest of the call.
  const finish = async (o: ToolOutcome): Promise<ToolOutcome> => {
    logged = true;
    if (o.shed) return o;
    // The tool that ran decides, not the name called: an alias of book_appointment books too.
    const durable = state.mutating && o.result.ok && !state.replayed;
    try {
      await deps.store.calls.record({
        at: deps.clock.now(),
        platform: meta.platform,
        callId: meta.callId ?? null,
        toolCallId: meta.toolCallId ?? null,
        caller: meta.callerPhone ?? null,
        tool: String(name).slice(0, 100),
        args: state.args,
        ok: o.result.ok,
        code: o.result.code ?? null,
        result: o.result,
        latencyMs: performance.now() - t0,
        replayed: state.replayed,
        // A read-only call's row goes with the next batch (src/store/sql/batch.ts states the loss bound).
      }, { durable, completes: state.completes });
    } catch (err) {
      // The log line itself may be dropped (the caller's answer matters more), but a failed
      // durability barrier means the change may not be on disk: it must not be announced.
      deps.logger.error({ err }, durable ? 'could not make the change durable' : 'could not write the call log');
      if (durable) return outcome(failure(deps, new StoreUnavailableError({ cause: err })));
    }
    return o;
  };

  let out: ToolOutcome;
  try {
    if (!tool && !isAliasName(name)) {
      out = await finish(outcome(failure(deps, new BookingError('UNKNOWN_TOOL', { name: String(name).slice(0, 64) }, { tools: TOOLS.map((t) => t.name) }))));
    } else {
      // Admission control (src/booking/admission.ts): a call that cannot start within its budget is answered BUSY.
      out = await admitted(deps, String(name), (signal) => dispatch(deps, name, rawArgs, meta, signal, state), finish);
    }
  } catch (err) {
    deps.logger.error({ err, tool: name }, 'tool call failed unexpectedly');
    out = outcome(failure(deps, err));
    if (!logged) out = await finish(out);
  }
  // Shed by admission control: answered BUSY without running, and not logged (src/booking/admission.ts).
  recordToolCall({ business: deps.store.businessId, tool: String(name), platform: meta.platform, code: out.result.ok ? undefined : out.result.code, seconds: (performance.now() - t0) / 1000, say: state.replayed ? undefined : out.say });
  return out;
}

/** JSON text or an object -> the argument object, or the failure to answer with. */
function argumentObject(rawArgs: unknown): Record<string, unknown> | BookingError {
  let parsed: unknown = rawArgs ?? {};
  if (typeof parsed === 'string') {
    try {
      parsed = parsed.trim() === '' ? {} : JSON.parse(parsed);
    } catch {
      return new BookingError('ARGS_NOT_JSON', {});
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return new BookingError('ARGS_NOT_OBJECT', {});
  return stripNulls(parsed as Record<string, unknown>);
}

async function dispatch(
  deps: Deps,
  name: string,
  rawArgs: unknown,
  meta: CallMeta,
  /** Aborts at the call's deadline, counted from its arrival. */
  signal: AbortSignal,
  state: CallState,
): Promise<ToolOutcome> {
  const fail = (err: BookingError) => outcome(failure(deps, err));
  const given = argumentObject(rawArgs);
  if (given instanceof BookingError) return fail(given);
  let args = given;

  let tool = getTool(name);
  const alias = aliasFor(name, args);
  state.args = args;
  if (alias) {
    // The call log keeps the alias's arguments as the assistant sent them.
    const parsedAlias = alias.schema.safeParse(args);
    if (!parsedAlias.success) return fail(invalidArguments(alias.schema, parsedAlias.error));
    args = stripNulls(alias.translate(deps.config, parsedAlias.data));
    tool = getTool(alias.target);
  }
  if (!tool) return fail(new BookingError('UNKNOWN_TOOL', { name: name.slice(0, 64) }, { tools: TOOLS.map((t) => t.name) }));
  state.mutating = tool.mutating === true;

  if (tool.callerPhoneArg && args[tool.callerPhoneArg] === undefined && meta.callerPhone) {
    args = { ...args, [tool.callerPhoneArg]: meta.callerPhone };
  }
  if (!alias) state.args = args;

  const parsed = tool.schema.safeParse(args);
  if (!parsed.success) return fail(invalidArguments(tool.schema, parsed.error));

  const data = parsed.data as Record<string, unknown>;
  const region = deps.config.business.phoneRegion;
  const argPhone = tool.callerPhoneArg && typeof data[tool.callerPhoneArg] === 'string' ? normalizePhone(data[tool.callerPhoneArg] as string, region) : undefined;
  if (tool.bindToCaller && meta.callerPhone && !deps.settings.TRUST_MODEL_PHONE) {
    const caller = normalizePhone(meta.callerPhone, region);
    if (caller && argPhone !== caller) {
      deps.logger.warn({ tool: tool.name, platform: meta.platform, callId: meta.callId, caller, requested: argPhone }, 'refused: phone does not match the caller id');
      return fail(new BookingError('CALLER_MISMATCH', {}));
    }
  }

  // Keyed by the name called, so an alias and our own tool never answer for each other.
  const key = tool.mutating && meta.idempotencyKey ? `${name}:${meta.idempotencyKey}` : undefined;
  const deadlineMs = deps.settings.TOOL_DEADLINE_MS;
  if (key) {
    const argsHash = hashArgs(name, parsed.data);
    for (;;) {
      const now = deps.clock.now();
      const claim = await deps.store.idempotency.claim(key, tool.name, argsHash, now, now - 3 * deadlineMs);
      if (claim.state === 'claimed') break;
      if (!claim.sameArgs) {
        // The key was used for another request: answering with that one's result would tell this
        // caller something false (Stripe refuses the same way).
        deps.logger.warn({ tool: name, platform: meta.platform, callId: meta.callId }, 'refused: idempotency key reused with different arguments');
        return fail(new BookingError('IDEMPOTENCY_MISMATCH', {}));
      }
      if (claim.state === 'done') {
        state.replayed = true;
        const stored = loadRendered(claim.resultJson);
        return { result: stored.result, say: stored.say, kind: kindOf(stored.result) };
      }
      // Same call still running elsewhere: wait for its answer rather than run it twice.
      if (signal.aborted) return fail(new BookingError('STILL_PROCESSING', {}));
      await sleep(25);
    }
  }

  if (tool.mutating) {
    const now = deps.clock.now();
    const phoneKey = argPhone ?? (meta.callerPhone ? normalizePhone(meta.callerPhone, region) : undefined);
    const limited = !(await deps.limits.take({ phone: phoneKey, ip: meta.clientIp }, now));
    if (limited) {
      if (key) await deps.store.idempotency.release(key);
      deps.logger.warn({ tool: tool.name, platform: meta.platform, phone: phoneKey, ip: meta.clientIp }, 'write rate limit reached');
      return fail(new BookingError('RATE_LIMITED', {}));
    }
  }

  const ctx: ToolContext = { deps, signal, platform: meta.platform, callerPhone: meta.callerPhone, requestKey: key };
  let rendered: Rendered;
  try {
    rendered = success(deps, await tool.handler(ctx, parsed.data));
  } catch (err) {
    rendered = failure(deps, err);
    if (rendered.result.code === 'INTERNAL') deps.logger.error({ err, tool: tool.name }, 'tool handler failed');
  }
  if (key) {
    // A failure worth retrying (calendar down, our bug) must not be replayed forever.
    const code = rendered.result.code;
    if (code === 'CALENDAR_UNAVAILABLE' || code === 'STORE_UNAVAILABLE' || code === 'INTERNAL' || code === 'BUSY') await deps.store.idempotency.release(key).catch(() => undefined);
    // A change goes with its durable log row, one commit instead of two; a refusal is recorded now.
    else if (rendered.result.ok) state.completes = { key, resultJson: storeRendered(rendered) };
    else await deps.store.idempotency.complete(key, storeRendered(rendered));
  }
  return outcome(rendered);
}
