/**
 * Property-based fuzzing of every tool and of the Vapi and /tools entry points: whatever arrives,
 * the answer is a known code with a one-line sentence, never a 5xx, never an uncaught exception.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ERROR_CODES } from '../../src/domain/errors.js';
import { runTool, TOOLS } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { VALIDATOR_WORDS } from '../support/speakable.js';

const KNOWN = new Set<string>([...ERROR_CODES, 'UNKNOWN_TOOL']);

let deps: TestDeps;
beforeAll(async () => {
  // Limits off: the fuzzer is one very busy caller.
  deps = await makeTestDeps({ env: { RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' } });
});
afterAll(() => deps.cleanup());

const oddStrings = fc.oneof(
  fc.constantFrom(
    'haircut', 'Hair cut', 'color', 'beard trim', 'Sam', 'priya', 'nobody',
    '2026-11-24', '2026-11-24T10:00', '2026-11-24T10:00:00-05:00', '2026-11-24T15:00:00Z', '2026-02-30', '2026-02-30T10:00',
    'tomorrow at 25:00', '2026-11-24T25:00', '2027-03-14T02:30', '9999-12-31T23:59', '0000-01-01', '2026-13-01T10:00',
    '+15550102030', '(555) 010-2030', '555', '+999999999999999999', 'morning', 'afternoon', 'evening', 'midnight',
    "Robert'); DROP TABLE appointments;--", '<script>alert(1)</script>', '{{7*7}}', '${process.exit()}', '\u0000', '🙂'.repeat(50),
    'a@b.co', 'not an email', '', ' ', 'null', 'undefined', 'NaN',
  ),
  fc.string({ maxLength: 60 }),
  fc.string({ minLength: 200, maxLength: 2000 }),
);
const oddValues = fc.oneof(
  oddStrings,
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 3.5, 21),
  fc.boolean(),
  fc.constant(null),
  fc.array(oddStrings, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), oddStrings, { maxKeys: 3 }),
);

function argsFor(toolIndex: number) {
  const keys = Object.keys(TOOLS[toolIndex]!.schema.shape);
  return fc.record(
    Object.fromEntries([...keys, 'extra'].map((k) => [k, oddValues])),
    { requiredKeys: [] },
  );
}

/** Valid arguments per tool, so that mutations of one or two fields get past validation into the handlers. */
const VALID: Record<string, Record<string, unknown>> = {
  list_services: {},
  find_available_slots: { service_name: 'haircut', start_date: '2026-11-24', time_of_day: 'morning', staff_name: 'Sam', max_results: 3 },
  get_next_available: { service_name: 'beard trim', after: '2026-11-25T12:00', staff_name: 'Jordan' },
  book_appointment: { customer_name: 'Fuzz', customer_phone: '+15550102030', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00', notes: 'n' },
  cancel_appointment: { customer_phone: '+15550102030', reason: 'r' },
  reschedule_appointment: { customer_phone: '+15550102030', new_datetime: '2026-11-25T15:00' },
  list_appointments: { customer_phone: '+15550102030' },
  request_callback: { customer_name: 'Fuzz', customer_phone: '+15550102030', reason: 'a quote', urgency: 'high', preferred_time: 'morning', service_name: 'haircut' },
};

function nearValid(name: string) {
  const base = VALID[name]!;
  const keys = Object.keys(base);
  if (keys.length === 0) return fc.constant(base);
  return fc
    .record({ k1: fc.constantFrom(...keys), v1: oddValues, k2: fc.constantFrom(...keys), v2: oddValues, drop: fc.boolean() })
    .map(({ k1, v1, k2, v2, drop }) => {
      const a: Record<string, unknown> = { ...base, [k1]: v1 };
      if (drop) delete a[k2];
      else a[k2] = v2;
      return a;
    });
}

const seen = new Map<string, Set<string>>();

function expectWellFormed(result: Record<string, unknown>) {
  expect(typeof result.ok).toBe('boolean');
  expect(typeof result.message).toBe('string');
  expect((result.message as string).length).toBeGreaterThan(0);
  expect(result.message as string).not.toMatch(/\n|UTC|at Object\.|Error:/);
  expect(result.message as string).not.toMatch(VALIDATOR_WORDS);
  if (!result.ok) {
    expect(KNOWN.has(result.code as string)).toBe(true);
    expect(result.code).not.toBe('INTERNAL');
  }
}

describe('fuzzing tool arguments', () => {
  TOOLS.forEach((tool, i) => {
    it(`${tool.name}: 600 generated argument sets, every answer well-formed`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(argsFor(i), nearValid(tool.name), nearValid(tool.name)), fc.option(oddStrings, { nil: undefined }), async (args, caller) => {
          const { result } = await runTool(deps, tool.name, args, { platform: 'fuzz', callerPhone: caller });
          expectWellFormed(result);
          const codes = seen.get(tool.name) ?? new Set();
          codes.add(result.ok ? 'OK' : (result.code as string));
          seen.set(tool.name, codes);
        }),
        { numRuns: 600, seed: 20261121 + i },
      );
      // The fuzzer must get past validation, or it proves nothing about the handlers.
      const codes = seen.get(tool.name)!;
      expect([...codes].filter((c) => c !== 'INVALID_ARGUMENT').length).toBeGreaterThan(0);
    });
  });

  it('raw argument strings (what platforms send) never break the dispatcher', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TOOLS.map((t) => t.name), 'nope', ''), fc.oneof(fc.string({ maxLength: 200 }), fc.json()), async (name, raw) => {
        const { result } = await runTool(deps, name, raw, { platform: 'fuzz' });
        expectWellFormed(result);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});

describe('fuzzing HTTP envelopes', () => {
  it('POST /webhooks/vapi: 400 for non-messages, otherwise 200 with well-formed results', async () => {
    const app = createApp(deps);
    const call = fc.record(
      {
        id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
        type: fc.constant('function'),
        name: fc.constantFrom(...TOOLS.map((t) => t.name), 'rm_rf'),
        function: fc.record({ name: fc.constantFrom(...TOOLS.map((t) => t.name), 'x'), arguments: fc.oneof(fc.json(), argsFor(3), oddValues) }, { requiredKeys: [] }),
        arguments: oddValues,
        parameters: oddValues,
        toolCall: fc.dictionary(fc.string({ maxLength: 5 }), oddValues, { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record({ message: fc.record({ type: fc.constantFrom('tool-calls', 'status-update', 'end-of-call-report', 'x'), toolCallList: fc.oneof(fc.array(call, { maxLength: 3 }), oddValues), toolWithToolCallList: fc.oneof(fc.array(call, { maxLength: 2 }), oddValues), call: fc.oneof(fc.record({ id: oddValues, customer: fc.record({ number: oddValues }) }), oddValues) }, { requiredKeys: ['type'] }) }),
      fc.json().map((j) => JSON.parse(j) as unknown),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await request(app).post('/webhooks/vapi').set('content-type', 'application/json').send(JSON.stringify(b));
        expect(res.status).toBeLessThan(500);
        if (res.status === 200 && Array.isArray(res.body.results)) {
          for (const r of res.body.results) {
            expect(typeof r.result).toBe('string');
            expect(r.result).not.toMatch(/\n/);
            expectWellFormed(JSON.parse(r.result));
          }
        }
      }),
      { numRuns: 400, seed: 42 },
    );
  });

  it('POST /tools/:name with arbitrary bodies and names never answers 5xx', async () => {
    const app = createApp(deps);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TOOLS.map((t) => t.name), 'nope', '%2e%2e', 'constructor', '__proto__'), fc.oneof(fc.string({ maxLength: 100 }), fc.json()), async (name, raw) => {
        const res = await request(app).post(`/tools/${name}`).set('content-type', 'application/json').send(raw);
        expect(res.status).toBeLessThan(500);
        expect(res.body).toHaveProperty('message');
      }),
      { numRuns: 400, seed: 99 },
    );
  });
});

afterAll(() => {
  // Visible in the test output: which outcomes each tool's fuzzing reached.
  for (const [tool, codes] of seen) console.log(`fuzz ${tool}: ${[...codes].sort().join(', ')}`);
});

describe('fuzzing every platform envelope', () => {
  const routes = [
    '/webhooks/telnyx/book_appointment',
    '/webhooks/telnyx/list_appointments',
    '/webhooks/telnyx/nope',
    '/webhooks/telnyx/dynamic-variables',
    '/webhooks/retell',
    '/webhooks/retell/find_available_slots',
    '/webhooks/elevenlabs',
    '/webhooks/elevenlabs/cancel_appointment',
    '/mcp',
  ];
  const envelope = fc.oneof(
    fc.json(),
    fc.record({ name: fc.constantFrom(...TOOLS.map((t) => t.name), 'zap'), call: fc.oneof(oddValues, fc.record({ call_id: oddValues, from_number: oddValues, direction: oddValues })), args: fc.oneof(oddValues, nearValid('book_appointment')) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.record({ tool_call_id: oddValues, tool_name: fc.constantFrom(...TOOLS.map((t) => t.name), 'zap'), caller_id: oddValues, parameters: fc.oneof(oddValues, nearValid('reschedule_appointment')) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.record({ jsonrpc: fc.constant('2.0'), id: fc.oneof(fc.integer(), fc.string()), method: fc.constantFrom('tools/call', 'tools/list', 'initialize', 'x'), params: fc.record({ name: fc.constantFrom(...TOOLS.map((t) => t.name), 'zap'), arguments: fc.oneof(oddValues, nearValid('find_available_slots')) }, { requiredKeys: [] }) }).map((o) => JSON.stringify(o)),
    fc.string({ maxLength: 300 }),
  );

  it('Telnyx, Retell, ElevenLabs and MCP never answer 5xx, whatever the body', async () => {
    const app = createApp(deps);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), envelope, async (route, raw) => {
        const res = await request(app)
          .post(route)
          .set({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-telnyx-call-control-id': 'fuzz' })
          .send(raw);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 600, seed: 2718 },
    );
  });
});
