import { z } from 'zod';
import { searchSlots } from '../booking/service.js';
import { serviceAndStaff } from '../domain/catalog.js';
import { isoDate, serviceName, staffName } from './args.js';
import { defineTool } from './types.js';
import { searchWindow, slotView, spreadSlots } from './window.js';

const DAY = 86_400_000;

export const findAvailableSlots = defineTool({
  name: 'find_available_slots',
  description:
    'Find open appointment times for a service. Give dates as ISO dates (2026-03-16) or local date-times (2026-03-16T14:00); leave them out to search the next two weeks. Read the returned message to the caller and let them choose.',
  schema: z
    .object({
      service_name: serviceName,
      start_date: isoDate.optional().describe('First day (or date-time) to search, business-local, e.g. 2026-03-16.'),
      end_date: isoDate.optional().describe('Last day to search (inclusive), e.g. 2026-03-20.'),
      time_of_day: z.enum(['morning', 'afternoon', 'evening']).optional().describe('Only times in this part of the day.'),
      staff_name: staffName.optional(),
      max_results: z.number().int().min(1).max(20).optional().describe('How many times to offer; default about 5.'),
    })
    .strict(),
  mutating: false,
  async handler({ deps, signal }, input) {
    const { service, named, staff } = serviceAndStaff(deps.config, input.service_name, input.staff_name);
    const window = searchWindow(deps, input.start_date, input.end_date);
    const n = input.max_results ?? deps.config.booking.defaultResults;
    const now = deps.clock.now();
    const who = named ? ` with ${named.name}` : '';
    const what = service.name.toLowerCase();
    const part = input.time_of_day ? ` in the ${input.time_of_day}` : '';

    let slots = await searchSlots(deps, { service, staff, from: window.from, to: window.to, timeOfDay: input.time_of_day }, signal);
    let prefix = '';
    if (slots.length === 0 && window.explicit) {
      // Nothing on the day asked for: offer the next openings rather than a dead end.
      const later = await searchSlots(deps, { service, staff, from: window.to, to: window.to + 14 * DAY, timeOfDay: input.time_of_day }, signal);
      if (later.length > 0) {
        prefix = `There's nothing open for a ${what}${who}${part} then. `;
        slots = later;
      }
    }
    if (slots.length === 0) {
      return {
        ok: true,
        message: `I don't see any openings for a ${what}${who}${part} ${window.explicit ? 'around those dates' : 'in the next two weeks'}. Would another day or time of day work?`,
        slots: [],
      };
    }
    const picked = spreadSlots(slots, n, deps.rules.zone);
    const message = `${prefix}For a ${what}${who}${part}, I have ${deps.speech.timeList(picked.map((s) => s.start), now)}. Which would the caller like?`;
    return { ok: true, message, service: { id: service.id, name: service.name, duration_minutes: service.durationMinutes }, slots: picked.map((s) => slotView(deps, s)) };
  },
});
