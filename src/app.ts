/**
 * createApp(deps) builds the whole HTTP surface as a value: tests call it with their own deps and
 * drive it with supertest; only src/main.ts listens.
 *
 * `deps` is the business served at the root URLs (the demo business, or BUSINESS_CONFIG); with
 * `tenants`, every stored business is served under /b/<slug>/ with exactly the same routes, each
 * answered by that business's own context (config, secrets, data). An unknown or disabled slug is
 * a plain 404, the same as any unknown path.
 */
import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Deps } from './deps.js';
import { connectionView, connectRouter, googleAdminRouter } from './google-connect/routes.js';
import { GOOGLE_WEBHOOK_PATH } from './calendar/sync/path.js';
import { adminRouter } from './http/admin.js';
import { calendarSyncRouter, googleWebhookHandler } from './http/calendar-sync.js';
import { requireKey } from './http/auth.js';
import { withFastLanes } from './http/lanes.js';
import { outboxRows, registry as metricsRegistry } from './metrics/index.js';
import { callbacksRouter } from './http/callbacks.js';
import { notificationsRouter } from './http/notifications.js';
import { toolsRouter } from './http/tools.js';
import { INTERNAL_ANSWER } from './platforms/common.js';
import { mountPlatforms, toolsApiAuth } from './platforms/index.js';
import { vapiRouter } from './platforms/vapi.js';
import { webApiRouter } from './web/api.js';
import { dashboardRouter } from './web/dashboard.js';
import { sendAsset, webPagesRouter } from './web/pages.js';

export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

export interface AppOptions {
  /** Resolves /b/<slug>/ to a business's app (src/tenants/registry.ts). */
  tenants?: {
    appFor(slug: string): Promise<express.Express | undefined>;
    /** The business's context, for the fast lane (./http/lanes.ts); without it, tenants go through Express. */
    get?(slug: string): Promise<{ deps: Deps } | undefined>;
  };
  /** The operator API (/operator), guarded by OPERATOR_API_KEY. */
  operator?: express.Router;
  logger?: Deps['logger'];
  /** /metrics: its bearer key (METRICS_API_KEY) and the businesses whose outboxes it reads. */
  metrics?: { key: string | undefined; businesses(): Deps[] };
}

export function createApp(deps: Deps | undefined, opts: AppOptions = {}): express.Express {
  const logger = deps?.logger ?? opts.logger!;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  if (opts.operator) app.use('/operator', opts.operator);
  const tenants = opts.tenants;
  const metrics = opts.metrics ?? { key: deps?.settings.METRICS_API_KEY, businesses: () => (deps ? [deps] : []) };
  app.get('/metrics', requireKey(metrics.key, 'Metrics are disabled: set METRICS_API_KEY to enable them.'), async (_req, res) => {
    for (const b of metrics.businesses()) {
      const counts = await b.notifier?.outbox.counts().catch(() => undefined);
      for (const [status, n] of Object.entries(counts ?? {})) outboxRows.set({ business: b.store.businessId, status }, n);
    }
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  // The embed snippet is the same for every business; it sends data-business along.
  app.get('/widget.js', (_req, res) => sendAsset(res, 'embed.js'));
  if (tenants) {
    // <iframe src="/widget?business=maple-street">: that business's own widget page.
    app.get('/widget', (req, res, next) => {
      const slug = typeof req.query.business === 'string' ? req.query.business : '';
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) return next();
      const rest = new URLSearchParams(req.query as Record<string, string>);
      rest.delete('business');
      res.redirect(302, `/b/${slug}/widget${rest.size ? `?${rest.toString()}` : ''}`);
    });
    app.use('/b/:slug', (req, res, next) => {
      tenants.appFor(String(req.params.slug)).then(
        (sub) => (sub ? sub(req, res, next) : res.status(404).json({ error: 'not found' })),
        (err: unknown) => {
          logger.error({ err, slug: req.params.slug }, 'business could not be loaded');
          res.status(503).json({ ok: false, code: 'BUSY', message: 'This business is not available right now. Please try again shortly.' });
        },
      );
    });
  }
  if (deps) app.use(businessApp(deps));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(jsonErrors(logger));
  return app;
}

/**
 * What the server listens with: createApp's routes, with the Vapi webhook answered in the fast lane
 * (./http/lanes.ts) by the same handler Express would call.
 */
export function createHandler(deps: Deps | undefined, opts: AppOptions = {}): RequestListener {
  const tenants = opts.tenants;
  return withFastLanes(createApp(deps, opts), {
    root: deps,
    tenants: tenants?.get ? { get: (slug) => tenants.get!(slug) } : undefined,
    logger: deps?.logger ?? opts.logger!,
  });
}

/** Every route of one business, relative to where it is mounted (the root, or /b/<slug>). */
export function businessApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  // --- Platforms: Vapi, then Telnyx, Retell, ElevenLabs, MCP, /v1 chat (src/platforms). Before the
  // shared JSON parser: each parses its own body (Retell's transcripts need a larger limit) and
  // answers an unreadable one in its platform's format.
  // Vapi first: its webhook carries most tool calls, and every router in front of it is a prefix
  // test per request.
  app.use('/webhooks/vapi', vapiRouter(deps));
  // Google's notifications have an empty body: nothing to parse.
  app.post(GOOGLE_WEBHOOK_PATH, googleWebhookHandler(deps));
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

  app.get('/readyz', async (_req, res) => {
    const calendar = deps.calendar.health();
    const store = await deps.store.health();
    const ok = calendar.ok && store.ok;
    // Connected Google accounts are detail, never readiness: a revoked one makes its staff member
    // unbookable, not the process (taking it out of a load balancer would stop everyone's bookings).
    const connections = store.ok ? await deps.store.googleConnections.list().catch(() => []) : [];
    const google = connections.length
      ? { google: { connections: connections.map((c) => { const v = connectionView(deps, c); return { staff: v.staff, status: v.status, lastCheckAt: v.lastCheckAt, lastError: v.lastError }; }) } }
      : {};
    res.status(ok ? 200 : 503).json({ ok, calendar: { provider: deps.calendar.name, ...calendar }, store, ...google });
  });

  app.use('/tools', toolsApiAuth(deps), toolsRouter(deps));
  app.use('/connect/google', connectRouter(deps));
  app.use('/admin/google', googleAdminRouter(deps));
  app.use('/admin/dashboard', dashboardRouter(deps));
  app.use('/admin/notifications', notificationsRouter(deps));
  app.use('/admin/callbacks', callbacksRouter(deps));
  app.use('/admin/calendar-sync', calendarSyncRouter(deps));
  app.use('/admin', adminRouter(deps));
  app.use('/api', webApiRouter(deps));
  app.use(webPagesRouter(deps));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  app.use(jsonErrors(deps.logger));
  return app;
}

/** Malformed JSON, oversized bodies, and anything unexpected: a clear JSON answer, never a stack. */
function jsonErrors(logger: Deps['logger']) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
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
    logger.error({ err, path: req.path }, 'unhandled error');
    res.status(500).json(INTERNAL_ANSWER);
  };
}
