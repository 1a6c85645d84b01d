/**
 * A broad scripted run through runTool: every tool, successes and each failure code, on several
 * business shapes (the demo salon; a 1,000-service, 12-staff spa on a 24-hour clock in London; an
 * always-open shop with no phone and no caps). Every answer's `message` is collected, for the
 * speech-length test (test/speech/duration.test.ts) and the wording checks (test/core/voice.test.ts).
 * Dates are fixed by the manual clock, never by today's date.
 */
import { EmbeddedCalendar } from '../../src/calendar/embedded.js';
import type { CalendarProvider, FreeBusyResult, Interval } from '../../src/calendar/provider.js';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';

export interface Spoken {
  business: string;
  tool: string;
  code: string;
  message: string;
}

const NO_LIMITS = { RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' };

/** A calendar whose every read reports the calendar unreadable (CALENDAR_UNAVAILABLE). */
class UnreadableCalendar extends EmbeddedCalendar {
  override async freeBusy(ids: readonly string[], _range: Interval): Promise<FreeBusyResult> {
    return { busy: new Map(), errors: new Map(ids.map((id) => [id, 'timeout'])) };
  }
}

/** A calendar with a bug: reads throw something that is not a BookingError (INTERNAL). */
class BrokenCalendar extends EmbeddedCalendar {
  override async freeBusy(): Promise<FreeBusyResult> {
    throw new TypeError('cannot read properties of undefined');
  }
}

const ADJ = ['Classic', 'Express', 'Deluxe', 'Signature', 'Mini', 'Luxury', 'Hot stone', 'Deep tissue', 'Sports', 'Aromatherapy'];
const NOUN = ['massage', 'facial', 'manicure', 'pedicure', 'leg wax', 'body scrub', 'body wrap', 'skin peel', 'brow tint', 'lash lift'];
const EXTRA = ['', 'for two', 'with consultation', 'with hot towel', 'for teens', 'with aftercare', 'long', 'short', 'weekend', 'evening'];

/** 1,000 services, 12 staff with long names, 24-hour clock, London. */
export function spaBusiness(): unknown {
  const staff = [
    'Dr. Amelia Hartley', 'Benedict Okonkwo', 'Charlotte Fairweather', 'Dmitri Volkov', 'Eleanor Whitcombe', 'Farah Siddiqui',
    'Gwendolyn Ashby', 'Hiroshi Tanaka', 'Isabella Montgomery', 'Jonathan Pemberton', 'Katarzyna Nowak', 'Leopold Featherstone',
  ].map((name, i) => ({ id: `s${i + 1}`, name }));
  const services = [];
  for (let i = 0; i < 1000; i++) {
    const name = [ADJ[i % 10], NOUN[Math.floor(i / 10) % 10], EXTRA[Math.floor(i / 100)]].filter(Boolean).join(' ');
    services.push({
      id: `svc-${i + 1}`,
      name: `${name.charAt(0).toUpperCase()}${name.slice(1)}`,
      durationMinutes: [30, 45, 60, 90][i % 4],
      staff: i % 3 === 0 ? staff.slice(0, 2).map((s) => s.id) : [],
    });
  }
  return {
    business: { name: 'The Long Acre Spa and Wellness Rooms', timeZone: 'Europe/London', phoneRegion: 'GB', clock: '24h', locale: 'en-GB', phone: '+442079460958' },
    hours: { monday: ['08:00-20:00'], tuesday: ['08:00-20:00'], wednesday: ['08:00-20:00'], thursday: ['08:00-20:00'], friday: ['08:00-20:00'], saturday: ['09:00-17:00'] },
    closures: [{ date: '2026-12-25', until: '2026-12-26', name: 'Christmas and Boxing Day' }],
    booking: { minNoticeMinutes: 60, horizonDays: 90, slotIntervalMinutes: 15, cancellationNoticeMinutes: 1440, maxUpcomingPerPhone: 0 },
    services,
    staff,
  };
}

/** Open every day, no phone, no cancellation notice, no cap. */
export function shopBusiness(): unknown {
  const day = ['07:00-21:00'];
  return {
    business: { name: 'Corner Barbers', timeZone: 'America/Los_Angeles' },
    hours: { monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: day, sunday: day },
    booking: { minNoticeMinutes: 30, horizonDays: 30, slotIntervalMinutes: 30, maxUpcomingPerPhone: 0 },
    services: [
      { id: 'cut', name: 'Cut', aliases: ['haircut'], durationMinutes: 30 },
      { id: 'shave', name: 'Hot towel shave', durationMinutes: 30 },
      { id: 'eyebrow', name: 'Eyebrow wax', durationMinutes: 15 },
    ],
    staff: [{ id: 'tony', name: 'Tony' }],
  };
}

type Step = [tool: string, args: unknown, meta?: Record<string, string>];

async function play(deps: TestDeps, business: string, steps: Step[], out: Spoken[]): Promise<void> {
  for (const [tool, args, meta] of steps) {
    const { result } = await runTool(deps, tool, args, { platform: 'script', ...meta });
    out.push({ business, tool, code: result.ok ? 'OK' : String(result.code), message: result.message });
  }
}

const JANE = { customer_name: 'Jane Doe', customer_phone: '(555) 010-2030', service_name: 'haircut' };

function salonSteps(): Step[] {
  const book = (when: string, extra: Record<string, unknown> = {}): Step => ['book_appointment', { ...JANE, appointment_datetime: when, ...extra }];
  return [
    ['list_services', {}],
    ['find_available_slots', { service_name: 'Hair cut' }],
    ['find_available_slots', { service_name: 'haircut', start_date: '2026-11-26' }],
    ['find_available_slots', { service_name: 'haircut', start_date: '2026-12-25' }],
    ['find_available_slots', { service_name: 'haircut', start_date: '2026-11-24', time_of_day: 'afternoon' }],
    ['find_available_slots', { service_name: 'haircut', staff_name: 'Jordan', max_results: 50 }],
    ['find_available_slots', { service_name: 'beard trim', staff_name: 'Sam', start_date: '2026-11-24', end_date: '2026-11-27' }],
    ['find_available_slots', { service_name: 'color', start_date: '2026-11-24', time_of_day: 'evening' }],
    ['find_available_slots', { service_name: 'haircut', start_date: '2027-06-01' }],
    ['find_available_slots', { service_name: 'consultation', max_results: 1 }],
    ['find_available_slots', { service_name: 'perm' }],
    ['find_available_slots', { service_name: 'beerd trim' }],
    ['find_available_slots', { service_name: 'beard cut' }],
    ['find_available_slots', { service_name: 'haircut', staff_name: 'Bob' }],
    ['find_available_slots', { service_name: 'color', staff_name: 'Sam' }],
    ['find_available_slots', { service_name: 'haircut', start_date: 'tomorrow' }],
    ['find_available_slots', { service_name: 'haircut', start_date: '2026-11-27', end_date: '2026-11-25' }],
    ['find_available_slots', { service_name: 'haircut', time_of_day: 'midnight' }],
    ['find_available_slots', { service_name: 'haircut', max_results: 'five' }],
    ['get_next_available', { service_name: 'beard trim' }],
    ['get_next_available', { service_name: 'color', staff_name: 'Priya' }],
    ['get_next_available', { service_name: 'haircut', after: '2026-12-24T12:00' }],
    ['get_next_available', { duration: 20 }],
    ['find_available_times', { start_date: '2026-11-25', duration: 45 }],
    book('2026-11-24T10:00'),
    book('2026-11-24T10:00', { staff_name: 'Priya' }),
    book('2026-11-24T10:00', { customer_name: 'Kid Doe', staff_name: 'Priya' }),
    book('2026-11-23T07:00'),
    book('2026-11-23T09:00'),
    book('2027-01-25T10:00'),
    book('2026-11-26T10:00'),
    book('2026-12-24T15:00'),
    book('2026-11-30T10:00'),
    book('2026-11-24T12:00'),
    book('2026-11-24T17:30'),
    book('2026-11-24T10:07'),
    book('2026-11-24T10:00', { customer_name: 'Other Person', customer_phone: '5550109999', staff_name: 'Sam' }),
    book('2026-12-15T24:00'),
    book('2026-12-16T24:00:00+00:00'),
    book('2026-12-16T14:00:00+25:00'),
    book('2027-03-14T02:30'),
    book('2026-11-24'),
    book('10am'),
    book('2026-11-25T10:00', { customer_email: 'not-an-email' }),
    book('2026-11-25T10:00', { date: '2026-11-25' }),
    book('2026-11-25T10:00', { customer_phone: 'call me maybe' }),
    book('2026-11-25T10:00', { customer_name: undefined }),
    book('2026-11-25T10:00', { notes: 'x'.repeat(600) }),
    ['schedule_meeting', { title: 'Ada Lovelace', start_time: '2026-11-25T11:00', duration: 20, attendee_email: 'ada@example.com', description: 'first visit' }, { callerPhone: '+15550102040' }],
    ['schedule_meeting', { title: 'Haircut', start_time: '2026-11-25T11:00' }, { callerPhone: '+15550102041' }],
    ['list_appointments', { customer_phone: '5550102030' }],
    ['list_appointments', { customer_phone: '5550102040' }],
    ['list_appointments', { customer_phone: '555 999 0000' }],
    ['cancel_appointment', { customer_phone: '5550102030' }],
    ['cancel_appointment', { customer_phone: '5550102030', appointment_id: 'nope' }],
    ['cancel_appointment', { customer_phone: '555 999 0000' }],
    ['cancel_appointment', { customer_phone: '555 999 0000', appointment_id: 'nope' }],
    ['reschedule_appointment', { customer_phone: '5550102040', new_datetime: '2026-11-25T11:30' }],
    ['reschedule_appointment', { customer_phone: '5550102040', new_datetime: '2026-11-27T15:00' }],
    ['reschedule_appointment', { customer_phone: '5550102040', new_datetime: '2026-11-27T15:00' }],
    ['reschedule_appointment', { customer_phone: '5550102040', new_datetime: '2026-11-26T15:00' }],
    ['reschedule_appointment', { customer_phone: '5550102040', new_datetime: '2026-11-27' }],
    ['cancel_appointment', { customer_phone: '5550102040', reason: 'travel' }],
    ['list_appointments', {}, { callerPhone: '+15550109999' }],
    ['list_appointments', { customer_phone: '5550102030' }, { callerPhone: '+15550109999' }],
    ['book_appointment', { ...JANE, customer_phone: '5550107777', appointment_datetime: '2026-11-28T09:00' }, { idempotencyKey: 'k-1' }],
    ['book_appointment', { ...JANE, customer_phone: '5550107777', appointment_datetime: '2026-11-28T10:00' }, { idempotencyKey: 'k-1' }],
    ['launch_rocket', {}],
    ['book_appointment', '{"service_name":'],
    ['list_services', [1, 2]],
  ];
}

/** Everything the scripted run makes the assistant say. */
export async function scriptedRun(): Promise<Spoken[]> {
  const out: Spoken[] = [];
  const cleanup: TestDeps[] = [];
  const deps = async (opts: Parameters<typeof makeTestDeps>[0]) => {
    const d = await makeTestDeps(opts);
    cleanup.push(d);
    return d;
  };
  try {
    await play(await deps({ env: NO_LIMITS }), 'salon', salonSteps(), out);

    // The salon on a Tuesday morning: a booking inside the 4-hour cancellation window, and changes refused there.
    const tue = await deps({ env: NO_LIMITS, now: '2026-11-24T08:00' });
    await play(
      tue,
      'salon',
      [
        ['book_appointment', { ...JANE, appointment_datetime: '2026-11-24T11:00' }],
        ['cancel_appointment', { customer_phone: '5550102030' }],
        ['reschedule_appointment', { customer_phone: '5550102030', new_datetime: '2026-11-25T11:00' }],
        ...['09:00', '10:00', '11:00', '12:00', '14:00', '15:00'].map((t): Step => ['book_appointment', { ...JANE, customer_phone: '5550108888', appointment_datetime: `2026-11-28T${t}` }]),
      ],
      out,
    );

    const limited = await deps({ env: { RATE_LIMIT_PHONE_PER_HOUR: '1' } });
    await play(limited, 'salon', [['book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' }], ['book_appointment', { ...JANE, appointment_datetime: '2026-11-25T10:00' }]], out);

    const unreadable = await deps({ env: NO_LIMITS, calendar: (store, clock) => new UnreadableCalendar(store.calendarEvents, () => clock.now()) });
    await play(unreadable, 'salon', [['find_available_slots', { service_name: 'haircut' }], ['book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' }]], out);
    const broken = await deps({ env: NO_LIMITS, calendar: (store, clock): CalendarProvider => new BrokenCalendar(store.calendarEvents, () => clock.now()) });
    await play(broken, 'salon', [['get_next_available', { service_name: 'haircut' }]], out);

    // The spa: 1,000 services, 12 staff, 24-hour clock.
    const spa = await deps({ env: NO_LIMITS, business: spaBusiness(), now: '2026-11-23T08:00' });
    const SPA_PHONE = '020 7946 0123';
    const spaBook = (when: string, extra: Record<string, unknown> = {}): Step => ['book_appointment', { customer_name: 'Olivia Bennett', customer_phone: SPA_PHONE, service_name: 'Classic massage', appointment_datetime: when, ...extra }];
    await play(
      spa,
      'spa',
      [
        ['list_services', {}],
        ['find_available_slots', { service_name: 'perm' }],
        ['find_available_slots', { service_name: 'classic masage' }],
        ['find_available_slots', { service_name: 'Classic massage', staff_name: 'Zebedee' }],
        ['find_available_slots', { service_name: 'Classic massage', staff_name: 'Hiroshi' }],
        ['find_available_slots', { service_name: 'Express massage', start_date: '2026-12-25' }],
        ['get_next_available', { service_name: 'Express massage' }],
        spaBook('2026-11-24T09:00'),
        spaBook('2026-11-23T08:30'),
        spaBook('2026-11-28T18:00'),
        ...[1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14].map((d): Step => spaBook(`2026-12-${String(d).padStart(2, '0')}T10:00`)),
        ['list_appointments', { customer_phone: SPA_PHONE }],
        ['cancel_appointment', { customer_phone: SPA_PHONE }],
        ['reschedule_appointment', { customer_phone: SPA_PHONE, new_datetime: '2026-12-20T10:00', appointment_id: 'nope' }],
        ['cancel_appointment', { customer_phone: SPA_PHONE, appointment_id: 'nope' }],
      ],
      out,
    );

    // The always-open shop with no phone.
    const shop = await deps({ env: NO_LIMITS, business: shopBusiness(), now: '2026-11-23T08:00' });
    await play(
      shop,
      'shop',
      [
        ['list_services', {}],
        ['find_available_slots', { service_name: 'eyebrow' }],
        ['find_available_slots', { service_name: 'shave', start_date: '2026-11-23', time_of_day: 'evening' }],
        ['get_next_available', { service_name: 'cut' }],
        ['book_appointment', { customer_name: 'Luis Ortega', customer_phone: '(415) 555-0199', service_name: 'eyebrow wax', appointment_datetime: '2026-11-23T09:00' }],
        ['book_appointment', { customer_name: 'Luis Ortega', customer_phone: '(415) 555-0199', service_name: 'cut', appointment_datetime: '2027-01-20T09:00' }],
        ['list_appointments', { customer_phone: '(415) 555-0199' }],
        ['reschedule_appointment', { customer_phone: '(415) 555-0199', new_datetime: '2026-11-23T10:00' }],
        ['cancel_appointment', { customer_phone: '(415) 555-0199' }],
      ],
      out,
    );
  } finally {
    await Promise.all(cleanup.map((d) => d.cleanup()));
  }
  return out;
}
