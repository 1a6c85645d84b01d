/**
 * The shared failed-create cleanup (src/calendar/cleanup.ts), on Microsoft 365 where Graph picks the
 * event ids: nothing here may rely on knowing them in advance.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CleanupCalendar, type OrphanEvent } from '../../src/calendar/cleanup.js';
import type { CalendarEventInput } from '../../src/calendar/provider.js';
import { CalendarUnavailableError } from '../../src/domain/errors.js';
import type { FakeGraph } from '../../tools/fakes/microsoft-graph.js';
import { HOUR, MIN, microsoftSubject, TZ, type Subject } from './subjects.js';

let s: Subject & { fake: FakeGraph };
beforeEach(async () => {
  s = await microsoftSubject();
});
afterEach(async () => {
  await s.close();
});

const cal = 'priya@salon.test';
let n = 0;
function booking(): CalendarEventInput {
  const start = Date.parse('2026-11-24T15:00:00Z') + ++n * HOUR;
  return { appointmentId: `apt_cleanup${n}`, calendarId: cal, start, end: start + 45 * MIN, blockStart: start, blockEnd: start + HOUR, summary: 'Haircut', description: '', timeZone: TZ, customerPhone: '+12125550123', serviceId: 'haircut' };
}

it('removes what a create left by its key, without knowing the event id the remote chose', async () => {
  const input = booking();
  await s.provider.createEvent(input);
  expect(await s.provider.removeByKey(cal, input.appointmentId)).toBe(true);
  expect(s.fake.events(cal)).toEqual([]);
  expect(await s.provider.removeByKey(cal, input.appointmentId)).toBe(false);
});

it('lets a new create with the same key wait for the pending cleanup, so the cleanup cannot delete it', async () => {
  const orphans: OrphanEvent[] = [];
  const slow = new CleanupCalendar(s.adapter, { delayMs: 50, onOrphan: (o) => orphans.push(o) });
  const input = booking();
  // Three answers lost: the event exists on the server, the create reports failure.
  s.fake.inject('create', { drop: 'after' }, 3);
  await expect(slow.createEvent(input)).rejects.toBeInstanceOf(CalendarUnavailableError);
  expect(s.fake.events(cal)).toHaveLength(1);
  const again = await slow.createEvent(input);
  await slow.settled();
  expect(s.fake.events(cal).map((e) => e.id)).toEqual([again.eventId]);
  expect(orphans).toEqual([]);
});

it('reports an event it could not remove to onOrphan, for an operator', async () => {
  const orphans: OrphanEvent[] = [];
  const provider = new CleanupCalendar(s.adapter, { delayMs: 0, timeoutMs: 500, onOrphan: (o) => orphans.push(o) });
  s.fake.inject('create', { drop: 'after' }, 3);
  // The look-up by key fails too: Graph is down by then.
  s.fake.inject('list', { status: 503 }, 10);
  const input = booking();
  await expect(provider.createEvent(input)).rejects.toBeInstanceOf(CalendarUnavailableError);
  await provider.settled();
  expect(orphans.map((o) => [o.calendarId, o.appointmentId])).toEqual([[cal, input.appointmentId]]);
  expect(s.fake.events(cal)).toHaveLength(1);
});
