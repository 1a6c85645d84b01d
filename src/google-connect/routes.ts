/**
 * HTTP surface of "Connect Google Calendar", relative to a business's root (/ or /b/<slug>/):
 *
 *   GET  /connect/google?staff=<id>            admin key (Bearer) or `&link=<one-time link>` -> 302 to Google
 *   GET  /connect/google/callback              Google's redirect -> page to pick the calendar
 *   POST /connect/google/calendar              that page's form (signed, short-lived)
 *   GET  /admin/google/connections             status, last check, last error per staff member
 *   POST /admin/google/connect-links           {staff, ttlMinutes?} -> a one-time link to send
 *   PUT  /admin/google/connections/:staff      {calendarId}
 *   POST /admin/google/connections/:staff/check  runs the health check now
 *   DELETE /admin/google/connections/:staff    revokes at Google, then deletes
 *
 * Pages say what happened in plain words; Google's own error detail goes to the log only.
 */
import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { requireAdmin } from '../http/admin.js';
import { bearerToken, safeEqual } from '../http/auth.js';
import type { GoogleConnection } from '../store/ports.js';
import { type CalendarChoice, chooseCalendar, ConnectError, connectSettings, createConnectLink, disconnect, finishConnect, redeemConnectLink, startConnect, verifyPickToken } from './connect.js';
import { checkConnection } from './health.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .set('cache-control', 'no-store')
    // The pages carry a signed form token: never framed by another site.
    .set('x-frame-options', 'DENY')
    .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>` +
        `<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}label{display:block;margin:.4rem 0}button{margin-top:1rem;padding:.5rem 1rem}</style>` +
        `</head><body><h1>${esc(title)}</h1>${body}</body></html>`,
    );
}

const STATUS_BY_CODE: Record<ConnectError['code'], number> = {
  NOT_CONFIGURED: 404,
  UNKNOWN_STAFF: 404,
  BAD_STATE: 400,
  BAD_LINK: 403,
  DENIED: 403,
  MISSING_SCOPE: 403,
  NO_REFRESH_TOKEN: 400,
  GOOGLE_FAILED: 502,
  NOT_CONNECTED: 404,
  UNKNOWN_CALENDAR: 400,
};

function failPage(deps: Deps, res: Response, err: unknown): void {
  if (err instanceof ConnectError) {
    page(res, STATUS_BY_CODE[err.code], 'Google Calendar not connected', `<p>${esc(err.message)}</p>`);
    return;
  }
  deps.logger.error({ err }, 'google connect failed');
  page(res, 500, 'Google Calendar not connected', '<p>Something went wrong on our side. Please try again in a minute.</p>');
}

function pickPage(deps: Deps, res: Response, staffId: string, chosen: string | null, calendars: CalendarChoice[], pickToken: string): void {
  const name = deps.config.staff.find((s) => s.id === staffId)?.name ?? staffId;
  const options = calendars
    .filter((c) => c.writable)
    .map(
      (c) =>
        `<label><input type="radio" name="calendarId" value="${esc(c.id)}"${c.id === chosen ? ' checked' : ''}> ${esc(c.summary)}${c.primary ? ' (main calendar)' : ''}${c.timeZone ? ` <small>${esc(c.timeZone)}</small>` : ''}</label>`,
    )
    .join('');
  page(
    res,
    200,
    'Google Calendar connected',
    `<p>Which calendar holds ${esc(name)}'s appointments? New bookings go there, and busy times in it are kept free.</p>` +
      `<form method="post" action="calendar"><input type="hidden" name="pick" value="${esc(pickToken)}">${options}<button type="submit">Use this calendar</button></form>`,
  );
}

function isAdmin(deps: Deps, req: Request): boolean {
  const key = deps.settings.ADMIN_API_KEY;
  const given = bearerToken(req);
  return Boolean(key && given && safeEqual(given, key));
}

export function connectRouter(deps: Deps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  router.get('/', async (req, res) => {
    try {
      const staff = typeof req.query.staff === 'string' ? req.query.staff : '';
      const link = typeof req.query.link === 'string' ? req.query.link : undefined;
      if (!staff) {
        page(res, 400, 'Google Calendar not connected', '<p>The link is missing the staff member. Ask for a new link.</p>');
        return;
      }
      if (link !== undefined) await redeemConnectLink(deps, staff, link);
      else if (!isAdmin(deps, req)) {
        page(res, 401, 'Google Calendar not connected', '<p>Open the connect link you were sent (it works once), or ask for a new one.</p>');
        return;
      }
      res.set('cache-control', 'no-store').redirect(302, await startConnect(deps, staff));
    } catch (err) {
      failPage(deps, res, err);
    }
  });

  router.get('/callback', async (req, res) => {
    const q = (k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : undefined);
    try {
      const state = q('state');
      const code = q('code');
      const error = q('error');
      const done = await finishConnect(deps, { ...(state && { state }), ...(code && { code }), ...(error && { error }) });
      pickPage(deps, res, done.staffId, done.connection.calendarId, done.calendars, done.pickToken);
    } catch (err) {
      failPage(deps, res, err);
    }
  });

  router.post('/calendar', async (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const staffId = typeof body.pick === 'string' ? verifyPickToken(deps, body.pick) : undefined;
      if (!staffId) {
        page(res, 403, 'Calendar not changed', '<p>This page has expired. The calendar can still be chosen in the admin settings.</p>');
        return;
      }
      if (typeof body.calendarId !== 'string' || !body.calendarId) {
        page(res, 400, 'Calendar not changed', '<p>Choose one of the calendars.</p>');
        return;
      }
      const c = await chooseCalendar(deps, staffId, body.calendarId);
      const name = deps.config.staff.find((s) => s.id === staffId)?.name ?? staffId;
      page(res, 200, 'All set', `<p>${esc(name)}'s bookings now go to the calendar "${esc(c.calendarId ?? '')}". You can close this page.</p>`);
    } catch (err) {
      failPage(deps, res, err);
    }
  });
  return router;
}

export function connectionView(deps: Deps, c: GoogleConnection) {
  const iso = (ms: number | null) => (ms === null ? null : deps.speech.iso(ms));
  return {
    staff: c.staffId,
    status: c.status,
    account: c.accountEmail,
    calendarId: c.calendarId,
    calendarTimeZone: c.calendarTimeZone,
    scopes: c.scopes.split(' ').filter(Boolean),
    lastCheckAt: iso(c.lastCheckAt),
    lastError: c.lastError,
    lastAlertAt: iso(c.alertedAt),
    connectedAt: iso(c.connectedAt),
  };
}

const linkBody = z.object({ staff: z.string().min(1).max(100), ttlMinutes: z.number().int().min(5).max(30 * 24 * 60).optional() }).strict();
const calendarBody = z.object({ calendarId: z.string().min(1).max(1024) }).strict();

export function googleAdminRouter(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps));
  router.use((_req, res, next) => {
    const s = connectSettings(deps.settings);
    if ('missing' in s) res.status(404).json({ error: s.missing });
    else next();
  });
  const fail = (res: Response, err: unknown) => {
    if (err instanceof ConnectError) res.status(STATUS_BY_CODE[err.code] === 502 ? 502 : STATUS_BY_CODE[err.code]).json({ error: err.message, code: err.code });
    else {
      deps.logger.error({ err }, 'google admin request failed');
      res.status(500).json({ error: 'Something went wrong on our side.' });
    }
  };

  router.get('/connections', async (_req, res) => {
    const list = await deps.store.googleConnections.list();
    res.json({ connections: list.map((c) => connectionView(deps, c)) });
  });

  router.post('/connect-links', async (req, res) => {
    const body = linkBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      return;
    }
    try {
      const link = await createConnectLink(deps, body.data.staff, body.data.ttlMinutes === undefined ? undefined : body.data.ttlMinutes * 60_000);
      res.status(201).json({ url: link.url, expiresAt: deps.speech.iso(link.expiresAt) });
    } catch (err) {
      fail(res, err);
    }
  });

  router.put('/connections/:staff', async (req, res) => {
    const body = calendarBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      return;
    }
    try {
      res.json({ connection: connectionView(deps, await chooseCalendar(deps, req.params.staff, body.data.calendarId)) });
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/connections/:staff/check', async (req, res) => {
    try {
      const r = await checkConnection(deps, req.params.staff);
      if (!r) {
        res.status(404).json({ error: 'no such connection' });
        return;
      }
      const c = await deps.store.googleConnections.get(req.params.staff);
      res.json({ checked: r.checked, alerted: r.alerted, connection: c ? connectionView(deps, c) : null });
    } catch (err) {
      fail(res, err);
    }
  });

  router.delete('/connections/:staff', async (req, res) => {
    try {
      const r = await disconnect(deps, req.params.staff);
      if (!r) res.status(404).json({ error: 'no such connection' });
      else res.json({ disconnected: true, revokedAtGoogle: r.revoked });
    } catch (err) {
      fail(res, err);
    }
  });
  return router;
}
