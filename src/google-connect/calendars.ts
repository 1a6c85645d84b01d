/**
 * Staff members with a connected Google account have their bookings in the calendar chosen for
 * them, whatever the business file or CALENDAR_PROVIDER says: a stored connection wins. Everyone
 * else stays on the calendar built from the configuration (embedded, Google via env, Graph...).
 *
 * Connections are re-read from the store when this process changed one, and at most every
 * REFRESH_MS otherwise (another instance may have connected someone). A revoked connection keeps
 * its staff member on Google: their calendar then answers "unavailable" (and the monitor tells the
 * business) rather than falling back to a calendar that does not hold their real appointments.
 */
import type { Logger } from 'pino';
import { withCreateCleanup } from '../calendar/cleanup.js';
import type { CalendarAdapter, CalendarEventInput, CalendarHealth, EventTimes, FreeBusyResult, Interval, StoreEventWriter } from '../calendar/provider.js';
import type { BusinessConfig } from '../config/business.js';
import type { Env } from '../config/env.js';
import type { Clock } from '../domain/clock.js';
import { recordTokenRefresh } from '../metrics/index.js';
import { describeFailure } from '../resilience/classify.js';
import type { RemotePolicy } from '../resilience/policy.js';
import type { BusinessStore, GoogleConnection } from '../store/ports.js';
import { connectionsGeneration, connectSettings, openRefreshToken } from './connect.js';

const REFRESH_MS = 10_000;

export interface ConnectedCalendarsDeps {
  settings: Env;
  store: BusinessStore;
  clock: Clock;
  config: BusinessConfig;
  logger: Logger;
}

interface Route {
  staffId: string;
  key: string;
  googleCalendarId: string;
  adapter: CalendarAdapter;
}

export class ConnectedCalendars implements CalendarAdapter {
  readonly capabilities;
  /** Read by embeddedCalendarOf (admin time off stays on the embedded calendar). */
  readonly inner: CalendarAdapter;
  private routes = new Map<string, Route>();
  private loadedAt = -Infinity;
  private generation = -1;
  private loading: Promise<void> | undefined;
  private policy: RemotePolicy | undefined;
  private statuses = new Map<string, GoogleConnection['status']>();
  private lastNotice = new Map<string, number>();

  constructor(
    inner: CalendarAdapter,
    private readonly deps: ConnectedCalendarsDeps,
  ) {
    this.inner = inner;
    this.capabilities = inner.capabilities;
    // Loaded at once: storeWriter is synchronous and must already know who is on Google.
    void this.current().catch((err: unknown) => deps.logger.warn({ err }, 'google connections could not be read yet'));
  }

  get name(): string {
    return this.routes.size > 0 && !this.inner.name.includes('google') ? `${this.inner.name}+google` : this.inner.name;
  }

  /** The staff member's calendar id (from the business file) -> their connected Google calendar. */
  private async current(): Promise<Map<string, Route>> {
    const gen = connectionsGeneration(this.deps.store.businessId);
    if (gen === this.generation && this.deps.clock.now() - this.loadedAt < REFRESH_MS) return this.routes;
    this.loading ??= this.load(gen).finally(() => (this.loading = undefined));
    await this.loading;
    return this.routes;
  }

  private async load(gen: number): Promise<void> {
    const s = connectSettings(this.deps.settings);
    const list = await this.deps.store.googleConnections.list();
    const next = new Map<string, Route>();
    this.statuses = new Map(list.map((c) => [c.staffId, c.status]));
    if (!('missing' in s)) {
      for (const c of list) {
        const staff = this.deps.config.staff.find((m) => m.id === c.staffId);
        if (!staff || c.calendarId === null) continue;
        const calendarId = staff.calendarId ?? staff.id;
        const key = `${c.refreshTokenSealed}|${c.calendarId}`;
        const old = this.routes.get(calendarId);
        if (old?.key === key) {
          next.set(calendarId, old);
          continue;
        }
        try {
          next.set(calendarId, { staffId: c.staffId, key, googleCalendarId: c.calendarId, adapter: await this.build(c.staffId, openRefreshToken(s.keyring, this.deps.store.businessId, c), s) });
        } catch (err) {
          this.deps.logger.error({ err, staff: c.staffId }, 'google connection cannot be opened (wrong BOOKLINE_ENCRYPTION_KEY?)');
        }
      }
    }
    this.routes = next;
    this.loadedAt = this.deps.clock.now();
    this.generation = gen;
  }

  private async build(staffId: string, refreshToken: string, s: Exclude<ReturnType<typeof connectSettings>, { missing: string }>): Promise<CalendarAdapter> {
    const [{ GoogleCalendarProvider }, { authClientOf, buildGoogleCalendarClient }, { createRemotePolicy, remotePolicyOptionsFromEnv }] = await Promise.all([
      import('../calendar/google.js'),
      import('../calendar/google-client.js'),
      import('../resilience/policy.js'),
    ]);
    const logger = this.deps.logger.child({ calendar: 'google-connected' });
    this.policy ??= createRemotePolicy({ name: 'google-calendar', logger, ...remotePolicyOptionsFromEnv(this.deps.settings) });
    const client = buildGoogleCalendarClient({
      auth: { kind: 'oauth', clientId: s.clientId, clientSecret: s.clientSecret, refreshToken },
      rootUrl: s.apiRoot,
      ...(s.endpoints.oauth2TokenUrl !== undefined && { tokenUrl: s.endpoints.oauth2TokenUrl }),
    });
    // The library refreshes on its own when booking needs a token: each of those gets an audit row too.
    authClientOf(client)?.on('tokens', () => {
      recordTokenRefresh(this.deps.store.businessId, 'ok');
      this.deps.store.googleConnections
        .audit(staffId, { ok: true, error: null, actor: 'booking' }, this.deps.clock.now())
        .catch((err: unknown) => logger.warn({ err, staff: staffId }, 'refresh audit row not written'));
    });
    const google = new GoogleCalendarProvider({ client, policy: this.policy, timeZone: this.deps.config.business.timeZone, sendUpdates: this.deps.settings.GOOGLE_SEND_UPDATES, logger });
    return withCreateCleanup(google, {
      logger,
      onOrphan: (orphan) => logger.error({ orphan }, 'a calendar event may be left without an appointment; remove it by hand'),
    });
  }

  /**
   * After a failed call: when Google refused the refresh token, the connection is checked (and
   * marked, and the business told) now instead of at the monitor's next run. At most once a minute
   * per staff member, so a burst of failing calls costs one check.
   */
  private async notice(route: Route): Promise<void> {
    const h = route.adapter.health();
    if (h.ok || !h.detail?.includes('invalid_grant')) return;
    const now = this.deps.clock.now();
    if (now - (this.lastNotice.get(route.staffId) ?? -Infinity) < 60_000) return;
    this.lastNotice.set(route.staffId, now);
    const { checkConnection } = await import('./health.js');
    await checkConnection(this.deps, route.staffId).catch((err: unknown) => this.deps.logger.warn({ err, staff: route.staffId }, 'google connection check failed'));
  }

  private async guarded<T>(route: Route, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      await this.notice(route);
      throw err;
    }
  }

  async refreshRoutes(): Promise<void> {
    await this.current();
    await this.inner.refreshRoutes?.();
  }

  storeWriter(calendarId: string): StoreEventWriter | undefined {
    // Synchronous: the booking path awaits refreshRoutes first; a staff member connected within
    // the last refresh window may still be written locally once.
    if (this.routes.has(calendarId)) return undefined;
    return this.inner.storeWriter?.(calendarId);
  }

  async freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult> {
    const routes = await this.current();
    const own = calendarIds.filter((id) => !routes.has(id));
    const result: FreeBusyResult = { busy: new Map(), errors: new Map() };
    const jobs: Promise<void>[] = [];
    if (own.length) {
      jobs.push(
        this.inner.freeBusy(own, range, signal).then((r) => {
          for (const [k, v] of r.busy) result.busy.set(k, v);
          for (const [k, v] of r.errors) result.errors.set(k, v);
        }),
      );
    }
    for (const id of new Set(calendarIds)) {
      const route = routes.get(id);
      if (!route) continue;
      jobs.push(
        route.adapter.freeBusy([route.googleCalendarId], range, signal).then(
          async (r) => {
            const busy = r.busy.get(route.googleCalendarId);
            const error = r.errors.get(route.googleCalendarId);
            if (busy) result.busy.set(id, busy);
            if (error !== undefined) {
              result.errors.set(id, error);
              await this.notice(route);
            }
          },
          async (err: unknown) => {
            const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
            result.errors.set(id, `google: ${describeFailure(cause)}`);
            await this.notice(route);
          },
        ),
      );
    }
    await Promise.all(jobs);
    return result;
  }

  async createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }> {
    const route = (await this.current()).get(input.calendarId);
    return route ? this.guarded(route, () => route.adapter.createEvent({ ...input, calendarId: route.googleCalendarId }, signal)) : this.inner.createEvent(input, signal);
  }

  async moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void> {
    const route = (await this.current()).get(calendarId);
    return route ? this.guarded(route, () => route.adapter.moveEvent(route.googleCalendarId, eventId, times, signal)) : this.inner.moveEvent(calendarId, eventId, times, signal);
  }

  async cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void> {
    const route = (await this.current()).get(calendarId);
    return route ? this.guarded(route, () => route.adapter.cancelEvent(route.googleCalendarId, eventId, signal)) : this.inner.cancelEvent(calendarId, eventId, signal);
  }

  async removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean> {
    const route = (await this.current()).get(calendarId);
    return route ? this.guarded(route, () => route.adapter.removeByKey(route.googleCalendarId, appointmentId, signal)) : this.inner.removeByKey(calendarId, appointmentId, signal);
  }

  /** Ready as the inner calendar is: a revoked connection degrades its staff member, not the process. */
  health(): CalendarHealth {
    const h = this.inner.health();
    const bad = [...this.statuses].filter(([, st]) => st === 'revoked' || st === 'error').map(([staff, st]) => `google connection of ${staff}: ${st}`);
    if (bad.length === 0) return h;
    return { ok: h.ok, detail: [h.detail, ...bad].filter(Boolean).join('; ') };
  }
}

/** Wraps `calendar` when the deployment can connect Google accounts; otherwise returns it as is. */
export function withGoogleConnections(calendar: CalendarAdapter, deps: ConnectedCalendarsDeps): CalendarAdapter {
  return 'missing' in connectSettings(deps.settings) ? calendar : new ConnectedCalendars(calendar, deps);
}
