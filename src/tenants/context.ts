/**
 * One stored business's context: its configuration and secrets opened from its record, its slice
 * of the store, its embedded calendar, its outbox worker, and (built on first request) its app.
 */
import type express from 'express';
import { businessApp } from '../app.js';
import { EmbeddedCalendar } from '../calendar/embedded.js';
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
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')) as Secrets;
}

/** Where a business's routes are, as platforms must call them. */
export function businessBaseUrl(rt: Runtime, slug: string): string {
  return `${rt.settings.PUBLIC_BASE_URL.replace(/\/+$/, '')}/b/${slug}`;
}

export function buildTenant(rt: Runtime, record: BusinessRecord): Tenant {
  const config = parseBusinessConfig(JSON.parse(record.configJson), `business "${record.slug}"`);
  const settings = businessSettings(rt.settings, openSecrets(rt, record), businessBaseUrl(rt, record.slug));
  const store = rt.store.forBusiness(record.id);
  const deps = makeDeps({
    config,
    settings,
    calendar: new EmbeddedCalendar(store.calendarEvents, () => rt.clock.now()),
    store,
    clock: rt.clock,
    logger: rt.logger.child({ business: record.id, slug: record.slug }),
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
