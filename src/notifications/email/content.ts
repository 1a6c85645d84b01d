/**
 * E-mail wording and the calendar invite. The business file may override each e-mail's subject and
 * opening sentence (`notifications.email.templates`), with the SMS placeholders; the details block
 * (when, where, the phone, how to cancel or change) is always there, since a customer who opens the
 * e-mail a week later needs exactly those.
 *
 * The invite is iCalendar (RFC 5545) with iTIP methods (RFC 5546): REQUEST with a stable UID for a
 * booking and each move (SEQUENCE one higher each time), CANCEL with STATUS:CANCELLED for a
 * cancellation. Times are written in UTC: ical-generator 10 names a TZID without the VTIMEZONE
 * block RFC 5545 requires for it, and UTC instants are unambiguous across DST in every client.
 */
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { BusinessConfig } from '../../config/business.js';
import type { MessageAttachment } from '../../store/ports.js';
import { checkPlaceholders, renderTemplate, type TemplateName, type TemplateValues } from '../templates.js';

interface EmailTemplate {
  subject: string;
  text: string;
}

const DEFAULTS: Record<TemplateName, EmailTemplate> = {
  booked: { subject: 'Booked: {service} on {when}', text: 'Hi {customer}, your {service} with {staff} is booked for {when}. The calendar invite is attached.' },
  rescheduled: {
    subject: 'Moved: {service} to {when}',
    text: 'Hi {customer}, your {service} with {staff} has moved to {when} (it was {previous_when}). The attached invite updates your calendar.',
  },
  cancelled: {
    subject: 'Cancelled: {service} on {when}',
    text: 'Hi {customer}, your {service} with {staff} on {when} is cancelled. We hope to see you another time.',
  },
  reminder: { subject: 'Reminder: {service} on {when}', text: 'Hi {customer}, this is a reminder of your {service} with {staff} on {when}.' },
  requested: {
    subject: 'Requested: {service} on {when}',
    text: 'Hi {customer}, we have your request for a {service} with {staff} on {when}. The time is held for you; we will write again once it is confirmed.',
  },
  declined: {
    subject: 'Not confirmed: {service} on {when}',
    text: 'Hi {customer}, we are sorry: we could not confirm your {service} with {staff} on {when}, so it is not booked.',
  },
  staffBooked: { subject: 'New booking: {service} for {customer} on {when}', text: 'New booking: {service} for {customer} on {when}.' },
  staffRescheduled: { subject: 'Moved: {service} for {customer} to {when}', text: '{customer} moved their {service} to {when} (it was {previous_when}).' },
  staffCancelled: { subject: 'Cancelled: {service} for {customer} on {when}', text: '{customer} cancelled their {service} on {when}.' },
  staffRequested: { subject: 'To confirm: {service} for {customer} on {when}', text: '{customer} asks for a {service} on {when}; it needs your confirmation.' },
};

export interface Invite {
  method: 'REQUEST' | 'CANCEL';
  uid: string;
  sequence: number;
  start: number;
  end: number;
  /** DTSTAMP: when this version of the invite was made. */
  stamp: number;
  organizer: { name: string; email: string };
  attendee: { name: string; email: string };
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  attachments: MessageAttachment[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class EmailTemplates {
  private readonly templates: Record<TemplateName, EmailTemplate>;

  constructor(private readonly config: Pick<BusinessConfig, 'notifications' | 'source' | 'business'>) {
    const custom = config.notifications.email.templates;
    this.templates = { ...DEFAULTS };
    for (const name of Object.keys(DEFAULTS) as TemplateName[]) {
      const over = custom[name];
      const merged = { subject: over?.subject?.trim() || DEFAULTS[name].subject, text: over?.text?.trim() || DEFAULTS[name].text };
      checkPlaceholders(merged.subject, `notifications.email.templates.${name}.subject`, config.source);
      checkPlaceholders(merged.text, `notifications.email.templates.${name}.text`, config.source);
      this.templates[name] = merged;
    }
  }

  render(name: TemplateName, v: TemplateValues, invite?: Invite): EmailContent {
    const t = this.templates[name];
    // A subject is one line whatever a template or a customer name holds.
    const subject = `${v.business}: ${renderTemplate(t.subject, v)}`.replace(/[\r\n]+/g, ' ');
    const opening = renderTemplate(t.text, v);
    const details: [string, string][] = [
      ['When', v.when],
      ['Service', `${v.service} with ${v.staff}`],
      ['Where', v.address ? `${v.business}, ${v.address}` : v.business],
    ];
    if (v.business_phone) details.push(['Phone', v.business_phone]);
    const closing = name === 'cancelled' || name === 'declined' ? (v.business_phone ? `To book again, call ${v.business_phone}.` : '') : name.startsWith('staff') ? '' : v.how_to_cancel;
    const text = [opening, '', ...details.map(([k, val]) => `${k}: ${val}`), ...(closing ? ['', closing] : []), '', v.business].join('\n');
    const html = [
      '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#222">',
      `<p>${escapeHtml(opening)}</p>`,
      '<table style="border-collapse:collapse">',
      ...details.map(([k, val]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(val)}</td></tr>`),
      '</table>',
      ...(closing ? [`<p>${escapeHtml(closing)}</p>`] : []),
      `<p>${escapeHtml(v.business)}</p>`,
      '</body></html>',
    ].join('\n');
    const attachments = invite ? [inviteAttachment(invite, v, this.config)] : [];
    return { subject, text, html, attachments };
  }
}

/** The .ics as a text/calendar part; its `method` parameter must equal the METHOD inside. */
export function inviteAttachment(i: Invite, v: TemplateValues, config: Pick<BusinessConfig, 'business'>): MessageAttachment {
  const cal = ical({
    prodId: { company: 'Bookline', product: 'Bookline', language: 'EN' },
    method: i.method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  cal.createEvent({
    id: i.uid,
    sequence: i.sequence,
    stamp: new Date(i.stamp),
    start: new Date(i.start),
    end: new Date(i.end),
    summary: `${v.service} with ${v.staff} at ${v.business}`,
    description: [v.business_phone ? `Phone: ${v.business_phone}` : '', v.how_to_cancel].filter(Boolean).join('\n'),
    location: config.business.address ?? v.business,
    organizer: i.organizer,
    attendees: [{ email: i.attendee.email, name: i.attendee.name, rsvp: false, role: ICalAttendeeRole.REQ, status: ICalAttendeeStatus.ACCEPTED }],
    status: i.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  return { filename: i.method === 'CANCEL' ? 'cancel.ics' : 'invite.ics', contentType: `text/calendar; charset=utf-8; method=${i.method}`, content: cal.toString() };
}
