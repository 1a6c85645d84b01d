/**
 * The business file: who we book for and by which rules. Parsed once at start-up; every error names
 * the file and the field so an operator can fix it without reading code. Times in the file are local
 * to the business time zone.
 */
import { readFileSync } from 'node:fs';
import { IANAZone } from 'luxon';
import { z } from 'zod';

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** "09:00" -> minutes after local midnight. "24:00" is allowed as an end of day. */
export function parseHHMM(value: string): number {
  const m = HHMM.exec(value);
  if (!m) throw new Error(`"${value}" is not a time like 09:30`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 24 * 60) throw new Error(`"${value}" is past midnight`);
  return minutes;
}

const timeRange = z
  .string()
  .regex(/^\d{2}:\d{2}\s*-\s*\d{2}:\d{2}$/, 'expected a range like "09:00-17:00"')
  .transform((value, ctx) => {
    const [from, to] = value.split('-').map((s) => s.trim()) as [string, string];
    try {
      const start = parseHHMM(from);
      const end = parseHHMM(to);
      if (end <= start) {
        ctx.addIssue({ code: 'custom', message: `"${value}" ends before it starts` });
        return z.NEVER;
      }
      return { start, end };
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

export type MinuteRange = { start: number; end: number };

const dayRanges = z
  .array(timeRange)
  .default([])
  .superRefine((ranges, ctx) => {
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.start < sorted[i - 1]!.end) ctx.addIssue({ code: 'custom', message: 'time ranges overlap' });
    }
  })
  .transform((ranges) => [...ranges].sort((a, b) => a.start - b.start));

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Missing days are closed. Several ranges a day; the gaps are breaks. */
const weeklyHours = z
  .object(Object.fromEntries(WEEKDAYS.map((d) => [d, dayRanges])) as Record<Weekday, typeof dayRanges>)
  .partial()
  .strict()
  .transform((w) => {
    // Index 1..7 = luxon weekday (Monday = 1); index 0 unused.
    const byWeekday: MinuteRange[][] = [[]];
    for (const d of WEEKDAYS) byWeekday.push(w[d] ?? []);
    return byWeekday;
  });

/** A real calendar date: "2026-02-30" and "2026-13-40" are refused, not rolled over. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDate = z
  .string()
  .regex(ISO_DATE, 'expected a date like 2026-12-25')
  .refine((v) => {
    if (!ISO_DATE.test(v)) return true; // already reported by the pattern
    const [y, m, d] = v.split('-').map(Number) as [number, number, number];
    const t = new Date(Date.UTC(y, m - 1, d));
    return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
  }, { error: (issue) => `"${String(issue.input)}" is not a real calendar date` });

const closure = z
  .object({
    date: isoDate,
    /** Last day of a multi-day closure (inclusive). */
    until: isoDate.optional(),
    /** A partial closure: closed between these local times. Whole day when absent. */
    from: z.string().optional(),
    to: z.string().optional(),
    name: z.string().default('Closed'),
  })
  .strict()
  .transform((c, ctx) => {
    if ((c.from === undefined) !== (c.to === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a partial closure needs both "from" and "to"' });
      return z.NEVER;
    }
    let from: number | undefined;
    let to: number | undefined;
    try {
      if (c.from !== undefined && c.to !== undefined) {
        from = parseHHMM(c.from);
        to = parseHHMM(c.to);
        if (to <= from) throw new Error(`closure ${c.from}-${c.to} ends before it starts`);
      }
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
    if (c.until !== undefined && c.until < c.date) {
      ctx.addIssue({ code: 'custom', message: '"until" is before "date"' });
      return z.NEVER;
    }
    return { date: c.date, until: c.until ?? c.date, from, to, name: c.name };
  });

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'ids are lowercase letters, digits, - and _');

const service = z
  .object({
    id,
    name: z.string().min(1),
    aliases: z.array(z.string().min(1)).default([]),
    durationMinutes: z.number().int().min(5).max(24 * 60),
    bufferBeforeMinutes: z.number().int().min(0).max(240).default(0),
    bufferAfterMinutes: z.number().int().min(0).max(240).default(0),
    /** Staff ids who can do it; empty or absent means everyone. */
    staff: z.array(id).default([]),
    description: z.string().default(''),
    price: z.string().optional(),
    /**
     * Staff confirm each booking of this service before it counts: it holds its slot meanwhile, the
     * caller hears that it awaits confirmation, and it is declined by itself after
     * booking.confirmationTimeoutMinutes (or at its start, whichever comes first).
     */
    requiresConfirmation: z.boolean().default(false),
  })
  .strict();

/**
 * Where one staff member's calendar lives, when not on the process default (CALENDAR_PROVIDER).
 * Credentials never sit in this file: Microsoft uses the app registration from MICROSOFT_* and a
 * CalDAV password is read from the environment variable named here.
 */
const staffCalendar = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('embedded') }).strict(),
  z.object({ provider: z.literal('google'), calendarId: z.string().min(1) }).strict(),
  z
    .object({
      provider: z.literal('microsoft'),
      /** The mailbox (user principal name or object id) whose default calendar holds the bookings. */
      user: z.string().min(3),
    })
    .strict(),
  z
    .object({
      provider: z.literal('caldav'),
      /** The server (discovery finds the calendar) or the calendar collection itself. */
      url: z.url({ protocol: /^https?$/ }),
      username: z.string().min(1),
      /** Name of the environment variable holding the password or app-specific password. */
      passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name like CALDAV_JORDAN_PASSWORD'),
      /** Display name of the calendar to use when the server has several; the first event calendar otherwise. */
      calendar: z.string().min(1).optional(),
    })
    .strict(),
]);

export type StaffCalendarConfig = z.output<typeof staffCalendar>;

const staff = z
  .object({
    id,
    name: z.string().min(1),
    /** The calendar holding this person's bookings: a Google calendar id, or any label for the embedded calendar. */
    calendarId: z.string().min(1).optional(),
    /** This person's own calendar provider; absent = the process default (CALENDAR_PROVIDER). */
    calendar: staffCalendar.optional(),
    /** Overrides the business hours for this person (days missing here are their days off). */
    hours: weeklyHours.optional(),
    phone: z.string().optional(),
    email: z.string().optional(),
    /** Gets urgent callbacks first. */
    senior: z.boolean().default(false),
    /** Callback role: `all` takes any callback in the rotation, `urgent` only urgent ones, `none` never. */
    callbacks: z.enum(['all', 'urgent', 'none']).default('all'),
  })
  .strict();

const MINUTES = z.number().int().min(1).max(14 * 24 * 60);

/** Callback requests (request_callback): how soon each urgency is promised, and who hears of a miss. */
const callbacks = z
  .object({
    /** The promised window per urgency, in minutes. */
    windowMinutes: z
      .object({ urgent: MINUTES.default(30), high: MINUTES.default(120), medium: MINUTES.default(240), low: MINUTES.default(1440) })
      .strict()
      .prefault({}),
    /**
     * Count windows in opening hours only: a 4-hour promise made an hour before closing ends three
     * opening hours into the next open day. Off: windows run on the wall clock.
     */
    businessHoursOnly: z.boolean().default(true),
    /** After an unanswered attempt, the next one is due this much later. */
    retryMinutes: MINUTES.default(60),
    /** Who is told when a callback passes its window unanswered; defaults to the business phone. */
    escalationPhone: z.string().optional(),
  })
  .strict()
  .prefault({});

const smsTemplates = z
  .object({
    booked: z.string().optional(),
    rescheduled: z.string().optional(),
    cancelled: z.string().optional(),
    reminder: z.string().optional(),
    staffBooked: z.string().optional(),
    requested: z.string().optional(),
    declined: z.string().optional(),
  })
  .strict()
  .default({});

const channel = z.enum(['sms', 'email']);
const channels = z.array(channel).min(1).max(2);

const emailTemplate = z.object({ subject: z.string().optional(), text: z.string().optional() }).strict();

/** E-mail wording and identity. Templates have the same placeholders as the SMS ones. */
const emailSettings = z
  .object({
    /** Where customers' replies go (the salon's own inbox); the From address is SMTP_FROM. */
    replyTo: z.email().optional(),
    templates: z
      .object({
        booked: emailTemplate.optional(),
        rescheduled: emailTemplate.optional(),
        cancelled: emailTemplate.optional(),
        reminder: emailTemplate.optional(),
        staffBooked: emailTemplate.optional(),
        staffRescheduled: emailTemplate.optional(),
        staffCancelled: emailTemplate.optional(),
        requested: emailTemplate.optional(),
        declined: emailTemplate.optional(),
        staffRequested: emailTemplate.optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .prefault({});

export const businessFileSchema = z
  .object({
    business: z
      .object({
        name: z.string().min(1),
        timeZone: z.string().refine((tz) => IANAZone.isValidZone(tz), 'not an IANA time zone such as America/New_York'),
        /** ISO country for phone numbers said without a country code. */
        phoneRegion: z.string().length(2).default('US'),
        clock: z.enum(['12h', '24h']).default('12h'),
        locale: z.string().default('en-US'),
        phone: z.string().optional(),
        /** Where the business is e-mailed about its own setup (a Google connection needing attention) when it has no phone. */
        email: z.email().optional(),
        address: z.string().optional(),
      })
      .strict(),
    hours: weeklyHours,
    closures: z.array(closure).default([]),
    booking: z
      .object({
        minNoticeMinutes: z.number().int().min(0).default(120),
        horizonDays: z.number().int().min(1).max(730).default(60),
        slotIntervalMinutes: z.number().int().min(5).max(240).default(15),
        /** Cancel or move at least this long before the start; 0 disables the rule. */
        cancellationNoticeMinutes: z.number().int().min(0).default(0),
        /** How many slots a search speaks by default. */
        defaultResults: z.number().int().min(1).max(20).default(5),
        /** Upcoming appointments one phone number may hold (0 = no cap). */
        maxUpcomingPerPhone: z.number().int().min(0).default(0),
        /** No-shows after which a phone can no longer book by phone, only by calling the business (0 = no limit). */
        maxNoShowsPerPhone: z.number().int().min(0).default(0),
        /** A booking awaiting staff confirmation is declined automatically after this long. */
        confirmationTimeoutMinutes: z.number().int().min(5).max(14 * 24 * 60).default(24 * 60),
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        /** Reminders by SMS (kept as it was before e-mail); `reminders` replaces it when present. */
        reminderOffsetsMinutes: z.array(z.number().int().positive()).default([1440, 60]),
        /** Reminders per offset and channel, e.g. [{"minutesBefore": 1440, "channels": ["email"]}]. */
        reminders: z
          .array(z.object({ minutesBefore: z.number().int().positive(), channels }).strict())
          .optional(),
        /** Channels of the booked / rescheduled / cancelled messages. */
        channels: z
          .object({ booked: channels.default(['sms', 'email']), rescheduled: channels.default(['sms', 'email']), cancelled: channels.default(['sms', 'email']) })
          .strict()
          .prefault({}),
        notifyStaff: z.boolean().default(false),
        templates: smsTemplates,
        email: emailSettings,
      })
      .strict()
      .prefault({}),
    /** The booking widget and the public availability API (src/web/). */
    web: z
      .object({
        /**
         * Public key a page sends with API calls (X-Widget-Key or ?key=): not a secret, it names the
         * business's widget so a copied snippet can be turned off by changing it. Unset = no key asked.
         */
        widgetKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, - or _').optional(),
        /** Origins (https://maple.example) whose pages may call the API directly; the widget's own pages always may. */
        allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin like https://maple.example, no path')).default([]),
        /** Public API requests per client address per minute. */
        requestsPerMinute: z.number().int().min(1).max(100_000).default(120),
        /** Brand colour of the widget (must keep white text readable). */
        brandColor: z.string().regex(/^#[0-9a-fA-F]{6}$/).default('#1d4ed8'),
      })
      .strict()
      .prefault({}),
    callbacks,
    services: z.array(service).min(1),
    staff: z.array(staff).min(1),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const staffIds = new Set<string>();
    cfg.staff.forEach((s, i) => {
      if (staffIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['staff', i, 'id'], message: `duplicate staff id "${s.id}"` });
      staffIds.add(s.id);
    });
    const serviceIds = new Set<string>();
    cfg.services.forEach((s, i) => {
      if (serviceIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['services', i, 'id'], message: `duplicate service id "${s.id}"` });
      serviceIds.add(s.id);
      s.staff.forEach((sid, j) => {
        if (!staffIds.has(sid)) ctx.addIssue({ code: 'custom', path: ['services', i, 'staff', j], message: `unknown staff id "${sid}"` });
      });
    });
  });

export type BusinessFile = z.output<typeof businessFileSchema>;
export type ServiceConfig = BusinessFile['services'][number];
export type StaffConfig = BusinessFile['staff'][number] & { calendarId: string };
export type Closure = BusinessFile['closures'][number];
export type WeeklyHours = MinuteRange[][];

/** The validated business, with defaults filled in and staff calendar ids resolved. */
export interface BusinessConfig extends Omit<BusinessFile, 'staff'> {
  staff: StaffConfig[];
  source: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function formatZodIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(top level)';
    return `  - ${path}: ${i.message}`;
  });
  return `Invalid configuration in ${source}:\n${lines.join('\n')}`;
}

export interface BusinessConfigOptions {
  /**
   * Every staff member must name their calendar (CALENDAR_PROVIDER=google): a Google calendar id
   * cannot be guessed from a staff id, and a wrong one only shows up as "I can't reach the calendar"
   * on every call. The embedded calendar keeps defaulting the calendar id to the staff id.
   */
  requireCalendarIds?: boolean;
}

/**
 * The calendar id a staff member's bookings are stored under when the file names none: what their
 * provider addresses (a Google calendar id, a mailbox), or a label unique to the CalDAV account.
 */
function defaultCalendarId(s: BusinessFile['staff'][number]): string {
  switch (s.calendar?.provider) {
    case undefined:
    case 'embedded':
      return s.id;
    case 'google':
      return s.calendar.calendarId;
    case 'microsoft':
      return s.calendar.user;
    case 'caldav':
      return `caldav:${s.calendar.username}@${s.calendar.url}${s.calendar.calendar ? `#${s.calendar.calendar}` : ''}`;
  }
}

export function parseBusinessConfig(raw: unknown, source = '<inline>', options: BusinessConfigOptions = {}): BusinessConfig {
  const parsed = businessFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodIssues(source, parsed.error));
  const cfg = parsed.data;
  if (options.requireCalendarIds) {
    const missing = cfg.staff.flatMap((s, i) => (s.calendarId === undefined && s.calendar === undefined ? [`  - staff.${i}.calendarId: set the Google calendar id of ${s.name} ("${s.id}")`] : []));
    if (missing.length) {
      throw new ConfigError(
        `Invalid configuration in ${source}: CALENDAR_PROVIDER=google needs "calendarId" for every staff member (e.g. "sam@yoursalon.com"):\n${missing.join('\n')}`,
      );
    }
  }
  return {
    ...cfg,
    staff: cfg.staff.map((s) => ({ ...s, calendarId: s.calendarId ?? defaultCalendarId(s) })),
    source,
  };
}

export function loadBusinessConfig(path: string, options: BusinessConfigOptions = {}): BusinessConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read business configuration ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`Business configuration ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseBusinessConfig(raw, path, options);
}
