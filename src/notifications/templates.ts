/**
 * SMS wording. The business file may override each template; placeholders are `{name}` and are
 * filled by plain lookup (no expressions, no eval), so a template can never run code or read
 * anything but the values listed in PLACEHOLDERS. Unknown placeholders are rejected at start-up,
 * so a typo is an operator error message, not a customer receiving "{custmer}".
 */
import { type BusinessConfig, ConfigError } from '../config/business.js';

export type TemplateName =
  | 'booked'
  | 'rescheduled'
  | 'cancelled'
  | 'reminder'
  | 'requested'
  | 'declined'
  | 'staffBooked'
  | 'staffRescheduled'
  | 'staffCancelled'
  | 'staffRequested';

export const PLACEHOLDERS = [
  'business',
  'business_phone',
  'address',
  'service',
  'staff',
  'customer',
  /** Spoken local date and time of the appointment: "Tuesday, March 16 at 2:30 PM". */
  'when',
  /** The old time, for a reschedule. */
  'previous_when',
  /**
   * "To cancel or change: https://…/a/<token>" when self-service links are on (WEB_LINK_SECRET and
   * PUBLIC_BASE_URL set), else "To cancel or change, call +1 212 555 0100.", or "" with no phone.
   */
  'how_to_cancel',
  /** "To find another time, call +1 212 555 0100." or "" when the business has no phone. */
  'how_to_rebook',
  /** The customer's self-service link (see, cancel, move), or "" when links are off. */
  'manage_link',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

const DEFAULTS: Record<TemplateName, string> = {
  booked: '{business}: your {service} with {staff} is booked for {when}. {how_to_cancel}',
  rescheduled: '{business}: your {service} with {staff} has moved to {when} (was {previous_when}). {how_to_cancel}',
  cancelled: '{business}: your {service} on {when} is cancelled. We hope to see you another time.',
  reminder: '{business} reminder: {service} with {staff} on {when}. {how_to_cancel}',
  requested: '{business}: we have your request for a {service} with {staff} on {when}. The time is held for you; we will text you once it is confirmed.',
  declined: '{business}: sorry, we could not confirm your {service} on {when}, so it is not booked. {how_to_rebook}',
  // Staff wording is fixed except for the booked one: the business file only has `staffBooked`.
  staffBooked: '{business}: new booking, {service} for {customer} on {when}.',
  staffRescheduled: '{business}: {customer} moved their {service} to {when} (was {previous_when}).',
  staffCancelled: '{business}: {customer} cancelled their {service} on {when}.',
  staffRequested: '{business}: {customer} asks for a {service} on {when}; it needs your confirmation.',
};

const PLACEHOLDER_RE = /\{([a-z_]+)\}/g;

export class Templates {
  private readonly texts: Record<TemplateName, string>;

  constructor(config: Pick<BusinessConfig, 'notifications' | 'source'>) {
    const custom = config.notifications.templates;
    this.texts = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(custom).filter(([, v]) => typeof v === 'string' && v.trim() !== '')),
    };
    for (const [name, text] of Object.entries(this.texts)) checkPlaceholders(text, `notifications.templates.${name}`, config.source);
  }

  render(name: TemplateName, values: TemplateValues): string {
    return renderTemplate(this.texts[name], values);
  }
}

/** Stops start-up on a placeholder no message can fill: the operator hears it, not the customer. */
export function checkPlaceholders(text: string, path: string, source: string): void {
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      throw new ConfigError(`Invalid configuration in ${source}:\n  - ${path}: unknown placeholder {${m[1]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
  }
}

/** `{key}` -> value; single pass, so a value that itself contains `{when}` is never expanded. */
export function renderTemplate(text: string, values: Readonly<Record<string, string>>): string {
  const out = text.replace(PLACEHOLDER_RE, (whole, key: string) => (Object.hasOwn(values, key) ? values[key]! : whole));
  // An empty placeholder (no business phone) must not leave "  " or a trailing space in an SMS.
  return out.replace(/[ \t]{2,}/g, ' ').trim();
}
