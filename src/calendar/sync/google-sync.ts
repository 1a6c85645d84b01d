/**
 * Two-way sync with Google Calendar: what staff change in Google reaches our appointments.
 *
 * Per (business, staff calendar): an incremental events.list from the stored syncToken (a full
 * listing on the first run and after 410), each change applied in its own unit of work:
 * - our event (found by the appointment id in extendedProperties.private, or by the event id we
 *   derive from the appointment id; never by iCalUID, since a tombstone may carry only its id)
 *   moved -> the appointment moves, keeping its own buffers; the planner (a change listener) then
 *   re-plans reminders and tells the customer in the same transaction;
 * - ours deleted or cancelled -> the appointment is cancelled, reminders stop, the customer is told;
 * - ours moved onto another live booking -> our store keeps the old time (the overlap guard and the
 *   Postgres exclusion constraint forbid a double booking, and Google still holds the staff
 *   member's new time), a conflict is recorded for the admin API and the business is told;
 * - anything else only changes busy time, which freeBusy already reports.
 * Applying a change twice changes nothing: an event whose times equal the appointment's is skipped,
 * a cancel of a cancelled appointment is a no-op, a conflict is keyed by appointment and times.
 *
 * One sync per calendar at a time across instances: a lease row in the store (calendar_sync). A
 * notification arriving while another instance holds it bumps a request counter the holder reads
 * when it finishes, so it runs once more instead of the change waiting for the periodic backstop.
 */
import { randomBytes } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import type { Logger } from 'pino';
import type { KeyedMutex } from '../../booking/locks.js';
import type { BusinessConfig } from '../../config/business.js';
import type { Appointment } from '../../domain/appointment.js';
import type { Clock } from '../../domain/clock.js';
import { normalizePhone } from '../../domain/phone.js';
import type { Speech } from '../../domain/speech.js';
import { safeEqual } from '../../http/auth.js';
import { describeFailure } from '../../resilience/classify.js';
import type { BusinessStore, Repos, WatchChannel } from '../../store/ports.js';
import type { FreeBusyResult } from '../provider.js';
import { appointmentIdFromGoogleEventId, googleEventTime, PROP, SyncTokenExpiredError, type GoogleCalendarProvider } from '../google.js';

export interface GoogleSyncOptions {
  /** Periodic backstop: a calendar not synced for this long is synced by `runDue`. 0 = off. */
  intervalMs: number;
  /** How long a sync may hold a calendar before another instance may take over (a crashed holder). */
  leaseMs: number;
  /** Where Google posts notifications (https, this business's /webhooks/google/calendar); undefined = no push. */
  webhookUrl?: string | undefined;
  /** Lifetime asked for a channel (Google may give less). */
  channelTtlSec: number;
  /** A channel expiring within this is replaced. */
  renewBeforeMs: number;
  /**
   * Searches answer from the local busy mirror while every calendar asked about synced within this
   * and (with push) has a live channel. 0 = always ask Google.
   */
  mirrorFreshMs?: number;
}

export interface GoogleSyncDeps {
  config: BusinessConfig;
  store: BusinessStore;
  clock: Clock;
  logger: Logger;
  speech: Speech;
  /** The booking layer's per-staff lock: a sync change waits for a reschedule or cancel in flight here. */
  locks: KeyedMutex;
}

export interface SyncReport {
  calendarId: string;
  state: 'synced' | 'busy' | 'failed';
  full: boolean;
  pages: number;
  moved: number;
  cancelled: number;
  conflicts: number;
  unchanged: number;
  foreign: number;
  error?: string;
}

/** What the receiver answers Google (and a spoofed caller). */
export interface NotificationAnswer {
  status: number;
  scheduled: boolean;
}

export class GoogleCalendarSync {
  readonly owner: string;
  private readonly running = new Map<string, Promise<SyncReport>>();
  private readonly rerun = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: GoogleSyncDeps,
    private readonly google: GoogleCalendarProvider,
    /** Calendar ids of the staff whose calendars live on this Google account. */
    private readonly calendarIds: readonly string[],
    private readonly opts: GoogleSyncOptions,
  ) {
    this.owner = `sync-${randomBytes(6).toString('hex')}`;
  }

  calendars(): readonly string[] {
    return this.calendarIds;
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling

  /** Every calendar whose last sync is older than the interval (or never ran); channels renewed. */
  async runDue(): Promise<SyncReport[]> {
    const now = this.deps.clock.now();
    const states = new Map((await this.deps.store.calendarSync.states()).map((s) => [s.calendarId, s]));
    const due = this.calendarIds.filter((id) => {
      const s = states.get(id);
      return !s?.syncedAt || now - s.syncedAt >= this.opts.intervalMs || (s.errorCount ?? 0) > 0;
    });
    const reports = await Promise.all(due.map((id) => this.sync(id)));
    if (this.opts.webhookUrl) await this.ensureChannels().catch((err: unknown) => this.deps.logger.warn({ failure: describeFailure(err) }, 'Google watch channels could not be renewed; the periodic sync still runs'));
    return reports;
  }

  /** Syncs every calendar now. */
  syncAll(): Promise<SyncReport[]> {
    return Promise.all(this.calendarIds.map((id) => this.sync(id)));
  }

  /**
   * Syncs one calendar; a second call while one runs in this process joins it and runs once more
   * after it (the change that prompted the call may have landed after the listing began).
   */
  sync(calendarId: string): Promise<SyncReport> {
    const current = this.running.get(calendarId);
    if (current) {
      this.rerun.add(calendarId);
      return current;
    }
    const run = (async () => {
      let total: SyncReport | undefined;
      do {
        this.rerun.delete(calendarId);
        const r = await this.syncOnce(calendarId);
        // What every pass applied, and how the last one ended.
        total = total ? { ...r, full: total.full || r.full, pages: total.pages + r.pages, moved: total.moved + r.moved, cancelled: total.cancelled + r.cancelled, conflicts: total.conflicts + r.conflicts, unchanged: total.unchanged + r.unchanged, foreign: total.foreign + r.foreign } : r;
      } while (this.rerun.has(calendarId));
      return total;
    })().finally(() => this.running.delete(calendarId));
    this.running.set(calendarId, run);
    return run;
  }

  /** Resolves when every sync this process started (push-triggered included) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.background.size > 0) {
      await Promise.allSettled([...this.running.values(), ...this.background]);
    }
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p
      .catch((err: unknown) => this.deps.logger.error({ failure: describeFailure(err) }, 'background calendar sync failed'))
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  // ---------------------------------------------------------------------------------------------
  // One sync

  private async syncOnce(calendarId: string): Promise<SyncReport> {
    const report: SyncReport = { calendarId, state: 'synced', full: false, pages: 0, moved: 0, cancelled: 0, conflicts: 0, unchanged: 0, foreign: 0 };
    const repo = this.deps.store.calendarSync;
    const seen = await repo.acquire(calendarId, this.owner, this.deps.clock.now(), this.opts.leaseMs);
    if (seen === undefined) {
      // Another instance is syncing this calendar; it re-runs for the request recorded before us.
      report.state = 'busy';
      return report;
    }
    let again = false;
    try {
      const state = await repo.state(calendarId);
      let token: string | undefined;
      try {
        token = await this.pass(calendarId, state?.syncToken ?? undefined, report);
      } catch (err) {
        if (!(err instanceof SyncTokenExpiredError)) throw err;
        this.deps.logger.info({ calendarId }, 'Google sync token expired (410): running a full sync');
        report.full = true;
        token = await this.pass(calendarId, undefined, report);
      }
      if (token === undefined) this.deps.logger.warn({ calendarId }, 'Google gave no nextSyncToken; the next sync will be a full one');
      again = await repo.finish(calendarId, this.owner, seen, { syncToken: token ?? null, fullSync: report.full }, this.deps.clock.now());
    } catch (err) {
      report.state = 'failed';
      report.error = describeFailure(err);
      this.deps.logger.warn({ calendarId, failure: report.error }, 'Google calendar sync failed; it will be retried');
      // No re-run after a failure: the periodic sync retries, and a loop against a failing Google helps no one.
      await repo.finish(calendarId, this.owner, seen, { error: report.error }, this.deps.clock.now()).catch(() => false);
    }
    if (again) this.rerun.add(calendarId);
    if (report.moved || report.cancelled || report.conflicts) this.deps.logger.info({ ...report }, 'applied changes made in Google Calendar');
    return report;
  }

  /** Every page from `syncToken` (or a full listing); returns the token of the last page. */
  private async pass(calendarId: string, syncToken: string | undefined, report: SyncReport): Promise<string | undefined> {
    if (syncToken === undefined) {
      report.full = true;
      // 410 or first run: what the mirror holds may miss deletions; it is rebuilt from this listing.
      await this.deps.store.calendarSync.beginFullSync(calendarId);
    }
    let pageToken: string | undefined;
    for (;;) {
      const page = await this.google.listChanges(calendarId, { ...(syncToken !== undefined && { syncToken }), ...(pageToken !== undefined && { pageToken }) });
      report.pages++;
      for (const ev of page.items) await this.apply(calendarId, ev, report);
      if (!page.nextPageToken) return page.nextSyncToken;
      pageToken = page.nextPageToken;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Applying one change

  private async ours(calendarId: string, ev: calendar_v3.Schema$Event): Promise<Appointment | undefined> {
    if (!ev.id) return undefined;
    const fromId = appointmentIdFromGoogleEventId(ev.id);
    const fromProps = ev.extendedProperties?.private?.[PROP.appointmentId];
    const id = fromProps ?? fromId;
    if (!id) return undefined;
    const appt = await this.deps.store.appointments.get(id);
    // The event must be the one this appointment holds, in this calendar: a copied property on a
    // staff member's own event does not make it ours.
    if (!appt || appt.calendarId !== calendarId || (appt.eventId ?? ev.id) !== ev.id) return undefined;
    return appt;
  }

  private async apply(calendarId: string, ev: calendar_v3.Schema$Event, report: SyncReport): Promise<void> {
    if (ev.id) await this.deps.store.calendarSync.setBusy(calendarId, ev.id, this.busyOf(ev));
    const found = await this.ours(calendarId, ev);
    if (!found) {
      report.foreign++;
      return;
    }
    // Under the booking layer's lock, so a reschedule or cancel of ours is either not started or
    // finished (store and Google both written) while we decide.
    await this.deps.locks.run(found.staffId, async () => {
      const appt = await this.ours(calendarId, ev);
      if (!appt || this.changeFor(appt, ev).kind === 'none') {
        report.unchanged++;
        return;
      }
      // The listed version may predate a write of ours that finished while we waited or listed
      // (a reschedule writes the store, then Google): act only on what Google holds now.
      const fresh = (await this.google.getEvent(calendarId, ev.id!)) ?? { id: ev.id!, status: 'cancelled' };
      const current = await this.ours(calendarId, fresh);
      if (current) await this.applyOurs(calendarId, current, fresh, report);
      else report.unchanged++;
    });
  }

  /** The time an event blocks, as freeBusy counts it: not cancelled, not marked free. */
  private busyOf(ev: calendar_v3.Schema$Event): { start: number; end: number } | null {
    if (ev.status === 'cancelled' || ev.transparency === 'transparent') return null;
    const zone = this.deps.config.business.timeZone;
    const start = googleEventTime(ev.start ?? undefined, zone);
    const end = googleEventTime(ev.end ?? undefined, zone);
    return start !== undefined && end !== undefined && end > start ? { start, end } : null;
  }

  /**
   * Busy time from the mirror when it can be trusted for a search: every calendar is ours, its last
   * sync succeeded within `mirrorFreshMs` after a complete listing, and (with push) a channel is
   * live so changes since then would have been pushed. Our own live appointments are added, so a
   * booking made since the last sync is never offered again. Undefined: ask Google.
   */
  async mirrorFreeBusy(calendarIds: readonly string[], range: { start: number; end: number }): Promise<FreeBusyResult | undefined> {
    const freshMs = this.opts.mirrorFreshMs ?? 0;
    if (freshMs <= 0 || calendarIds.length === 0 || !calendarIds.every((id) => this.calendarIds.includes(id))) return undefined;
    const repo = this.deps.store.calendarSync;
    const now = this.deps.clock.now();
    const states = new Map((await repo.states()).map((s) => [s.calendarId, s]));
    const channels = this.opts.webhookUrl ? await repo.liveChannels() : [];
    for (const id of calendarIds) {
      const s = states.get(id);
      if (!s?.mirrorReady || s.syncedAt === null || now - s.syncedAt > freshMs || s.errorCount > 0) return undefined;
      if (this.opts.webhookUrl && !channels.some((c) => c.calendarId === id && c.expiration > now)) return undefined;
    }
    const busy = await repo.busy(calendarIds, range.start, range.end);
    const ours = await this.deps.store.appointments.list(range.start - 86_400_000, range.end, 5000);
    for (const a of ours) {
      if ((a.status === 'confirmed' || a.status === 'pending') && a.blockEnd > range.start && a.blockStart < range.end) busy.get(a.calendarId)?.push({ start: a.blockStart, end: a.blockEnd });
    }
    for (const list of busy.values()) list.sort((a, b) => a.start - b.start || a.end - b.end);
    return { busy, errors: new Map() };
  }

  /** What the event means for the appointment: nothing, a cancel, or new times. */
  private changeFor(appt: Appointment, ev: calendar_v3.Schema$Event): { kind: 'none' } | { kind: 'cancel' } | { kind: 'move'; blockStart: number; blockEnd: number } {
    if (appt.status !== 'confirmed') return { kind: 'none' };
    if (ev.status === 'cancelled') return { kind: 'cancel' };
    const zone = this.deps.config.business.timeZone;
    const blockStart = googleEventTime(ev.start ?? undefined, zone);
    const blockEnd = googleEventTime(ev.end ?? undefined, zone);
    if (blockStart === undefined || blockEnd === undefined || blockEnd <= blockStart) return { kind: 'none' };
    if (blockStart === appt.blockStart && blockEnd === appt.blockEnd) return { kind: 'none' };
    return { kind: 'move', blockStart, blockEnd };
  }

  private async applyOurs(calendarId: string, appt: Appointment, ev: calendar_v3.Schema$Event, report: SyncReport): Promise<void> {
    // pending: a booking of ours in flight (its own write); cancelled/completed/no_show: settled.
    const change = this.changeFor(appt, ev);
    if (change.kind === 'none') {
      report.unchanged++;
      return;
    }
    const now = this.deps.clock.now();
    if (change.kind === 'cancel') {
      const done = await this.deps.store.withTransaction(async (tx) => {
        const c = await tx.appointments.cancel(appt.id, 'cancelled in Google Calendar', now);
        if (c) await tx.calendarSync.resolveConflicts(appt.id, now);
        return c !== undefined;
      });
      if (done) report.cancelled++;
      else report.unchanged++;
      return;
    }
    const { blockStart, blockEnd } = change;
    // Our event spans the blocked time; the appointment inside keeps the buffers it was booked with.
    const before = appt.start - appt.blockStart;
    const after = appt.blockEnd - appt.end;
    let start = blockStart + before;
    let end = blockEnd - after;
    if (end <= start) {
      // Shortened by staff below the buffers: the whole entry is the appointment.
      start = blockStart;
      end = blockEnd;
    }
    const outcome = await this.deps.store.withTransaction(async (tx) => {
      const moved = await tx.appointments.move(appt.id, { start, end, blockStart, blockEnd }, now);
      if (moved) {
        await tx.calendarSync.resolveConflicts(appt.id, now);
        return 'moved' as const;
      }
      const current = await tx.appointments.get(appt.id);
      if (!current || current.status !== 'confirmed') return 'unchanged' as const;
      const other = await this.overlapping(tx, current, blockStart, blockEnd);
      const recorded = await tx.calendarSync.recordConflict({
        appointmentId: appt.id,
        calendarId,
        eventId: ev.id!,
        remoteStart: blockStart,
        remoteEnd: blockEnd,
        otherAppointmentId: other?.id ?? null,
        detectedAt: now,
      });
      if (recorded) await this.tellBusiness(tx, current, other, start, now);
      return 'conflict' as const;
    });
    report[outcome === 'moved' ? 'moved' : outcome === 'conflict' ? 'conflicts' : 'unchanged']++;
  }

  private async overlapping(tx: Repos, appt: Appointment, blockStart: number, blockEnd: number): Promise<Appointment | undefined> {
    // Appointments are listed by start; one starting up to a day earlier can still overlap.
    const near = await tx.appointments.list(blockStart - 86_400_000, blockEnd, 200);
    return near.find(
      (a) => a.id !== appt.id && a.staffId === appt.staffId && (a.status === 'confirmed' || a.status === 'pending') && a.blockStart < blockEnd && a.blockEnd > blockStart,
    );
  }

  /** The business contact (callback escalation number, else the business phone) hears about the clash once. */
  private async tellBusiness(tx: Repos, appt: Appointment, other: Appointment | undefined, newStart: number, now: number): Promise<void> {
    const { config, speech } = this.deps;
    const raw = config.callbacks.escalationPhone ?? config.business.phone;
    const to = raw ? normalizePhone(raw, config.business.phoneRegion) : undefined;
    if (!to) {
      this.deps.logger.warn({ appointmentId: appt.id }, 'calendar conflict recorded but no business phone is set to tell');
      return;
    }
    const service = config.services.find((s) => s.id === appt.serviceId)?.name ?? 'appointment';
    const staff = config.staff.find((s) => s.id === appt.staffId)?.name ?? 'staff';
    const clash = other ? ` on top of ${other.customerName}'s booking` : ' on top of another booking';
    const body =
      `${config.business.name}: ${appt.customerName}'s ${service} with ${staff} was moved in Google Calendar to ${speech.dateTime(newStart, now)}${clash}. ` +
      `Bookline still holds it at ${speech.dateTime(appt.start, now)} and has not told the customer; please settle it.`;
    await tx.outbox.enqueue(
      {
        dedupeKey: `sms:${appt.id}:calendar-conflict:${newStart}`,
        appointmentId: appt.id,
        kind: 'rescheduled',
        audience: 'staff',
        channel: 'sms',
        to,
        body,
        dueAt: now,
      },
      now,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Push

  /**
   * A notification from Google. Answers at once; the sync runs after. `sync` (the channel's first
   * message) needs nothing; any other state means "go and list".
   */
  async onNotification(headers: Record<string, string | undefined>): Promise<NotificationAnswer> {
    const channelId = headers['x-goog-channel-id'];
    const resourceId = headers['x-goog-resource-id'];
    const state = headers['x-goog-resource-state'];
    if (!channelId || !resourceId || !state) return { status: 400, scheduled: false };
    const channel = await this.deps.store.calendarSync.channel(channelId);
    if (!channel) {
      // The first `sync` message can arrive before the watch answer was stored; anything else is
      // an orphan (or a forgery). 200 keeps Google from retrying; nothing runs.
      if (state !== 'sync') this.deps.logger.info({ channelId }, 'notification for a channel we do not hold; ignored');
      return { status: 200, scheduled: false };
    }
    const token = headers['x-goog-channel-token'] ?? '';
    if (!safeEqual(token, channel.token) || channel.resourceId !== resourceId) {
      this.deps.logger.warn({ channelId }, 'calendar notification with a wrong channel token or resource id; refused');
      return { status: 401, scheduled: false };
    }
    if (state === 'sync') return { status: 200, scheduled: false };
    // Recorded before answering, so an instance already syncing this calendar runs once more.
    await this.deps.store.calendarSync.request(channel.calendarId, this.deps.clock.now());
    this.inBackground(this.sync(channel.calendarId));
    return { status: 200, scheduled: true };
  }

  /**
   * One live channel per calendar, replaced before it expires: the new one is created first and the
   * old one stopped after, so there is no moment without a channel (both fire during the overlap,
   * which the lease and idempotent apply absorb).
   */
  async ensureChannels(): Promise<{ created: number; stopped: number }> {
    const url = this.opts.webhookUrl;
    if (!url) return { created: 0, stopped: 0 };
    const repo = this.deps.store.calendarSync;
    let created = 0;
    let stopped = 0;
    for (const calendarId of this.calendarIds) {
      const now = this.deps.clock.now();
      const live = await repo.liveChannels(calendarId);
      const fresh = live.filter((c) => c.expiration - now > this.opts.renewBeforeMs);
      if (fresh.length === 0) {
        const id = `bl-${randomBytes(16).toString('hex')}`;
        const token = randomBytes(24).toString('base64url');
        const made = await this.google.watch(calendarId, { id, address: url, token, ttlSec: this.opts.channelTtlSec });
        const channel: WatchChannel = { channelId: id, calendarId, resourceId: made.resourceId, token, expiration: made.expiration, createdAt: now, stoppedAt: null };
        await repo.addChannel(channel);
        created++;
        fresh.push(channel);
      }
      const keep = fresh.reduce((a, b) => (b.expiration > a.expiration ? b : a));
      for (const old of live) {
        if (old.channelId === keep.channelId || fresh.includes(old)) continue;
        await this.google.stopChannel(old.channelId, old.resourceId);
        await repo.markChannelStopped(old.channelId, now);
        stopped++;
      }
    }
    return { created, stopped };
  }

  /** Stops every channel this business holds (shutdown with GOOGLE_WATCH_STOP_ON_EXIT, or a disconnect). */
  async stopChannels(): Promise<number> {
    const repo = this.deps.store.calendarSync;
    let n = 0;
    for (const c of await repo.liveChannels()) {
      await this.google.stopChannel(c.channelId, c.resourceId);
      await repo.markChannelStopped(c.channelId, this.deps.clock.now());
      n++;
    }
    return n;
  }
}
