import { z } from 'zod';
import { searchSlots } from '../booking/service.js';
import { serviceAndStaff } from '../domain/catalog.js';
import { msg } from '../domain/messages.js';
import { parseWhen } from '../domain/when.js';
import { bookingWindow } from '../slots/engine.js';
import { isoDate, serviceName, staffName } from './args.js';
import { defineTool } from './types.js';
import { slotView, staffNames } from './window.js';

const DAY = 86_400_000;

export const getNextAvailable = defineTool({
  name: 'get_next_available',
  description: 'Find the single earliest opening for a service, optionally after a given date or time (business-local ISO, e.g. 2026-03-16T12:00) and with a named staff member.',
  schema: z
    .object({
      service_name: serviceName,
      after: isoDate.optional().describe('Only openings at or after this date or date-time.'),
      staff_name: staffName.optional(),
    })
    .strict(),
  mutating: false,
  async handler({ deps, signal }, input) {
    const { service, named, staff } = serviceAndStaff(deps.config, input.service_name, input.staff_name);
    const now = deps.clock.now();
    const { latest } = bookingWindow(deps.rules, now);
    let from = Math.max(now, input.after ? parseWhen(input.after, deps.rules.zone, 'after').ms : now);
    // Widening windows: the usual answer is within days, so do not ask the calendar for months first.
    for (const span of [7 * DAY, 21 * DAY, 366 * DAY]) {
      if (from >= latest) break;
      const to = Math.min(from + span, latest);
      const slots = await searchSlots(deps, { service, staff, from, to, maxDays: 1 }, signal);
      const first = slots[0];
      if (first) {
        return { say: msg('NEXT_AVAILABLE', { service: service.name, start: first.start, staff: staffNames(deps, first.staffIds) }), data: { slot: slotView(deps, first) } };
      }
      from = to;
    }
    return { say: msg('NO_NEXT_AVAILABLE', { service: service.name, staff: named?.name, horizonDays: deps.config.booking.horizonDays }), data: { slot: null } };
  },
});
