/**
 * The slice of pino the resilience and calendar code logs through. Kept structural so tests can pass
 * a recording object and production passes a pino child logger unchanged.
 */
export interface LoggerLike {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;
export const silentLogger: LoggerLike = { debug: noop, info: noop, warn: noop, error: noop };
