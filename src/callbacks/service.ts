/**
 * Callback requests: what a caller who cannot or will not book is promised, who calls them back,
 * and what happens when nobody does. Every write goes through one unit of work with the message it
 * plans (the assignee's SMS, the escalation), so a callback is never recorded without its
 * notification, nor notified twice.
 */
import type { Interval } from '../calendar/provider.js';
import type { StaffConfig } from '../config/business.js';
import type { Deps } from '../deps.js';
import { randomBase32hex } from '../domain/ids.js';
import { normalizePhone } from '../domain/phone.js';
import { TimeZone } from '../domain/zone.js';
import { callbackAssignedSms, callbackOverdueSms, callbackRetryMissedSms } from '../render/callbacks.js';
import { closedDay, dayOpenRanges } from '../slots/engine.js';
import type { Callback, CallbackStatus, CallbackUrgency, Repos } from '../store/ports.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** How far ahead opening hours are looked for; a business closed for longer gets a wall-clock window. */
const LOOKAHEAD_DAYS = 21;

/** Opening intervals of the business from `from` on, clipped to start no earlier than it. */
function openingsFrom(deps: Deps, from: number): Interval[] {
  const tz = TimeZone.of(deps.rules.zone);
  const out: Interval[] = [];
  for (let d = 0; d < LOOKAHEAD_DAYS; d++) {
    // Noon of each local day: a day of 23 or 25 hours never makes it skip or repeat a day.
    const anchor = tz.startOfDay(from, d) + 12 * HOUR;
    for (const r of dayOpenRanges(deps.rules, deps.rules.businessHours, anchor)) {
      if (r.end > from) out.push({ start: Math.max(r.start, from), end: r.end });
    }
  }
  return out;
}

export interface CallbackWindow {
  dueAt: number;
  /** The business is closed at `now`: the window starts at the next opening. */
  closedNow: boolean;
  /** The promised time falls outside opening hours (wall-clock windows only). */
  outsideHours: boolean;
}

/**
 * When `minutes` from `now` ends. In business-hours mode only opening time counts; otherwise the
 * wall clock does, and the answer says when that lands outside opening hours.
 */
export function windowEnd(deps: Deps, now: number, minutes: number): CallbackWindow {
  const openings = openingsFrom(deps, now);
  const first = openings[0];
  const closedNow = first === undefined || first.start > now;
  if (deps.config.callbacks.businessHoursOnly && first) {
    let remaining = minutes * MINUTE;
    for (const o of openings) {
      if (o.end - o.start >= remaining) return { dueAt: o.start + remaining, closedNow, outsideHours: false };
      remaining -= o.end - o.start;
    }
  }
  const dueAt = now + minutes * MINUTE;
  return { dueAt, closedNow: false, outsideHours: !within(openings, dueAt) };
}

function within(openings: readonly Interval[], t: number): boolean {
  return openings.some((o) => o.start <= t && t <= o.end);
}

export function promiseFor(deps: Deps, urgency: CallbackUrgency, now: number): CallbackWindow {
  return windowEnd(deps, now, deps.config.callbacks.windowMinutes[urgency]);
}

/**
 * Staff who can take this callback on the day it is due, leaving out those `away` for the whole
 * window (time off, or booked solid): urgent ones go to senior staff first.
 */
export function candidates(deps: Deps, urgency: CallbackUrgency, at: number, away: ReadonlySet<string> = new Set()): StaffConfig[] {
  const working = deps.config.staff.filter((s) => s.callbacks !== 'none' && !away.has(s.id) && closedDay(deps.rules, [s.id], at) === undefined);
  if (urgency === 'urgent') {
    const seniors = working.filter((s) => s.senior || s.callbacks === 'urgent');
    if (seniors.length) return seniors;
  }
  return working.filter((s) => s.callbacks === 'all');
}

/** Round robin: the candidate given a callback longest ago (never = first), ties in file order. */
export function pickAssignee(pool: readonly StaffConfig[], last: ReadonlyMap<string, number>): StaffConfig | undefined {
  let best: StaffConfig | undefined;
  let bestAt = Infinity;
  for (const s of pool) {
    const at = last.get(s.id) ?? -Infinity;
    if (at < bestAt) {
      best = s;
      bestAt = at;
    }
  }
  return best;
}

const RANK: Record<CallbackUrgency, number> = { urgent: 0, high: 1, medium: 2, low: 3 };

export interface CallbackRequest {
  customerName: string;
  customerPhone: string;
  reason: string;
  urgency: CallbackUrgency;
  preferredTime: string | null;
  serviceId: string | null;
  source: string;
}

export interface CallbackOutcome {
  callback: Callback;
  promise: CallbackWindow;
  /** A repeat request that updated the caller's open callback. */
  updated: boolean;
}

/**
 * Staff whose calendar is busy for the whole of [from, to): off (a time-off block, a day off in
 * their own calendar) or with appointments back to back, so they cannot make the call in time.
 * Read before the unit of work (no calendar I/O inside one); a calendar that cannot be read
 * leaves its staff in the rotation rather than fail the request.
 */
async function awayFor(deps: Deps, from: number, to: number): Promise<Set<string>> {
  const staff = deps.config.staff.filter((s) => s.callbacks !== 'none');
  try {
    const fb = await deps.calendar.freeBusy([...new Set(staff.map((s) => s.calendarId))], { start: from, end: to }, AbortSignal.timeout(deps.settings.TOOL_DEADLINE_MS));
    return new Set(staff.filter((s) => !fb.errors.has(s.calendarId) && covers(fb.busy.get(s.calendarId) ?? [], from, to)).map((s) => s.id));
  } catch (err) {
    deps.logger.warn({ err }, 'calendars unreadable for callback assignment; nobody is left out as away');
    return new Set();
  }
}

/** Whether the `busy` intervals leave no gap in [from, to). */
function covers(busy: readonly Interval[], from: number, to: number): boolean {
  let t = from;
  for (const b of [...busy].sort((x, y) => x.start - y.start)) {
    if (b.start > t) break;
    if (b.end > t) t = b.end;
    if (t >= to) return true;
  }
  return t >= to;
}

export async function requestCallback(deps: Deps, req: CallbackRequest): Promise<CallbackOutcome> {
  const now = deps.clock.now();
  const away = await awayFor(deps, now, promiseFor(deps, req.urgency, now).dueAt);
  return deps.store.withTransaction(async (tx) => {
    // Read under the lock, so two requests from one number at once still make one callback.
    const last = await tx.callbacks.lastAssigned();
    const open = await tx.callbacks.openByPhone(req.customerPhone);
    if (open) {
      const urgency = RANK[req.urgency] < RANK[open.urgency] ? req.urgency : open.urgency;
      const promise = promiseFor(deps, urgency, now);
      // A repeat never pushes the promise back: the first one stands while it is sooner and still
      // ahead. One that has passed is replaced by a fresh promise (and may be escalated again).
      const kept = open.dueAt > now && open.dueAt <= promise.dueAt ? { dueAt: open.dueAt, closedNow: false, outsideHours: !within(openingsFrom(deps, now), open.dueAt) } : promise;
      const reason = open.reason === req.reason ? open.reason : `${open.reason} / ${req.reason}`.slice(0, 1000);
      const merged = (await tx.callbacks.merge(
        open.id,
        { urgency, customerName: req.customerName, reason, preferredTime: req.preferredTime ?? open.preferredTime, serviceId: req.serviceId ?? open.serviceId, dueAt: kept.dueAt },
        now,
      ))!;
      await tx.callbacks.addEvent(open.id, { at: now, fromStatus: open.status, toStatus: merged.status, actor: 'caller', notes: `asked again: ${req.reason}`.slice(0, 1000), outcome: null });
      if (urgency !== open.urgency) await tellAssignee(deps, tx, merged, now, `raised:${urgency}`);
      return { callback: merged, promise: kept, updated: true };
    }
    const promise = promiseFor(deps, req.urgency, now);
    const assignee = pickAssignee(candidates(deps, req.urgency, promise.dueAt, away), last);
    const callback = await tx.callbacks.insert(
      {
        id: `cb_${randomBase32hex(16)}`,
        urgency: req.urgency,
        customerName: req.customerName,
        customerPhone: req.customerPhone,
        reason: req.reason,
        preferredTime: req.preferredTime,
        serviceId: req.serviceId,
        assigneeId: assignee?.id ?? null,
        dueAt: promise.dueAt,
        source: req.source,
      },
      now,
    );
    await tx.callbacks.addEvent(callback.id, { at: now, fromStatus: null, toStatus: 'pending', actor: 'caller', notes: null, outcome: null });
    await tellAssignee(deps, tx, callback, now, 'assigned');
    return { callback, promise, updated: false };
  });
}

function phoneOf(deps: Deps, raw: string | undefined): string | undefined {
  return raw ? normalizePhone(raw, deps.config.business.phoneRegion) : undefined;
}

/** The business's own number for escalations: the configured one, else the business phone. */
function escalationPhone(deps: Deps): string | undefined {
  return phoneOf(deps, deps.config.callbacks.escalationPhone ?? deps.config.business.phone);
}

/**
 * The assignee hears of it at once: by SMS to their phone and by e-mail to their address when
 * e-mail can go out; with neither (or unassigned), the business contact gets the SMS instead.
 */
async function tellAssignee(deps: Deps, tx: Repos, c: Callback, now: number, event: string): Promise<void> {
  const member = deps.config.staff.find((s) => s.id === c.assigneeId);
  const phone = phoneOf(deps, member?.phone);
  const email = member?.email?.trim() && deps.notifier?.canSend('email') ? member.email.trim() : undefined;
  const to = phone ?? (email ? undefined : escalationPhone(deps));
  const common = { appointmentId: null, kind: 'callback' as const, audience: 'staff' as const, dueAt: now };
  const body = callbackAssignedSms(deps, c, member?.name);
  if (to) await tx.outbox.enqueue({ ...common, dedupeKey: `callback:${c.id}:${event}`, to, body }, now);
  if (email) {
    const subject = `${deps.config.business.name}: ${c.urgency} callback for ${c.customerName}`.replace(/[\r\n]+/g, ' ');
    await tx.outbox.enqueue({ ...common, channel: 'email', dedupeKey: `email:callback:${c.id}:${event}`, to: email, subject, body }, now);
  }
  if (!to && !email) deps.logger.warn({ callback: c.id, assignee: c.assigneeId }, 'nobody to tell about a callback: no staff or business phone');
}

/**
 * Marks every pending callback past its window overdue, and every unanswered one whose next try is
 * due with no new try made, and tells the business contact, once each: the marks are conditional
 * UPDATEs, so of several instances sweeping at once only one sends.
 */
export async function sweepOverdue(deps: Deps): Promise<Callback[]> {
  const now = deps.clock.now();
  return deps.store.withTransaction(async (tx) => {
    const to = escalationPhone(deps);
    const escalate = async (c: Callback, key: string, notes: string, body: (assignee: string | undefined) => string) => {
      await tx.callbacks.addEvent(c.id, { at: now, fromStatus: c.status, toStatus: c.status, actor: 'system', notes, outcome: null });
      if (!to) return;
      const member = deps.config.staff.find((s) => s.id === c.assigneeId);
      await tx.outbox.enqueue({ dedupeKey: key, appointmentId: null, kind: 'callback', audience: 'staff', to, body: body(member?.name), dueAt: now }, now);
    };
    const overdue = await tx.callbacks.markOverdue(now);
    for (const c of overdue) await escalate(c, `callback:${c.id}:overdue:${c.dueAt}`, 'overdue: the promised window passed', (who) => callbackOverdueSms(deps, c, who));
    const missed = await tx.callbacks.markRetryMissed(now);
    for (const c of missed) {
      await escalate(c, `callback:${c.id}:retry-missed:${c.nextAttemptAt}`, 'overdue: the next try was not made in time', (who) => callbackRetryMissedSms(deps, c, who));
    }
    const marked = [...overdue, ...missed];
    if (marked.length && !to) deps.logger.warn({ callbacks: marked.map((c) => c.id) }, 'callbacks overdue but no escalation phone or business phone is set');
    return marked;
  });
}

// ------------------------------------------------------------------------------ workflow

/** Allowed moves; completed and cancelled are final. */
export const TRANSITIONS: Record<CallbackStatus, readonly CallbackStatus[]> = {
  pending: ['contacted', 'no_answer', 'completed', 'cancelled'],
  no_answer: ['contacted', 'no_answer', 'completed', 'cancelled'],
  contacted: ['completed', 'no_answer', 'cancelled'],
  completed: [],
  cancelled: [],
};

export const ATTEMPT_OUTCOMES = ['reached', 'no_answer', 'busy', 'voicemail', 'left_message', 'wrong_number'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface StatusChange {
  status: CallbackStatus;
  by: string;
  notes?: string | undefined;
  outcome?: AttemptOutcome | undefined;
}

export type ChangeResult =
  | { ok: true; callback: Callback }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_allowed'; from: CallbackStatus; allowed: readonly CallbackStatus[] };

export async function changeStatus(deps: Deps, id: string, change: StatusChange): Promise<ChangeResult> {
  const now = deps.clock.now();
  return deps.store.withTransaction(async (tx): Promise<ChangeResult> => {
    const cur = await tx.callbacks.get(id);
    if (!cur) return { ok: false, reason: 'not_found' };
    const allowed = TRANSITIONS[cur.status];
    if (!allowed.includes(change.status)) return { ok: false, reason: 'not_allowed', from: cur.status, allowed };
    // Reaching the caller or failing to is an attempt; closing the request is not.
    const attempt = change.status === 'contacted' || change.status === 'no_answer';
    const outcome = change.outcome ?? (change.status === 'no_answer' ? 'no_answer' : change.status === 'contacted' ? 'reached' : null);
    const next = await tx.callbacks.transition(
      id,
      cur.status,
      {
        status: change.status,
        attempts: cur.attempts + (attempt ? 1 : 0),
        nextAttemptAt: change.status === 'no_answer' ? windowEnd(deps, now, deps.config.callbacks.retryMinutes).dueAt : null,
        lastOutcome: outcome ?? cur.lastOutcome,
      },
      now,
    );
    // Someone else changed it between the read and the write: their change stands.
    if (!next) {
      const now2 = (await tx.callbacks.get(id))!;
      return { ok: false, reason: 'not_allowed', from: now2.status, allowed: TRANSITIONS[now2.status] };
    }
    await tx.callbacks.addEvent(id, { at: now, fromStatus: cur.status, toStatus: change.status, actor: change.by, notes: change.notes ?? null, outcome });
    return { ok: true, callback: next };
  });
}
