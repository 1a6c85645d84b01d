/**
 * Prometheus metrics (prom-client), one registry per process, scraped at /metrics behind
 * METRICS_API_KEY. Labels are bounded sets only: business id (one per served business), tool name,
 * platform, result code, message kind; never a phone number, an appointment id or free text.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Message } from '../domain/messages.js';

export const registry = new Registry();

const toolCalls = new Counter({
  name: 'bookline_tool_calls_total',
  help: 'Tool calls answered, by business, tool, platform and result code (OK for a success).',
  labelNames: ['business', 'tool', 'platform', 'code'] as const,
  registers: [registry],
});

const toolSeconds = new Histogram({
  name: 'bookline_tool_duration_seconds',
  help: 'Time to answer a tool call, by tool.',
  labelNames: ['tool'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const changes = new Counter({
  name: 'bookline_appointment_changes_total',
  help: 'Bookings, moves and cancellations made through the tools (voice and web), and no-shows marked, by business.',
  labelNames: ['business', 'change'] as const,
  registers: [registry],
});

const rejections = new Counter({
  name: 'bookline_overload_rejections_total',
  help: 'Tool calls refused because the process was too busy (answered BUSY), by business.',
  labelNames: ['business'] as const,
  registers: [registry],
});

export const outboxRows = new Gauge({
  name: 'bookline_outbox_messages',
  help: 'Notification outbox rows by business and status, read from the store at scrape time.',
  labelNames: ['business', 'status'] as const,
  registers: [registry],
});

const remoteRequests = new Counter({
  name: 'bookline_remote_requests_total',
  help: 'Attempts at a remote call (calendar APIs and other providers), by resilience policy name.',
  labelNames: ['provider'] as const,
  registers: [registry],
});

const remoteErrors = new Counter({
  name: 'bookline_remote_errors_total',
  help: 'Failed attempts at a remote call, by policy name and failure kind (transient, permanent, auth, aborted).',
  labelNames: ['provider', 'kind'] as const,
  registers: [registry],
});

const remoteRetries = new Counter({
  name: 'bookline_remote_retries_total',
  help: 'Retries the resilience policy scheduled after a transient failure, by policy name.',
  labelNames: ['provider'] as const,
  registers: [registry],
});

const tokenRefreshes = new Counter({
  name: 'bookline_google_token_refreshes_total',
  help: 'Google OAuth access-token refreshes of connected calendars, by business and outcome (ok, invalid_grant, error).',
  labelNames: ['business', 'outcome'] as const,
  registers: [registry],
});

// Policy names are constants in our code ("google-calendar", "microsoft-graph", "caldav"); the
// slice only guards against a future caller building one from data.
const providerLabel = (name: string) => name.slice(0, 40);

export function recordRemoteAttempt(provider: string, failure?: string): void {
  remoteRequests.inc({ provider: providerLabel(provider) });
  if (failure !== undefined) remoteErrors.inc({ provider: providerLabel(provider), kind: failure });
}

export function recordRemoteRetry(provider: string): void {
  remoteRetries.inc({ provider: providerLabel(provider) });
}

export function recordTokenRefresh(business: string, outcome: 'ok' | 'invalid_grant' | 'error'): void {
  tokenRefreshes.inc({ business, outcome });
}

export function recordNoShow(business: string): void {
  changes.inc({ business, change: 'no_show' });
}

/** Tool names are ours or a platform alias; anything else is one label value, not a new series each. */
const KNOWN_TOOLS = new Set<string>();
export function knownTools(names: Iterable<string>): void {
  for (const n of names) KNOWN_TOOLS.add(n);
}

const CHANGE: Partial<Record<Message['code'], string>> = { BOOKED: 'booked', MOVED: 'moved', CANCELLED: 'cancelled' };

export function recordToolCall(c: { business: string; tool: string; platform: string; code: string | undefined; seconds: number; say?: Message | undefined }): void {
  const tool = KNOWN_TOOLS.has(c.tool) ? c.tool : 'other';
  // Platform names are fixed strings chosen by our adapters.
  toolCalls.inc({ business: c.business, tool, platform: c.platform.slice(0, 32), code: c.code ?? 'OK' });
  toolSeconds.observe({ tool }, c.seconds);
  if (c.code === 'BUSY') rejections.inc({ business: c.business });
  const change = c.say && c.code === undefined ? CHANGE[c.say.code] : undefined;
  if (change) changes.inc({ business: c.business, change });
}
