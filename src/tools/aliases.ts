/**
 * Function names that existing Vapi assistants already use for the same jobs, mapped onto our
 * tools: `find_available_times(start_date, duration)`, `schedule_meeting(title, start_time,
 * duration, attendee_email, description)` and `get_next_available(duration)` (our own name, with a
 * duration instead of a service). An alias only translates arguments; the call then goes through
 * the target tool's own path in runTool (validation, caller number, binding, idempotency, deadline,
 * call log under the alias name).
 *
 * Aliases are not published in the generated definitions unless asked for
 * (`toolDefinitions(format, { includeAliases: true })`): new assistants should use our names.
 */
import { z } from 'zod';
import type { BusinessConfig, ServiceConfig } from '../config/business.js';
import { match, normalizeName, serviceKeys } from '../domain/catalog.js';
import { isoDate } from './args.js';
import type { ToolSignature } from './types.js';

export interface ToolAlias<S extends z.ZodObject = z.ZodObject> extends ToolSignature<S> {
  /** Our tool that does the job. */
  target: string;
  /** For a name that is also our tool's: whether these arguments are the alias's shape. */
  applies?(args: Record<string, unknown>): boolean;
  /** The alias's arguments as our target tool's arguments (validated again by the target's schema). */
  translate(cfg: BusinessConfig, input: z.output<S>): Record<string, unknown>;
}

function defineAlias<S extends z.ZodObject>(a: ToolAlias<S>): ToolAlias<S> {
  return a;
}

const durationArg = z
  .union([z.number(), z.string().trim().max(40)])
  .optional()
  .describe('How long the appointment is, in minutes (e.g. 30); picks the service of that length.');

/** 30, "30", "30 minutes", "1 hour", "1h30", "PT45M" -> minutes. */
export function durationMinutes(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v) : undefined;
  const s = v.toLowerCase();
  const iso = /^pt(?:(\d+)h)?(?:(\d+)m)?$/.exec(s);
  if (iso && (iso[1] || iso[2])) return Number(iso[1] ?? 0) * 60 + Number(iso[2] ?? 0);
  const m = /^(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?)?\s*(?:(\d+)\s*(?:m|min|mins|minutes?)?)?$|^(\d+)\s*(?:m|min|mins|minutes?)$/.exec(s);
  if (!m) return undefined;
  if (m[4]) return Number(m[4]);
  const first = Number(m[1]);
  const minutes = m[2] ? first * 60 + Number(m[3] ?? 0) : first;
  return minutes > 0 ? Math.round(minutes) : undefined;
}

/** The service whose length matches, else the business's first (default) service. */
export function serviceForDuration(cfg: BusinessConfig, minutes: number | undefined): ServiceConfig {
  return cfg.services.find((s) => s.durationMinutes === minutes) ?? cfg.services[0]!;
}

const GENERIC = new Set(['meeting', 'appointment', 'call', 'booking', 'session', 'visit', 'consult', 'new', 'event', 'test']);

/**
 * A meeting title as the customer's name, when it looks like one: "Jane Doe", "Haircut with Jane
 * Doe", "Appointment for Jane". Undefined for titles such as "Haircut" or "Meeting at 3".
 */
export function nameFromTitle(cfg: BusinessConfig, title: string | undefined): string | undefined {
  if (!title) return undefined;
  let t = title.trim();
  const withWho = /\b(?:with|for)\s+(.+)$/i.exec(t);
  if (withWho) t = withWho[1]!.trim();
  t = t.replace(/^(?:meeting|appointment|booking|call)\s*[:-]\s*/i, '');
  const words = t.split(/\s+/);
  if (words.length < 1 || words.length > 4) return undefined;
  if (!words.every((w) => /^\p{L}[\p{L}'.-]*$/u.test(w))) return undefined;
  if (words.some((w) => GENERIC.has(normalizeName(w)))) return undefined;
  if ('found' in match(cfg.services, serviceKeys, t)) return undefined;
  return t;
}

/** A service named in a meeting title ("Beard trim with Jane"), if exactly one is. */
function serviceInTitle(cfg: BusinessConfig, title: string | undefined): ServiceConfig | undefined {
  if (!title) return undefined;
  const head = title.replace(/\b(?:with|for)\s+.+$/i, '').trim();
  const m = head ? match(cfg.services, serviceKeys, head) : undefined;
  return m && 'found' in m ? m.found : undefined;
}

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const ALIASES: readonly ToolAlias[] = [
  defineAlias({
    name: 'find_available_times',
    target: 'find_available_slots',
    description: 'Find open appointment times. start_date is a business-local ISO date (2026-03-16); duration in minutes picks the service.',
    schema: z.object({
      start_date: isoDate.optional().describe('First day to search, e.g. 2026-03-16.'),
      end_date: isoDate.optional().describe('Last day to search (inclusive).'),
      duration: durationArg,
    }),
    translate: (cfg, a) => defined({ service_name: serviceForDuration(cfg, durationMinutes(a.duration)).name, start_date: a.start_date, end_date: a.end_date }),
  }),
  defineAlias({
    name: 'schedule_meeting',
    target: 'book_appointment',
    description: "Book an appointment. start_time is business-local (2026-03-16T14:30); title is the caller's name; duration in minutes picks the service.",
    schema: z.object({
      title: z.string().trim().max(200).optional().describe("The caller's name, e.g. \"Jane Doe\"."),
      start_time: isoDate.describe('Chosen start, business-local, e.g. 2026-03-16T14:30.'),
      duration: durationArg,
      attendee_email: z.string().trim().max(254).optional().describe('Only if the caller offers one.'),
      description: z.string().trim().max(500).optional().describe('Anything the caller wants the staff to know.'),
    }),
    translate: (cfg, a) => {
      const minutes = durationMinutes(a.duration);
      const service = (minutes !== undefined ? cfg.services.find((s) => s.durationMinutes === minutes) : undefined) ?? serviceInTitle(cfg, a.title) ?? serviceForDuration(cfg, minutes);
      return defined({
        customer_name: nameFromTitle(cfg, a.title),
        service_name: service.name,
        appointment_datetime: a.start_time,
        customer_email: a.attendee_email,
        notes: a.description,
      });
    },
  }),
  defineAlias({
    name: 'get_next_available',
    target: 'get_next_available',
    description: 'Find the earliest opening; duration in minutes picks the service.',
    applies: (args) => 'duration' in args && !('service_name' in args),
    schema: z.object({
      duration: durationArg,
      after: isoDate.optional().describe('Only openings at or after this date or date-time.'),
      staff_name: z.string().trim().min(1).max(100).optional(),
    }),
    translate: (cfg, a) => defined({ service_name: serviceForDuration(cfg, durationMinutes(a.duration)).name, after: a.after, staff_name: a.staff_name }),
  }),
] as unknown as readonly ToolAlias[];

/** The alias `name` stands for with these arguments, if any. */
export function aliasFor(name: string, args: Record<string, unknown>): ToolAlias | undefined {
  return ALIASES.find((a) => a.name === name && (a.applies?.(args) ?? true));
}

export function isAliasName(name: string): boolean {
  return ALIASES.some((a) => a.name === name);
}

/** The alias names platforms may call `target` by (the dashboard counts a booking under either). */
export function aliasNamesOf(target: string): string[] {
  return ALIASES.filter((a) => a.target === target).map((a) => a.name);
}
