/**
 * Booking operations behind the tools: search, book, reschedule, cancel, list. Each write re-runs
 * every rule (the same engine that offered the slot decides), under a per-staff lock, against fresh
 * free/busy, and takes a reservation in the store before touching a remote calendar (on the embedded
 * calendar, reservation, event and confirmation are one unit of work). A success is returned only
 * after the confirmation is committed.
 */
import { TimeZone } from '../domain/zone.js';
import type { CalendarEventInput, FreeBusyResult, Interval } from '../calendar/provider.js';
import type { ServiceConfig, StaffConfig } from '../config/business.js';
import type { Deps } from '../deps.js';
import type { Appointment, LiveStatus } from '../domain/appointment.js';
import type { NewAppointment } from '../store/ports.js';
import { eligibleStaff, normalizeName, staffCannotDo } from '../domain/catalog.js';
import { BookingError, CalendarUnavailableError, NotFoundError } from '../domain/errors.js';
import type { ApptRef } from '../domain/messages.js';
import { type Slot, type StartCheck, type TimeOfDay, bookingWindow, checkStart, findSlots } from '../slots/engine.js';
import { subtractIntervals } from '../slots/intervals.js';
import { serviceTiming } from '../slots/rules.js';
import { confirmationDeadline } from './lifecycle.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface SearchInput {
  service: ServiceConfig;
  staff: StaffConfig[];
  from: number;
  to: number;
  timeOfDay?: TimeOfDay | undefined;
  /** See SlotSearch.maxDays. */
  maxDays?: number | undefined;
}

function blockOf(service: ServiceConfig, start: number): { start: number; end: number; blockStart: number; blockEnd: number } {
  const end = start + service.durationMinutes * MINUTE;
  return { start, end, blockStart: start - service.bufferBeforeMinutes * MINUTE, blockEnd: end + service.bufferAfterMinutes * MINUTE };
}

/** The span whose busy time decides slots starting in [from, to). */
function busyRange(service: ServiceConfig, from: number, to: number): Interval {
  return {
    start: from - service.bufferBeforeMinutes * MINUTE - MINUTE,
    end: to + (service.durationMinutes + service.bufferAfterMinutes) * MINUTE + MINUTE,
  };
}

/** Busy time of these staff around [from, to). `mirror`: a search may answer from the sync's fresh local mirror; a booking never does. */
async function busyFor(deps: Deps, staff: StaffConfig[], service: ServiceConfig, from: number, to: number, signal?: AbortSignal, mirror = false): Promise<FreeBusyResult> {
  const range = busyRange(service, from, to);
  const calendars = [...new Set(staff.map((s) => s.calendarId))];
  const mirrored = mirror ? await deps.calendarSync?.mirrorFreeBusy(calendars, range) : undefined;
  if (mirrored) return mirrored;
  const fb = await deps.calendar.freeBusy(calendars, range, signal);
  for (const [cal, why] of fb.errors) deps.logger.warn({ calendar: cal, why }, 'calendar unreadable; its staff are treated as unavailable');
  return fb;
}

export async function searchSlots(deps: Deps, input: SearchInput, signal?: AbortSignal): Promise<Slot[]> {
  const fb = await busyFor(deps, input.staff, input.service, input.from, input.to, signal, true);
  const readable = input.staff.filter((s) => !fb.errors.has(s.calendarId));
  if (readable.length === 0 && input.staff.length > 0) throw new CalendarUnavailableError();
  return findSlots({
    rules: deps.rules,
    service: serviceTiming(input.service),
    staff: readable.map((s) => ({ staffId: s.id, busy: fb.busy.get(s.calendarId) ?? [] })),
    now: deps.clock.now(),
    from: input.from,
    to: input.to,
    timeOfDay: input.timeOfDay,
    maxDays: input.maxDays,
  });
}

/** Up to `n` bookable starts nearest to `requested` (either side), in time order. */
export async function nearestAlternatives(
  deps: Deps,
  service: ServiceConfig,
  staff: StaffConfig[],
  requested: number,
  signal?: AbortSignal,
  n = 3,
): Promise<number[]> {
  const now = deps.clock.now();
  // Beyond the horizon, the nearest bookable times are the last days before it.
  const { latest } = bookingWindow(deps.rules, now);
  const back = requested >= latest ? latest - 7 * DAY : requested - 2 * DAY;
  let from = Math.max(now, back);
  let to = Math.max(Math.min(requested, latest), now) + 7 * DAY;
  let slots = await searchSlots(deps, { service, staff, from, to }, signal);
  if (slots.length === 0) {
    // Nothing within a week: look further out before giving up.
    from = to;
    to = from + 21 * DAY;
    slots = await searchSlots(deps, { service, staff, from, to }, signal);
  }
  return slots
    .map((s) => s.start)
    .sort((a, b) => Math.abs(a - requested) - Math.abs(b - requested) || a - b)
    .slice(0, n)
    .sort((a, b) => a - b);
}

interface FailureContext {
  service: ServiceConfig;
  staff: StaffConfig[];
  requested: number;
  /** The staff member the caller asked for. */
  staffName?: string | undefined;
}

/** The refusal for a time that cannot be booked, with the nearest bookable starts instead. */
async function timeFailure(deps: Deps, check: Exclude<StartCheck, { ok: true }>, d: FailureContext, signal?: AbortSignal): Promise<BookingError> {
  let alternatives: number[] = [];
  try {
    alternatives = await nearestAlternatives(deps, d.service, d.staff, d.requested, signal);
  } catch (err) {
    // The refusal itself is still right; say it without alternatives rather than fail the call.
    deps.logger.warn({ err }, 'could not compute alternatives');
  }
  // An alternative in the requested minute would contradict the refusal.
  alternatives = alternatives.filter((t) => Math.floor(t / MINUTE) !== Math.floor(d.requested / MINUTE));
  const now = deps.clock.now();
  const details = { alternatives: alternatives.map((t) => ({ start: deps.speech.iso(t), spoken: deps.speech.dateTime(t, now) })) };
  const base = { requested: d.requested, alternatives, staff: d.staffName };
  const { booking } = deps.config;
  switch (check.code) {
    case 'TOO_SOON':
      return new BookingError('TOO_SOON', { ...base, noticeMinutes: booking.minNoticeMinutes }, details);
    case 'TOO_FAR':
      return new BookingError('TOO_FAR', { ...base, horizonDays: booking.horizonDays }, details);
    case 'CLOSED':
      return new BookingError('CLOSED', { ...base, closure: check.closure, partial: check.partial === true }, details);
    default:
      return new BookingError(check.code, base, details);
  }
}

export interface BookInput {
  service: ServiceConfig;
  /** Named by the caller; otherwise chosen among free eligible staff. */
  staff?: StaffConfig | undefined;
  start: number;
  customerName: string;
  customerPhone: string;
  customerEmail?: string | undefined;
  notes?: string | undefined;
  source?: string | undefined;
  /** Idempotency key of the request: a retry of a booking that already happened returns it. */
  requestKey?: string | undefined;
}

/** Staff to try, best first: fewest bookings that local day, ties by config order. */
async function byLoad(deps: Deps, staff: StaffConfig[], at: number): Promise<StaffConfig[]> {
  const tz = TimeZone.of(deps.rules.zone);
  const counts = await deps.store.appointments.countByStaff(tz.startOfDay(at), tz.startOfDay(at, 1));
  return staff
    .map((s, i) => ({ s, i, n: counts.get(s.id) ?? 0 }))
    .sort((a, b) => a.n - b.n || a.i - b.i)
    .map((x) => x.s);
}

function ruleCheck(deps: Deps, service: ServiceConfig, staff: StaffConfig[], start: number, busy?: Map<string, Interval[]>): StartCheck {
  return checkStart(
    {
      rules: deps.rules,
      service: serviceTiming(service),
      staff: staff.map((s) => ({ staffId: s.id, busy: busy?.get(s.calendarId) ?? [] })),
      now: deps.clock.now(),
    },
    start,
  );
}

function candidatesFor(deps: Deps, service: ServiceConfig, named: StaffConfig | undefined): StaffConfig[] {
  const eligible = eligibleStaff(deps.config, service);
  if (!named) return eligible;
  if (!eligible.some((s) => s.id === named.id)) throw staffCannotDo(named, service, deps.config);
  return [named];
}

/**
 * `opts.flush: false`: the caller flushes the store (`store.sync`, or a durable commit) before it
 * tells anyone of the booking; runTool does, with the call's log row.
 */
export async function book(deps: Deps, input: BookInput, signal?: AbortSignal, opts: { flush?: boolean } = {}): Promise<Appointment> {
  const flush = opts.flush !== false;
  const { service } = input;
  if (input.requestKey) {
    // The idempotency record and the appointment are two commits; a crash between them must not
    // turn the platform's retry into a second booking.
    const earlier = await deps.store.appointments.byRequestKey(input.requestKey);
    if (earlier?.status === 'confirmed' || earlier?.status === 'awaiting_confirmation') {
      // The first attempt may not have flushed it yet.
      if (flush) await deps.store.sync();
      return earlier;
    }
    if (earlier?.status === 'pending') {
      if (earlier.createdAt > deps.clock.now() - 2 * deps.settings.TOOL_DEADLINE_MS) throw new CalendarUnavailableError('BOOKING_STILL_SAVING');
      await releaseReservation(deps, earlier);
    }
  }
  const candidates = candidatesFor(deps, service, input.staff);
  const failCtx = { service, staff: candidates, requested: input.start, staffName: input.staff?.name };

  // Rules that do not depend on the calendar first: no remote call for a closed day.
  const pre = ruleCheck(deps, service, candidates, input.start);
  if (!pre.ok) throw await timeFailure(deps, pre, failCtx, signal);

  // One booking at a time per phone number: a model that repeats a call (a new call id after a
  // timeout) must find the first booking in place, not race it.
  const booked = await deps.locks.run(`phone:${input.customerPhone}`, async () => {
    const times = blockOf(service, input.start);
    // Read once for both checks below.
    const upcoming = await deps.store.appointments.upcomingByPhone(input.customerPhone, deps.clock.now());
    refuseDuplicate(deps, upcoming, input.customerName, times);
    const cap = deps.config.booking.maxUpcomingPerPhone;
    if (cap > 0 && upcoming.length >= cap) {
      throw new BookingError('LIMIT_REACHED', { cap });
    }
    const noShows = deps.config.booking.maxNoShowsPerPhone;
    if (noShows > 0 && (await deps.store.appointments.noShowCount(input.customerPhone)) >= noShows) throw new BookingError('NO_SHOW_LIMIT', {});

    let unreadable = 0;
    // Whether a staff member's calendar is in our store decides the path below: ask on fresh routes.
    await deps.calendar.refreshRoutes?.();
    for (const staff of await byLoad(deps, candidates.filter((s) => pre.staffIds.includes(s.id)), input.start)) {
      const local = deps.calendar.storeWriter?.(staff.calendarId) !== undefined;
      const attempt = async () => {
        if (!local) {
          const fb = await busyFor(deps, [staff], service, input.start, input.start + 1, signal);
          if (fb.errors.has(staff.calendarId)) {
            unreadable++;
            return undefined;
          }
          if (!ruleCheck(deps, service, [staff], input.start, fb.busy).ok) return undefined;
        }
        // A calendar in our own store is checked inside the booking's transaction (writeBooking).
        return writeBooking(
          deps,
          {
            service,
            staff,
            staffRequested: input.staff !== undefined,
            times,
            customerName: input.customerName,
            customerPhone: input.customerPhone,
            customerEmail: input.customerEmail ?? null,
            notes: input.notes ?? null,
            source: input.source ?? null,
            requestKey: input.requestKey ?? null,
            status: service.requiresConfirmation ? 'awaiting_confirmation' : 'confirmed',
          },
          true,
          signal,
        );
      };
      // A remote calendar is checked, then written: this staff member's lock keeps the check true
      // until the write lands. Our own store checks and writes in one transaction, which serialises
      // on every instance (and the reservation's overlap check stays the last word either way), so
      // bookings of one staff member on different days need not queue behind each other here.
      const booked = local ? await attempt() : await deps.locks.run(staff.id, attempt, signal);
      if (booked) return booked;
    }
    if (unreadable > 0 && unreadable === pre.staffIds.length) throw new CalendarUnavailableError();
    throw await timeFailure(deps, { ok: false, code: 'SLOT_UNAVAILABLE' }, failCtx, signal);
  }, signal);
  // Durable before "Booked" is said, but flushed after the locks are released: the next booking of
  // this staff member or phone reads the committed row at once instead of queueing behind our
  // flush. Should the process die before the flush, that later call was refused a time that is now
  // free again, which is harmless; nobody was told a booking that is not on disk.
  if (flush) await deps.store.sync();
  return booked;
}

/**
 * The same person (phone and name, case and accents aside) cannot hold two appointments at once; a
 * different name on the same phone (a parent booking for a child) can.
 */
function refuseDuplicate(deps: Deps, upcoming: readonly Appointment[], name: string, times: { start: number; end: number }, except?: string): void {
  const who = normalizeName(name);
  const clash = upcoming.find((a) => a.id !== except && normalizeName(a.customerName) === who && a.start < times.end && times.start < a.end);
  if (clash) throw new BookingError('DUPLICATE_BOOKING', { existing: apptRef(deps, clash) }, { existing: appointmentView(deps, clash) });
}

interface NewBooking {
  service: ServiceConfig;
  staff: StaffConfig;
  staffRequested: boolean;
  times: { start: number; end: number; blockStart: number; blockEnd: number };
  customerName: string;
  customerPhone: string;
  customerEmail: string | null;
  notes: string | null;
  source: string | null;
  requestKey?: string | null;
  rescheduledFrom?: string;
  /** What the booking is once written: awaiting staff when the service (or the moved booking) needs it. */
  status: LiveStatus;
}

/**
 * Reservation -> calendar event -> confirmation, for one staff member whose lock the caller holds.
 * Undefined when another booking got the time first. If the calendar write fails, the reservation is
 * released and any event it may have left is removed, so nothing half-made survives.
 */
async function writeBooking(deps: Deps, b: NewBooking, announce: boolean, signal?: AbortSignal): Promise<Appointment | undefined> {
  const id = deps.ids.appointmentId();
  const appointment: NewAppointment = {
    id,
    serviceId: b.service.id,
    staffId: b.staff.id,
    staffRequested: b.staffRequested,
    calendarId: b.staff.calendarId,
    ...b.times,
    customerName: b.customerName,
    customerPhone: b.customerPhone,
    customerEmail: b.customerEmail,
    notes: b.notes,
    source: b.source,
    requestKey: b.requestKey ?? null,
  };
  const description = [
    `Customer: ${b.customerName}`,
    `Phone: ${b.customerPhone}`,
    b.customerEmail ? `Email: ${b.customerEmail}` : undefined,
    b.notes ? `Notes: ${b.notes}` : undefined,
    `Appointment id: ${id}`,
    b.rescheduledFrom ? `Rescheduled from ${b.rescheduledFrom}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
  const event: CalendarEventInput = {
    appointmentId: id,
    calendarId: b.staff.calendarId,
    ...b.times,
    summary: `${b.service.name} - ${b.customerName}`,
    description,
    timeZone: deps.rules.zone,
    customerPhone: b.customerPhone,
    serviceId: b.service.id,
  };

  const local = deps.calendar.storeWriter?.(b.staff.calendarId);
  if (local) {
    // The calendar is in our own store: reservation, event and confirmation commit together, and a
    // failure leaves nothing behind to clean up. The commit is relaxed: the caller, once it has
    // released its locks, waits for the disk (`store.sync`) before it says anything, so concurrent
    // bookings share one flush and none holds a lock through it.
    const taken = new Error('taken');
    let booked: Appointment;
    try {
      booked = await deps.store.withTransaction(
        async (tx) => {
          // The check that offered the time, repeated where nothing can change under it: time off
          // is written outside any lock. Thrown rather than returned, so the transaction rolls back
          // (on Postgres an exclusion violation has already aborted it).
          const range = busyRange(b.service, b.times.start, b.times.start + 1);
          const busy = await tx.calendarEvents.busy([b.staff.calendarId], range.start, range.end);
          if (!ruleCheck(deps, b.service, [b.staff], b.times.start, busy).ok) throw taken;
          if (!(await tx.appointments.reserve(appointment, deps.clock.now()))) throw taken;
          const { eventId } = await local(tx.calendarEvents, event);
          return tx.appointments.confirm(id, eventId, deps.clock.now(), announce, b.status);
        },
        { durable: false },
      );
    } catch (err) {
      if (err === taken) return undefined;
      throw err;
    }
    return booked;
  }

  const reserved = await deps.store.appointments.reserve(appointment, deps.clock.now());
  if (!reserved) return undefined;
  let eventId: string;
  try {
    ({ eventId } = await deps.calendar.createEvent(event, signal));
  } catch (err) {
    await deps.store.appointments.release(id);
    await removeOrphan(deps, b.staff.calendarId, id);
    throw err instanceof BookingError ? err : new CalendarUnavailableError('CALENDAR_UNAVAILABLE', { cause: err });
  }
  return deps.store.appointments.confirm(id, eventId, deps.clock.now(), announce, b.status);
}

/**
 * A create that failed may still have landed (a timeout after the server wrote it). Every provider
 * can remove what a create with our key left (removeByKey), without knowing its event id; if even
 * that fails, the reservation is already released and the key is logged for an operator.
 */
/** Drops a reservation whose process died before confirming it, with any event it may have written. */
export async function releaseReservation(deps: Deps, a: Appointment): Promise<void> {
  await removeOrphan(deps, a.calendarId, a.id);
  await deps.store.appointments.release(a.id);
}

async function removeOrphan(deps: Deps, calendarId: string, appointmentId: string): Promise<void> {
  try {
    await deps.calendar.removeByKey(calendarId, appointmentId, AbortSignal.timeout(3000));
  } catch (err) {
    deps.logger.error({ err, calendarId, appointmentId }, 'calendar write failed and its possible event could not be removed; check it by hand');
  }
}

// ---------------------------------------------------------------------------------------------
// Existing appointments

/** An appointment as messages mention it: service and staff names, start. */
export function apptRef(deps: Deps, a: Appointment): ApptRef {
  const service = deps.config.services.find((s) => s.id === a.serviceId);
  const staff = deps.config.staff.find((s) => s.id === a.staffId);
  return { service: service?.name ?? 'appointment', staff: staff?.name ?? 'our team', start: a.start, ...(a.status === 'awaiting_confirmation' && { awaiting: true }) };
}

/** The caller's appointment to act on: by id, or the only upcoming one; several -> ask which. */
export async function pickAppointment(deps: Deps, phone: string, appointmentId: string | undefined, action: 'cancel' | 'move'): Promise<Appointment> {
  const now = deps.clock.now();
  const upcoming = await deps.store.appointments.upcomingByPhone(phone, now);
  if (appointmentId) {
    const wanted = appointmentId.trim().toLowerCase();
    const found = upcoming.find((a) => a.id === wanted || a.id === `apt_${wanted}`);
    if (!found) {
      throw new NotFoundError('APPOINTMENT_NOT_FOUND', { upcoming: upcoming.map((a) => apptRef(deps, a)) }, { appointments: upcoming.map((a) => appointmentView(deps, a)) });
    }
    return found;
  }
  if (upcoming.length === 0) throw new NotFoundError('NO_UPCOMING', {});
  if (upcoming.length > 1) {
    throw new BookingError('APPOINTMENTS_AMBIGUOUS', { appointments: upcoming.map((a) => apptRef(deps, a)), action }, { appointments: upcoming.map((a) => appointmentView(deps, a)) });
  }
  return upcoming[0]!;
}

function checkChangeWindow(deps: Deps, a: Appointment, action: 'cancel' | 'move'): void {
  const notice = deps.config.booking.cancellationNoticeMinutes;
  if (notice > 0 && a.start - deps.clock.now() < notice * MINUTE) throw new BookingError('CANCELLATION_WINDOW', { noticeMinutes: notice, action });
}

export async function cancel(deps: Deps, phone: string, appointmentId: string | undefined, reason: string | undefined, signal?: AbortSignal): Promise<Appointment> {
  const appt = await pickAppointment(deps, phone, appointmentId, 'cancel');
  checkChangeWindow(deps, appt, 'cancel');
  return deps.locks.run(appt.staffId, async () => {
    if (appt.eventId) {
      try {
        await deps.calendar.cancelEvent(appt.calendarId, appt.eventId, signal);
      } catch (err) {
        throw err instanceof BookingError ? err : new CalendarUnavailableError('CALENDAR_UNAVAILABLE', { cause: err });
      }
    }
    const done = await deps.store.appointments.cancel(appt.id, reason ?? null, deps.clock.now());
    if (!done) throw new NotFoundError('ALREADY_CANCELLED', {});
    return done;
  }, signal);
}

export interface RescheduleResult {
  appointment: Appointment;
  previous: Appointment;
}

export async function reschedule(deps: Deps, phone: string, appointmentId: string | undefined, newStart: number, signal?: AbortSignal): Promise<RescheduleResult> {
  const appt = await pickAppointment(deps, phone, appointmentId, 'move');
  checkChangeWindow(deps, appt, 'move');
  const service = deps.config.services.find((s) => s.id === appt.serviceId);
  const current = deps.config.staff.find((s) => s.id === appt.staffId);
  if (!service || !current) throw new BookingError('STALE_APPOINTMENT', {});
  if (newStart === appt.start) return { appointment: appt, previous: appt };

  // Keep the same person when they were asked for by name; otherwise anyone eligible may take it.
  const others = appt.staffRequested ? [] : eligibleStaff(deps.config, service).filter((s) => s.id !== current.id);
  const candidates = [current, ...(await byLoad(deps, others, newStart))];
  const failCtx = { service, staff: candidates, requested: newStart, staffName: appt.staffRequested ? current.name : undefined };
  const pre = ruleCheck(deps, service, candidates, newStart);
  if (!pre.ok) throw await timeFailure(deps, pre, failCtx, signal);

  const times = blockOf(service, newStart);
  refuseDuplicate(deps, await deps.store.appointments.upcomingByPhone(appt.customerPhone, deps.clock.now()), appt.customerName, times, appt.id);
  for (const staff of candidates.filter((s) => pre.staffIds.includes(s.id))) {
    const moved = await deps.locks.run(staff.id, async (): Promise<RescheduleResult | undefined> => {
      const fb = await busyFor(deps, [staff], service, newStart, newStart + 1, signal);
      if (fb.errors.has(staff.calendarId)) return undefined;
      if (staff.id === current.id) {
        // The appointment's own time does not count against its move.
        const own = [{ start: appt.blockStart, end: appt.blockEnd }];
        const busy = new Map([[staff.calendarId, subtractIntervals(fb.busy.get(staff.calendarId) ?? [], own)]]);
        if (!ruleCheck(deps, service, [staff], newStart, busy).ok) return undefined;
        const updated = await deps.store.appointments.move(appt.id, times, deps.clock.now(), false);
        if (!updated) return undefined;
        try {
          if (appt.eventId) await deps.calendar.moveEvent(appt.calendarId, appt.eventId, times, signal);
        } catch (err) {
          await deps.store.appointments.move(appt.id, appt, deps.clock.now(), false);
          throw err instanceof BookingError ? err : new CalendarUnavailableError('CALENDAR_UNAVAILABLE', { cause: err });
        }
        await deps.store.appointments.announceMove(updated, appt);
        return { appointment: updated, previous: appt };
      }
      // Another staff member: book the new time first, then release the old one, so a failure
      // leaves the caller with the appointment they had.
      if (!ruleCheck(deps, service, [staff], newStart, fb.busy).ok) return undefined;
      const created = await writeBooking(
        deps,
        {
          service,
          staff,
          staffRequested: false,
          times,
          customerName: appt.customerName,
          customerPhone: appt.customerPhone,
          customerEmail: appt.customerEmail,
          notes: appt.notes,
          source: appt.source,
          rescheduledFrom: appt.id,
          // A move does not confirm anything: a request moved to another person still awaits one.
          status: appt.status === 'awaiting_confirmation' ? 'awaiting_confirmation' : 'confirmed',
        },
        false,
        signal,
      );
      if (!created) return undefined;
      // The old appointment ends and the move is announced in one unit of work: messages say
      // "moved", never "cancelled" and "booked" separately, and never one without the other.
      await deps.store.withTransaction(async (tx) => {
        await tx.appointments.cancel(appt.id, `rescheduled to ${created.id}`, deps.clock.now(), false);
        await tx.appointments.announceMove(created, appt);
      });
      if (appt.eventId) {
        await deps.calendar.cancelEvent(appt.calendarId, appt.eventId, signal).catch((err: unknown) => {
          deps.logger.error({ err, appointmentId: appt.id, eventId: appt.eventId }, 'old event not removed after a move; remove it by hand');
        });
      }
      return { appointment: created, previous: appt };
    }, signal);
    if (moved) return moved;
  }
  throw await timeFailure(deps, { ok: false, code: 'SLOT_UNAVAILABLE' }, failCtx, signal);
}

export function upcoming(deps: Deps, phone: string): Promise<Appointment[]> {
  return deps.store.appointments.upcomingByPhone(phone, deps.clock.now());
}

export interface AppointmentView {
  id: string;
  status: string;
  service: { id: string; name: string };
  staff: { id: string; name: string };
  start: string;
  end: string;
  spoken: string;
  customer: { name: string; phone: string; email: string | null };
  notes: string | null;
  /** Awaiting confirmation: when it is declined by itself if nobody confirms it. */
  confirm_by?: string;
}

/** Id, status, and the service and staff member by id and current name: what every view of an appointment starts with. */
export function appointmentIdentity(deps: Pick<Deps, 'config'>, a: Appointment) {
  const service = deps.config.services.find((s) => s.id === a.serviceId);
  const staff = deps.config.staff.find((s) => s.id === a.staffId);
  return {
    id: a.id,
    status: a.status,
    service: { id: a.serviceId, name: service?.name ?? a.serviceId },
    staff: { id: a.staffId, name: staff?.name ?? a.staffId },
  };
}

export function appointmentView(deps: Deps, a: Appointment): AppointmentView {
  return {
    ...appointmentIdentity(deps, a),
    start: deps.speech.iso(a.start),
    end: deps.speech.iso(a.end),
    spoken: deps.speech.dateTime(a.start, deps.clock.now()),
    customer: { name: a.customerName, phone: a.customerPhone, email: a.customerEmail },
    notes: a.notes,
    ...(a.status === 'awaiting_confirmation' && { confirm_by: deps.speech.iso(confirmationDeadline(deps, a)) }),
  };
}
