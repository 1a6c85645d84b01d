/** The text staff see on a booked calendar entry, the same on every provider. */
import type { CalendarEventInput } from './provider.js';

/**
 * The entry spans the blocked time (buffers included) so free/busy reports exactly what the slot
 * engine must avoid; this says how much of it is buffer, and names the appointment for staff.
 */
export function eventDescription(input: CalendarEventInput): string {
  const before = Math.round((input.start - input.blockStart) / 60_000);
  const after = Math.round((input.blockEnd - input.end) / 60_000);
  const lines = [input.description.trim()];
  if (before > 0 || after > 0) {
    const parts = [before > 0 && `${before} min before`, after > 0 && `${after} min after`].filter(Boolean);
    lines.push(`This calendar entry includes buffer time: ${parts.join(', ')} the appointment.`);
  }
  if (!input.description.includes(input.appointmentId)) lines.push(`Appointment id: ${input.appointmentId}`);
  return lines.filter((l) => l.length > 0).join('\n');
}

export function assertTimesInOrder(input: CalendarEventInput): void {
  if (!(input.blockStart <= input.start && input.start < input.end && input.end <= input.blockEnd)) {
    throw new Error(`createEvent: times out of order for ${input.appointmentId}`);
  }
}
