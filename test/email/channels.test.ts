/**
 * Which channel carries which message: per kind from the business file, the fallback when the
 * customer has no address, never both by accident, `reminderOffsetsMinutes` still meaning SMS, and
 * the booking's answer telling the caller how they will be reminded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadBusinessConfig, parseBusinessConfig } from '../../src/config/business.js';
import { channelsFor, reminderPlan } from '../../src/notifications/channels.js';
import { createNotifier } from '../../src/notifications/index.js';
import type { OutboxRow } from '../../src/notifications/outbox.js';
import { DEMO_CONFIG, local, makeTestDeps, STORE_KINDS } from '../helpers.js';
import { book, CUSTOMER, CUSTOMER_EMAIL, type EmailTestDeps, emailBusiness, makeEmailDeps, STAFF_EMAIL } from './setup.js';
import { FakeSmtp } from './smtp-fake.js';

const plan = (rows: OutboxRow[]) =>
  rows
    .filter((r) => r.status === 'pending')
    .map((r) => `${r.audience}:${r.kind}${r.offset_minutes ? `:${r.offset_minutes}` : ''}:${r.channel}->${r.to_phone}`)
    .sort();

describe('channelsFor', () => {
  const both = { customerPhone: CUSTOMER, customerEmail: CUSTOMER_EMAIL };
  const phoneOnly = { customerPhone: CUSTOMER, customerEmail: null };
  const emailOnly = { customerPhone: '', customerEmail: CUSTOMER_EMAIL };
  it('sends on the channels asked for when the customer has them', () => {
    expect(channelsFor(['sms', 'email'], both)).toEqual(['sms', 'email']);
    expect(channelsFor(['email'], both)).toEqual(['email']);
  });
  it('falls back to the other channel when the one asked for cannot reach the customer', () => {
    expect(channelsFor(['email'], phoneOnly)).toEqual(['sms']);
    expect(channelsFor(['sms'], emailOnly)).toEqual(['email']);
    expect(channelsFor(['email'], { customerPhone: '', customerEmail: '  ' })).toEqual([]);
  });
  it('never adds a channel: asked for both, a customer with one address gets one message', () => {
    expect(channelsFor(['sms', 'email'], phoneOnly)).toEqual(['sms']);
    expect(channelsFor(['sms', 'email'], emailOnly)).toEqual(['email']);
  });
  it('a fallback that lands on a channel already planned for the same offset is one reminder', () => {
    const config = parseBusinessConfig(emailBusiness({ reminders: [{ minutesBefore: 60, channels: ['email'] }, { minutesBefore: 60, channels: ['sms'] }] }), 'test');
    const start = local('2026-11-25T10:00');
    expect(reminderPlan(config, { ...phoneOnly, start }, local('2026-11-23T08:00')).map((r) => `${r.minutesBefore}:${r.channel}`)).toEqual(['60:sms']);
  });
});

describe('the demo business', () => {
  it('confirms by SMS and e-mail, reminds 24 h ahead by e-mail and 1 h ahead by SMS', () => {
    const config = loadBusinessConfig(DEMO_CONFIG);
    expect(config.notifications.channels.booked).toEqual(['sms', 'email']);
    const start = local('2026-11-25T10:00');
    expect(reminderPlan(config, { customerPhone: CUSTOMER, customerEmail: CUSTOMER_EMAIL, start }, local('2026-11-23T08:00')).map((r) => [r.minutesBefore, r.channel])).toEqual([
      [1440, 'email'],
      [60, 'sms'],
    ]);
  });
});

describe.each(STORE_KINDS)('planning by channel on %s', (storeKind) => {
  const open: EmailTestDeps[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.cleanup()));
  });
  async function setup(notifications: Record<string, unknown> = {}, smtp?: FakeSmtp) {
    const d = await makeEmailDeps({ storeKind, notifications, smtp });
    open.push(d);
    return d;
  }

  it('a customer with an address: confirmation on both, the 24 h reminder by e-mail, the 1 h one by SMS', async () => {
    const d = await setup();
    const { appointment } = await book(d, '2026-11-25T10:00', { staff_name: 'Priya' });
    expect(plan(await d.notifier.outbox.forAppointment(appointment.id))).toEqual([
      `customer:booked:email->${CUSTOMER_EMAIL}`,
      `customer:booked:sms->${CUSTOMER}`,
      `customer:reminder:1440:email->${CUSTOMER_EMAIL}`,
      `customer:reminder:60:sms->${CUSTOMER}`,
    ]);
  });

  it('a customer without an address: everything by SMS, the 24 h reminder included, each once', async () => {
    const d = await setup();
    const { appointment } = await book(d, '2026-11-25T10:00', { staff_name: 'Priya', customer_email: undefined });
    expect(plan(await d.notifier.outbox.forAppointment(appointment.id))).toEqual([
      `customer:booked:sms->${CUSTOMER}`,
      `customer:reminder:1440:sms->${CUSTOMER}`,
      `customer:reminder:60:sms->${CUSTOMER}`,
    ]);
  });

  it('reminderOffsetsMinutes alone still means SMS reminders', async () => {
    const d = await setup({ reminders: undefined, reminderOffsetsMinutes: [120] });
    const { appointment } = await book(d, '2026-11-25T10:00', { staff_name: 'Priya' });
    expect(plan(await d.notifier.outbox.forAppointment(appointment.id)).filter((p) => p.includes('reminder'))).toEqual([`customer:reminder:120:sms->${CUSTOMER}`]);
  });

  it('with notifyStaff, a staff member with an address gets an e-mail (no invite: the calendar is theirs already)', async () => {
    const d = await setup({ notifyStaff: true });
    const { appointment } = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const rows = await d.notifier.outbox.forAppointment(appointment.id);
    expect(plan(rows).filter((p) => p.startsWith('staff'))).toEqual([`staff:booked:email->${STAFF_EMAIL}`]);
    const staffMail = rows.find((r) => r.audience === 'staff')!;
    expect(staffMail.subject).toBe('Maple Street Salon: New booking: Haircut for Dana Reyes on Wednesday, November 25 at 10:00 AM');
    expect(staffMail.attachments_json).toBeNull();
  });

  it("the booking's answer says how the customer will be reminded, on channels that can send", async () => {
    const smtp = await new FakeSmtp().start();
    try {
      const d = await setup({}, smtp);
      // SMS has no provider in this test, so only the e-mail reminder is promised.
      const withEmail = await book(d, '2026-11-25T10:00', { staff_name: 'Priya' });
      expect(withEmail.message).toBe("Booked: a haircut with Priya on Wednesday, November 25 at 10 AM, for Dana Reyes. You'll get a reminder by e-mail 24 hours before.");
      const noEmail = await book(d, '2026-11-26T10:00', { staff_name: 'Priya', customer_email: undefined, customer_phone: '+12125550177' });
      expect(noEmail.message).toBe('Booked: a haircut with Priya on Thursday, November 26 at 10 AM, for Dana Reyes.');
    } finally {
      await smtp.close();
    }
  });
});

describe('e-mail templates', () => {
  it('an unknown placeholder stops start-up with a sentence naming the template', async () => {
    const d = await makeTestDeps({ business: emailBusiness({ email: { templates: { reminder: { subject: 'See you {wen}' } } } }) });
    try {
      expect(() => createNotifier(d, { sender: null, emailSender: null })).toThrow(ConfigError);
      expect(() => createNotifier(d, { sender: null, emailSender: null })).toThrow(/notifications\.email\.templates\.reminder\.subject: unknown placeholder \{wen\}/);
    } finally {
      await d.cleanup();
    }
  });

  it("a business's own wording is used, with the details block kept", async () => {
    const d = await makeEmailDeps({ notifications: { email: { replyTo: 'desk@maple.example', templates: { booked: { subject: 'See you {when}', text: 'Thanks {customer}!' } } } } });
    try {
      const { appointment } = await book(d, '2026-11-25T10:00', { staff_name: 'Priya' });
      const row = (await d.notifier.outbox.forAppointment(appointment.id)).find((r) => r.channel === 'email' && r.kind === 'booked')!;
      expect(row.subject).toBe('Maple Street Salon: See you Wednesday, November 25 at 10:00 AM');
      expect(row.body.split('\n').slice(0, 3)).toEqual(['Thanks Dana Reyes!', '', 'When: Wednesday, November 25 at 10:00 AM']);
    } finally {
      await d.cleanup();
    }
  });
});
