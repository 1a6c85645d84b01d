import { z } from 'zod';
import { apptRef, appointmentView, cancel } from '../booking/service.js';
import { msg } from '../domain/messages.js';
import { appointmentId, customerPhone, phoneArg } from './args.js';
import { defineTool } from './types.js';

export const cancelAppointment = defineTool({
  name: 'cancel_appointment',
  description:
    "Cancel the caller's upcoming appointment, found by their phone number. If they have several, nothing is cancelled and the answer lists them: ask which one, then call again with its appointment_id.",
  schema: z
    .object({
      customer_phone: customerPhone,
      appointment_id: appointmentId.optional(),
      reason: z.string().trim().max(300).optional().describe('Why, if the caller says.'),
    })
    .strict(),
  mutating: true,
  callerPhoneArg: 'customer_phone',
  bindToCaller: true,
  async handler({ deps, signal }, input) {
    const phone = phoneArg(deps, input.customer_phone);
    const appt = await cancel(deps, phone, input.appointment_id, input.reason, signal);
    return { say: msg('CANCELLED', apptRef(deps, appt)), data: { appointment: appointmentView(deps, appt) } };
  },
});
