/**
 * Book -> move -> cancel through the real tools, the outbox worker and nodemailer, into a real SMTP
 * server; each e-mail is parsed back with mailparser and its invite with ical.js. On both stores,
 * since the SEQUENCE counter lives there.
 */
import ICAL from 'ical.js';
import type { ParsedMail } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { local, STORE_KINDS } from '../helpers.js';
import { book, call, CUSTOMER_EMAIL, type EmailTestDeps, makeEmailDeps } from './setup.js';
import { calendarPart, FakeSmtp } from './smtp-fake.js';

let smtp: FakeSmtp;
beforeAll(async () => {
  smtp = await new FakeSmtp().start();
});
afterAll(() => smtp.close());

function invite(mail: ParsedMail) {
  const part = calendarPart(mail);
  if (!part) throw new Error(`no text/calendar part in "${mail.subject}"`);
  const cal = new ICAL.Component(ICAL.parse(part.text));
  const ev = cal.getFirstSubcomponent('vevent')!;
  const start = ev.getFirstPropertyValue('dtstart') as ICAL.Time;
  return {
    partMethod: part.method,
    method: cal.getFirstPropertyValue('method'),
    uid: ev.getFirstPropertyValue('uid'),
    sequence: ev.getFirstPropertyValue('sequence'),
    status: ev.getFirstPropertyValue('status'),
    start: start.toJSDate().getTime(),
    startZone: start.zone?.tzid,
    organizer: ev.getFirstPropertyValue('organizer'),
    attendee: ev.getFirstPropertyValue('attendee'),
    raw: part.text,
  };
}

describe.each(STORE_KINDS)('e-mail invites on %s', (storeKind) => {
  const open: EmailTestDeps[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.cleanup()));
    smtp.reset();
  });

  it('book, move across the DST change, cancel: one UID, SEQUENCE 0 -> 1 -> 2, REQUEST, REQUEST, CANCEL', async () => {
    // Wednesday before New York leaves daylight time (Sunday 2026-11-01).
    const d = await makeEmailDeps({ smtp, storeKind, now: '2026-10-28T08:00' });
    open.push(d);
    const booked = await book(d, '2026-10-30T10:00', { staff_name: 'Sam' });
    expect((await d.notifier.worker.runUntilIdle()).sent).toBe(1);
    await call(d, 'reschedule_appointment', { new_datetime: '2026-11-02T10:00', appointment_id: booked.appointment.id });
    expect((await d.notifier.worker.runUntilIdle()).sent).toBe(1);
    await call(d, 'cancel_appointment', { appointment_id: booked.appointment.id });
    expect((await d.notifier.worker.runUntilIdle()).sent).toBe(1);

    expect(smtp.received.map((m) => m.subject)).toEqual([
      'Maple Street Salon: Booked: Haircut on Friday, October 30 at 10:00 AM',
      'Maple Street Salon: Moved: Haircut to Monday, November 2 at 10:00 AM',
      'Maple Street Salon: Cancelled: Haircut on Monday, November 2 at 10:00 AM',
    ]);
    const [first, moved, cancelled] = smtp.received.map(invite) as [ReturnType<typeof invite>, ReturnType<typeof invite>, ReturnType<typeof invite>];
    expect([first.method, moved.method, cancelled.method]).toEqual(['REQUEST', 'REQUEST', 'CANCEL']);
    // The MIME part's method parameter must match the METHOD inside, or clients ignore the invite.
    expect([first.partMethod, moved.partMethod, cancelled.partMethod]).toEqual(['REQUEST', 'REQUEST', 'CANCEL']);
    expect(new Set([first.uid, moved.uid, cancelled.uid]).size).toBe(1);
    expect([first.sequence, moved.sequence, cancelled.sequence]).toEqual([0, 1, 2]);
    expect([first.status, moved.status, cancelled.status]).toEqual(['CONFIRMED', 'CONFIRMED', 'CANCELLED']);
    // 10:00 in New York on both sides of the change: 14:00Z in daylight time, 15:00Z after it.
    expect(first.start).toBe(local('2026-10-30T10:00'));
    expect(moved.start).toBe(local('2026-11-02T10:00'));
    expect(first.raw).toContain('DTSTART:20261030T140000Z');
    expect(moved.raw).toContain('DTSTART:20261102T150000Z');
    expect(first.startZone).toBe('UTC');
    expect(String(first.organizer).toLowerCase()).toBe('mailto:desk@maple.example');
    expect(String(first.attendee).toLowerCase()).toBe(`mailto:${CUSTOMER_EMAIL}`);
  });

  it('the confirmation has both parts, the address, the phone and how to change, from SMTP_FROM with the business reply-to', async () => {
    const d = await makeEmailDeps({ smtp, storeKind });
    open.push(d);
    await book(d, '2026-11-25T14:30', { staff_name: 'Sam', customer_name: 'Dana <b>Reyes</b>' });
    await d.notifier.worker.runUntilIdle();
    expect(smtp.received).toHaveLength(1);
    const m = smtp.received[0]!;
    expect(m.from?.value).toEqual([{ name: 'Maple Street Salon', address: 'bookings@maple.example' }]);
    expect(m.replyTo?.text).toBe('desk@maple.example');
    expect(m.to && 'text' in m.to ? m.to.text : '').toBe(CUSTOMER_EMAIL);
    expect(m.messageId).toMatch(/^<bookline\.\d+@maple\.example>$/);
    expect(m.text).toBe(
      [
        'Hi Dana <b>Reyes</b>, your Haircut with Sam is booked for Wednesday, November 25 at 2:30 PM. The calendar invite is attached.',
        '',
        'When: Wednesday, November 25 at 2:30 PM',
        'Service: Haircut with Sam',
        'Where: Maple Street Salon, 12 Maple Street, Brooklyn, NY',
        'Phone: (212) 555-0100',
        '',
        'To cancel or change, call (212) 555-0100.',
        '',
        'Maple Street Salon',
      ].join('\n'),
    );
    expect(m.html).toContain('12 Maple Street, Brooklyn, NY');
    expect(m.html).toContain('To cancel or change, call (212) 555-0100.');
    // Customer text is escaped in the HTML part.
    expect(m.html).toContain('Dana &#60;b&#62;Reyes&#60;/b&#62;');
    expect(m.html).not.toContain('<b>Reyes');
    // One calendar part, not nodemailer's icalEvent pair (alternative + invite.ics attachment).
    expect(m.attachments.filter((a) => a.contentType.includes('calendar') || a.filename?.endsWith('.ics'))).toHaveLength(1);
  });

  it('a move to another staff member (a new appointment id) keeps the UID and raises the SEQUENCE', async () => {
    const d = await makeEmailDeps({ smtp, storeKind });
    open.push(d);
    const a = await d.store.withTransaction((tx) => tx.invites.next('apt_old', d.clock.now()));
    const again = await d.store.withTransaction((tx) => tx.invites.next('apt_old', d.clock.now()));
    const moved = await d.store.withTransaction((tx) => tx.invites.next('apt_new', d.clock.now(), 'apt_old'));
    const later = await d.store.withTransaction((tx) => tx.invites.next('apt_new', d.clock.now(), 'apt_old'));
    expect([a, again, moved, later]).toEqual([
      { uid: 'apt_old@bookline', sequence: 0 },
      { uid: 'apt_old@bookline', sequence: 1 },
      { uid: 'apt_old@bookline', sequence: 2 },
      { uid: 'apt_old@bookline', sequence: 3 },
    ]);
  });
});
