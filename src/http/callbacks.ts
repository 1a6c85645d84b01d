/**
 * /admin/callbacks: the front desk's callback queue, behind the business's admin key. Lists are
 * sorted by urgency, then by the promised time; a status change records who, when and notes.
 */
import { Router } from 'express';
import { z } from 'zod';
import { ATTEMPT_OUTCOMES, changeStatus, TRANSITIONS } from '../callbacks/service.js';
import type { Deps } from '../deps.js';
import { CALLBACK_STATUSES, CALLBACK_URGENCIES, type Callback, type CallbackEvent } from '../store/ports.js';
import { requireAdmin } from './admin.js';

const listQuery = z
  .object({
    status: z.enum(CALLBACK_STATUSES).optional(),
    urgency: z.enum(CALLBACK_URGENCIES).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    assignee: z.string().min(1).max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

const updateBody = z
  .object({
    status: z.enum(CALLBACK_STATUSES),
    /** Who made the change: a staff id or name. */
    by: z.string().trim().min(1).max(100),
    notes: z.string().trim().max(1000).optional(),
    outcome: z.enum(ATTEMPT_OUTCOMES).optional(),
  })
  .strict();

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export function callbacksRouter(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps));
  const iso = (ms: number | null) => (ms === null ? null : deps.speech.iso(ms));
  const view = (c: Callback) => ({
    id: c.id,
    status: c.status,
    urgency: c.urgency,
    customer: { name: c.customerName, phone: c.customerPhone },
    reason: c.reason,
    preferred_time: c.preferredTime,
    service: c.serviceId,
    assignee: c.assigneeId,
    due: iso(c.dueAt),
    overdue: c.overdueAt !== null && (c.status === 'pending' || c.status === 'no_answer'),
    overdue_since: iso(c.overdueAt),
    attempts: c.attempts,
    last_outcome: c.lastOutcome,
    next_attempt: iso(c.nextAttemptAt),
    allowed: TRANSITIONS[c.status],
    created: iso(c.createdAt),
    updated: iso(c.updatedAt),
  });
  const event = (e: CallbackEvent) => ({ at: iso(e.at), from: e.fromStatus, to: e.toStatus, by: e.actor, notes: e.notes, outcome: e.outcome });

  router.get('/', async (req, res) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) {
      res.status(400).json({ error: problems(q.error) });
      return;
    }
    const list = await deps.store.callbacks.list({
      status: q.data.status,
      urgency: q.data.urgency,
      overdue: q.data.overdue === undefined ? undefined : q.data.overdue === 'true',
      assigneeId: q.data.assignee,
      limit: q.data.limit,
    });
    res.json({ callbacks: list.map(view) });
  });

  router.get('/:id', async (req, res) => {
    const c = await deps.store.callbacks.get(req.params.id);
    if (!c) {
      res.status(404).json({ error: 'no such callback' });
      return;
    }
    res.json({ callback: view(c), history: (await deps.store.callbacks.events(c.id)).map(event) });
  });

  router.post('/:id/status', async (req, res) => {
    const body = updateBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: problems(body.error) });
      return;
    }
    const out = await changeStatus(deps, req.params.id, body.data);
    if (!out.ok && out.reason === 'not_found') {
      res.status(404).json({ error: 'no such callback' });
      return;
    }
    if (!out.ok) {
      const can = out.allowed.length ? `it can go to ${out.allowed.join(', ')}` : 'it is closed';
      res.status(409).json({ error: `a ${out.from} callback cannot become ${body.data.status}: ${can}`, status: out.from, allowed: out.allowed });
      return;
    }
    res.json({ callback: view(out.callback), history: (await deps.store.callbacks.events(out.callback.id)).map(event) });
  });

  return router;
}
