import { z } from 'zod';
import { eligibleStaff } from '../domain/catalog.js';
import { andList } from '../domain/speech.js';
import { defineTool } from './types.js';

function duration(min: number): string {
  if (min < 60) return `${min} minutes`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return `${h} hour${h > 1 ? 's' : ''}${m ? ` ${m} minutes` : ''}`;
}

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
      ok: true,
      message: `${deps.config.business.name} offers ${andList(services.map((s) => `${s.name.toLowerCase()} (${duration(s.duration_minutes)})`))}.`,
      services,
    };
  },
});
