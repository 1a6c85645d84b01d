import { z } from 'zod';
import { apptRef, appointmentView, reschedule } from '../booking/service.js';
import { BookingError } from '../domain/errors.js';
import { msg } from '../domain/messages.js';
import { parseWhen } from '../domain/when.js';
import { appointmentId, customerPhone, isoDate, phoneArg } from './args.js';
import { defineTool } from './types.js';

export const rescheduleAppointment = defineTool({
  name: 'reschedule_appointment',
  description:
    "Move the caller's upcoming appointment to a new time (business-local, e.g. 2026-03-17T10:00). The move is all-or-nothing: if the new time is taken the old appointment stays and the answer offers the nearest alternatives. With several appointments, ask which and pass appointment_id.",
  schema: z
    .object({
      customer_phone: customerPhone,
      new_datetime: isoDate.describe('The new start, business-local.'),
      appointment_id: appointmentId.optional(),
    })
    .strict(),
  mutating: true,
  callerPhoneArg: 'customer_phone',
  bindToCaller: true,
  async handler({ deps, signal }, input) {
    const phone = phoneArg(deps, input.customer_phone);
    const field = 'new_datetime';
    const when = parseWhen(input.new_datetime, deps.rules.zone, field);
    if (!when.hasTime) throw new BookingError('DATE_NEEDS_TIME', { field, day: when.ms }, { field });
    const { appointment, previous } = await reschedule(deps, phone, input.appointment_id, when.ms, signal);
    const ref = apptRef(deps, appointment);
    const unchanged = appointment.id === previous.id && appointment.start === previous.start;
    return {
      say: unchanged ? msg('MOVE_UNCHANGED', ref) : msg('MOVED', { ...ref, previous: previous.start }),
      data: { appointment: appointmentView(deps, appointment), previous_start: deps.speech.iso(previous.start) },
    };
  },
});
