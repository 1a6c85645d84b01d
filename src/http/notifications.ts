/**
 * Operator view of the SMS outbox, behind the same admin bearer key as the rest of /admin:
 *   GET  /admin/notifications?status=failed&limit=50&before=<id>   rows, newest first, and counts
 *   POST /admin/notifications/run                                   send everything due now
 *   POST /admin/notifications/:id/retry                             send a failed/unknown row again
 */
import { type Request, type Response, Router } from 'express';
import type { Deps } from '../deps.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../notifications/outbox.js';
import { requireAdmin } from './admin.js';

export function notificationsRouter(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps));
  router.use((_req: Request, res: Response, next) => {
    if (!deps.notifier) {
      res.status(503).json({ error: 'SMS notifications are not running in this process.' });
      return;
    }
    next();
  });

  router.get('/', async (req, res) => {
    const notifier = deps.notifier!;
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    if (status !== undefined && !OUTBOX_STATUSES.includes(status as OutboxStatus)) {
      res.status(400).json({ error: `status must be one of ${OUTBOX_STATUSES.join(', ')}` });
      return;
    }
    const limit = Math.min(Math.max(Number(req.query.limit) || 50, 1), 500);
    const before = Number(req.query.before) || undefined;
    const rows = await notifier.outbox.list({ status: status as OutboxStatus | undefined, limit, before });
    const last = rows[rows.length - 1];
    const nextDue = await notifier.outbox.nextDue();
    res.json({
      provider: notifier.provider ?? 'none (messages are skipped)',
      emailProvider: notifier.emailProvider ?? 'none (e-mails are skipped)',
      counts: await notifier.outbox.counts(),
      nextDue: nextDue === undefined ? null : deps.speech.iso(nextDue),
      notifications: rows.map((r) => notifier.view(r)),
      next:
        rows.length === limit && last
          ? `/admin/notifications?limit=${limit}&before=${last.id}${status ? `&status=${status}` : ''}`
          : null,
    });
  });

  router.post('/run', async (_req, res) => {
    const notifier = deps.notifier!;
    const summary = await notifier.worker.runUntilIdle();
    res.json({ ok: true, summary, counts: await notifier.outbox.counts() });
  });

  router.post('/:id/retry', async (req, res) => {
    const notifier = deps.notifier!;
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || !(await notifier.outbox.requeue(id, deps.clock.now()))) {
      res.status(409).json({ error: 'only a failed or unknown notification can be sent again' });
      return;
    }
    res.json({ ok: true, notification: notifier.view((await notifier.outbox.get(id))!) });
  });

  return router;
}
