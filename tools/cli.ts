/** What the command-line tools share: the store as the server opens it, and how they exit. */
import { ConfigError } from '../src/config/business.js';
import type { Env } from '../src/config/env.js';
import { openStoreFromSettings } from '../src/config/storage.js';
import { DEFAULT_BUSINESS_ID } from '../src/deps.js';
import type { BusinessStore, Store } from '../src/store/index.js';

/** Runs `fn` on the default business of the store the settings name; queued writes land before it closes. */
export async function withStore<T>(settings: Env, fn: (store: BusinessStore, root: Store) => Promise<T>): Promise<T> {
  const root = await openStoreFromSettings(settings);
  try {
    return await fn(root.forBusiness(DEFAULT_BUSINESS_ID), root);
  } finally {
    await root.close();
  }
}

/** Exits with `main`'s code; a configuration problem is one sentence, not a stack (exit 1). */
export function exitWith(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof ConfigError ? err.message : err);
      process.exit(1);
    },
  );
}
