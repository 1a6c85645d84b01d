/**
 * Builds the two-way sync for a business whose staff calendars (some or all) are on Google, from
 * the calendar the booking layer holds: the same adapter, client and policy, so sync traffic is
 * under the same retries and breaker as bookings.
 */
import type { Deps } from '../../deps.js';
import { GoogleCalendarProvider } from '../google.js';
import type { CalendarAdapter } from '../provider.js';
import { StaffCalendars } from '../staff.js';
import { GoogleCalendarSync, type GoogleSyncOptions } from './google-sync.js';

export { GoogleCalendarSync, type GoogleSyncOptions, type SyncReport } from './google-sync.js';

import { GOOGLE_WEBHOOK_PATH } from './path.js';

export { GOOGLE_WEBHOOK_PATH } from './path.js';

/** Google adapter and the calendar ids routed to it, unwrapping the cleanup and the per-staff router. */
function googleCalendarsOf(calendar: CalendarAdapter, calendarIds: readonly string[]): { google: GoogleCalendarProvider; ids: string[] } | undefined {
  let cur: unknown = calendar;
  for (let depth = 0; depth < 4 && cur; depth++) {
    if (cur instanceof GoogleCalendarProvider) return { google: cur, ids: [...new Set(calendarIds)] };
    if (cur instanceof StaffCalendars) {
      const router = cur;
      const google = router.find<GoogleCalendarProvider>('google');
      if (!(google instanceof GoogleCalendarProvider)) return undefined;
      return { google, ids: [...new Set(calendarIds.filter((id) => router.adapterFor(id) === google))] };
    }
    if (typeof cur === 'object' && cur !== null && 'inner' in cur) cur = (cur as { inner: unknown }).inner;
    else break;
  }
  return undefined;
}

/** Where Google should post, or undefined when push is off or there is no public address. */
export function webhookUrlFrom(settings: Deps['settings']): string | undefined {
  if (settings.GOOGLE_WATCH === 'off' || !settings.PUBLIC_BASE_URL_SET) return undefined;
  return `${settings.PUBLIC_BASE_URL.replace(/\/+$/, '')}${GOOGLE_WEBHOOK_PATH}`;
}

/** Attaches `deps.calendarSync` when some staff calendar is on Google; returns it. */
export function attachCalendarSync(deps: Deps, over: Partial<GoogleSyncOptions> = {}): GoogleCalendarSync | undefined {
  const found = googleCalendarsOf(deps.calendar, deps.config.staff.map((s) => s.calendarId));
  if (!found || found.ids.length === 0) return undefined;
  const s = deps.settings;
  const sync = new GoogleCalendarSync(deps, found.google, found.ids, {
    intervalMs: s.GOOGLE_SYNC_INTERVAL_MS,
    leaseMs: s.GOOGLE_SYNC_LEASE_MS,
    webhookUrl: webhookUrlFrom(s),
    channelTtlSec: s.GOOGLE_WATCH_TTL_SECONDS,
    renewBeforeMs: s.GOOGLE_WATCH_RENEW_BEFORE_MS,
    mirrorFreshMs: s.GOOGLE_MIRROR_FRESH_MS,
    ...over,
  });
  deps.calendarSync = sync;
  return sync;
}
