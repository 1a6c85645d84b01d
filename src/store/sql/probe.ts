import type { Executor } from './driver.js';
import type { StoreHealth } from './faults.js';

/**
 * While writes are failing, each health check tries one tiny real write (a row in store_probe), so
 * an instance that /readyz took out of the load balancer comes back once the disk has room again,
 * without waiting for a caller to prove it.
 */
export async function probe(health: StoreHealth, transaction: <T>(fn: (ex: Executor) => Promise<T>) => Promise<T>): Promise<{ ok: boolean; detail?: string }> {
  if (health.problem === undefined) return { ok: true };
  try {
    await transaction((ex) => ex.run('INSERT INTO store_probe (id, at_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms', [Date.now()]));
  } catch {
    // still failing; the reason is in health.problem
  }
  return health.problem === undefined ? { ok: true } : { ok: false, detail: `writes are failing: ${health.problem}` };
}
