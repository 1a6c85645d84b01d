/**
 * Every published definition format checked against its platform's rules, and (for Vapi) against
 * the types of Vapi's own SDK, so `npx tsc --noEmit` fails if the shape drifts from the real schema.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Vapi } from '@vapi-ai/server-sdk';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { FORMATS, publishedTools, toolDefinitions } from '../../src/tools/definitions.js';
import { TOOLS } from '../../src/tools/registry.js';
import { writeDefinitions } from '../../tools/export-definitions.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';

type Schema = Record<string, unknown>;
const OPTS = { publicBaseUrl: 'https://book.example.com/' };
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

// Keywords OpenAI structured outputs rejects (openai-node transform.ts list, plus `default`), and
// the ones we also keep out because support varies by model.
const STRICT_FORBIDDEN = ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'propertyNames', 'prefixItems', 'contains', 'unevaluatedProperties', 'uniqueItems', 'minProperties', 'maxProperties', 'default', 'minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum'];

/** OpenAI strict mode: closed objects, every property required, optional ones nullable. */
function assertStrict(schema: Schema, path: string, requiredOptional: Set<string> | undefined = undefined): void {
  for (const k of STRICT_FORBIDDEN) expect(schema, `${path} has ${k}`).not.toHaveProperty(k);
  if (schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'))) {
    expect(schema.additionalProperties, `${path}.additionalProperties`).toBe(false);
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    expect([...((schema.required as string[]) ?? [])].sort(), `${path}.required`).toEqual(Object.keys(props).sort());
    for (const [n, p] of Object.entries(props)) assertStrict(p, `${path}.${n}`, requiredOptional);
  }
}

function originalRequired(toolName: string): string[] {
  const t = TOOLS.find((x) => x.name === toolName)!;
  return Object.entries(t.schema.shape)
    .filter(([, s]) => !(s as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined).success)
    .map(([k]) => k);
}

describe('tool definitions', () => {
  it('openai (chat completions): strict function tools', () => {
    const defs = FORMATS.openai(TOOLS) as Array<{ type: string; function: { name: string; strict: boolean; parameters: Schema } }>;
    expect(defs).toHaveLength(TOOLS.length);
    for (const d of defs) {
      expect(d.type).toBe('function');
      expect(d.function.name).toMatch(NAME);
      expect(d.function.strict).toBe(true);
      expect(d.function.parameters.type).toBe('object');
      assertStrict(d.function.parameters, d.function.name);
      // Optional arguments became nullable, required ones did not.
      const req = originalRequired(d.function.name);
      for (const [n, p] of Object.entries(d.function.parameters.properties as Record<string, Schema>)) {
        expect(Array.isArray(p.type) && p.type.includes('null'), `${d.function.name}.${n} nullable`).toBe(!req.includes(n));
        if (Array.isArray(p.enum)) expect(p.enum.includes(null)).toBe(!req.includes(n));
      }
    }
  });

  it('openai-responses: flat strict tools; openai-realtime: flat, no strict flag', () => {
    for (const d of FORMATS['openai-responses'](TOOLS)) {
      expect(d).toMatchObject({ type: 'function', strict: true });
      expect(d).not.toHaveProperty('function');
      assertStrict(d.parameters, d.name);
    }
    for (const d of FORMATS['openai-realtime'](TOOLS)) {
      expect(Object.keys(d).sort()).toEqual(['description', 'name', 'parameters', 'type']);
      expect(d.name).toMatch(NAME);
    }
  });

  it('vapi: POST /tool bodies that type-check against the Vapi SDK and follow its naming rules', () => {
    // Compile-time: assignable to the SDK's create-tool request without a cast.
    const defs: Vapi.CreateToolsRequest.Function[] = FORMATS.vapi(TOOLS, OPTS);
    const vapiKeys = new Set(['type', 'description', 'enum', 'format', 'items', 'properties', 'required', 'title', 'pattern']);
    for (const d of defs) {
      expect(d.function!.name).toMatch(NAME);
      expect(d.server!.url).toBe('https://book.example.com/webhooks/vapi');
      expect(d.server!.timeoutSeconds).toBeLessThanOrEqual(20);
      const types = d.messages!.map((m) => m.type);
      expect(types).toEqual(expect.arrayContaining(['request-start', 'request-failed']));
      for (const m of d.messages!) expect((m as { content?: string }).content).toMatch(/^[^\n]{3,120}$/);
      for (const p of Object.values(d.function!.parameters!.properties)) {
        for (const k of Object.keys(p)) expect(vapiKeys.has(k), `vapi key ${k}`).toBe(true);
      }
    }
  });

  it('telnyx: webhook tools with a URL per tool and the caller number left to the platform', () => {
    for (const d of FORMATS.telnyx(TOOLS, OPTS)) {
      expect(d.type).toBe('webhook');
      expect(d.webhook.name).toMatch(NAME);
      expect(d.webhook.url).toBe(`https://book.example.com/webhooks/telnyx/${d.webhook.name}`);
      expect(d.webhook.method).toBe('POST');
      expect(d.webhook.body_parameters.type).toBe('object');
      const props = d.webhook.body_parameters.properties;
      for (const r of d.webhook.body_parameters.required) expect(props).toHaveProperty(r);
      if (props.customer_phone) {
        expect(d.webhook.body_parameters.required).not.toContain('customer_phone');
        expect(String(props.customer_phone.description)).toContain('{{telnyx_end_user_target}}');
      }
      expect(d.webhook.headers).toContainEqual({ name: 'x-caller-number', value: '{{telnyx_end_user_target}}' });
    }
  });

  it('retell: custom functions with valid names, timeouts and parameters', () => {
    for (const d of FORMATS.retell(TOOLS, OPTS)) {
      expect(d.type).toBe('custom');
      expect(d.name).toMatch(NAME);
      expect(d.url).toBe('https://book.example.com/webhooks/retell');
      expect(d.timeout_ms).toBeGreaterThanOrEqual(1000);
      expect(d.timeout_ms).toBeLessThanOrEqual(600_000);
      expect(typeof d.speak_during_execution).toBe('boolean');
      expect(typeof d.speak_after_execution).toBe('boolean');
      expect(d.parameters.type).toBe('object');
      for (const r of d.parameters.required) expect(d.parameters.properties).toHaveProperty(r);
    }
  });

  it('elevenlabs: every body property sets exactly one value source, with literal types only', () => {
    const sources = ['description', 'dynamic_variable', 'constant_value', 'is_system_provided', 'is_omitted'];
    for (const d of FORMATS.elevenlabs(TOOLS, OPTS)) {
      expect(d.type).toBe('webhook');
      expect(d.name).toMatch(NAME);
      expect(d.api_schema).toMatchObject({ url: `https://book.example.com/webhooks/elevenlabs/${d.name}`, method: 'POST' });
      expect(d.response_timeout_secs).toBeGreaterThanOrEqual(5);
      expect(d.response_timeout_secs).toBeLessThanOrEqual(120);
      const body = d.api_schema.request_body_schema;
      for (const [n, p] of Object.entries(body.properties)) {
        expect(['boolean', 'string', 'integer', 'number']).toContain(p.type);
        expect(sources.filter((s) => s in p), `${d.name}.${n}`).toHaveLength(1);
        if (n === 'customer_phone') expect(p).toEqual({ type: 'string', dynamic_variable: 'system__caller_id' });
        if (p.enum) expect(p.type).toBe('string');
      }
    }
  });

  it('mcp: name, description and input schema per tool', () => {
    for (const d of FORMATS.mcp(TOOLS)) {
      expect(Object.keys(d).sort()).toEqual(['description', 'inputSchema', 'name']);
      expect(d.inputSchema.type).toBe('object');
    }
  });
});

describe("the caller's number where the platform sends it", () => {
  const PHONE_TOOLS = ['book_appointment', 'cancel_appointment', 'reschedule_appointment', 'list_appointments', 'request_callback'];
  const CALLER_FILLED = 'Leave empty: the number they are calling from is used; fill only if they want a different number.';

  it('vapi (call.customer.number): customer_phone is optional and says the calling number is used', () => {
    const defs: Vapi.CreateToolsRequest.Function[] = FORMATS.vapi(TOOLS, OPTS);
    for (const name of PHONE_TOOLS) {
      const params = defs.find((d) => d.function!.name === name)!.function!.parameters!;
      expect(params.required, name).not.toContain('customer_phone');
      expect(String(params.properties.customer_phone!.description), name).toBe(`The caller's phone number. ${CALLER_FILLED}`);
    }
    // Everything else that was required still is.
    expect(defs.find((d) => d.function!.name === 'book_appointment')!.function!.parameters!.required).toEqual(['customer_name', 'service_name', 'appointment_datetime']);
    expect(defs.find((d) => d.function!.name === 'reschedule_appointment')!.function!.parameters!.required).toEqual(['new_datetime']);
  });

  it('retell (call.from_number): customer_phone is optional and says so', () => {
    const defs = FORMATS.retell(TOOLS, OPTS);
    for (const name of PHONE_TOOLS) {
      const params = defs.find((d) => d.name === name)!.parameters;
      expect(params.required, name).not.toContain('customer_phone');
      expect(String(params.properties.customer_phone!.description), name).toBe(`The caller's phone number. ${CALLER_FILLED}`);
    }
  });

  it('telnyx and elevenlabs leave it to the platform; openai and mcp, with no caller number, still require it', () => {
    for (const d of FORMATS.telnyx(TOOLS, OPTS)) expect(d.webhook.body_parameters.required).not.toContain('customer_phone');
    for (const d of FORMATS.elevenlabs(TOOLS, OPTS)) {
      const phone = d.api_schema.request_body_schema.properties.customer_phone;
      if (phone) expect(phone).toEqual({ type: 'string', dynamic_variable: 'system__caller_id' });
    }
    const openai = FORMATS['openai-realtime'](TOOLS);
    for (const name of PHONE_TOOLS) expect((openai.find((d) => d.name === name)!.parameters.required as string[])).toContain('customer_phone');
    for (const name of PHONE_TOOLS) expect((FORMATS.mcp(TOOLS).find((d) => d.name === name)!.inputSchema.required as string[])).toContain('customer_phone');
  });
});

describe('compatibility aliases in definitions', () => {
  it('are left out unless asked for, and valid in every format when included', () => {
    const names = (tools: ReturnType<typeof publishedTools>) => tools.map((t) => t.name);
    expect(names(publishedTools())).toEqual(TOOLS.map((t) => t.name));
    expect(names(publishedTools({ includeAliases: true }))).toEqual([...TOOLS.map((t) => t.name), 'find_available_times', 'schedule_meeting']);
    const withAliases = publishedTools({ includeAliases: true });
    for (const d of FORMATS.openai(withAliases)) assertStrict(d.function.parameters, d.function.name);
    const vapi: Vapi.CreateToolsRequest.Function[] = FORMATS.vapi(withAliases, OPTS);
    for (const d of vapi) {
      expect(d.function!.name).toMatch(NAME);
      expect(d.messages!.map((m) => m.type)).toEqual(expect.arrayContaining(['request-start', 'request-failed']));
    }
    expect((toolDefinitions('vapi', { ...OPTS }) as unknown[]).length).toBe(TOOLS.length);
    expect((toolDefinitions('vapi', { ...OPTS, includeAliases: true }) as unknown[]).length).toBe(TOOLS.length + 2);
  });
});

describe('GET /tools/definitions and the export command', () => {
  let deps: TestDeps;
  afterEach(() => deps?.cleanup());

  it('serves every format over HTTP with the configured base URL, and names the formats on a typo', async () => {
    deps = await makeTestDeps({ env: { PUBLIC_BASE_URL: 'https://book.example.com', TOOLS_API_KEY: 'k' } });
    const app = createApp(deps);
    for (const format of Object.keys(FORMATS)) {
      const res = await request(app).get(`/tools/definitions?format=${format}`);
      expect(res.status, format).toBe(200);
      expect(res.body).toEqual(JSON.parse(JSON.stringify(toolDefinitions(format as keyof typeof FORMATS, { publicBaseUrl: 'https://book.example.com' }))));
    }
    const bad = await request(app).get('/tools/definitions?format=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('elevenlabs');
    // Tool calls under /tools need the key; definitions do not.
    expect((await request(app).post('/tools/list_services').send({})).status).toBe(401);
    expect((await request(app).post('/tools/list_services').set('authorization', 'Bearer k').send({})).status).toBe(200);
  });

  it('writes one file per tool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'defs-'));
    try {
      const files = writeDefinitions('vapi', dir, 'https://book.example.com');
      expect(readdirSync(dir).sort()).toEqual(TOOLS.map((t) => `${t.name}.json`).sort());
      expect(files).toHaveLength(TOOLS.length);
      const book = JSON.parse(readFileSync(join(dir, 'book_appointment.json'), 'utf8')) as { function: { name: string } };
      expect(book.function.name).toBe('book_appointment');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
