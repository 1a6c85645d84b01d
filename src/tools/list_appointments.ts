import { z } from 'zod';
import { apptRef, appointmentView, upcoming } from '../booking/service.js';
import { msg } from '../domain/messages.js';
import { customerPhone, phoneArg } from './args.js';
import { defineTool } from './types.js';

export const listAppointments = defineTool({
  name: 'list_appointments',
  description: "List the caller's upcoming appointments, looked up by phone number.",
  schema: z.object({ customer_phone: customerPhone }).strict(),
  mutating: false,
  callerPhoneArg: 'customer_phone',
  bindToCaller: true,
  async handler({ deps }, input) {
    const phone = phoneArg(deps, input.customer_phone);
    const list = await upcoming(deps, phone);
    if (list.length === 0) return { say: msg('NO_APPOINTMENTS', {}), data: { appointments: [] } };
    return { say: msg('APPOINTMENTS_LISTED', { appointments: list.map((a) => apptRef(deps, a)) }), data: { appointments: list.map((a) => appointmentView(deps, a)) } };
  },
});
