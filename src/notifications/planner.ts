/**
 * Turns appointment changes into outbox rows. Runs as an appointment change listener, i.e. INSIDE
 * the unit of work of the booking, move or cancel: the change and its messages commit
 * together or not at all. Nothing here does I/O beyond that database.
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
import type { AppointmentChange, NewMessage, OutboxRepo as Outbox } from '../store/ports.js';
import type { TemplateName, Templates, TemplateValues } from './templates.js';

const MINUTE = 60_000;

export interface PlannerDeps {
  config: BusinessConfig;
  speech: Speech;
  clock: Clock;
  logger: Logger;
}

export class MessagePlanner {
  private readonly businessPhone: string;
  private readonly offsets: number[];

  constructor(
    private readonly deps: PlannerDeps,
    private readonly templates: Templates,
  ) {
    const { business } = deps.config;
    const parsed = business.phone ? parsePhoneNumberFromString(business.phone, business.phoneRegion.toUpperCase() as CountryCode) : undefined;
    this.businessPhone = parsed?.isPossible() ? (parsed.country === business.phoneRegion.toUpperCase() ? parsed.formatNational() : parsed.formatInternational()) : (business.phone ?? '');
    this.offsets = [...new Set(deps.config.notifications.reminderOffsetsMinutes)].sort((a, b) => b - a);
  }

  /** `outbox`: the outbox of the change's own transaction. */
  async onChange(change: AppointmentChange, outbox: Outbox): Promise<void> {
    const now = this.deps.clock.now();
    switch (change.kind) {
      case 'booked':
        return this.booked(outbox, change.appointment, now);
      case 'rescheduled':
        return this.rescheduled(outbox, change.appointment, change.previous, now);
      case 'cancelled':
        return this.cancelled(outbox, change.appointment, now);
    }
  }

  private async booked(outbox: Outbox, a: Appointment, now: number): Promise<void> {
    await this.customer(outbox, a, 'booked', `${a.id}:booked`, now);
    await this.staff(outbox, a, 'staffBooked', 'booked', `${a.id}:booked`, now);
    await this.planReminders(outbox, a, now);
  }

  private async rescheduled(outbox: Outbox, a: Appointment, previous: Appointment, now: number): Promise<void> {
    // A move to another staff member is a new appointment id; the old id's reminders must stop too.
    await outbox.cancelPendingReminders(previous.id, now);
    if (previous.id !== a.id) await outbox.cancelPendingReminders(a.id, now);
    // updatedAt makes each move its own message, even a move back to an earlier time.
    const key = `${a.id}:rescheduled:${previous.id}:${previous.start}->${a.start}@${a.updatedAt}`;
    await this.customer(outbox, a, 'rescheduled', key, now, previous);
    if (previous.staffId === a.staffId) {
      await this.staff(outbox, a, 'staffRescheduled', 'rescheduled', key, now, previous);
    } else {
      await this.staff(outbox, previous, 'staffCancelled', 'cancelled', `${key}:from`, now);
      await this.staff(outbox, a, 'staffBooked', 'booked', `${key}:to`, now);
    }
    await this.planReminders(outbox, a, now);
  }

  private async cancelled(outbox: Outbox, a: Appointment, now: number): Promise<void> {
    await outbox.cancelPendingReminders(a.id, now);
    await this.customer(outbox, a, 'cancelled', `${a.id}:cancelled`, now);
    await this.staff(outbox, a, 'staffCancelled', 'cancelled', `${a.id}:cancelled`, now);
  }

  /** One reminder per offset whose send time is still ahead; none for a time already past. */
  private async planReminders(outbox: Outbox, a: Appointment, now: number): Promise<void> {
    for (const offset of this.offsets) {
      const dueAt = a.start - offset * MINUTE;
      if (dueAt <= now) continue;
      await outbox.enqueue(
        {
          dedupeKey: `${a.id}:reminder:${offset}:${a.start}`,
          appointmentId: a.id,
          kind: 'reminder',
          audience: 'customer',
          offsetMinutes: offset,
          appointmentStart: a.start,
          to: a.customerPhone,
          // Worded as of its send time, so "Tuesday, March 16" gets a year only when it needs one.
          body: this.templates.render('reminder', this.values(a, dueAt)),
          dueAt,
          expiresAt: a.start,
        },
        now,
      );
    }
  }

  private async customer(outbox: Outbox, a: Appointment, kind: Exclude<NewMessage['kind'], 'reminder' | 'callback'>, key: string, now: number, previous?: Appointment): Promise<void> {
    await outbox.enqueue(
      {
        dedupeKey: `${key}:customer`,
        appointmentId: a.id,
        kind,
        audience: 'customer',
        appointmentStart: a.start,
        to: a.customerPhone,
        body: this.templates.render(kind, this.values(a, now, previous)),
        dueAt: now,
        // News about an appointment that has already started helps no one.
        expiresAt: a.start,
      },
      now,
    );
  }

  private async staff(outbox: Outbox, a: Appointment, template: TemplateName, kind: Exclude<NewMessage['kind'], 'reminder'>, key: string, now: number, previous?: Appointment): Promise<void> {
    if (!this.deps.config.notifications.notifyStaff) return;
    const member = this.deps.config.staff.find((s) => s.id === a.staffId);
    if (!member?.phone) return;
    const to = normalizePhone(member.phone, this.deps.config.business.phoneRegion);
    if (!to) {
      this.deps.logger.warn({ staff: member.id }, 'staff phone number is not a possible number; no SMS to them');
      return;
    }
    await outbox.enqueue(
      {
        dedupeKey: `${key}:staff:${member.id}`,
        appointmentId: a.id,
        kind,
        audience: 'staff',
        appointmentStart: a.start,
        to,
        body: this.templates.render(template, this.values(a, now, previous)),
        dueAt: now,
        expiresAt: a.start,
      },
      now,
    );
  }

  private values(a: Appointment, now: number, previous?: Appointment): TemplateValues {
    const { config, speech } = this.deps;
    return {
      business: config.business.name,
      business_phone: this.businessPhone,
      address: config.business.address ?? '',
      service: config.services.find((s) => s.id === a.serviceId)?.name ?? 'appointment',
      staff: config.staff.find((s) => s.id === a.staffId)?.name ?? 'our team',
      customer: a.customerName,
      when: speech.dateTime(a.start, now),
      previous_when: previous ? speech.dateTime(previous.start, now) : '',
      how_to_cancel: this.businessPhone ? `To cancel or change, call ${this.businessPhone}.` : '',
    };
  }
}
