/**
 * The Google push receiver and the admin view of sync. The receiver answers Google at once (it
 * retries 5xx with backoff and counts other failures as lost) and leaves the listing to the
 * background sync; a store failure while recording the request is answered 503 so Google retries.
 */
import { type Request, type Response, Router } from 'express';
import type { Deps } from '../deps.js';
import { requireAdmin } from './admin.js';

export function googleWebhookHandler(deps: Deps) {
  return async (req: Request, res: Response) => {
    const sync = deps.calendarSync;
    if (!sync) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    const h = (name: string) => req.get(name) ?? undefined;
    try {
      const answer = await sync.onNotification({
        'x-goog-channel-id': h('x-goog-channel-id'),
        'x-goog-channel-token': h('x-goog-channel-token'),
        'x-goog-resource-id': h('x-goog-resource-id'),
        'x-goog-resource-state': h('x-goog-resource-state'),
        'x-goog-message-number': h('x-goog-message-number'),
      });
      res.status(answer.status).end();
    } catch (err) {
      deps.logger.error({ err }, 'calendar notification could not be recorded');
      res.status(503).end();
    }
  };
}

/** GET /admin/calendar-sync: per-calendar sync state, live channels and conflicts. */
export function calendarSyncRouter(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps));
  router.get('/', async (req, res) => {
    const repo = deps.store.calendarSync;
    const open = req.query.all !== '1';
    const [states, channels, conflicts] = await Promise.all([repo.states(), repo.liveChannels(), repo.conflicts({ open, limit: 200 })]);
    res.json({
      enabled: deps.calendarSync !== undefined,
      calendars: states,
      // The channel token is a secret: never shown.
      channels: channels.map(({ token: _token, ...c }) => c),
      conflicts,
    });
  });
  return router;
}
