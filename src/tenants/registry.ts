/**
 * The stored businesses this instance serves, kept current: every active business has a context
 * (so its reminders go out even before its first request), and every BUSINESS_REFRESH_MS the
 * instance compares versions with the store, so a change made through any instance is honoured by
 * all of them within that time. A changed business gets its new context before the old one stops,
 * so no change in between goes unplanned (a message planned by both has one dedupe key).
 */
import type express from 'express';
import type { Runtime } from '../runtime.js';
import { buildTenant, type Tenant } from './context.js';

export class TenantRegistry {
  private readonly byId = new Map<string, Tenant>();
  private readonly idBySlug = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly build: (rt: Runtime, record: Tenant['record']) => Tenant | Promise<Tenant> = buildTenant,
  ) {}

  async appFor(slug: string): Promise<express.Express | undefined> {
    return (await this.get(slug))?.app();
  }

  async get(slug: string): Promise<Tenant | undefined> {
    const id = this.idBySlug.get(slug);
    if (id) return this.byId.get(id);
    // Not known here yet: created through another instance since the last refresh.
    const record = await this.rt.store.businesses.bySlug(slug);
    if (!record || record.status !== 'active') return undefined;
    await this.refresh();
    const now = this.idBySlug.get(slug);
    return now ? this.byId.get(now) : undefined;
  }

  tenants(): Tenant[] {
    return [...this.byId.values()];
  }

  /**
   * Brings the contexts in line with the store as it is now: the pass that answers starts after
   * this call (a pass already running may have read the versions before a change just made), and
   * calls that arrive while one waits to start share it.
   */
  refresh(): Promise<void> {
    this.queued ??= (async () => {
      await this.running?.catch(() => undefined);
      this.queued = undefined;
      const pass = this.pass();
      this.running = pass;
      try {
        await pass;
      } finally {
        if (this.running === pass) this.running = undefined;
      }
    })();
    return this.queued;
  }

  private async pass(): Promise<void> {
    const versions = await this.rt.store.businesses.versions();
    for (const [id, tenant] of this.byId) {
      if (versions.get(id) !== tenant.record.version) await this.replace(id);
    }
    for (const [id] of versions) if (!this.byId.has(id)) await this.replace(id);
  }

  private async replace(id: string): Promise<void> {
    const old = this.byId.get(id);
    const record = await this.rt.store.businesses.get(id);
    let next: Tenant | undefined;
    if (record?.status === 'active') {
      try {
        next = await this.build(this.rt, record);
      } catch (err) {
        // A record that cannot be opened (its key was removed...) must not take the others down.
        this.rt.logger.error({ err, business: id, slug: record.slug }, 'business could not be loaded; it is not served until fixed');
      }
    }
    if (old) this.idBySlug.delete(old.record.slug);
    if (next) {
      this.byId.set(id, next);
      this.idBySlug.set(next.record.slug, id);
    } else {
      this.byId.delete(id);
    }
    if (old) await old.stop();
  }

  start(): Promise<void> {
    const every = this.rt.settings.BUSINESS_REFRESH_MS;
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.rt.logger.error({ err }, 'could not refresh businesses'));
    }, every);
    this.timer.unref();
    return this.refresh();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.queued?.catch(() => undefined);
    await this.running?.catch(() => undefined);
    await Promise.all([...this.byId.values()].map((t) => t.stop()));
  }
}
