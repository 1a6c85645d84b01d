import { z } from 'zod';
import { apptRef, appointmentView, book } from '../booking/service.js';
import { findService, findStaff } from '../domain/catalog.js';
import { BookingError } from '../domain/errors.js';
import { msg } from '../domain/messages.js';
import { parseWhen } from '../domain/when.js';
import { customerPhone, isoDate, phoneArg, serviceName, staffName } from './args.js';
import { defineTool } from './types.js';

const MINUTE = 60_000;

export const bookAppointment = defineTool({
  name: 'book_appointment',
  description:
    "Book an appointment once the caller has chosen a time. appointment_datetime is business-local unless it carries an offset (e.g. 2026-03-16T14:30). If the time is taken, the answer includes the nearest alternatives to offer. Confirm name and time with the caller before calling.",
  schema: z
    .object({
      customer_name: z.string().trim().min(1).max(100).describe("The caller's name."),
      customer_phone: customerPhone,
      service_name: serviceName,
      appointment_datetime: isoDate.describe('Chosen start, business-local, e.g. 2026-03-16T14:30.'),
      customer_email: z.email().max(254).optional().describe('Only if the caller offers one.'),
      notes: z.string().trim().max(500).optional().describe('Anything the caller wants the staff to know.'),
      staff_name: staffName.optional(),
    })
    .strict(),
  mutating: true,
  callerPhoneArg: 'customer_phone',
  async handler({ deps, signal, platform, requestKey }, input) {
    const service = findService(deps.config, input.service_name);
    const staff = input.staff_name ? findStaff(deps.config, input.staff_name) : undefined;
    const phone = phoneArg(deps, input.customer_phone);
    const field = 'appointment_datetime';
    const when = parseWhen(input.appointment_datetime, deps.rules.zone, field);
    if (!when.hasTime) throw new BookingError('DATE_NEEDS_TIME', { field, day: when.ms }, { field });
    const appt = await book(
      deps,
      {
        service,
        staff,
        start: when.ms,
        customerName: input.customer_name,
        customerPhone: phone,
        customerEmail: input.customer_email,
        notes: input.notes,
        source: platform,
        requestKey,
      },
      signal,
      // runTool flushes before the answer goes out, with this call's log row: one flush, not two.
      { flush: false },
    );
    if (appt.status === 'awaiting_confirmation') {
      return {
        say: msg('BOOKING_REQUESTED', { ...apptRef(deps, appt), customer: appt.customerName, business: deps.config.business.name }),
        data: { appointment: appointmentView(deps, appt) },
      };
    }
    // Booked inside the cancellation-notice window: it can't be changed by phone from now on.
    const notice = deps.config.booking.cancellationNoticeMinutes;
    const lockedIn = notice > 0 && appt.start - deps.clock.now() < notice * MINUTE ? notice : undefined;
    return {
      say: msg('BOOKED', { ...apptRef(deps, appt), customer: appt.customerName, lockedInMinutes: lockedIn, reminders: deps.notifier?.remindersFor(appt) }),
      data: { appointment: appointmentView(deps, appt) },
    };
  },
});
