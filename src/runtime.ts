/**
 * What one process shares between every business it serves: settings, the store, the clock, the
 * logger, id generation, admission control (capacity is the process's), and the keyring that opens
 * stored secrets. A request then works in one business's context (src/deps.ts: `Deps`), built from
 * this and that business's own configuration.
 */
import type { Logger } from 'pino';
import { Admission } from './booking/admission.js';
import type { Keyring } from './config/crypto.js';
import { parseKeyring } from './config/crypto.js';
import type { Env } from './config/env.js';
import type { Clock } from './domain/clock.js';
import type { IdGenerator } from './domain/ids.js';
import type { Store } from './store/ports.js';

export interface Runtime {
  settings: Env;
  store: Store;
  clock: Clock;
  logger: Logger;
  ids: IdGenerator;
  admission: Admission;
  /** Undefined without BOOKLINE_ENCRYPTION_KEY: businesses can then be stored without secrets only. */
  keyring: Keyring | undefined;
}

export function makeRuntime(input: Omit<Runtime, 'admission' | 'keyring'> & { admission?: Admission }): Runtime {
  return {
    ...input,
    admission: input.admission ?? new Admission(input.settings.TOOL_MAX_CONCURRENCY, input.settings.TOOL_QUEUE_TIMEOUT_MS),
    keyring: parseKeyring(input.settings.BOOKLINE_ENCRYPTION_KEY),
  };
}
