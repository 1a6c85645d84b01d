import { z } from 'zod';
import { eligibleStaff } from '../domain/catalog.js';
import { msg } from '../domain/messages.js';
import { defineTool } from './types.js';

export const listServices = defineTool({
  name: 'list_services',
  description: 'List the services the business offers, with how long each takes and who can do it. Call this when the caller asks what is available or names a service you do not recognise.',
  schema: z.object({}).strict(),
  mutating: false,
  async handler({ deps }) {
    const services = deps.config.services.map((s) => ({
      id: s.id,
      name: s.name,
      duration_minutes: s.durationMinutes,
      description: s.description,
      price: s.price ?? null,
      staff: eligibleStaff(deps.config, s).map((p) => p.name),
    }));
    return {
      say: msg('SERVICES_LISTED', { business: deps.config.business.name, services: services.map((s) => ({ name: s.name, minutes: s.duration_minutes })) }),
      data: { services },
    };
  },
});
