/**
 * The web renderer: short UI text for the booking widget and the self-service page, from the same
 * message codes the voice renderer speaks (src/domain/messages.ts). Beside the text, `webParams`
 * gives a page the parameters as data it can lay out itself: every instant as ISO plus its local
 * date and time in the business zone and in the visitor's zone. A page never parses a sentence.
 *
 * Times are shown in the visitor's zone (where they are reading), with the zone named when it is
 * not the business's.
 */
import type { Message, MessageCode, MessageParams, TimeRefusal } from '../domain/messages.js';
import { formatPhone } from '../domain/phone.js';
import type { Renderer } from './voice.js';
import { duration } from './voice.js';

export interface WebContext {
  /** The zone times are shown in (the visitor's). */
  zone: string;
  businessZone: string;
  locale: string;
  clock: '12h' | '24h';
  business: { name: string; phone?: string | undefined; phoneRegion: string };
}

/** Local wall-clock parts of an instant in one zone. */
export interface LocalParts {
  date: string;
  time: string;
  weekday: number;
}

export interface WebInstant {
  iso: string;
  business: LocalParts;
  visitor: LocalParts;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** "2026-12-01", "14:30", ISO weekday, in `zone`. */
export function localParts(ms: number, zone: string): LocalParts {
  let f = partsFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', weekday: 'short' });
    partsFormats.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(ms)) p[x.type] = x.value;
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!) + 1;
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, weekday };
}

export function webInstant(ms: number, c: Pick<WebContext, 'zone' | 'businessZone'>): WebInstant {
  return { iso: new Date(ms).toISOString(), business: localParts(ms, c.businessZone), visitor: localParts(ms, c.zone) };
}

/** Parameter names that hold instants (epoch ms), alone or in lists. */
const INSTANT_KEYS = new Set(['start', 'requested', 'previous', 'dueAt', 'day', 'alternatives', 'starts']);

/** A message's parameters as page data: instants expanded, everything else as it is. */
export function webParams(params: unknown, c: Pick<WebContext, 'zone' | 'businessZone'>): unknown {
  if (Array.isArray(params)) return params.map((v) => webParams(v, c));
  if (typeof params !== 'object' || params === null) return params;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (INSTANT_KEYS.has(k) && typeof v === 'number') out[k] = webInstant(v, c);
    else if (INSTANT_KEYS.has(k) && Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v.map((x: number) => webInstant(x, c));
    else out[k] = webParams(v, c);
  }
  return out;
}

export interface WebMessage {
  code: MessageCode;
  text: string;
  params: unknown;
}

export function renderWeb(m: Message, c: WebContext): WebMessage {
  const render = WEB[m.code] as (p: unknown, c: WebContext) => string;
  return { code: m.code, text: render(m.params, c), params: webParams(m.params, c) };
}

// ---------------------------------------------------------------------------------------------

const formats = new Map<string, Intl.DateTimeFormat>();
function fmt(c: WebContext, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${c.locale}|${c.zone}|${c.clock}|${JSON.stringify(opts)}`;
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.DateTimeFormat(c.locale, { timeZone: c.zone, ...opts, ...(opts.hour ? { hourCycle: c.clock === '24h' ? 'h23' : 'h12' } : {}) })));
  return f;
}

/** "Tue, Dec 1, 10:00 AM" in the visitor's zone, plus the zone when it is not the business's. */
export function webWhen(ms: number, c: WebContext): string {
  const s = fmt(c, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(ms);
  return c.zone === c.businessZone ? s : `${s} (${zoneName(c.zone)})`;
}

export function webDay(ms: number, c: WebContext): string {
  return fmt(c, { weekday: 'short', month: 'short', day: 'numeric' }).format(ms);
}

/** "New York" from "America/New_York". */
export function zoneName(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}

function callUs(c: WebContext): string {
  return c.business.phone ? `Please call ${formatPhone(c.business.phone, c.business.phoneRegion)}.` : `Please contact ${c.business.name}.`;
}

function refusal(lead: string, p: TimeRefusal): string {
  return p.alternatives.length ? `${lead} Nearest times:` : `${lead} Please choose another day.`;
}

const FIELD_LABELS: Record<string, string> = {
  customer_name: 'Name',
  customer_phone: 'Phone',
  customer_email: 'E-mail',
  notes: 'Notes',
  service_name: 'Service',
  staff_name: 'Staff',
  appointment_datetime: 'Time',
  new_datetime: 'New time',
  start_date: 'From',
  end_date: 'To',
};
const label = (f: string) => FIELD_LABELS[f] ?? 'A field';

const TRY_AGAIN = 'Something went wrong. Please try again.';

export const WEB: Renderer<WebContext> = {
  SERVICES_LISTED: (p) => `${p.services.length} services`,
  SLOTS_FOUND: (p) => (p.emptyWindow ? 'Nothing free on that day. Next available:' : `${p.starts.length} times available`),
  NO_SLOTS: () => 'No times available.',
  NEXT_AVAILABLE: (p, c) => `Next available: ${webWhen(p.start, c)}`,
  NO_NEXT_AVAILABLE: (p) => `No times in the next ${p.horizonDays} days.`,
  BOOKED: (p, c) => `Booked: ${p.service} with ${p.staff}, ${webWhen(p.start, c)}.`,
  BOOKING_REQUESTED: (p, c) => `Requested: ${p.service} with ${p.staff}, ${webWhen(p.start, c)}. ${p.business} will confirm it; the time is held for you.`,
  CANCELLED: (p, c) => `Cancelled: ${p.service}, ${webWhen(p.start, c)}.`,
  MOVED: (p, c) => `Moved: ${p.service} is now ${webWhen(p.start, c)}.`,
  MOVE_UNCHANGED: (p, c) => `Already booked for ${webWhen(p.start, c)}.`,
  APPOINTMENTS_LISTED: (p) => `${p.appointments.length} upcoming`,
  NO_APPOINTMENTS: () => 'No upcoming appointments.',
  CALLBACK_REQUESTED: (p, c) => `We'll call you back by ${webWhen(p.dueAt, c)}.`,

  ARG_MISSING: (p) => `${label(p.field)} is required.`,
  ARG_INVALID: (p) => (p.field === 'customer_phone' ? 'Please enter a full phone number.' : `${label(p.field)} is not valid.`),
  ARG_TOO_LONG: (p) => `${label(p.field)} is too long.`,
  ARG_UNEXPECTED: () => TRY_AGAIN,
  ARGS_NOT_JSON: () => TRY_AGAIN,
  ARGS_NOT_OBJECT: () => TRY_AGAIN,
  BAD_DATE: (p) => `${label(p.field)} is not a date.`,
  BAD_OFFSET: (p) => `${label(p.field)} has an invalid time zone offset.`,
  HOUR_24: (p) => `${label(p.field)}: 24:00 is not a start time.`,
  CLOCKS_CHANGE: () => "That time doesn't exist on that day (clocks change).",
  DATE_NEEDS_TIME: () => 'Please choose a time.',
  END_BEFORE_START: () => 'The end date is before the start date.',
  BAD_PHONE: () => 'Please enter a full phone number.',
  REQUEST_UNREADABLE: () => TRY_AGAIN,
  UNKNOWN_TOOL: () => TRY_AGAIN,

  UNKNOWN_SERVICE: () => 'That service is not offered.',
  SERVICE_AMBIGUOUS: () => 'Please choose a service.',
  UNKNOWN_STAFF: () => 'That staff member is not available.',
  STAFF_AMBIGUOUS: () => 'Please choose a staff member.',
  STAFF_CANNOT_DO: (p) => `${p.staff} doesn't do ${p.service}.`,

  IN_PAST: (p) => refusal('That time has passed.', p),
  TOO_SOON: (p) => refusal(`Too soon: we need ${duration(p.noticeMinutes)} notice.`, p),
  TOO_FAR: (p) => refusal(`Too far ahead: we book up to ${p.horizonDays} days ahead.`, p),
  CLOSED: (p) => refusal(p.closure && p.closure !== 'Closed' ? `Closed (${p.closure}).` : 'Closed at that time.', p),
  OUTSIDE_HOURS: (p) => refusal('Outside opening hours.', p),
  SLOT_UNAVAILABLE: (p) => refusal('That time was just taken.', p),

  NO_UPCOMING: () => 'No upcoming appointment found.',
  APPOINTMENT_NOT_FOUND: () => 'Appointment not found.',
  ALREADY_CANCELLED: () => 'This appointment was already cancelled.',
  EVENT_GONE: () => 'This appointment is no longer on the calendar.',
  APPOINTMENTS_AMBIGUOUS: () => 'Please choose an appointment.',
  CANCELLATION_WINDOW: (p, c) => `Changes need ${duration(p.noticeMinutes)} notice. ${callUs(c)}`,
  DUPLICATE_BOOKING: (p, c) => `You already have ${p.existing.service} on ${webWhen(p.existing.start, c)}.`,
  LIMIT_REACHED: (p) => `You already have ${p.cap} upcoming appointments.`,
  NO_SHOW_LIMIT: (_p, c) => `Online booking is not available. ${callUs(c)}`,

  RATE_LIMITED: () => 'Too many requests. Please wait a minute and try again.',
  CALLER_MISMATCH: () => 'Not allowed.',
  IDEMPOTENCY_MISMATCH: () => 'This form was already submitted with other details. Please reload.',
  CALENDAR_UNAVAILABLE: () => 'The calendar is not reachable right now. Nothing was changed; please try again.',
  STORE_UNAVAILABLE: () => 'We could not save that right now. Nothing was changed; please try again.',
  BUSY: () => 'We are busy right now. Nothing was changed; please try again in a moment.',
  STILL_PROCESSING: () => 'Still processing; please wait.',
  BOOKING_STILL_SAVING: () => 'Still saving; please wait.',
  STALE_APPOINTMENT: (_p, c) => `This appointment can't be changed online. ${callUs(c)}`,
  INTERNAL: () => TRY_AGAIN,
};

