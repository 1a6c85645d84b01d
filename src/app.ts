/**
 * createApp(deps) builds the whole HTTP surface as a value: tests call it with their own deps and
 * drive it with supertest; only src/main.ts listens.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Deps } from './deps.js';
import { adminRouter } from './http/admin.js';
import { notificationsRouter } from './http/notifications.js';
import { toolsRouter } from './http/tools.js';
import { mountPlatforms, toolsApiAuth } from './platforms/index.js';
import { vapiRouter } from './platforms/vapi.js';

export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

export function createApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  // --- Platforms: Vapi, then Telnyx, Retell, ElevenLabs, MCP, /v1 chat (src/platforms). Before the
  // shared JSON parser: each parses its own body (Retell's transcripts need a larger limit) and
  // answers an unreadable one in its platform's format.
  // Vapi first: its webhook carries most tool calls, and every router in front of it is a prefix
  // test per request.
  app.use('/webhooks/vapi', vapiRouter(deps));
  mountPlatforms(app, deps);
  app.use(
    express.json({
      limit: '256kb',
      // Signature checks (Telnyx, Retell, HMAC) need the exact bytes that were signed.
      verify: (req, _res, buf) => {
        (req as RawBodyRequest).rawBody = buf;
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req, res) => {
    const calendar = deps.calendar.health();
    res.status(calendar.ok ? 200 : 503).json({ ok: calendar.ok, calendar: { provider: deps.calendar.name, ...calendar } });
  });

  app.use('/tools', toolsApiAuth(deps), toolsRouter(deps));
  app.use('/admin/notifications', notificationsRouter(deps));
  app.use('/admin', adminRouter(deps));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // Malformed JSON, oversized bodies, and anything unexpected: a clear JSON answer, never a stack.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ ok: false, code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON.' });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ ok: false, code: 'INVALID_ARGUMENT', message: 'The request body is too large.' });
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ ok: false, code: 'INVALID_ARGUMENT', message: 'The request could not be read.' });
      return;
    }
    deps.logger.error({ err, path: req.path }, 'unhandled error');
    res.status(500).json({ ok: false, code: 'INTERNAL', message: 'Something went wrong on our side.' });
  });
  return app;
}
