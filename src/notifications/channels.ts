/**
 * Which channel carries which message. The business file names the channels per message kind;
 * a customer without an e-mail address (or, in data imported from elsewhere, without a phone) gets
 * the message on the other channel instead of not at all. A message goes out on two channels only
 * when the business file asks for both: a fallback replaces, it never adds.
 */
import type { BusinessConfig } from '../config/business.js';
import type { Channel } from '../store/ports.js';

const MINUTE = 60_000;

export interface Reachable {
  customerPhone: string | null | undefined;
  customerEmail: string | null | undefined;
}

export function channelsFor(wanted: readonly Channel[], who: Reachable): Channel[] {
  const has: Record<Channel, boolean> = { sms: !!who.customerPhone, email: !!who.customerEmail?.trim() };
  const got = wanted.filter((c) => has[c]);
  if (got.length > 0 || wanted.length !== 1) return [...new Set(got)];
  const other: Channel = wanted[0] === 'sms' ? 'email' : 'sms';
  return has[other] ? [other] : [];
}

export interface ReminderRule {
  minutesBefore: number;
  channels: Channel[];
}

/** The reminder rules, longest lead first; `reminderOffsetsMinutes` alone means SMS, as it always did. */
export function reminderRules(config: Pick<BusinessConfig, 'notifications'>): ReminderRule[] {
  const n = config.notifications;
  const rules = n.reminders ?? n.reminderOffsetsMinutes.map((m) => ({ minutesBefore: m, channels: ['sms' as Channel] }));
  return [...rules].sort((a, b) => b.minutesBefore - a.minutesBefore);
}

export interface PlannedReminder {
  minutesBefore: number;
  channel: Channel;
  dueAt: number;
}

/** The reminders an appointment gets: those still ahead of `now`, on the channels the customer can receive. */
export function reminderPlan(config: Pick<BusinessConfig, 'notifications'>, a: Reachable & { start: number }, now: number): PlannedReminder[] {
  const out: PlannedReminder[] = [];
  for (const rule of reminderRules(config)) {
    const dueAt = a.start - rule.minutesBefore * MINUTE;
    if (dueAt <= now) continue;
    for (const channel of channelsFor(rule.channels, a)) {
      if (!out.some((r) => r.minutesBefore === rule.minutesBefore && r.channel === channel)) out.push({ minutesBefore: rule.minutesBefore, channel, dueAt });
    }
  }
  return out;
}
