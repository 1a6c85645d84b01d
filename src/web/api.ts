/**
 * The public API pages use: the business's services, availability for a month view, booking, and
 * the self-service actions behind a signed link. Every write goes through runTool, the dispatch
 * path of the voice tools (the same rules re-checked at write time, idempotency, rate limits and
 * confirmations); answers carry the outcome as a code with its parameters plus short UI text from
 * the web renderer, never a spoken sentence and never provider detail.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { IANAZone } from 'luxon';
import { appointmentIdentity, searchSlots } from '../booking/service.js';
import type { Deps } from '../deps.js';
import { eligibleStaff, findService, serviceAndStaff } from '../domain/catalog.js';
import { BookingError } from '../domain/errors.js';
import { type Message, msg } from '../domain/messages.js';
import { TimeZone } from '../domain/zone.js';
import { renderWeb, type WebContext, webInstant } from '../render/web.js';
import type { Appointment } from '../domain/appointment.js';
import { runTool, type ToolOutcome } from '../tools/registry.js';
import { manageUrl, verifyLink } from './links.js';

/** The widest window one availability request may ask for (a month view plus its edges). */
export const MAX_RANGE_DAYS = 62;

export function webContext(deps: Deps, zone: string): WebContext {
  const b = deps.config.business;
  return { zone, businessZone: b.timeZone, locale: b.locale, clock: b.clock, business: { name: b.name, phone: b.phone, phoneRegion: b.phoneRegion } };
}

/** The visitor's zone from ?tz= (or the body), the business zone when absent; undefined when not a zone. */
function visitorZone(deps: Deps, raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return deps.config.business.timeZone;
  return typeof raw === 'string' && raw.length <= 64 && IANAZone.isValidZone(raw) ? raw : undefined;
}

/** HTTP status of a web answer: what a page's fetch can branch on without reading the body. */
function statusOf(o: Pick<ToolOutcome, 'kind' | 'result'>): number {
  if (o.result.ok) return 200;
  switch (o.kind) {
    case 'invalid':
      return 400;
    case 'rate_limited':
      return 429;
    case 'conflict':
      return 422;
    case 'busy':
      return 503;
    default:
  }
  switch (o.result.code) {
    case 'SLOT_UNAVAILABLE':
    case 'DUPLICATE_BOOKING':
    case 'IN_PAST':
    case 'TOO_SOON':
    case 'TOO_FAR':
    case 'CLOSED':
    case 'OUTSIDE_HOURS':
      return 409;
    case 'NOT_FOUND':
      return 404;
    case 'CALENDAR_UNAVAILABLE':
    case 'STORE_UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
    default:
      return 422;
  }
}

function send(res: Response, deps: Deps, zone: string, status: number, ok: boolean, code: string | undefined, say: Message | undefined, extra: Record<string, unknown> = {}): void {
  const web = say ? renderWeb(say, webContext(deps, zone)) : undefined;
  // A 500 is never sent: an unexpected failure is a 503 "try again" with nothing changed.
  res.status(status === 500 ? 503 : status).json({ ok, code: code ?? null, reason: web?.code ?? null, message: web?.text ?? '', params: web?.params ?? {}, ...extra });
}

function sendError(res: Response, deps: Deps, zone: string, err: unknown): void {
  const e = err instanceof BookingError ? err : new BookingError('INTERNAL', {});
  if (!(err instanceof BookingError)) deps.logger.error({ err }, 'web request failed');
  send(res, deps, zone, statusOf({ kind: e.code === 'INVALID_ARGUMENT' ? 'invalid' : 'failed', result: { ok: false, message: '', code: e.code } }), false, e.code, e.say);
}

/** A page-level refusal that is not a booking outcome (origin, key, rate limit): a code and a line. */
function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ ok: false, code, reason: code, message, params: {} });
}

/** CORS for the business's allowed origins only; the widget's own pages are same-origin. */
function cors(deps: Deps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (!origin) return next();
    const own = `${req.protocol}://${req.get('host') ?? ''}`;
    if (origin !== own && !deps.config.web.allowedOrigins.includes(origin)) {
      refuse(res, 403, 'ORIGIN_NOT_ALLOWED', 'This site is not allowed to use the booking service.');
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET, POST');
      res.set('Access-Control-Allow-Headers', 'Content-Type, Idempotency-Key, X-Widget-Key');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

function widgetKey(deps: Deps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const want = deps.config.web.widgetKey;
    const got = req.get('x-widget-key') ?? (typeof req.query.key === 'string' ? req.query.key : undefined);
    if (want && got !== want) {
      refuse(res, 401, 'WIDGET_KEY', 'This booking widget is not set up correctly.');
      return;
    }
    next();
  };
}

/** Per client address, counted in the store like the write limits (shared by every instance). */
function rateLimit(deps: Deps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const ok = await deps.store.rateLimits.take(`web:${req.ip ?? 'unknown'}`, deps.config.web.requestsPerMinute, 60_000, deps.clock.now());
      if (!ok) {
        res.set('Retry-After', '60');
        refuse(res, 429, 'RATE_LIMITED', 'Too many requests. Please wait a minute and try again.');
        return;
      }
    } catch (err) {
      // The limit is a guard, not the service: an unreadable counter lets the request through.
      deps.logger.warn({ err }, 'web rate limit unavailable');
    }
    next();
  };
}

const str = (v: unknown, max = 500): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : undefined);

/** yyyy-mm-dd -> the instant that day starts in `zone`; undefined when not a real date. */
function dayStart(value: string, zone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return TimeZone.of(zone).instant(y, mo, d).ms;
}

/** The service a page names by id (what the widget sends) or by name. */
function serviceOf(deps: Deps, raw: string) {
  return deps.config.services.find((s) => s.id === raw) ?? findService(deps.config, raw);
}

export function appointmentData(deps: Deps, a: Appointment, zone: string) {
  return {
    ...appointmentIdentity(deps, a),
    start: webInstant(a.start, webContext(deps, zone)),
    end: webInstant(a.end, webContext(deps, zone)),
    customer: { name: a.customerName },
  };
}

export function webApiRouter(deps: Deps): Router {
  const r = Router();
  r.use(cors(deps), rateLimit(deps), widgetKey(deps));

  r.get('/config', (_req, res) => {
    const c = deps.config;
    res.json({
      ok: true,
      business: { name: c.business.name, timeZone: c.business.timeZone, phone: c.business.phone ?? null, clock: c.business.clock, locale: c.business.locale },
      brandColor: c.web.brandColor,
      horizonDays: c.booking.horizonDays,
      services: c.services.map((s) => ({
        id: s.id,
        name: s.name,
        minutes: s.durationMinutes,
        description: s.description,
        price: s.price ?? null,
        staff: eligibleStaff(c, s).map((p) => ({ id: p.id, name: p.name })),
      })),
    });
  });

  r.get('/availability', async (req, res) => {
    const zone = visitorZone(deps, req.query.tz);
    if (!zone) return refuse(res, 400, 'INVALID_ARGUMENT', 'Unknown time zone.');
    try {
      const serviceQuery = str(req.query.service, 100);
      if (!serviceQuery) throw new BookingError('ARG_MISSING', { field: 'service_name' }, { field: 'service' });
      const service = serviceOf(deps, serviceQuery);
      const staffQuery = str(req.query.staff, 100);
      const staffName = staffQuery ? (deps.config.staff.find((s) => s.id === staffQuery)?.name ?? staffQuery) : undefined;
      const { staff } = serviceAndStaff(deps.config, service.name, staffName);
      const now = deps.clock.now();
      const tz = TimeZone.of(zone);
      const fromQ = str(req.query.from, 10);
      const toQ = str(req.query.to, 10);
      const fromDay = fromQ ? dayStart(fromQ, zone) : tz.startOfDay(now);
      if (fromDay === undefined) throw new BookingError('BAD_DATE', { field: 'start_date' }, { field: 'from' });
      const toDay = toQ ? dayStart(toQ, zone) : tz.startOfDay(fromDay, 30);
      if (toDay === undefined) throw new BookingError('BAD_DATE', { field: 'end_date' }, { field: 'to' });
      if (toDay < fromDay) throw new BookingError('END_BEFORE_START', {}, { field: 'to' });
      if (tz.dayNumber(toDay) - tz.dayNumber(fromDay) > MAX_RANGE_DAYS) return refuse(res, 400, 'INVALID_ARGUMENT', `Choose at most ${MAX_RANGE_DAYS} days.`);
      const from = Math.max(fromDay, now);
      const to = tz.startOfDay(toDay, 1);
      const slots = to > from ? await searchSlots(deps, { service, staff, from, to }) : [];
      const ctx = webContext(deps, zone);
      const staffById = new Map(deps.config.staff.map((s) => [s.id, s.name]));
      const days: { date: string; slots: unknown[] }[] = [];
      const businessDays: Record<string, number> = {};
      for (const s of slots) {
        const at = webInstant(s.start, ctx);
        if (days[days.length - 1]?.date !== at.visitor.date) days.push({ date: at.visitor.date, slots: [] });
        days[days.length - 1]!.slots.push({ ...at, end: new Date(s.end).toISOString(), staff: s.staffIds.map((id) => ({ id, name: staffById.get(id) ?? id })) });
        businessDays[at.business.date] = (businessDays[at.business.date] ?? 0) + 1;
      }
      const say = msg(slots.length ? 'SLOTS_FOUND' : 'NO_SLOTS', slots.length ? { service: service.name, starts: [] } : { service: service.name, explicit: Boolean(fromQ) });
      send(res, deps, zone, 200, true, undefined, say, {
        service: { id: service.id, name: service.name, minutes: service.durationMinutes },
        zone: deps.config.business.timeZone,
        visitorZone: zone,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        count: slots.length,
        days,
        businessDays,
      });
    } catch (err) {
      sendError(res, deps, zone, err);
    }
  });

  r.post('/bookings', async (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const zone = visitorZone(deps, body.tz);
    if (!zone) return refuse(res, 400, 'INVALID_ARGUMENT', 'Unknown time zone.');
    const key = req.get('idempotency-key');
    if (!key || key.length > 200) return refuse(res, 400, 'INVALID_ARGUMENT', 'Please reload the page and try again.');
    const serviceQuery = str(body.service, 100);
    let serviceName = serviceQuery;
    const staffQuery = str(body.staff, 100);
    if (serviceQuery) serviceName = deps.config.services.find((s) => s.id === serviceQuery)?.name ?? serviceQuery;
    const args = {
      customer_name: typeof body.name === 'string' ? body.name : undefined,
      customer_phone: typeof body.phone === 'string' ? body.phone : undefined,
      service_name: serviceName,
      appointment_datetime: typeof body.start === 'string' ? body.start : undefined,
      customer_email: str(body.email, 300),
      notes: str(body.notes, 600),
      staff_name: staffQuery ? (deps.config.staff.find((s) => s.id === staffQuery)?.name ?? staffQuery) : undefined,
    };
    const out = await runTool(deps, 'book_appointment', args, { platform: 'web', idempotencyKey: `web:${key}`, clientIp: req.ip });
    const extra = await outcomeData(deps, out, zone);
    send(res, deps, zone, out.result.ok ? 201 : statusOf(out), out.result.ok, out.result.code, out.say, extra);
  });

  // --- Self-service: the appointment a signed link names, and nothing else.
  const linked = async (req: Request, res: Response): Promise<Appointment | undefined> => {
    const secret = deps.settings.WEB_LINK_SECRET;
    const claims = secret ? verifyLink(secret, String(req.params.token), deps.store.businessId, deps.clock.now()) : undefined;
    const appt = claims ? await deps.store.appointments.get(claims.a) : undefined;
    if (!appt) {
      refuse(res, 404, 'LINK_INVALID', 'This link has expired or is not valid.');
      return undefined;
    }
    return appt;
  };

  r.get('/manage/:token', async (req, res) => {
    const zone = visitorZone(deps, req.query.tz) ?? deps.config.business.timeZone;
    try {
      const appt = await linked(req, res);
      if (!appt) return;
      const notice = deps.config.booking.cancellationNoticeMinutes;
      const changeable = (appt.status === 'confirmed' || appt.status === 'awaiting_confirmation') && appt.start > deps.clock.now() && !(notice > 0 && appt.start - deps.clock.now() < notice * 60_000);
      res.json({ ok: true, appointment: appointmentData(deps, appt, zone), changeable, noticeMinutes: notice });
    } catch (err) {
      sendError(res, deps, zone, err);
    }
  });

  const manageAction = (tool: 'cancel_appointment' | 'reschedule_appointment') => async (req: Request, res: Response) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const zone = visitorZone(deps, body.tz) ?? deps.config.business.timeZone;
    try {
      const appt = await linked(req, res);
      if (!appt) return;
      const key = req.get('idempotency-key');
      const args: Record<string, unknown> = { customer_phone: appt.customerPhone, appointment_id: appt.id };
      if (tool === 'reschedule_appointment') args.new_datetime = typeof body.start === 'string' ? body.start : undefined;
      const out = await runTool(deps, tool, args, { platform: 'web', idempotencyKey: key ? `web:${key.slice(0, 200)}` : undefined, clientIp: req.ip });
      send(res, deps, zone, statusOf(out), out.result.ok, out.result.code, out.say, await outcomeData(deps, out, zone));
    } catch (err) {
      sendError(res, deps, zone, err);
    }
  };
  r.post('/manage/:token/cancel', manageAction('cancel_appointment'));
  r.post('/manage/:token/move', manageAction('reschedule_appointment'));

  return r;
}

/** The appointment (and its self-service link) or the alternatives a tool outcome carries, for a page. */
async function outcomeData(deps: Deps, out: ToolOutcome, zone: string): Promise<Record<string, unknown>> {
  const view = out.result.appointment as { id?: string } | undefined;
  const appt = view?.id ? await deps.store.appointments.get(view.id) : undefined;
  if (appt) return { appointment: appointmentData(deps, appt, zone), manageUrl: manageUrl(deps.settings, deps.store.businessId, appt) ?? null };
  const alternatives = (out.say?.params as { alternatives?: unknown } | undefined)?.alternatives;
  if (Array.isArray(alternatives)) return { alternatives: alternatives.map((t: number) => webInstant(t, webContext(deps, zone))) };
  return {};
}
