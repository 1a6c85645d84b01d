/**
 * Operator endpoints. All need `Authorization: Bearer $ADMIN_API_KEY`; with no key configured the
 * whole surface answers 404, so a forgotten setting never leaves it open.
 */
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { decideBooking, markOutcome } from '../booking/lifecycle.js';
import { appointmentView } from '../booking/service.js';
import { embeddedCalendarOf } from '../calendar/staff.js';
import type { Deps } from '../deps.js';
import { findStaff } from '../domain/catalog.js';
import { isBookingError } from '../domain/errors.js';
import { renderVoice } from '../render/voice.js';
import { voiceContext } from '../tools/outcome.js';
import { parseWhen } from '../domain/when.js';
import { requireKey } from './auth.js';

const outcomeBody = z
  .object({
    /** `confirmed` / `declined` answer a booking awaiting confirmation; the rest mark what happened after the start. */
    status: z.enum(['completed', 'no_show', 'confirmed', 'declined']),
    by: z.string().trim().min(1).max(100),
    notes: z.string().trim().max(1000).optional(),
  })
  .strict();

const blockBody = z
  .object({
    staff: z.string().min(1).max(100),
    start: z.string().min(10).max(40),
    end: z.string().min(10).max(40),
    reason: z.string().max(200).default('Time off'),
  })
  .strict();

/** `Authorization: Bearer $ADMIN_API_KEY`, or 404 when no key is configured. Shared by every /admin router. */
export function requireAdmin(deps: Deps) {
  return requireKey(deps.settings.ADMIN_API_KEY, 'Admin endpoints are disabled: set ADMIN_API_KEY to enable them.');
}

async function historyOf(deps: Deps, id: string) {
  return (await deps.store.appointments.outcomeHistory(id)).map((e) => ({ at: deps.speech.iso(e.at), from: e.fromStatus, to: e.toStatus, by: e.actor, notes: e.notes }));
}

export function adminRouter(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps));

  router.get('/calls', async (req, res) => {
    const limit = Math.min(Math.max(Number(req.query.limit) || 50, 1), 500);
    const before = Number(req.query.before) || undefined;
    // Rows still waiting for their batch are written first, so the log shows every call answered.
    await deps.store.calls.flush();
    const rows = await deps.store.calls.list(limit, before);
    const last = rows[rows.length - 1];
    res.json({ calls: rows, next: rows.length === limit && last ? `/admin/calls?limit=${limit}&before=${last.id}` : null });
  });

  router.get('/appointments', async (req, res) => {
    const now = deps.clock.now();
    try {
      const from = typeof req.query.from === 'string' ? parseWhen(req.query.from, deps.rules.zone, 'from').ms : now;
      const to = typeof req.query.to === 'string' ? parseWhen(req.query.to, deps.rules.zone, 'to').ms : from + 366 * 86_400_000;
      const limit = Math.min(Math.max(Number(req.query.limit) || 200, 1), 2000);
      const status = typeof req.query.status === 'string' ? req.query.status : undefined;
      const list = (await deps.store.appointments.list(from, to, limit)).filter((a) => status === undefined || a.status === status);
      res.json({ appointments: list.map((a) => appointmentView(deps, a)) });
    } catch (err) {
      res.status(400).json({ error: isBookingError(err) ? renderVoice(err.say, voiceContext(deps)) : 'bad query' });
    }
  });

  router.post('/appointments/:id/status', async (req, res) => {
    const body = outcomeBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      return;
    }
    const { status, by, notes } = body.data;
    const current = await deps.store.appointments.get(req.params.id);
    if (current?.status === 'awaiting_confirmation' || status === 'declined') {
      if (status !== 'confirmed' && status !== 'declined') {
        res.status(409).json({ error: `a booking awaiting confirmation can be confirmed or declined, not marked ${status}`, status: current?.status, allowed: ['confirmed', 'declined'] });
        return;
      }
      const decided = await decideBooking(deps, req.params.id, status, by, notes ?? null);
      if (!decided.ok) {
        if (decided.reason === 'not_found') res.status(404).json({ error: 'no such appointment' });
        else res.status(409).json({ error: `a ${decided.status} appointment is not awaiting confirmation`, status: decided.status });
        return;
      }
      res.json({ appointment: appointmentView(deps, decided.appointment), history: await historyOf(deps, decided.appointment.id) });
      return;
    }
    const out = await markOutcome(deps, req.params.id, status, by, notes ?? null);
    if (!out.ok) {
      if (out.reason === 'not_found') res.status(404).json({ error: 'no such appointment' });
      else if (out.reason === 'not_started') res.status(409).json({ error: `it has not started yet: it starts ${deps.speech.dateTime(out.start, deps.clock.now())}` });
      else res.status(409).json({ error: `a ${out.from} appointment cannot become ${status}`, status: out.from, allowed: out.allowed });
      return;
    }
    const appt = (await deps.store.appointments.get(out.appointmentId))!;
    res.json({ appointment: appointmentView(deps, appt), history: await historyOf(deps, appt.id), customer_no_shows: out.noShows });
  });

  const embedded = embeddedCalendarOf(deps.calendar);
  const noBlocks = (_req: Request, res: Response) =>
    res.status(409).json({ error: `Time off is managed in the ${deps.calendar.name} calendar itself with this provider.` });

  router.get('/blocks', async (_req, res) => {
    if (!embedded) return noBlocks(_req, res);
    res.json({ blocks: (await embedded.listBlocks()).map((b) => ({ ...b, start: deps.speech.iso(b.start), end: deps.speech.iso(b.end) })) });
  });

  router.post('/blocks', async (req, res) => {
    if (!embedded) return noBlocks(req, res);
    const parsed = blockBody.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      return;
    }
    try {
      const staff = findStaff(deps.config, parsed.data.staff);
      const start = parseWhen(parsed.data.start, deps.rules.zone, 'start').ms;
      const end = parseWhen(parsed.data.end, deps.rules.zone, 'end').ms;
      if (end <= start) {
        res.status(400).json({ error: 'end must be after start' });
        return;
      }
      const block = await embedded.addBlock(deps.ids.blockId(), staff.calendarId, start, end, parsed.data.reason);
      res.status(201).json({ block: { ...block, staff: staff.id, start: deps.speech.iso(start), end: deps.speech.iso(end) } });
    } catch (err) {
      res.status(400).json({ error: isBookingError(err) ? renderVoice(err.say, voiceContext(deps)) : 'bad request' });
    }
  });

  router.delete('/blocks/:id', async (req, res) => {
    if (!embedded) return noBlocks(req, res);
    if (await embedded.removeBlock(req.params.id)) res.status(204).end();
    else res.status(404).json({ error: 'no such block' });
  });

  return router;
}
