import { afterAll, beforeAll, expect, it } from 'vitest';
import { CleanupCalendar } from '../../src/calendar/cleanup.js';
import { StaffCalendars } from '../../src/calendar/staff.js';
import { runCalendarCheck } from '../../tools/calendar-check.js';
import { radicaleMissing } from './radicale.js';
import { caldavSubject, microsoftSubject, type Subject } from './subjects.js';

let ms: Subject;
let dav: Subject;
beforeAll(async () => {
  const missing = radicaleMissing();
  if (missing) throw new Error(missing);
  [ms, dav] = await Promise.all([microsoftSubject(), caldavSubject()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([ms?.close(), dav?.close()]);
});

it('calendar:check reads and writes every staff calendar and names what fails, per provider', async () => {
  const routes = new Map([
    [ms.calendars[0], ms.adapter],
    [ms.unreadable, ms.adapter],
    [dav.calendars[0], dav.adapter],
    [dav.unreadable, dav.adapter],
  ]);
  const provider = new CleanupCalendar(new StaffCalendars(routes, ms.adapter), { delayMs: 0 });
  const lines = await runCalendarCheck({
    provider,
    staff: [
      { label: 'Priya', calendarId: ms.calendars[0], provider: 'microsoft' },
      { label: 'Ghost', calendarId: ms.unreadable, provider: 'microsoft' },
      { label: 'Jordan', calendarId: dav.calendars[0], provider: 'caldav' },
      { label: 'Typo', calendarId: dav.unreadable, provider: 'caldav' },
    ],
    write: true,
    now: Date.parse('2026-11-23T13:00:00Z'),
  });
  expect(lines.map((l) => [l.ok, l.what])).toEqual([
    [true, `Priya (microsoft, ${ms.calendars[0]}): busy time readable`],
    [true, `Priya (microsoft, ${ms.calendars[0]}): writable (test event created and removed)`],
    [false, `Ghost (microsoft, ${ms.unreadable}): busy time readable`],
    [true, `Jordan (caldav, ${dav.calendars[0]}): busy time readable`],
    [true, `Jordan (caldav, ${dav.calendars[0]}): writable (test event created and removed)`],
    [false, `Typo (caldav, ${dav.unreadable}): busy time readable`],
    [true, 'provider health'],
  ]);
  // Graph answers 404 for a mailbox that does not exist in the tenant.
  expect(lines[2]!.detail).toBe('microsoft: HTTP 404');
  expect(lines[5]!.detail).toBe('caldav: HTTP 401');
  expect(lines[6]!.detail).toMatch(/refused the credentials of jordan/);
  // The write probe leaves nothing behind.
  expect(await ms.liveCount(ms.calendars[0])).toBe(0);
  expect(await dav.liveCount(dav.calendars[0])).toBe(0);
});
