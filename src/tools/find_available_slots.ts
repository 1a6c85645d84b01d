import { z } from 'zod';
import { searchSlots } from '../booking/service.js';
import { serviceAndStaff } from '../domain/catalog.js';
import { type EmptyWindow, msg } from '../domain/messages.js';
import { SPOKEN } from '../render/voice.js';
import { closedDay } from '../slots/engine.js';
import { isoDate, maxResults, serviceName, staffName } from './args.js';
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
      max_results: maxResults.optional().describe('How many times to return (at most 20; default about 5). The message speaks the best few.'),
    })
    .strict(),
  mutating: false,
  async handler({ deps, signal }, input) {
    const { service, named, staff } = serviceAndStaff(deps.config, input.service_name, input.staff_name);
    const window = searchWindow(deps, input.start_date, input.end_date);
    const n = input.max_results ?? deps.config.booking.defaultResults;
    const subject = { service: service.name, staff: named?.name, timeOfDay: input.time_of_day };
    const zone = deps.rules.zone;

    // spreadSlots takes its n from the first n days that have any (a day each when there are that
    // many), so the days after those are not computed at all.
    let slots = await searchSlots(deps, { service, staff, from: window.from, to: window.to, timeOfDay: input.time_of_day, maxDays: n }, signal);
    let emptyWindow: EmptyWindow | undefined;
    if (slots.length === 0 && window.explicit) {
      // Nothing on the days asked for: say why, and offer the next openings rather than a dead end.
      const closed = window.singleDay ? closedDay(deps.rules, deps.config.staff.map((s) => s.id), window.firstDay) : undefined;
      emptyWindow = { day: window.firstDay, singleDay: window.singleDay, closed };
      slots = await searchSlots(deps, { service, staff, from: window.to, to: window.to + 14 * DAY, timeOfDay: input.time_of_day, maxDays: n }, signal);
    }
    if (slots.length === 0) return { say: msg('NO_SLOTS', { ...subject, explicit: window.explicit, emptyWindow }), data: { slots: [] } };

    // The data carries up to max_results; the sentence speaks the best few of those.
    const picked = spreadSlots(slots, n, zone);
    const spoken = spreadSlots(picked, Math.min(SPOKEN.slots, n), zone);
    return {
      say: msg('SLOTS_FOUND', { ...subject, starts: spoken.map((s) => s.start), emptyWindow }),
      data: { service: { id: service.id, name: service.name, duration_minutes: service.durationMinutes }, slots: picked.map((s) => slotView(deps, s)) },
    };
  },
});
