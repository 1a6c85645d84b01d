/**
 * Operator endpoints. All need `Authorization: Bearer $ADMIN_API_KEY`; with no key configured the
 * whole surface answers 404, so a forgotten setting never leaves it open.
 */
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { appointmentView } from '../booking/service.js';
import { embeddedCalendarOf } from '../calendar/staff.js';
import type { Deps } from '../deps.js';
import { findStaff } from '../domain/catalog.js';
import { isBookingError } from '../domain/errors.js';
import { renderVoice } from '../render/voice.js';
import { voiceContext } from '../tools/outcome.js';
import { parseWhen } from '../domain/when.js';
import { requireKey } from './auth.js';

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
      res.json({ appointments: (await deps.store.appointments.list(from, to, limit)).map((a) => appointmentView(deps, a)) });
    } catch (err) {
      res.status(400).json({ error: isBookingError(err) ? renderVoice(err.say, voiceContext(deps)) : 'bad query' });
    }
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
