/** Per-staff calendars in the business file, and the plan built from them before anything connects. */
import { describe, expect, it } from 'vitest';
import { planCalendars } from '../../src/calendar/index.js';
import { ConfigError, parseBusinessConfig } from '../../src/config/business.js';

const base = {
  business: { name: 'Salon', timeZone: 'America/New_York', phoneRegion: 'US' },
  hours: { tuesday: ['09:00-17:00'] },
  services: [{ id: 'cut', name: 'Cut', durationMinutes: 30 }],
};

const staff = [
  { id: 'sam', name: 'Sam', calendar: { provider: 'google', calendarId: 'sam@salon.test' } },
  { id: 'priya', name: 'Priya', calendar: { provider: 'microsoft', user: 'priya@salon.com' } },
  { id: 'jordan', name: 'Jordan', calendar: { provider: 'caldav', url: 'https://caldav.icloud.com/', username: 'jordan@icloud.com', passwordEnv: 'CALDAV_JORDAN_PASSWORD' } },
  { id: 'lee', name: 'Lee' },
];

describe('per-staff calendar configuration', () => {
  it('derives each calendar id from the provider entry, the staff id for the default calendar', () => {
    const cfg = parseBusinessConfig({ ...base, staff });
    expect(cfg.staff.map((s) => s.calendarId)).toEqual(['sam@salon.test', 'priya@salon.com', 'caldav:jordan@icloud.com@https://caldav.icloud.com/', 'lee']);
  });

  it('needs no top-level calendarId in Google mode for staff with a calendar of their own', () => {
    const cfg = parseBusinessConfig({ ...base, staff: staff.slice(0, 3) }, 'x', { requireCalendarIds: true });
    expect(cfg.staff).toHaveLength(3);
  });

  it('refuses an unknown provider, a CalDAV password written into the file, and a non-URL server', () => {
    expect(() => parseBusinessConfig({ ...base, staff: [{ id: 'a', name: 'A', calendar: { provider: 'outlook', user: 'a@b.c' } }] })).toThrow(ConfigError);
    expect(() => parseBusinessConfig({ ...base, staff: [{ id: 'a', name: 'A', calendar: { provider: 'caldav', url: 'https://x.test/', username: 'a', password: 'secret' } }] })).toThrow(/password/);
    expect(() => parseBusinessConfig({ ...base, staff: [{ id: 'a', name: 'A', calendar: { provider: 'caldav', url: 'caldav.icloud.com', username: 'a', passwordEnv: 'X' } }] })).toThrow(/staff\.0\.calendar\.url/);
  });

  it('routes staff without a calendar to CALENDAR_PROVIDER and reads CalDAV passwords from the named variable', () => {
    const cfg = parseBusinessConfig({ ...base, staff });
    const plan = planCalendars(cfg, { CALENDAR_PROVIDER: 'embedded' }, { CALDAV_JORDAN_PASSWORD: 'abcd-efgh-ijkl-mnop' });
    expect([...plan.kinds]).toEqual([
      ['sam@salon.test', 'google'],
      ['priya@salon.com', 'microsoft'],
      ['caldav:jordan@icloud.com@https://caldav.icloud.com/', 'caldav'],
      ['lee', 'embedded'],
    ]);
    expect(plan.caldav.get('caldav:jordan@icloud.com@https://caldav.icloud.com/')).toEqual({ url: 'https://caldav.icloud.com/', username: 'jordan@icloud.com', password: 'abcd-efgh-ijkl-mnop' });
  });

  it('asks for a mailbox when CALENDAR_PROVIDER=microsoft and a staff member has only their id', () => {
    const cfg = parseBusinessConfig({ ...base, staff: [{ id: 'lee', name: 'Lee' }, { id: 'kim', name: 'Kim', calendarId: 'kim@salon.com' }] });
    expect(() => planCalendars(cfg, { CALENDAR_PROVIDER: 'microsoft' }, {})).toThrow('staff.0.calendarId: set the Microsoft 365 mailbox of Lee (e.g. "lee@yoursalon.com")');
  });

  it('names the missing password variable and a calendar id claimed by two providers', () => {
    const cfg = parseBusinessConfig({
      ...base,
      staff: [...staff, { id: 'max', name: 'Max', calendarId: 'priya@salon.com' }],
    });
    let msg = '';
    try {
      planCalendars(cfg, { CALENDAR_PROVIDER: 'google' }, {});
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      msg = (e as Error).message;
    }
    expect(msg).toContain('staff.2.calendar.passwordEnv: set CALDAV_JORDAN_PASSWORD to the CalDAV password of Jordan');
    expect(msg).toContain('staff.4: calendar "priya@salon.com" is also used with microsoft');
  });
});
