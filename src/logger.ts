/**
 * Process logs (stdout) never carry a full phone number or email: they end up in log aggregators
 * with looser access than the database. The SQLite call log keeps them, under its own retention.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

const PERSONAL_KEYS = ['phone', 'caller', 'callerPhone', 'customerPhone', 'customer_phone', 'requested', 'email', 'customerEmail', 'customer_email', 'to', 'from'];

export const REDACT_PATHS = [
  ...PERSONAL_KEYS,
  ...PERSONAL_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization',
  'req.headers["x-vapi-secret"]',
];

/** "+15550102030" -> "+1555•••••30"; "jane@example.com" -> "j•••@example.com". */
export function maskPersonal(value: unknown): unknown {
  if (typeof value !== 'string') return value === undefined || value === null ? value : '[redacted]';
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}•••${value.slice(at)}`;
  if (/\d{5,}/.test(value.replace(/\D/g, '')) && value.length <= 40) {
    const keepHead = value.startsWith('+') ? 5 : 3;
    return value.length > keepHead + 2 ? `${value.slice(0, keepHead)}${'•'.repeat(value.length - keepHead - 2)}${value.slice(-2)}` : '•••';
  }
  return value.length > 8 ? '[redacted]' : value;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: (value) => maskPersonal(value) },
    },
    destination,
  );
}
