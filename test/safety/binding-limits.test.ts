import { Writable } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createLogger, maskPersonal } from '../../src/logger.js';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog } from '../support/store.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const JANE = '+15550102030';
const MALLORY = '+15550109999';

async function bookFor(phone: string, when = '2026-11-24T10:00') {
  return runTool(deps, 'book_appointment', { customer_name: 'X', customer_phone: phone, service_name: 'haircut', appointment_datetime: when }, { platform: 'test' });
}

describe('caller-id binding', () => {
  it('list, cancel and reschedule act only on the calling number, whatever phone the model passes', async () => {
    deps = await makeTestDeps();
    await bookFor(JANE);
    for (const [tool, args] of [
      ['list_appointments', { customer_phone: JANE }],
      ['cancel_appointment', { customer_phone: JANE }],
      ['reschedule_appointment', { customer_phone: JANE, new_datetime: '2026-11-25T10:00' }],
    ] as const) {
      const r = await runTool(deps, tool, args, { platform: 'vapi', callerPhone: MALLORY });
      expect(r.result.code).toBe('CALLER_MISMATCH');
      expect(r.result.message).toMatch(/^For privacy, I can only look up or change appointments for the number you're calling from/);
    }
    // Nothing changed.
    const still = await runTool(deps, 'list_appointments', {}, { platform: 'vapi', callerPhone: JANE });
    expect((still.result.appointments as unknown[]).length).toBe(1);
    // The same number in another format is not a mismatch.
    const same = await runTool(deps, 'list_appointments', { customer_phone: '(555) 010-2030' }, { platform: 'vapi', callerPhone: JANE });
    expect(same.result.ok).toBe(true);
    // The refusal is in the call log.
    expect((await callLog(deps, 20)).filter((c) => c.code === 'CALLER_MISMATCH')).toHaveLength(3);
  });

  it('booking for another number is allowed (booking for a family member)', async () => {
    deps = await makeTestDeps();
    const r = await runTool(deps, 'book_appointment', { customer_name: 'Kid', customer_phone: MALLORY, service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' }, { platform: 'vapi', callerPhone: JANE });
    expect(r.result.ok).toBe(true);
  });

  it('TRUST_MODEL_PHONE=true turns binding off for back-office use', async () => {
    deps = await makeTestDeps({ env: { TRUST_MODEL_PHONE: 'true' } });
    await bookFor(JANE);
    const r = await runTool(deps, 'list_appointments', { customer_phone: JANE }, { platform: 'vapi', callerPhone: MALLORY });
    expect(r.result.ok).toBe(true);
  });

  it('over the Vapi webhook, the model cannot read another number’s appointments', async () => {
    deps = await makeTestDeps();
    await bookFor(JANE);
    const res = await request(createApp(deps))
      .post('/webhooks/vapi')
      .send({
        message: {
          type: 'tool-calls',
          call: { id: 'c', customer: { number: MALLORY } },
          toolCallList: [{ id: 't', type: 'function', function: { name: 'list_appointments', arguments: JSON.stringify({ customer_phone: JANE }) } }],
        },
      });
    expect(JSON.parse(res.body.results[0].result).code).toBe('CALLER_MISMATCH');
  });
});

describe('write limits', () => {
  it('one phone cannot make more than RATE_LIMIT_PHONE_PER_HOUR changes an hour', async () => {
    deps = await makeTestDeps({ env: { RATE_LIMIT_PHONE_PER_HOUR: '3' } });
    const times = ['2026-11-24T09:00', '2026-11-24T10:00', '2026-11-24T11:00', '2026-11-24T14:00'];
    const codes = [];
    for (const t of times) codes.push((await bookFor(JANE, t)).result.code ?? 'OK');
    expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
    deps.clock.advance(3_600_001);
    expect((await bookFor(JANE, '2026-11-24T14:00')).result.ok).toBe(true);
  });

  it('per-IP limit on /tools answers 429 with a sentence; replays do not count', async () => {
    deps = await makeTestDeps({ env: { RATE_LIMIT_IP_PER_MINUTE: '2' } });
    const app = createApp(deps);
    const body = (p: string) => ({ customer_name: 'X', customer_phone: p, service_name: 'haircut', appointment_datetime: '2026-11-28T10:00' });
    expect((await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'a').send(body('5550100001'))).status).toBe(200);
    expect((await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'a').send(body('5550100001'))).status).toBe(200);
    expect((await request(app).post('/tools/book_appointment').send(body('5550100002'))).status).toBe(200);
    const third = await request(app).post('/tools/book_appointment').send(body('5550100003'));
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    // Reads are not limited.
    expect((await request(app).post('/tools/list_services').send({})).status).toBe(200);
  });

  it('oversized bodies get 413', async () => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps)).post('/tools/list_services').set('content-type', 'application/json').send(JSON.stringify({ pad: 'x'.repeat(300_000) }));
    expect(res.status).toBe(413);
  });
});

describe('privacy in process logs', () => {
  it('phone numbers and emails are masked', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger('info', sink);
    logger.warn({ caller: '+15550102030', requested: '+15550109999', customer: { email: 'jane@example.com' }, tool: 'list_appointments' }, 'refused');
    const out = lines.join('');
    expect(out).not.toContain('5550102030');
    expect(out).not.toContain('5550109999');
    expect(out).not.toContain('jane@example.com');
    expect(out).toContain('list_appointments');
    expect(maskPersonal('+15550102030')).toBe('+1555•••••30');
  });
});

describe('call log retention', () => {
  it('purges rows older than the cutoff', async () => {
    deps = await makeTestDeps();
    await runTool(deps, 'list_services', {}, { platform: 'test' });
    deps.clock.advance(91 * 86_400_000);
    await runTool(deps, 'list_services', {}, { platform: 'test' });
    // Read-only calls are logged in batches; the purge sees what is written.
    await deps.store.calls.flush();
    expect(await deps.store.calls.purgeOlderThan(deps.clock.now() - 90 * 86_400_000)).toBe(1);
    expect(await callLog(deps, 10)).toHaveLength(1);
  });
});
