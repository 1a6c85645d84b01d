/**
 * What the domain may ask of storage. Nothing outside src/store/ sees a driver, a handle or SQL:
 * modules take these interfaces, and src/store/sql/ implements them twice (SQLite and Postgres)
 * from one set of queries.
 *
 * Every repository is scoped to one business (`Store.forBusiness`): no method can read or change
 * another business's rows, whatever id it is given.
 *
 * A unit of work (`withTransaction`) commits a booking change and the messages it plans together
 * or not at all. Inside it, only store calls may be awaited: no calendar or network I/O, since the
 * transaction holds the write lock (SQLite) or a pooled connection (Postgres) while it runs.
 */
import type { Appointment, AppointmentOutcome, AppointmentStatus, LiveStatus } from '../domain/appointment.js';

export type AppointmentChange =
  | { kind: 'booked'; appointment: Appointment }
  | { kind: 'rescheduled'; appointment: Appointment; previous: Appointment }
  | { kind: 'cancelled'; appointment: Appointment }
  /** Staff confirmed a booking that awaited them: now it is booked. */
  | { kind: 'confirmed'; appointment: Appointment }
  /** Staff (or the timeout) declined a booking that awaited confirmation: its slot is free again. */
  | { kind: 'declined'; appointment: Appointment; automatic: boolean };

/** Runs inside the transaction of the change, with that transaction's repositories. */
export type ChangeListener = (change: AppointmentChange, tx: Repos) => Promise<void>;

export type NewAppointment = Omit<Appointment, 'status' | 'eventId' | 'createdAt' | 'updatedAt' | 'cancelledAt' | 'cancelReason' | 'requestKey'> & {
  requestKey?: string | null;
};

export interface BlockTimes {
  start: number;
  end: number;
  blockStart: number;
  blockEnd: number;
}

export interface AppointmentRepo {
  get(id: string): Promise<Appointment | undefined>;
  /**
   * Takes the staff member's time as a pending appointment unless another live appointment of the
   * same staff member overlaps its blocked interval; false on conflict. Holds across processes.
   */
  reserve(a: NewAppointment, now: number): Promise<boolean>;
  /** The calendar holds the event: the booking is real. Durable when this resolves. */
  confirm(id: string, eventId: string, now: number, announce?: boolean, status?: LiveStatus): Promise<Appointment>;
  /** Gives back a reservation whose calendar write failed. */
  release(id: string): Promise<void>;
  /**
   * Staff's answer to a booking awaiting confirmation (compare-and-set: of two answers only the first
   * counts), with who, when and notes in the history; undefined when it no longer awaits one.
   */
  decide(id: string, to: 'confirmed' | 'cancelled', by: string, notes: string | null, now: number, automatic?: boolean): Promise<Appointment | undefined>;
  /** Bookings still awaiting staff confirmation, oldest first. */
  awaitingConfirmation(limit: number): Promise<Appointment[]>;
  /** Moves a live appointment unless the new time overlaps another; undefined on conflict. */
  move(id: string, times: BlockTimes, now: number, announce?: boolean): Promise<Appointment | undefined>;
  /** Emits the reschedule for a move made with `announce = false`, once the calendar agreed. */
  announceMove(appointment: Appointment, previous: Appointment): Promise<void>;
  cancel(id: string, reason: string | null, now: number, announce?: boolean): Promise<Appointment | undefined>;
  upcomingByPhone(phoneE164: string, now: number): Promise<Appointment[]>;
  /** Live bookings per staff member starting in [from, to): used to spread work fairly. */
  countByStaff(from: number, to: number): Promise<Map<string, number>>;
  byRequestKey(key: string): Promise<Appointment | undefined>;
  stalePending(olderThan: number): Promise<Appointment[]>;
  list(from: number, to: number, limit: number): Promise<Appointment[]>;
  /**
   * Marks what happened after the start (completed, no_show, or back to confirmed), if the status is
   * still `from` and the start has passed; records who, when and notes. Undefined when refused.
   */
  markOutcome(id: string, from: AppointmentStatus, to: AppointmentOutcome, by: string, notes: string | null, now: number): Promise<Appointment | undefined>;
  outcomeHistory(id: string): Promise<{ at: number; fromStatus: AppointmentStatus; toStatus: AppointmentStatus; actor: string; notes: string | null }[]>;
  /** How many of this phone's appointments are marked no_show. */
  noShowCount(phoneE164: string): Promise<number>;
  /** Start of the appointment if it is still confirmed (reminders check this before sending). */
  liveStart(id: string): Promise<{ status: string; start: number } | undefined>;
}

/** Events of the embedded calendar: appointments and blocks (time off). */
export interface CalendarEventRow {
  id: string;
  calendarId: string;
  kind: 'appointment' | 'block';
  appointmentId: string | null;
  start: number;
  end: number;
  blockStart: number;
  blockEnd: number;
  summary: string;
  description: string;
  customerPhone: string | null;
  serviceId: string | null;
}

export interface CalendarEventRepo {
  /** Busy intervals (buffers included) of each calendar overlapping [from, to), sorted by start. */
  busy(calendarIds: readonly string[], from: number, to: number): Promise<Map<string, { start: number; end: number }[]>>;
  byAppointment(appointmentId: string): Promise<{ id: string; status: string } | undefined>;
  /** False when an event with this id exists already. */
  insert(e: CalendarEventRow, now: number): Promise<boolean>;
  move(calendarId: string, id: string, t: BlockTimes, now: number): Promise<boolean>;
  cancel(calendarId: string, id: string, now: number): Promise<void>;
  cancelBlock(id: string, now: number): Promise<boolean>;
  /** Blocks that have not ended by `now`. */
  blocks(now: number): Promise<CalendarEventRow[]>;
  get(calendarId: string, id: string): Promise<(CalendarEventRow & { status: string }) | undefined>;
}

export type Claim =
  | { state: 'claimed' }
  | { state: 'done'; resultJson: string; sameArgs: boolean }
  | { state: 'pending'; sameArgs: boolean };

export interface IdempotencyRepo {
  /** `staleBefore`: a pending claim older than this belonged to a process that died; it is taken over. */
  claim(key: string, tool: string, argsHash: string, now: number, staleBefore?: number): Promise<Claim>;
  peek(key: string): Promise<Claim | undefined>;
  complete(key: string, resultJson: string): Promise<void>;
  release(key: string): Promise<void>;
  purgeOlderThan(cutoff: number): Promise<number>;
}

export interface ToolCallLogEntry {
  at: number;
  platform: string;
  callId: string | null;
  toolCallId: string | null;
  caller: string | null;
  tool: string;
  args: unknown;
  ok: boolean;
  code: string | null;
  result: unknown;
  latencyMs: number;
  replayed: boolean;
}

export interface ToolCallRow {
  id: number;
  at: string;
  platform: string;
  call_id: string | null;
  tool_call_id: string | null;
  caller: string | null;
  tool: string;
  args: unknown;
  ok: boolean;
  code: string | null;
  result: unknown;
  latency_ms: number;
  replayed: boolean;
}

export interface RecordOptions {
  durable?: boolean;
  /**
   * The call's idempotency record, marked done (IdempotencyRepo.complete) in the commit that writes
   * the row instead of one of its own: a booking makes one commit fewer. Should the batch fail, the
   * completion is still made on its own.
   */
  completes?: { key: string; resultJson: string } | undefined;
}

export interface CallLogRepo {
  /**
   * Queues the row and writes it with the next batch (see CallLogBatcher). `durable` waits until the
   * batch holding it is committed: mutating calls use it, read-only calls do not.
   */
  record(e: ToolCallLogEntry, opts?: RecordOptions): Promise<void>;
  /** Newest first. Pass the smallest id of the previous page as `beforeId` for the next one. */
  list(limit: number, beforeId?: number): Promise<ToolCallRow[]>;
  /**
   * Since `since`: how many calls (distinct platform call ids) reached a tool, and how many of them
   * had a successful, non-replayed call of one of `bookingTools`. Web requests carry no call id
   * and are not calls.
   */
  callStats(since: number, bookingTools: readonly string[]): Promise<{ calls: number; booked: number }>;
  /** The newest tool calls since `since` answered with one of `codes`, newest first. */
  failures(since: number, codes: readonly string[], limit: number): Promise<{ at: number; platform: string; tool: string; code: string }[]>;
  purgeOlderThan(cutoff: number): Promise<number>;
  /** Writes every queued row (of any business) now. */
  flush(): Promise<void>;
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'unknown' | 'cancelled' | 'skipped' | 'expired';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'skipped', 'expired'];
export type MessageKind = 'booked' | 'rescheduled' | 'cancelled' | 'reminder' | 'callback' | 'connection';
export type Channel = 'sms' | 'email';
export const CHANNELS: readonly Channel[] = ['sms', 'email'];

/** A file sent with an e-mail (the .ics invite); `content` is text. */
export interface MessageAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface NewMessage {
  /** Same key = same message: a second enqueue is ignored (or revives a cancelled reminder). */
  dedupeKey: string;
  appointmentId: string | null;
  kind: MessageKind;
  audience: 'customer' | 'staff';
  /** Absent = 'sms'. */
  channel?: Channel;
  offsetMinutes?: number | null;
  appointmentStart?: number | null;
  /** A phone number (sms) or an address (email). */
  to: string;
  /** The SMS text, or the plain-text part of an e-mail. */
  body: string;
  subject?: string | null;
  html?: string | null;
  attachments?: MessageAttachment[] | null;
  dueAt: number;
  /** Not sent at or after this instant (a reminder once the appointment has started). */
  expiresAt?: number | null;
}

export interface OutboxRow {
  id: number;
  dedupe_key: string;
  appointment_id: string | null;
  kind: MessageKind;
  audience: 'customer' | 'staff';
  offset_minutes: number | null;
  appointment_start_ms: number | null;
  channel: Channel;
  /** The recipient in the row's channel: a phone number or an e-mail address. */
  to_phone: string;
  body: string;
  subject: string | null;
  html: string | null;
  /** JSON of MessageAttachment[], or null. */
  attachments_json: string | null;
  status: OutboxStatus;
  due_at: number;
  expires_at: number | null;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

export type EnqueueResult = 'inserted' | 'revived' | 'exists';

/** The notification outbox; its life cycle is described in src/notifications/outbox.ts. */
export interface OutboxRepo {
  enqueue(m: NewMessage, now: number): Promise<EnqueueResult>;
  cancelPendingReminders(appointmentId: string, now: number): Promise<number>;
  /** Leases up to `limit` due rows to `owner`; two workers on any instances never lease the same row. */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxRow[]>;
  recoverAbandoned(now: number, opts: { resend: boolean; maxAttempts: number }): Promise<OutboxRow[]>;
  beginAttempt(id: number, owner: string, now: number, leaseMs: number): Promise<number | undefined>;
  markSent(id: number, attempt: number, provider: string, providerId: string, now: number): Promise<boolean>;
  markRetry(id: number, attempt: number, dueAt: number, error: string, now: number): Promise<boolean>;
  markFailed(id: number, attempt: number, error: string, now: number): Promise<boolean>;
  markUnknown(id: number, attempt: number, error: string, now: number): Promise<boolean>;
  finishUnsent(id: number, owner: string, status: 'skipped' | 'expired' | 'cancelled', reason: string, now: number): Promise<boolean>;
  requeue(id: number, now: number): Promise<boolean>;
  get(id: number): Promise<OutboxRow | undefined>;
  byKey(key: string): Promise<OutboxRow | undefined>;
  forAppointment(appointmentId: string): Promise<OutboxRow[]>;
  counts(): Promise<Record<OutboxStatus, number>>;
  nextDue(): Promise<number | undefined>;
  list(opts: { status?: OutboxStatus | undefined; limit: number; before?: number | undefined }): Promise<OutboxRow[]>;
}

/** The iCalendar identity of an appointment's invites. */
export interface InviteRepo {
  /**
   * The UID and the next SEQUENCE for an invite about this appointment (0 for the first). A move
   * to another staff member gives the appointment a new id: `inheritFrom` carries the old id's UID
   * over, so the customer's calendar updates the event instead of adding a second one.
   */
  next(appointmentId: string, now: number, inheritFrom?: string): Promise<{ uid: string; sequence: number }>;
}

/** Telnyx call_control_id -> caller number, as reported at call start. */
export interface CallContextRepo {
  remember(callId: string, caller: string | undefined, now: number, ttlMs: number): Promise<void>;
  callerOf(callId: string, now: number, ttlMs: number): Promise<string | undefined>;
}

/** Sliding-window counters shared by every instance (abuse limits on appointment changes). */
export interface RateLimitRepo {
  /** Records a hit for `key` unless `max` hits already fall in the window; false when refused. */
  take(key: string, max: number, windowMs: number, now: number): Promise<boolean>;
}

/** Most urgent first: the order lists are sorted in. */
export const CALLBACK_URGENCIES = ['urgent', 'high', 'medium', 'low'] as const;
export type CallbackUrgency = (typeof CALLBACK_URGENCIES)[number];
export const CALLBACK_STATUSES = ['pending', 'contacted', 'no_answer', 'completed', 'cancelled'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];
/** Still waiting for someone to reach the caller: a repeat request updates these instead of adding one. */
export const OPEN_CALLBACK_STATUSES: readonly CallbackStatus[] = ['pending', 'no_answer'];

export interface Callback {
  id: string;
  status: CallbackStatus;
  urgency: CallbackUrgency;
  customerName: string;
  customerPhone: string;
  reason: string;
  /** "morning" / "afternoon" / "evening", or a local date-time as the caller gave it. */
  preferredTime: string | null;
  serviceId: string | null;
  assigneeId: string | null;
  /** The promised call-back time. */
  dueAt: number;
  /** When the next attempt is due after an unanswered one; null otherwise. */
  nextAttemptAt: number | null;
  attempts: number;
  lastOutcome: string | null;
  /** Set once, by the overdue sweep, when the window passed with the callback still pending. */
  overdueAt: number | null;
  source: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface CallbackEvent {
  at: number;
  fromStatus: CallbackStatus | null;
  toStatus: CallbackStatus;
  /** Who made the change: a staff id or name, "caller", or "system". */
  actor: string;
  notes: string | null;
  outcome: string | null;
}

export type NewCallback = Pick<Callback, 'id' | 'urgency' | 'customerName' | 'customerPhone' | 'reason' | 'preferredTime' | 'serviceId' | 'assigneeId' | 'dueAt' | 'source'>;

export interface CallbackFilter {
  status?: CallbackStatus | undefined;
  urgency?: CallbackUrgency | undefined;
  /** Marked overdue and still pending or unanswered. */
  overdue?: boolean | undefined;
  assigneeId?: string | undefined;
  limit: number;
}

export interface CallbackRepo {
  /**
   * The time each staff member was last given a callback, read under a business-wide lock held to
   * the end of the transaction: two requests at once on any instances rotate, not collide.
   */
  lastAssigned(): Promise<Map<string, number>>;
  /** The caller's callback still waiting (pending or no_answer), newest first. */
  openByPhone(phoneE164: string): Promise<Callback | undefined>;
  insert(c: NewCallback, now: number): Promise<Callback>;
  /** A repeat request: the newer words, the more urgent urgency, the earlier promise. */
  merge(id: string, change: Pick<Callback, 'urgency' | 'customerName' | 'reason' | 'preferredTime' | 'serviceId' | 'dueAt'>, now: number): Promise<Callback | undefined>;
  get(id: string): Promise<Callback | undefined>;
  /** Moves the status if it is still `from` (a compare-and-set: concurrent edits do not both win). */
  transition(
    id: string,
    from: CallbackStatus,
    change: { status: CallbackStatus; attempts: number; nextAttemptAt: number | null; lastOutcome: string | null },
    now: number,
  ): Promise<Callback | undefined>;
  addEvent(id: string, e: CallbackEvent): Promise<void>;
  events(id: string): Promise<CallbackEvent[]>;
  /** Sorted by urgency, then due time. */
  list(f: CallbackFilter): Promise<Callback[]>;
  /** Marks every pending callback past its window overdue, once; returns the ones this call marked. */
  markOverdue(now: number): Promise<Callback[]>;
  /** Marks every unanswered callback whose next attempt time passed without a new attempt, once per attempt time. */
  markRetryMissed(now: number): Promise<Callback[]>;
}

export const GOOGLE_CONNECTION_STATUSES = ['healthy', 'expiring', 'revoked', 'error'] as const;
export type GoogleConnectionStatus = (typeof GOOGLE_CONNECTION_STATUSES)[number];

/** One staff member's Google account as connected through the consent flow (src/google-connect/). */
export interface GoogleConnection {
  staffId: string;
  /** Sealed with src/config/crypto.ts, the connection (business + staff) bound in as context. */
  refreshTokenSealed: string;
  /** Space-separated, as Google granted them. */
  scopes: string;
  accountEmail: string | null;
  /** Null until the admin picks which of the account's calendars belongs to the staff member. */
  calendarId: string | null;
  calendarTimeZone: string | null;
  status: GoogleConnectionStatus;
  /** When the refresh token itself stops working (time-based grants), if Google said. */
  refreshExpiresAt: number | null;
  lastCheckAt: number | null;
  lastError: string | null;
  /** Last time the business was told about a problem with this connection. */
  alertedAt: number | null;
  connectedAt: number;
  updatedAt: number;
}

export type OAuthStateKind = 'state' | 'link';

export interface GoogleConnectionRepo {
  /** Inserts or replaces the staff member's connection (a reconnect starts healthy again). */
  save(c: Omit<GoogleConnection, 'updatedAt' | 'alertedAt' | 'lastCheckAt' | 'lastError' | 'status'>, now: number): Promise<GoogleConnection>;
  get(staffId: string): Promise<GoogleConnection | undefined>;
  list(): Promise<GoogleConnection[]>;
  setCalendar(staffId: string, calendarId: string, timeZone: string | null, now: number): Promise<GoogleConnection | undefined>;
  /** Records a check; `alerted` marks that the business was told now. */
  recordCheck(staffId: string, change: { status: GoogleConnectionStatus; error: string | null; alerted?: boolean }, now: number): Promise<void>;
  remove(staffId: string): Promise<boolean>;
  /** An audit row per refresh attempt. */
  audit(staffId: string, e: { ok: boolean; error: string | null; actor: string }, now: number): Promise<void>;
  auditLog(staffId: string, limit: number): Promise<{ at: number; ok: boolean; error: string | null; actor: string }[]>;
  /**
   * Takes the refresh lease of a connection for `ttlMs` unless another owner holds an unexpired one:
   * refreshes of one token on several instances take turns (a network call cannot run inside a
   * transaction, so the lock is a lease row, not a held transaction).
   */
  takeLease(staffId: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  releaseLease(staffId: string, owner: string): Promise<void>;
  /** Remembers a single-use nonce (an OAuth state or a one-time link) with its PKCE verifier, sealed. */
  putNonce(n: { nonce: string; kind: OAuthStateKind; staffId: string; secretSealed: string | null; expiresAt: number }, now: number): Promise<void>;
  /** Uses the nonce up: returns it once, if unexpired; never again. */
  consumeNonce(nonce: string, kind: OAuthStateKind, now: number): Promise<{ staffId: string; secretSealed: string | null } | undefined>;
}

/** Where the incremental sync of one remote calendar stands (Google: its syncToken). */
export interface CalendarSyncState {
  calendarId: string;
  syncToken: string | null;
  syncedAt: number | null;
  /** Last time something (a push notification) asked for a sync. */
  requestedAt: number | null;
  lastError: string | null;
  errorCount: number;
  fullSyncs: number;
  /** The busy mirror holds every event of the calendar (a full listing finished since it was wiped). */
  mirrorReady: boolean;
}

/** A push channel (Google events.watch) we created for a calendar. */
export interface WatchChannel {
  channelId: string;
  calendarId: string;
  resourceId: string;
  /** Random secret echoed as X-Goog-Channel-Token; compared in constant time. */
  token: string;
  expiration: number;
  createdAt: number;
  stoppedAt: number | null;
}

/** An appointment moved in the remote calendar onto another booking: kept as is here, for a person to settle. */
export interface SyncConflict {
  appointmentId: string;
  calendarId: string;
  eventId: string;
  /** Where the remote calendar now has it (buffers included). */
  remoteStart: number;
  remoteEnd: number;
  otherAppointmentId: string | null;
  detectedAt: number;
  resolvedAt: number | null;
}

export interface CalendarSyncRepo {
  state(calendarId: string): Promise<CalendarSyncState | undefined>;
  states(): Promise<CalendarSyncState[]>;
  /**
   * Takes the calendar's sync lease unless another owner holds one that has not expired: one sync
   * per calendar at a time across instances. Undefined when someone else is syncing; else the
   * request counter as of now (see `finish`).
   */
  acquire(calendarId: string, owner: string, now: number, leaseMs: number): Promise<number | undefined>;
  /**
   * Gives the lease back, storing the new token (undefined keeps the old one) or the error. True
   * when a sync was requested after `acquire` returned `seenRequests`: the caller should run again.
   * A counter, not a time: with a clock that stands still a time comparison could not tell.
   */
  finish(calendarId: string, owner: string, seenRequests: number, outcome: { syncToken?: string | null; fullSync?: boolean; error?: string }, now: number): Promise<boolean>;
  /** A full listing begins: the busy mirror is wiped and not ready until `finish` succeeds. */
  beginFullSync(calendarId: string): Promise<void>;
  /** One event's busy time in the mirror; null removes it (cancelled, free, or not an event any more). */
  setBusy(calendarId: string, eventId: string, interval: { start: number; end: number } | null): Promise<void>;
  /** Mirrored busy intervals overlapping [from, to), per calendar, sorted by start. */
  busy(calendarIds: readonly string[], from: number, to: number): Promise<Map<string, { start: number; end: number }[]>>;
  /** Someone (a push notification) wants this calendar synced. */
  request(calendarId: string, now: number): Promise<void>;
  addChannel(c: WatchChannel): Promise<void>;
  channel(channelId: string): Promise<WatchChannel | undefined>;
  /** Live (not stopped) channels, of one calendar or all. */
  liveChannels(calendarId?: string): Promise<WatchChannel[]>;
  markChannelStopped(channelId: string, now: number): Promise<void>;
  /** False when this very conflict (same appointment, same remote times) is recorded already. */
  recordConflict(c: Omit<SyncConflict, 'resolvedAt'>): Promise<boolean>;
  resolveConflicts(appointmentId: string, now: number): Promise<number>;
  conflicts(opts: { open?: boolean; limit: number }): Promise<SyncConflict[]>;
}

export interface Repos {
  appointments: AppointmentRepo;
  googleConnections: GoogleConnectionRepo;
  calendarSync: CalendarSyncRepo;
  callbacks: CallbackRepo;
  calendarEvents: CalendarEventRepo;
  idempotency: IdempotencyRepo;
  calls: CallLogRepo;
  outbox: OutboxRepo;
  invites: InviteRepo;
  callContext: CallContextRepo;
  rateLimits: RateLimitRepo;
}

/** One business's view of the store. Methods outside a unit of work each commit on their own. */
export interface BusinessStore extends Repos {
  readonly businessId: string;
  /**
   * `durable: false` commits without waiting for the disk (it survives a crash of the process, not
   * a power cut): only for a caller that calls `sync()` before it tells anyone the change happened.
   */
  withTransaction<T>(fn: (tx: Repos) => Promise<T>, opts?: { durable?: boolean }): Promise<T>;
  /**
   * Resolves once every commit made so far (relaxed ones included) is on disk. Concurrent calls
   * share one durable commit: many relaxed transactions and one sync cost one disk flush.
   */
  sync(): Promise<void>;
  /** Whether writes work (for /readyz); while they fail, this tries one small write. */
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** Listeners run inside the transaction of every announced appointment change of this business. Returns the unsubscribe. */
  onAppointmentChange(listener: ChangeListener): () => void;
}

export type BusinessStatus = 'active' | 'disabled';

export interface BusinessRecord {
  id: string;
  slug: string;
  status: BusinessStatus;
  /** The business file content, as validated by the business file schema. */
  configJson: string;
  /** Platform secrets, sealed; null when none are set. */
  secretsSealed: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** The operator's table of businesses: not scoped, since it is what scopes everything else. */
export interface BusinessRecordRepo {
  /** False when the id or the slug is taken. */
  create(r: Omit<BusinessRecord, 'version' | 'createdAt' | 'updatedAt'>, now: number): Promise<boolean>;
  /** Changes the given fields and bumps the version; undefined when there is no such business. */
  update(id: string, change: Partial<Pick<BusinessRecord, 'slug' | 'status' | 'configJson' | 'secretsSealed'>>, now: number): Promise<BusinessRecord | undefined>;
  get(id: string): Promise<BusinessRecord | undefined>;
  bySlug(slug: string): Promise<BusinessRecord | undefined>;
  list(): Promise<BusinessRecord[]>;
  /** id -> version of every business: what an instance polls to notice changes made elsewhere. */
  versions(): Promise<Map<string, number>>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly businesses: BusinessRecordRepo;
  /** Where it is, for logs and messages: a file path, or the Postgres URL without its password. */
  readonly location: string;
  forBusiness(businessId: string): BusinessStore;
  /** Writes what is queued (call-log rows), then closes connections. */
  close(): Promise<void>;
  /** Writes queued call-log rows now. */
  flush(): Promise<void>;
}
