/**
 * /admin/dashboard: the front desk's page, server-rendered, readable at phone width. Login with the
 * business's admin key gives a session cookie (HttpOnly, SameSite=Strict, Secure over https) that
 * is an expiry signed with that key: no session table, and changing the key logs everyone out.
 * Every form carries a CSRF token derived from the session, checked on each POST.
 *
 * Shows today's schedule per staff member and the next seven days, search by name or phone, the
 * callback queue by urgency with status changes, the notification outbox with resend, and the last
 * 30 days' figures (appointments a day, cancellation and no-show rates, busiest hour, online share,
 * calls handled and booked), what failed lately (outbox, tool calls) and Google connection health. The JSON admin API (/admin/*)
 * stays the full surface; this page is the part a person at the desk needs without curl.
 */
import { createHmac } from 'node:crypto';
import express, { type Request, type Response, Router } from 'express';
import { decideBooking, markOutcome } from '../booking/lifecycle.js';
import { changeStatus, TRANSITIONS } from '../callbacks/service.js';
import type { Deps } from '../deps.js';
import { TimeZone } from '../domain/zone.js';
import { safeEqual } from '../http/auth.js';
import { CALLBACK_STATUSES, type CallbackStatus } from '../store/ports.js';
import { aliasNamesOf } from '../tools/aliases.js';

const COOKIE = 'bl_admin';
const SESSION_MS = 12 * 3_600_000;
const DAY = 86_400_000;

/**
 * Answers that mean something broke (ours, a provider's, or the agent's set-up), as opposed to the
 * everyday "that time is taken" or "we are closed" a caller hears: only these are "what failed".
 */
const FAILURE_CODES = ['CALENDAR_UNAVAILABLE', 'STORE_UNAVAILABLE', 'BUSY', 'INTERNAL', 'UNKNOWN_TOOL', 'IDEMPOTENCY_MISMATCH'] as const;
const BOOKING_TOOLS = ['book_appointment', ...aliasNamesOf('book_appointment')];

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sign(key: string, what: string): string {
  return createHmac('sha256', key).update('bookline-dashboard\0').update(what).digest('base64url');
}

function cookieOf(req: Request): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

/** The session's value when it is valid and unexpired. */
function session(deps: Deps, req: Request): string | undefined {
  const key = deps.settings.ADMIN_API_KEY;
  const v = cookieOf(req);
  if (!key || !v) return undefined;
  const [exp, sig] = v.split('.');
  if (!exp || !sig || !safeEqual(sig, sign(key, `session:${exp}`)) || Number(exp) <= deps.clock.now()) return undefined;
  return v;
}

const csrfFor = (key: string, sessionValue: string) => sign(key, `csrf:${sessionValue}`);

/** Where the dashboard is mounted ("/admin/dashboard", or under /b/<slug>/). */
const base = (req: Request) => req.baseUrl;

function layout(deps: Deps, req: Request, title: string, body: string): string {
  const b = base(req);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${esc(title)} - ${esc(deps.config.business.name)}</title>
<link rel="stylesheet" href="${b.replace(/\/admin\/dashboard$/, '')}/widget/app.css"></head>
<body><main class="dash">${body}</main></body></html>`;
}

function send(res: Response, html: string, status = 200): void {
  res.set('Content-Security-Policy', "default-src 'self'; script-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'");
  res.set('Cache-Control', 'no-store');
  res.set('Referrer-Policy', 'no-referrer');
  res.status(status).type('html').send(html);
}

export function dashboardRouter(deps: Deps): Router {
  const r = Router();
  r.use(express.urlencoded({ extended: false, limit: '16kb' }));
  const key = () => deps.settings.ADMIN_API_KEY;

  r.use((req, res, next) => {
    if (!key()) {
      res.status(404).type('text').send('The dashboard is disabled: set ADMIN_API_KEY to enable it.');
      return;
    }
    next();
  });

  const loginPage = (req: Request, res: Response, error?: string) =>
    send(
      res,
      layout(deps, req, 'Sign in', `<h1>${esc(deps.config.business.name)}: front desk</h1>
<form method="post" action="${base(req)}/login" class="login">
<div class="field"><label for="key">Admin key</label><input id="key" name="key" type="password" autocomplete="current-password" required></div>
${error ? `<p class="error" role="alert" id="login-error">${esc(error)}</p>` : ''}
<button type="submit" class="primary">Sign in</button>
</form>`),
      error ? 401 : 200,
    );

  r.get('/login', (req, res) => loginPage(req, res));
  r.post('/login', (req, res) => {
    const given = typeof req.body?.key === 'string' ? req.body.key : '';
    if (!given || !safeEqual(given, key()!)) return loginPage(req, res, 'That key is not right.');
    const exp = String(deps.clock.now() + SESSION_MS);
    const value = `${exp}.${sign(key()!, `session:${exp}`)}`;
    const b = base(req);
    res.set('Set-Cookie', `${COOKIE}=${value}; Path=${b || '/'}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${req.secure ? '; Secure' : ''}`);
    res.redirect(303, b || '/');
  });

  // Everything below needs a session; a POST also its CSRF token.
  r.use((req, res, next) => {
    const s = session(deps, req);
    if (!s) {
      if (req.method === 'GET') return res.redirect(303, `${base(req)}/login`);
      res.status(401).type('text').send('Please sign in again.');
      return;
    }
    if (req.method === 'POST' && !(typeof req.body?.csrf === 'string' && safeEqual(req.body.csrf, csrfFor(key()!, s)))) {
      res.status(403).type('text').send('This form has expired; reload the page and try again.');
      return;
    }
    res.locals.csrf = csrfFor(key()!, s);
    next();
  });

  r.post('/logout', (req, res) => {
    const b = base(req);
    res.set('Set-Cookie', `${COOKIE}=; Path=${b || '/'}; HttpOnly; SameSite=Strict; Max-Age=0${req.secure ? '; Secure' : ''}`);
    res.redirect(303, `${b}/login`);
  });

  r.get('/', async (req, res) => {
    const csrf = res.locals.csrf as string;
    const b = base(req);
    const now = deps.clock.now();
    const tz = TimeZone.of(deps.config.business.timeZone);
    const dayStart = tz.startOfDay(now);
    const weekEnd = tz.startOfDay(now, 8);
    const time = (ms: number) => deps.speech.format(ms, deps.config.business.clock === '24h' ? 'H:mm' : 'h:mm a');
    const dayName = (ms: number) => deps.speech.format(ms, 'cccc, LLLL d');
    const appts = (await deps.store.appointments.list(dayStart, weekEnd, 2000)).filter((a) => a.status !== 'pending');
    const staffName = (id: string) => deps.config.staff.find((s) => s.id === id)?.name ?? id;
    const serviceName = (id: string) => deps.config.services.find((s) => s.id === id)?.name ?? id;
    const hidden = `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
    const notice = typeof req.query.done === 'string' ? `<p class="notice" role="status" id="dash-notice">${esc(req.query.done.slice(0, 200))}</p>` : '';

    const today = appts.filter((a) => a.start < tz.startOfDay(now, 1));
    const todayHtml = deps.config.staff
      .map((s) => {
        const mine = today.filter((a) => a.staffId === s.id);
        const rows = mine
          .map((a) => {
            const canMark = a.start <= now && (a.status === 'confirmed' || a.status === 'completed' || a.status === 'no_show');
            const form = canMark
              ? `<form method="post" action="${b}/appointments/${esc(a.id)}/status" class="inline">${hidden}
<label class="sr-only" for="st-${esc(a.id)}">Status of ${esc(a.customerName)} at ${esc(time(a.start))}</label>
<select id="st-${esc(a.id)}" name="status"><option value="completed">completed</option><option value="no_show">no-show</option><option value="confirmed">confirmed</option></select>
<button type="submit">Save</button></form>`
              : '';
            return `<tr><td>${esc(time(a.start))}</td><td>${esc(serviceName(a.serviceId))}</td><td>${esc(a.customerName)}<br><span class="muted">${esc(a.customerPhone)}</span></td><td>${esc(a.status)}${form}</td></tr>`;
          })
          .join('');
        return `<h3>${esc(s.name)}</h3>${rows ? `<table><thead><tr><th scope="col">Time</th><th scope="col">Service</th><th scope="col">Customer</th><th scope="col">Status</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted">Nothing booked.</p>'}`;
      })
      .join('');

    // Bookings of services staff confirm first: answered here, oldest request first.
    const awaiting = await deps.store.appointments.awaitingConfirmation(50);
    const awaitingHtml = awaiting.length
      ? `<ul id="awaiting">${awaiting
          .map(
            (a) => `<li>${esc(`${dayName(a.start)} ${time(a.start)}: ${serviceName(a.serviceId)} with ${staffName(a.staffId)}, ${a.customerName}`)} <span class="muted">${esc(a.customerPhone)}</span>
<form method="post" action="${b}/appointments/${esc(a.id)}/decision" class="inline">${hidden}<input type="hidden" name="decision" value="confirmed"><button type="submit">Confirm</button></form>
<form method="post" action="${b}/appointments/${esc(a.id)}/decision" class="inline">${hidden}<input type="hidden" name="decision" value="declined"><button type="submit">Decline</button></form></li>`,
          )
          .join('')}</ul>`
      : '<p class="muted">Nothing waits for confirmation.</p>';

    const week = appts.filter((a) => a.start >= tz.startOfDay(now, 1) && (a.status === 'confirmed' || a.status === 'awaiting_confirmation'));
    const byDay = new Map<string, string[]>();
    for (const a of week) {
      const k = dayName(a.start);
      byDay.set(k, [...(byDay.get(k) ?? []), `${time(a.start)} ${serviceName(a.serviceId)}, ${a.customerName} (${staffName(a.staffId)})`]);
    }
    const weekHtml = byDay.size ? [...byDay].map(([d, items]) => `<h3>${esc(d)}</h3><ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`).join('') : '<p class="muted">Nothing booked in the next seven days.</p>';

    const callbacks = (await deps.store.callbacks.list({ limit: 50 })).filter((c) => c.status === 'pending' || c.status === 'no_answer');
    const cbHtml = callbacks.length
      ? `<ul class="cards">${callbacks
          .map((c) => {
            const allowed = TRANSITIONS[c.status] as readonly CallbackStatus[];
            return `<li><strong>${esc(c.urgency)}</strong> ${esc(c.customerName ?? 'Caller')} <span class="muted">${esc(c.customerPhone)}</span><br>${esc(c.reason)}<br><span class="muted">due ${esc(deps.speech.dateTime(c.dueAt, now))}, ${esc(c.status)}</span>
<form method="post" action="${b}/callbacks/${esc(c.id)}/status" class="inline">${hidden}
<label class="sr-only" for="cb-${esc(c.id)}">New status for ${esc(c.customerName ?? c.customerPhone)}</label>
<select id="cb-${esc(c.id)}" name="status">${allowed.map((s) => `<option value="${esc(s)}">${esc(s.replace('_', ' '))}</option>`).join('')}</select>
<button type="submit">Update</button></form></li>`;
          })
          .join('')}</ul>`
      : '<p class="muted">No open callbacks.</p>';

    let outboxHtml = '<p class="muted">Notifications are not running in this process.</p>';
    if (deps.notifier) {
      const rows = await deps.notifier.outbox.list({ limit: 30 });
      outboxHtml = rows.length
        ? `<table><thead><tr><th scope="col">When</th><th scope="col">Message</th><th scope="col">Status</th></tr></thead><tbody>${rows
            .map((m) => {
              const resend =
                m.status === 'failed' || m.status === 'unknown'
                  ? `<form method="post" action="${b}/outbox/${m.id}/resend" class="inline">${hidden}<button type="submit" aria-label="Resend message ${m.id}">Resend</button></form>`
                  : '';
              return `<tr><td>${esc(deps.speech.dateTime(m.due_at, now))}</td><td>${esc(m.kind)} by ${esc(m.channel)}</td><td>${esc(m.status)}${m.last_error ? `<br><span class="muted">${esc(m.last_error.slice(0, 120))}</span>` : ''}${resend}</td></tr>`;
            })
            .join('')}</tbody></table>`
        : '<p class="muted">No messages yet.</p>';
    }

    // Search by name or phone: a year ahead and a month back, the window a desk is asked about.
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    let searchHtml = '';
    if (q) {
      const digits = q.replace(/\D/g, '');
      const words = q.toLowerCase();
      const found = (await deps.store.appointments.list(now - 30 * DAY, now + 366 * DAY, 5000))
        .filter((a) => a.customerName.toLowerCase().includes(words) || (digits.length >= 3 && a.customerPhone.includes(digits)))
        .slice(0, 50);
      searchHtml = found.length
        ? `<ul id="search-results">${found.map((a) => `<li>${esc(deps.speech.dateTime(a.start, now))}: ${esc(serviceName(a.serviceId))} with ${esc(staffName(a.staffId))}, ${esc(a.customerName)} <span class="muted">${esc(a.customerPhone)}, ${esc(a.status)}</span></li>`).join('')}</ul>`
        : '<p class="muted" id="search-results">No appointments match.</p>';
    }

    // The figures an owner asks for, over the last 30 days of appointment starts.
    const past = (await deps.store.appointments.list(now - 30 * DAY, now, 20000)).filter((a) => a.status !== 'pending');
    const kept = past.filter((a) => a.status !== 'cancelled');
    const cancelled = past.length - kept.length;
    const noShows = past.filter((a) => a.status === 'no_show').length;
    const byHour = new Map<number, number>();
    for (const a of kept) {
      const h = tz.parts(a.start).hour;
      byHour.set(h, (byHour.get(h) ?? 0) + 1);
    }
    const busiest = [...byHour].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0];
    const web = past.filter((a) => a.source === 'web').length;
    const pct = (n: number, of: number) => (of ? `${Math.round((100 * n) / of)}%` : '-');
    // Rows still waiting for their batch are written first, so the figures include the last call.
    await deps.store.calls.flush();
    const calls = await deps.store.calls.callStats(now - 30 * DAY, BOOKING_TOOLS);
    const figures = `<dl class="figures" id="figures">
<div><dt>Appointments</dt><dd>${past.length} (${(past.length / 30).toFixed(1)} a day)</dd></div>
<div><dt>Cancelled</dt><dd>${cancelled} (${pct(cancelled, past.length)})</dd></div>
<div><dt>No-shows</dt><dd>${noShows} (${pct(noShows, kept.length)})</dd></div>
<div><dt>Busiest hour</dt><dd>${busiest ? `${String(busiest[0]).padStart(2, '0')}:00 (${busiest[1]})` : '-'}</dd></div>
<div><dt>Booked online / by phone</dt><dd>${web} / ${past.length - web}</dd></div>
<div><dt>Calls the assistant handled</dt><dd>${calls.calls}</dd></div>
<div><dt>Calls that ended in a booking</dt><dd>${calls.booked} (${pct(calls.booked, calls.calls)})</dd></div>
</dl>`;

    // What failed, last 7 days: messages that did not go out and tool calls that broke.
    const failedMsgs = deps.notifier
      ? [...(await deps.notifier.outbox.list({ status: 'failed', limit: 10 })), ...(await deps.notifier.outbox.list({ status: 'unknown', limit: 10 }))]
          .sort((x, y) => y.id - x.id)
          .slice(0, 10)
      : [];
    const failedCalls = await deps.store.calls.failures(now - 7 * DAY, FAILURE_CODES, 10);
    const failedHtml =
      failedMsgs.length || failedCalls.length
        ? `<ul id="failures">${[
            ...failedMsgs.map((m) => `<li>${esc(deps.speech.dateTime(m.due_at, now))}: message ${esc(m.kind)} by ${esc(m.channel)}, ${esc(m.status)}${m.last_error ? `: <span class="muted">${esc(m.last_error.slice(0, 120))}</span>` : ''}</li>`),
            ...failedCalls.map((c) => `<li>${esc(deps.speech.dateTime(c.at, now))}: ${esc(c.tool)} (${esc(c.platform)}) answered ${esc(c.code)}</li>`),
          ].join('')}</ul>`
        : '<p class="muted" id="failures">Nothing failed in the last seven days.</p>';

    // Google connection health, per staff member who connected one (src/google-connect/health.ts).
    const connections = await deps.store.googleConnections.list();
    const googleHtml = connections.length
      ? `<table id="google"><thead><tr><th scope="col">Staff</th><th scope="col">Status</th><th scope="col">Last check</th></tr></thead><tbody>${connections
          .map(
            (c) =>
              `<tr><td>${esc(staffName(c.staffId))}</td><td>${esc(c.status)}${c.lastError ? `<br><span class="muted">${esc(c.lastError.slice(0, 160))}</span>` : ''}</td><td>${c.lastCheckAt === null ? 'not yet' : esc(deps.speech.dateTime(c.lastCheckAt, now))}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p class="muted">No Google Calendar is connected.</p>';

    send(
      res,
      layout(deps, req, 'Front desk', `<header class="dash-head"><h1>${esc(deps.config.business.name)}</h1>
<form method="post" action="${b}/logout">${hidden}<button type="submit">Sign out</button></form></header>
${notice}
<form method="get" action="${b}" class="inline" role="search"><label for="q">Find appointments by name or phone</label><input id="q" name="q" value="${esc(q)}" type="search"><button type="submit">Search</button></form>
${searchHtml}
<section aria-labelledby="h-awaiting"><h2 id="h-awaiting">To confirm</h2>${awaitingHtml}</section>
<section aria-labelledby="h-today"><h2 id="h-today">Today, ${esc(dayName(now))}</h2>${todayHtml}</section>
<section aria-labelledby="h-week"><h2 id="h-week">Next seven days</h2>${weekHtml}</section>
<section aria-labelledby="h-cb"><h2 id="h-cb">Callbacks (most urgent first)</h2>${cbHtml}</section>
<section aria-labelledby="h-out"><h2 id="h-out">Messages</h2>${outboxHtml}</section>
<section aria-labelledby="h-fig"><h2 id="h-fig">Last 30 days</h2>${figures}</section>
<section aria-labelledby="h-fail"><h2 id="h-fail">What failed</h2>${failedHtml}</section>
<section aria-labelledby="h-google"><h2 id="h-google">Google Calendar connections</h2>${googleHtml}</section>`),
    );
  });

  const back = (req: Request, res: Response, done: string) => res.redirect(303, `${base(req)}?done=${encodeURIComponent(done)}`);

  r.post('/appointments/:id/status', async (req, res) => {
    const to = req.body?.status;
    if (to !== 'completed' && to !== 'no_show' && to !== 'confirmed') return back(req, res, 'Choose a status.');
    const out = await markOutcome(deps, req.params.id, to, 'dashboard', null);
    back(req, res, out.ok ? `Marked ${to.replace('_', '-')}.` : out.reason === 'not_started' ? 'It has not started yet.' : 'That status change is not possible.');
  });

  r.post('/appointments/:id/decision', async (req, res) => {
    const to = req.body?.decision;
    if (to !== 'confirmed' && to !== 'declined') return back(req, res, 'Choose confirm or decline.');
    const out = await decideBooking(deps, req.params.id, to, 'dashboard', null);
    back(req, res, out.ok ? (to === 'confirmed' ? 'Confirmed; the customer is told.' : 'Declined; the time is free again and the customer is told.') : 'It no longer waits for confirmation.');
  });

  r.post('/callbacks/:id/status', async (req, res) => {
    const to = req.body?.status as CallbackStatus;
    if (!(CALLBACK_STATUSES as readonly string[]).includes(to)) return back(req, res, 'Choose a status.');
    const out = await changeStatus(deps, req.params.id, { status: to, by: 'dashboard' });
    back(req, res, out.ok ? `Callback marked ${to.replace('_', ' ')}.` : 'That status change is not possible.');
  });

  r.post('/outbox/:id/resend', async (req, res) => {
    const id = Number(req.params.id);
    const ok = deps.notifier && Number.isInteger(id) ? await deps.notifier.outbox.requeue(id, deps.clock.now()) : false;
    back(req, res, ok ? 'Queued to send again.' : 'Only a failed message can be sent again.');
  });

  return r;
}
