/**
 * The voice renderer: every sentence a caller hears, worded once, from a message code and its
 * plain-data parameters (src/domain/messages.ts). The assistant reads `message` aloud verbatim, so
 * each sentence is short, in the second person, local time, and never carries ISO strings, "UTC",
 * ids, E.164 numbers or codes. A web renderer would be another `Renderer` over the same codes.
 *
 * Lists are bounded: a spoken list names a few items and counts the rest; the data fields carry
 * the full lists.
 */
import type { BusinessConfig } from '../config/business.js';
import type { ApptRef, Message, MessageCode, MessageParams, SearchSubject, TimeRefusal } from '../domain/messages.js';
import { formatPhone } from '../domain/phone.js';
import type { Speech } from '../domain/speech.js';

export interface VoiceContext {
  speech: Speech;
  now: number;
  business: Pick<BusinessConfig['business'], 'name' | 'phone' | 'phoneRegion'>;
}

/** One function per message code: the compiler checks that every code has its wording. */
export type Renderer<Ctx> = { readonly [C in MessageCode]: (p: MessageParams[C], c: Ctx) => string };

/** How many options, services, staff or appointments a sentence names before it counts the rest. */
export const SPOKEN = { slots: 3, alternatives: 3, services: 4, staff: 3, appointments: 3, nearest: 3 } as const;

/** Voice platforms want one line: collapse any newline or run of spaces. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function renderVoice(m: Message, c: VoiceContext): string {
  const render = VOICE[m.code] as (p: unknown, c: VoiceContext) => string;
  return oneLine(render(m.params, c));
}

// ---------------------------------------------------------------------------------------------
// Words

function join(items: readonly string[], conj: 'and' | 'or'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conj} ${items[items.length - 1]}`;
}
export const andList = (items: readonly string[]) => join(items, 'and');
export const orList = (items: readonly string[]) => join(items, 'or');

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A service name inside a sentence: lower case, except words written in capitals ("IPL facial"). */
export function serviceWords(name: string): string {
  return name
    .split(/\s+/)
    .map((w) => (/[A-Z].*[A-Z]/.test(w) ? w : w.toLowerCase()))
    .join(' ');
}

/** "a haircut", "an eyebrow wax". */
function a(service: string): string {
  const words = serviceWords(service);
  const an = /^[aeiou]/i.test(words) && !/^(uni|use|usu|eu|one)/i.test(words);
  return `${an ? 'an' : 'a'} ${words}`;
}

/** What the caller said, echoed only when it is plain words (never markup, numbers or a long string). */
function echo(text: string): string | undefined {
  const t = text.trim();
  const plain = t.length <= 40 && /^[\p{L}\p{N}][\p{L}\p{N} '.&-]*$/u.test(t) && /\p{L}/u.test(t) && (t.match(/\p{N}/gu) ?? []).length <= 2;
  return plain ? t : undefined;
}

/** "45 minutes", "2 hours", "1 hour 30 minutes". */
export function duration(min: number): string {
  if (min < 60) return `${min} minute${min === 1 ? '' : 's'}`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return `${h} hour${h > 1 ? 's' : ''}${m ? ` ${m} minutes` : ''}`;
}

/** "You'll get a reminder by e-mail 24 hours before and by text 1 hour before." */
function reminderSentence(list: readonly { channel: 'sms' | 'email'; minutesBefore: number }[]): string {
  return `You'll get a reminder ${andList(list.map((r) => `by ${r.channel === 'email' ? 'e-mail' : 'text'} ${duration(r.minutesBefore)} before`))}.`;
}

/** "(212) 555-0100", or undefined when the business has no phone. */
function phone(c: VoiceContext): string | undefined {
  return c.business.phone ? formatPhone(c.business.phone, c.business.phoneRegion) : undefined;
}

function callUs(c: VoiceContext): string {
  const p = phone(c);
  return p ? `call us at ${p}` : `contact ${c.business.name} directly`;
}

/** A bounded list: the first `max` names, then how many more. */
function bounded(names: readonly string[], max: number, conj: 'and' | 'or', total = names.length): string {
  if (total <= max && names.length === total) return join(names, conj);
  const shown = names.slice(0, max);
  return `${shown.join(', ')} ${conj} ${count(total - shown.length)} more`;
}

// ---------------------------------------------------------------------------------------------
// Times

/** "9 AM", "9:15 AM", "noon" (12-hour) or "9:00", "14:30" (24-hour). */
function clock(ms: number, c: VoiceContext, meridiem = true): string {
  const s = c.speech;
  if (s.opts.clock === '24h') return s.format(ms, 'H:mm');
  const d = s.parts(ms);
  if (d.minute === 0 && d.hour === 12) return 'noon';
  if (d.minute === 0 && d.hour === 0) return 'midnight';
  const base = s.format(ms, d.minute === 0 ? 'h' : 'h:mm');
  return meridiem ? `${base} ${s.format(ms, 'a')}` : base;
}

/** Dates this close to today are said without the year, even across New Year ("Friday, January 22"). */
const YEARLESS_DAYS = 300;

/** "Tuesday, November 24"; the year only for dates far from today. */
function day(ms: number, c: VoiceContext): string {
  return c.speech.format(ms, Math.abs(ms - c.now) < YEARLESS_DAYS * 86_400_000 ? 'cccc, LLLL d' : 'cccc, LLLL d, yyyy');
}

function dayKey(ms: number, c: VoiceContext): string {
  return c.speech.localDate(ms);
}

/** Whole local days from `from` to `to`. */
function daysBetween(from: number, to: number, c: VoiceContext): number {
  return c.speech.dayNumber(to) - c.speech.dayNumber(from);
}

/**
 * Names days in a sentence without repeating dates: the day named last needs nothing, a day in the
 * six days after the last day named in full needs only its weekday ("Wednesday"), any other day its
 * full date (which then becomes the reference).
 */
class DayNamer {
  constructor(
    private readonly c: VoiceContext,
    private anchor?: number,
    private last?: number,
  ) {}

  name(ms: number): string | undefined {
    const c = this.c;
    if (this.last !== undefined && daysBetween(this.last, ms, c) === 0) return undefined;
    this.last = ms;
    if (this.anchor !== undefined) {
      const diff = daysBetween(this.anchor, ms, c);
      if (diff > 0 && diff < 7) return c.speech.format(ms, 'cccc');
    }
    this.anchor = ms;
    return day(ms, c);
  }
}

/** `ref`: a day the sentence has named already. */
function namer(c: VoiceContext, ref?: number): DayNamer {
  return new DayNamer(c, ref, ref);
}

/** "3:30 PM today", "9 AM tomorrow", "Tuesday, November 24 at 9 AM": a promise relative to now. */
export function byWhen(ms: number, c: VoiceContext): string {
  const days = daysBetween(c.now, ms, c);
  if (days === 0) return `${clock(ms, c)} today`;
  if (days === 1) return `${clock(ms, c)} tomorrow`;
  return when(ms, c);
}

/** "Tuesday, November 24 at 2:30 PM" */
function when(ms: number, c: VoiceContext): string {
  return `${day(ms, c)} at ${clock(ms, c)}`;
}

/** Times of one day, sharing AM/PM where they can: "9, 11:15 AM or 2:30 PM". */
function timesOfDay(times: readonly number[], c: VoiceContext): string {
  const half = (t: number) => c.speech.parts(t).hour < 12;
  return orList(times.map((t, i) => clock(t, c, i === times.length - 1 || half(times[i + 1]!) !== half(t))));
}

/**
 * Starts grouped by day without repeating the date: "Tuesday, December 8 at 9, 11:15 AM or 2:30 PM;
 * or Wednesday at 10 AM". Consecutive days with the same times share them: "Tuesday, November 24,
 * Wednesday or Friday at 9 AM". `ref` is a day already named in the sentence: times on it need no day.
 */
export function timeList(starts: readonly number[], c: VoiceContext, ref?: number): string {
  const days: number[][] = [];
  let last = '';
  for (const s of [...starts].sort((x, y) => x - y)) {
    const key = dayKey(s, c);
    if (key !== last) days.push([]);
    days[days.length - 1]!.push(s);
    last = key;
  }
  const groups: { days: number[]; times: string }[] = [];
  for (const d of days) {
    const times = timesOfDay(d, c);
    const prev = groups[groups.length - 1];
    if (prev && prev.times === times) prev.days.push(d[0]!);
    else groups.push({ days: [d[0]!], times });
  }
  const names = namer(c, ref);
  const parts = groups.map((g) => {
    const dayNames = g.days.map((d) => names.name(d)).filter((n): n is string => n !== undefined);
    return dayNames.length ? `${orList(dayNames)} at ${g.times}` : g.times;
  });
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join('; ')}; or ${parts[parts.length - 1]}`;
}

/**
 * Appointments in a row, each day named once and a repeated service and staff member not said
 * again: "a haircut with Sam on Tuesday, November 24 at 10 AM, Wednesday at 3 PM and a beard trim
 * with Priya on Friday at 9 AM".
 */
function appointmentList(list: readonly ApptRef[], c: VoiceContext): string {
  return andList(appointmentPhrases(list, c));
}

function appointmentPhrases(list: readonly ApptRef[], c: VoiceContext): string[] {
  const names = namer(c);
  let prev: ApptRef | undefined;
  const parts = list.map((x) => {
    const dayName = names.name(x.start);
    const same = prev !== undefined && prev.service === x.service && prev.staff === x.staff;
    prev = x;
    const at = `at ${clock(x.start, c)}`;
    const awaiting = x.awaiting ? ', still to be confirmed by us' : '';
    if (same) return `${dayName ? `${dayName} ${at}` : at}${awaiting}`;
    return `${a(x.service)} with ${x.staff}${dayName ? ` on ${dayName}` : ''} ${at}${awaiting}`;
  });
  return parts;
}

function appointments(list: readonly ApptRef[], c: VoiceContext): string {
  if (list.length === 1) return `You have one upcoming appointment: ${appointmentList(list, c)}.`;
  if (list.length <= SPOKEN.appointments) return `You have ${list.length} upcoming appointments: ${appointmentList(list, c)}.`;
  return `You have ${count(list.length)} upcoming appointments; the next two are ${appointmentList(list.slice(0, 2), c)}.`;
}

function refusal(lead: string, p: TimeRefusal, c: VoiceContext): string {
  const alts = p.alternatives.slice(0, SPOKEN.alternatives);
  if (alts.length === 0) return `${lead} I can't find another opening nearby; would another day work?`;
  return `${lead} How about ${timeList(alts, c, p.requested)}?`;
}

function requested(p: TimeRefusal, c: VoiceContext): string {
  return p.requested !== undefined ? when(p.requested, c) : 'That time';
}

function subject(p: SearchSubject): string {
  return `${a(p.service)}${p.staff ? ` with ${p.staff}` : ''}${p.timeOfDay ? ` in the ${p.timeOfDay}` : ''}`;
}

function closedDay(ms: number, name: string | undefined, c: VoiceContext): string {
  return `We're closed on ${day(ms, c)}${name && name !== 'Closed' ? ` for ${name}` : ''}`;
}

/** "2 hours'", "1 hour's", "30 minutes'" (as in "2 hours' notice"). */
function durationPossessive(min: number): string {
  const d = duration(min);
  return d.endsWith('s') ? `${d}'` : `${d}'s`;
}

/** The name a spoken list uses when it names only a few of many: "Dr. Amelia Hartley" -> "Amelia". */
function firstNameOf(name: string): string {
  return name.split(/\s+/).filter((p) => !/^(dr|mr|mrs|ms|mx)\.?$/i.test(p))[0] ?? name;
}

// ---------------------------------------------------------------------------------------------
// Arguments: what to ask for, per argument name (ours and the aliases').

interface FieldWords {
  /** "the date and time" */
  noun: string;
  /** The question that gets it: "What day and time would you like?" */
  ask: string;
}

const DATE_TIME: FieldWords = { noun: 'the date and time', ask: 'What day and time would you like?' };
const NAME: FieldWords = { noun: 'your name', ask: 'What name should I put the booking under?' };
const EMAIL: FieldWords = { noun: 'the email address', ask: 'Could you spell the email address for me, or shall we leave it out?' };
const NOTE: FieldWords = { noun: 'the note', ask: 'What would you like the note to say?' };
const SEARCH_DAY: FieldWords = { noun: 'the day', ask: 'Which day would you like me to look at?' };

const FIELDS: Record<string, FieldWords> = {
  customer_name: NAME,
  title: NAME,
  customer_phone: { noun: 'the phone number', ask: "What's the best number to reach you, with the area code?" },
  customer_email: EMAIL,
  attendee_email: EMAIL,
  service_name: { noun: 'the service', ask: 'Which service would you like?' },
  duration: { noun: 'how long it should be', ask: 'Which service would you like?' },
  staff_name: { noun: 'who you would like to see', ask: 'Who would you like to see, or is anyone fine?' },
  appointment_datetime: DATE_TIME,
  start_time: DATE_TIME,
  new_datetime: { noun: 'the new date and time', ask: 'What day and time would you like to move it to?' },
  start_date: SEARCH_DAY,
  after: SEARCH_DAY,
  end_date: { noun: 'the last day', ask: 'Up to which day should I look?' },
  appointment_id: { noun: 'which appointment', ask: 'Which appointment do you mean?' },
  time_of_day: { noun: 'the part of the day', ask: 'Morning, afternoon or evening?' },
  notes: NOTE,
  description: NOTE,
  reason: { noun: 'the reason', ask: 'What is the reason, in a few words?' },
  urgency: { noun: 'how urgent it is', ask: 'How urgent is it: urgent, high, medium or low?' },
  preferred_time: { noun: 'when suits you', ask: 'When is a good time to call you: morning, afternoon or evening?' },
};

/** Arguments the model fills on its own (max_results, unknown names): the caller can't help. */
const RETRY = "Sorry, that didn't go through properly on my side; let me try that again.";

function field(name: string): FieldWords | undefined {
  return FIELDS[name];
}

function didntCatch(name: string): string {
  const f = field(name);
  return f ? `Sorry, I didn't catch ${f.noun}. ${f.ask}` : RETRY;
}

// ---------------------------------------------------------------------------------------------
// The sentences

const UNREADABLE: Record<MessageParams['REQUEST_UNREADABLE']['problem'], string> = {
  not_json: 'The request body is not valid JSON.',
  too_large: 'The request body is too large.',
  encoding: 'The request body encoding is not supported.',
  not_object: 'The request body must be a JSON object of the tool arguments.',
  no_tool: 'The request does not name a tool.',
  params_not_object: 'The tool parameters must be a JSON object.',
  not_vapi: 'Expected a Vapi server message: {"message": {"type": ...}}.',
};

export const VOICE: Renderer<VoiceContext> = {
  // Successes
  SERVICES_LISTED: (p) => {
    // A few with how long they take; a handful by name; many as a few names and a count.
    if (p.services.length <= SPOKEN.services) return `We offer ${andList(p.services.map((s) => `${serviceWords(s.name)} (${duration(s.minutes)})`))}. Which would you like?`;
    if (p.services.length <= SPOKEN.services + 2) return `We offer ${andList(p.services.map((s) => serviceWords(s.name)))}. Which would you like?`;
    const names = p.services.slice(0, SPOKEN.services).map((s) => serviceWords(s.name));
    return `We offer ${names.join(', ')} and ${count(p.services.length - names.length)} more; which kind of service are you after?`;
  },
  SLOTS_FOUND: (p, c) => {
    const ask = p.starts.length === 1 ? 'Does that work for you?' : 'Which would you like?';
    const e = p.emptyWindow;
    if (e) {
      const lead = e.closed ? closedDay(e.day, e.closed.name, c) : `There's nothing open for ${subject(p)} ${e.singleDay ? `on ${day(e.day, c)}` : 'on those dates'}`;
      return `${lead}, but I have ${timeList(p.starts, c, e.singleDay ? e.day : undefined)}. ${ask}`;
    }
    return `For ${subject(p)}, I have ${timeList(p.starts, c)}. ${ask}`;
  },
  NO_SLOTS: (p, c) => {
    const e = p.emptyWindow;
    if (e?.closed) return `${closedDay(e.day, e.closed.name, c)}, and I don't see any openings for ${subject(p)} in the two weeks after. Would another time of day work?`;
    return `I don't see any openings for ${subject(p)} ${p.explicit ? 'around those dates' : 'in the next two weeks'}. Would another day or time of day work?`;
  },
  NEXT_AVAILABLE: (p, c) => {
    const who = p.staff.length <= 2 ? orList(p.staff) : `${p.staff[0]} or ${count(p.staff.length - 1)} others`;
    return `The next opening for ${a(p.service)} is ${when(p.start, c)} with ${who}. Shall I book it?`;
  },
  NO_NEXT_AVAILABLE: (p) => `I don't see any opening for ${a(p.service)}${p.staff ? ` with ${p.staff}` : ''} in the next ${p.horizonDays} days. Would you like to leave a message instead?`,
  BOOKED: (p, c) => {
    const booked = `Booked: ${a(p.service)} with ${p.staff} on ${when(p.start, c)}, for ${p.customer}.`;
    const done = p.reminders?.length ? `${booked} ${reminderSentence(p.reminders)}` : booked;
    if (p.lockedInMinutes === undefined) return done;
    return `${done} As it's within ${duration(p.lockedInMinutes)}, any change needs a call to ${phone(c) ?? c.business.name}.`;
  },
  BOOKING_REQUESTED: (p, c) =>
    `I've requested ${a(p.service)} with ${p.staff} on ${when(p.start, c)} for ${p.customer}. ${p.business} confirms these bookings first; the time is held for you, and we'll let you know once it's confirmed.`,
  CANCELLED: (p, c) => `Cancelled the ${serviceWords(p.service)} with ${p.staff} on ${when(p.start, c)}.`,
  MOVED: (p, c) => {
    const before = namer(c, p.start).name(p.previous);
    return `Moved the ${serviceWords(p.service)} to ${when(p.start, c)} with ${p.staff}; it was ${before ? `${before} at ` : ''}${clock(p.previous, c)}.`;
  },
  MOVE_UNCHANGED: (p, c) => `Your ${serviceWords(p.service)} is already on ${when(p.start, c)}; nothing changed.`,
  APPOINTMENTS_LISTED: (p, c) => appointments(p.appointments, c),
  NO_APPOINTMENTS: () => "I don't see any upcoming appointments for this phone number.",
  CALLBACK_REQUESTED: (p, c) => {
    const lead = p.updated ? "I've added that to your callback request. " : '';
    const by = byWhen(p.dueAt, c);
    if (p.closedNow) return `${lead}We're closed right now, so someone from ${p.business} will call you back by ${by}, once we're open.`;
    if (p.outsideHours) return `${lead}Someone from ${p.business} will call you back by ${by}; that's outside our opening hours.`;
    return `${lead}Someone from ${p.business} will call you back by ${by}.`;
  },

  // Arguments
  ARG_MISSING: (p) => field(p.field)?.ask ?? RETRY,
  ARG_INVALID: (p) =>
    p.field === 'customer_email' || p.field === 'attendee_email' ? "That email address doesn't sound right; could you spell it for me, or shall we leave it out?" : didntCatch(p.field),
  ARG_TOO_LONG: (p) => {
    const f = field(p.field);
    return f ? `That's more than I can take for ${f.noun}; could you put it more briefly?` : RETRY;
  },
  ARG_UNEXPECTED: () => RETRY,
  ARGS_NOT_JSON: () => RETRY,
  ARGS_NOT_OBJECT: () => RETRY,
  BAD_DATE: (p) => didntCatch(p.field),
  BAD_OFFSET: () => "Sorry, that time came with a time zone offset that doesn't exist. What time would you like, in our local time?",
  HOUR_24: (p) => `24:00 is the end of a day, not a start time. ${field(p.field)?.ask ?? 'What time would you like?'}`,
  CLOCKS_CHANGE: (p, c) => {
    const t = c.speech.opts.clock === '24h' ? `${p.hour}:${String(p.minute).padStart(2, '0')}` : `${p.hour % 12 || 12}${p.minute ? `:${String(p.minute).padStart(2, '0')}` : ''} ${p.hour < 12 ? 'AM' : 'PM'}`;
    return `${t} doesn't exist that day because the clocks change. What other time would work for you?`;
  },
  DATE_NEEDS_TIME: (p, c) => `What time on ${day(p.day, c)} ${p.field === 'new_datetime' ? 'would you like to move it to' : 'works for you'}?`,
  END_BEFORE_START: () => 'The last day comes before the first one. Which days should I look at?',
  BAD_PHONE: () => "That phone number doesn't sound complete. Could you say it again with the area code?",
  REQUEST_UNREADABLE: (p) => UNREADABLE[p.problem],
  UNKNOWN_TOOL: () => "Sorry, I can't do that here. I can find open times, book, move, cancel or list appointments, and ask someone to call you back.",

  // Catalog
  UNKNOWN_SERVICE: (p) => {
    const what = echo(p.query);
    const lead = what ? `We don't offer ${what}.` : "We don't offer that.";
    if (p.nearest.length === p.total) return `${lead} We offer ${andList(p.nearest.map(serviceWords))}; which would you like?`;
    return `${lead} We have ${bounded(p.nearest.map(serviceWords), SPOKEN.nearest, 'and', p.total)}; which kind of service are you after?`;
  },
  SERVICE_AMBIGUOUS: (p) => `Did you mean ${orList(p.candidates.map(a))}?`,
  UNKNOWN_STAFF: (p) => {
    const who = echo(p.query);
    const lead = who ? `There's nobody called ${who} here.` : "I don't know who that is.";
    if (p.nearest.length === p.total) return `${lead} Our team is ${andList(p.nearest)}; would you like one of them, or anyone available?`;
    return `${lead} Our team includes ${bounded(p.nearest.map(firstNameOf), SPOKEN.staff, 'and', p.total)}; who would you like, or is anyone fine?`;
  },
  STAFF_AMBIGUOUS: (p) => `Did you mean ${orList(p.candidates)}?`,
  STAFF_CANNOT_DO: (p) => {
    if (p.others.length === 0) return `${p.staff} doesn't do ${serviceWords(p.service)}, and nobody else here does either.`;
    const others = bounded(p.others, SPOKEN.staff - 1, 'or');
    return `${p.staff} doesn't do ${serviceWords(p.service)}; ${others} can. Would ${p.others.length === 1 ? 'that' : 'one of them'} work?`;
  },

  // Time rules
  IN_PAST: (p, c) => refusal(`${requested(p, c)} has already passed.`, p, c),
  TOO_SOON: (p, c) => refusal(`${requested(p, c)} is too soon; we need ${durationPossessive(p.noticeMinutes)} notice.`, p, c),
  TOO_FAR: (p, c) => refusal(`${p.requested !== undefined ? day(p.requested, c) : 'That'} is too far out; we book up to ${p.horizonDays} days ahead.`, p, c),
  CLOSED: (p, c) => {
    if (p.requested === undefined) return refusal("We're closed then.", p, c);
    const name = p.closure && p.closure !== 'Closed' ? ` for ${p.closure}` : '';
    const lead = p.partial ? `We're closed at ${clock(p.requested, c)} on ${day(p.requested, c)}${name}.` : `${closedDay(p.requested, p.closure, c)}.`;
    return refusal(lead, p, c);
  },
  OUTSIDE_HOURS: (p, c) => refusal(`${requested(p, c)} is outside our opening hours${p.staff ? ` for ${p.staff}` : ''}.`, p, c),
  SLOT_UNAVAILABLE: (p, c) => refusal(`${requested(p, c)} isn't available${p.staff ? ` with ${p.staff}` : ''}.`, p, c),

  // Existing appointments
  NO_UPCOMING: () => "I couldn't find any upcoming appointment for this phone number. Could it be under another number?",
  APPOINTMENT_NOT_FOUND: (p, c) => {
    if (p.upcoming.length === 0) return "I couldn't find that appointment, and I don't see any upcoming ones for this phone number.";
    if (p.upcoming.length > SPOKEN.appointments) return `I couldn't find that one among your ${count(p.upcoming.length)} upcoming appointments. Which day and time is it?`;
    return `I couldn't find that one; you have ${appointmentList(p.upcoming, c)}. Which do you mean?`;
  },
  ALREADY_CANCELLED: () => 'That appointment was already cancelled.',
  EVENT_GONE: () => "That appointment isn't on the calendar any more, so nothing was changed.",
  APPOINTMENTS_AMBIGUOUS: (p, c) =>
    p.appointments.length <= SPOKEN.appointments
      ? `Which one should I ${p.action}: ${orList(appointmentPhrases(p.appointments, c))}?`
      : `Which of your ${count(p.appointments.length)} upcoming appointments should I ${p.action}? The next is ${appointmentList(p.appointments.slice(0, 1), c)}.`,
  CANCELLATION_WINDOW: (p, c) => `That's less than ${duration(p.noticeMinutes)} away, so I can't ${p.action} it here; please ${callUs(c)}.`,
  DUPLICATE_BOOKING: (p, c) =>
    `You already have ${a(p.existing.service)} with ${p.existing.staff} on ${when(p.existing.start, c)}. If you'd like a different time, I can move that one instead.`,
  NO_SHOW_LIMIT: (_p, c) => `I can't book this one here, I'm sorry; please ${callUs(c)} to arrange it.`,
  LIMIT_REACHED: (p) => `This number already has ${p.cap} upcoming appointments, which is the most we can hold. I can cancel or move one of them instead.`,

  // Guards and infrastructure
  RATE_LIMITED: (_p, c) => `There have been too many changes from this number just now; please try later, or ${callUs(c)}.`,
  CALLER_MISMATCH: () => "For privacy, I can only look up or change appointments for the number you're calling from. If it's under another number, please call from that one.",
  IDEMPOTENCY_MISMATCH: () => 'Sorry, that clashed with an earlier request, so nothing was changed. Shall I try again?',
  CALENDAR_UNAVAILABLE: () => "I can't reach the calendar right now, so nothing was changed. Shall I try again in a moment?",
  STORE_UNAVAILABLE: () => "Sorry, I couldn't save anything just now because of a problem on our side, so nothing was booked or changed. Please try again in a few minutes.",
  BUSY: (p) =>
    `We're very busy right now; please try again in a moment. ${
      p.action === 'book' ? 'Nothing was booked.' : p.action === 'cancel' ? 'The appointment has not been cancelled.' : p.action === 'move' ? 'The appointment has not been moved.' : ''
    }`,
  STILL_PROCESSING: () => "That request is still going through. Give me a moment and I'll check.",
  BOOKING_STILL_SAVING: () => "That booking is still being saved. Give me a moment and I'll check again.",
  STALE_APPOINTMENT: (_p, c) => `I can't change that appointment here; please ${callUs(c)}.`,
  INTERNAL: () => 'Sorry, something went wrong on our side. Please try again, or I can take a message.',
};

/** What Vapi and Retell say while each tool runs and when its request fails (tool definitions). */
export const TOOL_STATUS: Record<string, { start: string; failed: string }> = {
  list_services: { start: 'Let me check what we offer.', failed: "I couldn't load our services just now." },
  find_available_slots: { start: 'Let me check the calendar.', failed: "I couldn't reach the calendar just now." },
  get_next_available: { start: 'Let me find the next opening.', failed: "I couldn't reach the calendar just now." },
  book_appointment: { start: 'One moment while I book that.', failed: "I couldn't complete the booking just now; nothing was booked." },
  cancel_appointment: { start: 'One moment.', failed: "I couldn't cancel that just now; the appointment is unchanged." },
  reschedule_appointment: { start: 'One moment while I move that.', failed: "I couldn't move it just now; the original time still stands." },
  list_appointments: { start: 'Let me look that up.', failed: "I couldn't look up appointments just now." },
  request_callback: { start: 'One moment while I pass that on.', failed: "I couldn't pass on your callback request just now." },
};

/** Said by Vapi when a tool takes longer than a few seconds. */
export const STILL_WORKING = 'Still working on it, one moment.';
