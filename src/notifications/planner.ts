/**
 * Turns appointment changes into outbox rows. Runs as an appointment change listener, i.e. INSIDE
 * the unit of work of the booking, move or cancel: the change and its messages commit
 * together or not at all. Nothing here does I/O beyond that database.
 *
 * Every dedupe key starts with its channel: the SMS and the e-mail about one change are two
 * messages. E-mails about a booking, a move or a cancellation carry a calendar invite whose
 * SEQUENCE comes from the store (`invites`), bumped in this same transaction.
 *
 * Reminder offsets are elapsed time ("1440 minutes before"), not wall-clock days: across a DST
 * change a 24-hour reminder lands at a different local hour than the appointment. That keeps
 * "24 h" and "1 h" the same kind of rule; docs/sms.md says so.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Logger } from 'pino';
import type { BusinessConfig } from '../config/business.js';
import type { Appointment } from '../domain/appointment.js';
import type { Clock } from '../domain/clock.js';
import { normalizePhone } from '../domain/phone.js';
import type { Speech } from '../domain/speech.js';
import type { AppointmentChange, Channel, NewMessage, Repos } from '../store/ports.js';
import { channelsFor, reminderPlan } from './channels.js';
import type { EmailTemplates, Invite } from './email/content.js';
import type { TemplateName, Templates, TemplateValues } from './templates.js';

/** The repositories of the change's own transaction that planning writes to. */
export type PlannerTx = Pick<Repos, 'outbox' | 'invites'>;
type Kind = Exclude<NewMessage['kind'], 'reminder' | 'callback' | 'connection'>;

export interface PlannerDeps {
  config: BusinessConfig;
  speech: Speech;
  clock: Clock;
  logger: Logger;
  /** The invite's ORGANIZER: the business's reply-to, else the From address. */
  organizerEmail?: string | undefined;
  /** The customer's self-service link for an appointment (src/web/links.ts), when links are on. */
  manageLink?: ((a: Appointment) => string | undefined) | undefined;
}

export class MessagePlanner {
  private readonly businessPhone: string;

  constructor(
    private readonly deps: PlannerDeps,
    private readonly templates: Templates,
    private readonly emails: EmailTemplates,
  ) {
    const { business } = deps.config;
    const parsed = business.phone ? parsePhoneNumberFromString(business.phone, business.phoneRegion.toUpperCase() as CountryCode) : undefined;
    this.businessPhone = parsed?.isPossible() ? (parsed.country === business.phoneRegion.toUpperCase() ? parsed.formatNational() : parsed.formatInternational()) : (business.phone ?? '');
  }

  async onChange(change: AppointmentChange, tx: PlannerTx): Promise<void> {
    const now = this.deps.clock.now();
    switch (change.kind) {
      case 'booked':
        return this.booked(tx, change.appointment, now);
      case 'rescheduled':
        return this.rescheduled(tx, change.appointment, change.previous, now);
      case 'cancelled':
        return this.cancelled(tx, change.appointment, now);
      case 'confirmed':
        // Staff said yes: from the customer's side this is the booking, with its invite and reminders.
        return this.booked(tx, change.appointment, now);
      case 'declined':
        return this.declined(tx, change.appointment, now);
    }
  }

  private async booked(tx: PlannerTx, a: Appointment, now: number): Promise<void> {
    if (a.status === 'awaiting_confirmation') return this.requested(tx, a, now);
    await this.customer(tx, a, 'booked', `${a.id}:booked`, now);
    await this.staff(tx, a, 'staffBooked', 'booked', `${a.id}:booked`, now);
    await this.planReminders(tx, a, now);
  }

  private async rescheduled(tx: PlannerTx, a: Appointment, previous: Appointment, now: number): Promise<void> {
    // A move to another staff member is a new appointment id; the old id's reminders must stop too.
    await tx.outbox.cancelPendingReminders(previous.id, now);
    if (previous.id !== a.id) await tx.outbox.cancelPendingReminders(a.id, now);
    // updatedAt makes each move its own message, even a move back to an earlier time.
    const key = `${a.id}:rescheduled:${previous.id}:${previous.start}->${a.start}@${a.updatedAt}`;
    await this.customer(tx, a, 'rescheduled', key, now, previous);
    if (previous.staffId === a.staffId) {
      await this.staff(tx, a, 'staffRescheduled', 'rescheduled', key, now, previous);
    } else {
      await this.staff(tx, previous, 'staffCancelled', 'cancelled', `${key}:from`, now);
      await this.staff(tx, a, 'staffBooked', 'booked', `${key}:to`, now);
    }
    await this.planReminders(tx, a, now);
  }

  private async cancelled(tx: PlannerTx, a: Appointment, now: number): Promise<void> {
    await tx.outbox.cancelPendingReminders(a.id, now);
    await this.customer(tx, a, 'cancelled', `${a.id}:cancelled`, now);
    await this.staff(tx, a, 'staffCancelled', 'cancelled', `${a.id}:cancelled`, now);
  }

  /**
   * A booking that waits for staff: the customer hears it is held, not booked (no invite, no
   * reminders yet), and the staff member is asked to confirm it even when notifyStaff is off,
   * since nothing happens until they do.
   */
  private async requested(tx: PlannerTx, a: Appointment, now: number): Promise<void> {
    await this.customer(tx, a, 'booked', `${a.id}:requested`, now, undefined, 'requested');
    await this.staff(tx, a, 'staffRequested', 'booked', `${a.id}:requested`, now, undefined, true);
  }

  private async declined(tx: PlannerTx, a: Appointment, now: number): Promise<void> {
    await this.customer(tx, a, 'cancelled', `${a.id}:declined`, now, undefined, 'declined');
  }

  /** One reminder per rule and channel whose send time is still ahead; none for a time already past. */
  private async planReminders(tx: PlannerTx, a: Appointment, now: number): Promise<void> {
    // Reminders wait for staff to confirm; the confirmation plans them.
    if (a.status !== 'confirmed') return;
    for (const r of reminderPlan(this.deps.config, a, now)) {
      // Worded as of its send time, so "Tuesday, March 16" gets a year only when it needs one.
      const values = this.values(a, r.dueAt);
      await tx.outbox.enqueue(
        {
          dedupeKey: `${r.channel}:${a.id}:reminder:${r.minutesBefore}:${a.start}`,
          appointmentId: a.id,
          kind: 'reminder',
          audience: 'customer',
          offsetMinutes: r.minutesBefore,
          appointmentStart: a.start,
          dueAt: r.dueAt,
          expiresAt: a.start,
          ...this.content(r.channel, 'reminder', values, a),
        },
        now,
      );
    }
  }

  private async customer(tx: PlannerTx, a: Appointment, kind: Kind, key: string, now: number, previous?: Appointment, template: TemplateName = kind): Promise<void> {
    for (const channel of channelsFor(this.deps.config.notifications.channels[kind], a)) {
      const dedupeKey = `${channel}:${key}:customer`;
      // A replayed change plans nothing twice, and does not bump the invite's SEQUENCE either.
      if (await tx.outbox.byKey(dedupeKey)) continue;
      const values = this.values(a, now, previous);
      // No invite for a request or a decline: nothing was on the customer's calendar to add or remove.
      const invite = channel === 'email' && template === kind ? await this.invite(tx, a, kind, now, previous) : undefined;
      await tx.outbox.enqueue(
        {
          dedupeKey,
          appointmentId: a.id,
          kind,
          audience: 'customer',
          appointmentStart: a.start,
          dueAt: now,
          // News about an appointment that has already started helps no one.
          expiresAt: a.start,
          ...this.content(channel, template, values, a, invite),
        },
        now,
      );
    }
  }

  private async invite(tx: PlannerTx, a: Appointment, kind: Kind, now: number, previous?: Appointment): Promise<Invite> {
    const { uid, sequence } = await tx.invites.next(a.id, now, previous?.id);
    const { config } = this.deps;
    return {
      method: kind === 'cancelled' ? 'CANCEL' : 'REQUEST',
      uid,
      sequence,
      start: a.start,
      end: a.end,
      stamp: now,
      organizer: { name: config.business.name, email: this.deps.organizerEmail ?? 'bookings@invalid' },
      attendee: { name: a.customerName, email: a.customerEmail ?? '' },
    };
  }

  /** The recipient and the wording of one message on one channel. */
  private content(channel: Channel, template: TemplateName, values: TemplateValues, to: { customerPhone: string; customerEmail: string | null }, invite?: Invite) {
    if (channel === 'sms') return { channel, to: to.customerPhone, body: this.templates.render(template, values) };
    const e = this.emails.render(template, values, invite);
    return { channel, to: to.customerEmail!.trim(), body: e.text, subject: e.subject, html: e.html, attachments: e.attachments };
  }

  /** The assigned staff member, when `notifyStaff` is on: by SMS to their phone, by e-mail to their address, or both. */
  private async staff(tx: PlannerTx, a: Appointment, template: TemplateName, kind: Kind, key: string, now: number, previous?: Appointment, always = false): Promise<void> {
    if (!always && !this.deps.config.notifications.notifyStaff) return;
    const member = this.deps.config.staff.find((s) => s.id === a.staffId);
    if (!member) return;
    const values = this.values(a, now, previous);
    const common = { appointmentId: a.id, kind, audience: 'staff' as const, appointmentStart: a.start, dueAt: now, expiresAt: a.start };
    if (member.phone) {
      const to = normalizePhone(member.phone, this.deps.config.business.phoneRegion);
      if (to) await tx.outbox.enqueue({ ...common, dedupeKey: `sms:${key}:staff:${member.id}`, ...this.content('sms', template, values, { customerPhone: to, customerEmail: null }) }, now);
      else this.deps.logger.warn({ staff: member.id }, 'staff phone number is not a possible number; no SMS to them');
    }
    if (member.email?.trim()) {
      await tx.outbox.enqueue({ ...common, dedupeKey: `email:${key}:staff:${member.id}`, ...this.content('email', template, values, { customerPhone: '', customerEmail: member.email }) }, now);
    }
  }

  private values(a: Appointment, now: number, previous?: Appointment): TemplateValues {
    const { config, speech } = this.deps;
    const link = this.deps.manageLink?.(a);
    return {
      business: config.business.name,
      business_phone: this.businessPhone,
      address: config.business.address ?? '',
      service: config.services.find((s) => s.id === a.serviceId)?.name ?? 'appointment',
      staff: config.staff.find((s) => s.id === a.staffId)?.name ?? 'our team',
      customer: a.customerName,
      when: speech.dateTime(a.start, now),
      previous_when: previous ? speech.dateTime(previous.start, now) : '',
      how_to_cancel: link ? `To cancel or change: ${link}` : this.businessPhone ? `To cancel or change, call ${this.businessPhone}.` : '',
      how_to_rebook: this.businessPhone ? `To find another time, call ${this.businessPhone}.` : '',
      manage_link: link ?? '',
    };
  }
}
