/**
 * Token health of connected Google accounts. Each check refreshes the access token (proactively:
 * a token that died is found here, not by a caller trying to book) and makes one cheap call
 * (calendarList, one entry). Outcomes:
 *   healthy   refresh and call worked;
 *   expiring  they worked, but Google said the grant itself ends within EXPIRING_MS;
 *   revoked   the token endpoint answered invalid_grant: final, only a reconnect helps;
 *   error     anything else (Google down, calendar access lost): retried at the next check.
 * The business is told (SMS to the business phone, else e-mail to the business address) with a
 * reconnect link, at most once a day per connection; a single transient error is not worth a
 * message, a second one in a row is.
 *
 * Several instances check the same connections: a lease row (the store's `takeLease`) makes one of
 * them do it, so one refresh token is never refreshed concurrently from two processes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { recordTokenRefresh } from '../metrics/index.js';
import type { GoogleConnection, GoogleConnectionStatus } from '../store/ports.js';
import { type ConnectDeps, connectionsChanged, connectSettings, createConnectLink, describeGoogleError, oauthClient, openRefreshToken } from './connect.js';

const DAY_MS = 86_400_000;
const EXPIRING_MS = 2 * DAY_MS;
const LEASE_MS = 60_000;
/** This process, as a lease owner. */
const INSTANCE = `instance-${randomUUID()}`;

export interface CheckResult {
  staffId: string;
  status: GoogleConnectionStatus;
  error: string | null;
  alerted: boolean;
  /** False when another instance held the lease (nothing was done). */
  checked: boolean;
}

function isInvalidGrant(err: unknown): boolean {
  const e = err as { message?: unknown; response?: { data?: { error?: unknown } } };
  return e?.response?.data?.error === 'invalid_grant' || e?.message === 'invalid_grant';
}

async function probe(deps: ConnectDeps, c: GoogleConnection, refreshToken: string): Promise<{ status: GoogleConnectionStatus; error: string | null }> {
  const s = connectSettings(deps.settings);
  if ('missing' in s) return { status: 'error', error: s.missing };
  const client = await oauthClient(s, refreshToken);
  const now = deps.clock.now();
  try {
    await client.refreshAccessToken();
    recordTokenRefresh(deps.store.businessId, 'ok');
    await deps.store.googleConnections.audit(c.staffId, { ok: true, error: null, actor: INSTANCE }, now);
  } catch (err) {
    const d = describeGoogleError(err);
    const revoked = isInvalidGrant(err);
    recordTokenRefresh(deps.store.businessId, revoked ? 'invalid_grant' : 'error');
    const error = revoked ? 'Google refused the refresh token (invalid_grant): access was revoked or has expired.' : `token refresh failed: ${d.error ?? d.status ?? d.message}`;
    await deps.store.googleConnections.audit(c.staffId, { ok: false, error, actor: INSTANCE }, now);
    return { status: revoked ? 'revoked' : 'error', error };
  }
  try {
    const url = new URL('calendar/v3/users/me/calendarList', s.apiRoot);
    url.searchParams.set('maxResults', '1');
    await client.request({ url: url.toString() });
  } catch (err) {
    const d = describeGoogleError(err);
    return { status: 'error', error: `calendar check failed: HTTP ${d.status ?? '?'}${d.error ? ` ${d.error}` : ''}` };
  }
  if (c.refreshExpiresAt !== null && c.refreshExpiresAt - now < EXPIRING_MS) {
    return { status: 'expiring', error: `Google ends this grant on ${new Date(c.refreshExpiresAt).toISOString()}; reconnect before then.` };
  }
  return { status: 'healthy', error: null };
}

function alertText(deps: ConnectDeps, staffName: string, status: GoogleConnectionStatus, link: string): string {
  const what = status === 'revoked' ? 'was disconnected by Google' : status === 'expiring' ? 'will stop working soon' : 'is not working';
  return `${deps.config.business.name}: the Google Calendar of ${staffName} ${what}, so their bookings are paused. Reconnect it here: ${link}`;
}

async function alert(deps: ConnectDeps, c: GoogleConnection, status: GoogleConnectionStatus, now: number): Promise<{ to: string; channel: 'sms' | 'email'; body: string; link: string } | undefined> {
  const phone = deps.config.business.phone;
  const email = deps.config.business.email;
  if (!phone && !email) {
    deps.logger.warn({ staff: c.staffId, status }, 'google connection needs attention, but the business has no phone or email to tell');
    return undefined;
  }
  const staffName = deps.config.staff.find((m) => m.id === c.staffId)?.name ?? c.staffId;
  const { url } = await createConnectLink(deps, c.staffId);
  return { to: phone ?? email!, channel: phone ? 'sms' : 'email', body: alertText(deps, staffName, status, url), link: url };
}

/** Checks one connection (unless another instance is checking it) and records the outcome. */
export async function checkConnection(deps: ConnectDeps, staffId: string): Promise<CheckResult | undefined> {
  const repo = deps.store.googleConnections;
  const now = deps.clock.now();
  if (!(await repo.takeLease(staffId, INSTANCE, now, LEASE_MS))) return { staffId, status: 'healthy', error: null, alerted: false, checked: false };
  try {
    const c = await repo.get(staffId);
    if (!c) return undefined;
    const s = connectSettings(deps.settings);
    let outcome: { status: GoogleConnectionStatus; error: string | null };
    if (c.status === 'revoked') {
      // invalid_grant is final: asking Google again would only add an audit row.
      outcome = { status: 'revoked', error: c.lastError };
    } else if ('missing' in s) {
      outcome = { status: 'error', error: s.missing };
    } else {
      let token: string | undefined;
      try {
        token = openRefreshToken(s.keyring, deps.store.businessId, c);
      } catch {
        token = undefined;
      }
      outcome = token === undefined ? { status: 'error', error: 'the stored token cannot be opened with BOOKLINE_ENCRYPTION_KEY' } : await probe(deps, c, token);
    }
    const worthTelling =
      outcome.status === 'revoked' || outcome.status === 'expiring' || (outcome.status === 'error' && c.status === 'error');
    const due = worthTelling && (c.alertedAt === null || now - c.alertedAt >= DAY_MS);
    const message = due ? await alert(deps, c, outcome.status, now) : undefined;
    await deps.store.withTransaction(async (tx) => {
      if (message) {
        await tx.outbox.enqueue(
          {
            // One a day per connection, whichever instance gets here.
            dedupeKey: `connection:${staffId}:${Math.floor(now / DAY_MS)}`,
            appointmentId: null,
            kind: 'connection',
            audience: 'staff',
            channel: message.channel,
            to: message.to,
            body: message.body,
            ...(message.channel === 'email' && { subject: `Reconnect Google Calendar for ${deps.config.business.name}` }),
            dueAt: now,
          },
          now,
        );
      }
      await tx.googleConnections.recordCheck(staffId, { status: outcome.status, error: outcome.error, alerted: message !== undefined }, now);
    });
    if (outcome.status !== c.status) {
      connectionsChanged(deps.store.businessId);
      deps.logger[outcome.status === 'healthy' ? 'info' : 'warn']({ staff: staffId, from: c.status, to: outcome.status, error: outcome.error }, 'google connection status changed');
    }
    return { staffId, ...outcome, alerted: message !== undefined, checked: true };
  } finally {
    await repo.releaseLease(staffId, INSTANCE);
  }
}

/** Every connection of one business, one after the other (they are few per business). */
export async function runHealthChecks(deps: ConnectDeps): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of await deps.store.googleConnections.list()) {
    try {
      const r = await checkConnection(deps, c.staffId);
      if (r) out.push(r);
    } catch (err) {
      deps.logger.error({ err, staff: c.staffId }, 'google connection check failed');
    }
  }
  return out;
}

/** The server's timer: every `intervalMs`, the connections of every business it serves. */
export function startHealthMonitor(settings: ConnectDeps['settings'], businesses: () => ConnectDeps[], logger: Logger): { stop(): void } {
  const intervalMs = settings.GOOGLE_HEALTH_INTERVAL_MS;
  if (intervalMs <= 0 || 'missing' in connectSettings(settings)) return { stop() {} };
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    Promise.all(businesses().map((d) => runHealthChecks(d)))
      .catch((err: unknown) => logger.error({ err }, 'google connection checks failed'))
      .finally(() => (running = false));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
