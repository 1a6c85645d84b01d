/**
 * SMS wording for callbacks: what the assignee and the business contact read. Staff texts, so they
 * carry the caller's number and reason; times are local, with the weekday, as in speech.
 */
import type { Deps } from '../deps.js';
import { formatPhone } from '../domain/phone.js';
import type { Callback } from '../store/ports.js';
import { byWhen, oneLine } from './voice.js';
import { voiceContext } from '../tools/outcome.js';

const REASON_MAX = 200;

function reason(c: Callback): string {
  return c.reason.length > REASON_MAX ? `${c.reason.slice(0, REASON_MAX - 1)}…` : c.reason;
}

function caller(deps: Deps, c: Callback): string {
  return `${c.customerName} at ${formatPhone(c.customerPhone, deps.config.business.phoneRegion)}`;
}

function preferred(c: Callback): string {
  return c.preferredTime ? ` Prefers: ${c.preferredTime}.` : '';
}

export function callbackAssignedSms(deps: Deps, c: Callback, assignee: string | undefined): string {
  const who = assignee ? '' : ' (nobody is on callbacks today)';
  return oneLine(
    `${deps.config.business.name}: ${c.urgency} callback${who}: call ${caller(deps, c)} by ${byWhen(c.dueAt, voiceContext(deps))}. Reason: ${reason(c)}.${preferred(c)}`,
  );
}

export function callbackOverdueSms(deps: Deps, c: Callback, assignee: string | undefined): string {
  return oneLine(
    `${deps.config.business.name}: overdue ${c.urgency} callback${assignee ? ` (${assignee})` : ''}: ${caller(deps, c)} was promised a call by ${byWhen(c.dueAt, voiceContext(deps))}. Reason: ${reason(c)}.`,
  );
}

export function callbackRetryMissedSms(deps: Deps, c: Callback, assignee: string | undefined): string {
  const tries = c.attempts === 1 ? 'one try' : `${c.attempts} tries`;
  return oneLine(
    `${deps.config.business.name}: ${c.urgency} callback still unanswered after ${tries}${assignee ? ` (${assignee})` : ''}: ${caller(deps, c)}; the next try was due by ${byWhen(c.nextAttemptAt ?? c.dueAt, voiceContext(deps))}. Reason: ${reason(c)}.`,
  );
}
