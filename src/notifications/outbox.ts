/**
 * The SMS outbox: every message is a row written in the same unit of work (src/store/ports.ts) as the appointment
 * change that caused it, and a worker sends rows when they fall due.
 *
 * Row life cycle:
 *
 *   pending ──claim (lease)──> pending+lease ──beginAttempt──> sending ──> sent
 *      ^                            │                              ├──> pending (definitely not sent; retry later)
 *      │                            ├──> skipped (no provider)     ├──> failed  (rejected, or out of attempts)
 *      │                            ├──> expired (reminder whose   └──> unknown (no answer: may or may not be out)
 *      │                            │    appointment has started)
 *   cancelled <── appointment moved/cancelled (pending rows only)
 *
 * `sending` is committed BEFORE the provider is called. A row found in `sending` with an expired lease
 * was being sent by a worker that died or hung: whether the SMS left is unknown, and what happens
 * next is a policy (see `recoverAbandoned`). The attempt counter doubles as a fencing token: a late
 * worker can only record the outcome of the attempt it made.
 */
export { OUTBOX_STATUSES } from '../store/ports.js';
export type { EnqueueResult, MessageKind, NewMessage, OutboxRepo as Outbox, OutboxRow, OutboxStatus } from '../store/ports.js';
