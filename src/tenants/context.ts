/**
 * One stored business's context: its configuration and secrets opened from its record, its slice
 * of the store, its staff calendars (embedded unless a staff member names another), its outbox worker, and (built on first request) its app.
 */
import type express from 'express';
import { businessApp } from '../app.js';
import { createCalendarProvider } from '../calendar/index.js';
import { parseBusinessConfig } from '../config/business.js';
import { unseal } from '../config/crypto.js';
import { type Deps, makeDeps } from '../deps.js';
import { createNotifier } from '../notifications/index.js';
import type { Runtime } from '../runtime.js';
import type { BusinessRecord } from '../store/ports.js';
import { businessSettings, type Secrets, secretsSchema } from './secrets.js';

export interface Tenant {
  record: BusinessRecord;
  deps: Deps;
  app(): express.Express;
  /** Stops its worker and its message planning (the context is being replaced or removed). */
  stop(): Promise<void>;
}

export function openSecrets(rt: Runtime, record: BusinessRecord): Secrets {
  if (!record.secretsSealed) return {};
  if (!rt.keyring) throw new Error(`business ${record.slug} has sealed secrets but BOOKLINE_ENCRYPTION_KEY is not set`);
  const parsed = secretsSchema.parse(JSON.parse(unseal(rt.keyring, record.secretsSealed)));
  const { calendarPasswords, ...named } = parsed;
  const out = Object.fromEntries(Object.entries(named).filter(([, v]) => typeof v === 'string')) as Secrets;
  const passwords = Object.entries(calendarPasswords ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
  if (passwords.length) out.calendarPasswords = Object.fromEntries(passwords);
  return out;
}

/** Where a business's routes are, as platforms must call them. */
export function businessBaseUrl(rt: Runtime, slug: string): string {
  return `${rt.settings.PUBLIC_BASE_URL.replace(/\/+$/, '')}/b/${slug}`;
}

export async function buildTenant(rt: Runtime, record: BusinessRecord): Promise<Tenant> {
  const config = parseBusinessConfig(JSON.parse(record.configJson), `business "${record.slug}"`);
  const secrets = openSecrets(rt, record);
  const settings = businessSettings(rt.settings, secrets, businessBaseUrl(rt, record.slug));
  const store = rt.store.forBusiness(record.id);
  const logger = rt.logger.child({ business: record.id, slug: record.slug });
  // Each staff member's own calendar, with this business's credentials only: CalDAV passwords come
  // from its sealed secrets, never from the server's environment.
  const calendar = await createCalendarProvider(settings, { store, clock: rt.clock, logger, timeZone: config.business.timeZone, config, env: secrets.calendarPasswords ?? {} });
  const deps = makeDeps({
    config,
    settings,
    calendar,
    store,
    clock: rt.clock,
    logger,
    ids: rt.ids,
    admission: rt.admission,
  });
  const notifier = createNotifier(deps);
  deps.notifier = notifier;
  notifier.start();
  let app: express.Express | undefined;
  return {
    record,
    deps,
    app: () => (app ??= businessApp(deps)),
    stop: () => notifier.stop({ detach: true }),
  };
}
