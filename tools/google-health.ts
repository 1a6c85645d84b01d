/**
 * Checks every connected Google account once (refresh + one cheap call), records the status, tells
 * the business about a broken one (at most once a day), and exits: for cron, or for deployments
 * that run the server with GOOGLE_HEALTH_INTERVAL_MS=0. Safe beside running servers: each
 * connection is checked under a lease, so one token is never refreshed twice at once.
 *
 *   npm run google:health        # prints one line of JSON; exit 0 when all are healthy, 2 otherwise
 */
import { hasDefaultBusiness, loadDefaultBusiness, openRuntime } from '../src/bootstrap.js';
import { readEnv } from '../src/config/env.js';
import type { Deps } from '../src/deps.js';
import { runHealthChecks } from '../src/google-connect/health.js';
import { createLogger } from '../src/logger.js';
import { buildTenant } from '../src/tenants/context.js';
import { exitWith } from './cli.js';

exitWith(async () => {
  const settings = readEnv();
  const logger = createLogger(settings.LOG_LEVEL);
  const rt = await openRuntime(settings, logger);
  try {
    const businesses: { id: string; deps: Deps; stop?: () => Promise<void> }[] = [];
    if (hasDefaultBusiness(settings)) {
      const deps = await loadDefaultBusiness(rt);
      if (deps) businesses.push({ id: deps.store.businessId, deps });
    }
    for (const record of await rt.store.businesses.list()) {
      if (record.status !== 'active') continue;
      const t = await buildTenant(rt, record);
      businesses.push({ id: record.id, deps: t.deps, stop: () => t.stop() });
    }
    const report: Record<string, unknown> = {};
    let bad = 0;
    for (const b of businesses) {
      const results = await runHealthChecks(b.deps);
      bad += results.filter((r) => r.checked && r.status !== 'healthy').length;
      if (results.length) report[b.id] = results;
      await b.stop?.();
    }
    console.log(JSON.stringify({ businesses: report }));
    return bad > 0 ? 2 : 0;
  } finally {
    await rt.store.close();
  }
});
