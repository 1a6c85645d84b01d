import { z } from 'zod';
import { appointmentView, upcoming } from '../booking/service.js';
import { andList } from '../domain/speech.js';
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
    const views = upcoming(deps, phone).map((a) => appointmentView(deps, a));
    if (views.length === 0) {
      return { ok: true, message: "I don't see any upcoming appointments for this phone number.", appointments: [] };
    }
    const spoken = views.map((v) => `a ${v.service.name.toLowerCase()} with ${v.staff.name} on ${v.spoken}`);
    return {
      ok: true,
      message: views.length === 1 ? `There's one upcoming appointment: ${spoken[0]}.` : `There are ${views.length} upcoming appointments: ${andList(spoken)}.`,
      appointments: views,
    };
  },
});
