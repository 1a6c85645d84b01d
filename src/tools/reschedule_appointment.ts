import { z } from 'zod';
import { appointmentView, reschedule } from '../booking/service.js';
import { InvalidArgumentError } from '../domain/errors.js';
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
    const when = parseWhen(input.new_datetime, deps.rules.zone, 'new_datetime');
    if (!when.hasTime) {
      throw new InvalidArgumentError(`What time on ${deps.speech.day(when.ms, deps.clock.now())} would the caller like to move to?`, { field: 'new_datetime' });
    }
    const { appointment, previous } = await reschedule(deps, phone, input.appointment_id, when.ms, signal);
    const view = appointmentView(deps, appointment);
    const now = deps.clock.now();
    const message =
      appointment.id === previous.id && appointment.start === previous.start
        ? `The ${view.service.name.toLowerCase()} is already on ${view.spoken}; nothing changed.`
        : `Moved the ${view.service.name.toLowerCase()} to ${view.spoken} with ${view.staff.name}; it was ${deps.speech.dateTime(previous.start, now)}.`;
    return { ok: true, message, appointment: view, previous_start: deps.speech.iso(previous.start) };
  },
});
