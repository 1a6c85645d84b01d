/**
 * Tool definitions for each platform, generated from the one zod schema per tool. Add a platform by
 * adding a generator to FORMATS.
 */
import { z } from 'zod';
import { TOOLS } from './registry.js';
import type { ToolDefinition } from './types.js';

export type JsonSchema = Record<string, unknown>;

export interface DefinitionOptions {
  /** Public base URL of this service, e.g. https://book.example.com */
  publicBaseUrl: string;
}

/** Plain JSON Schema (draft 2020-12 subset) of a tool's arguments, as the model should fill them. */
export function argumentsSchema(tool: ToolDefinition): JsonSchema {
  const schema = z.toJSONSchema(tool.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete schema.$schema;
  return schema;
}

// Keywords OpenAI strict mode rejects or may reject; our own validation still enforces them.
const STRICT_UNSUPPORTED = ['minLength', 'maxLength', 'pattern', 'format', 'default', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];

/**
 * OpenAI strict mode: every property required, optional ones nullable, no additional properties.
 * The null the model then sends for a left-out argument is dropped by the dispatcher.
 */
export function toStrictSchema(schema: JsonSchema): JsonSchema {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const out: Record<string, JsonSchema> = {};
  for (const [name, prop] of Object.entries(props)) {
    const p: JsonSchema = { ...prop };
    for (const k of STRICT_UNSUPPORTED) delete p[k];
    if (!required.has(name)) {
      p.type = [p.type as string, 'null'];
      if (Array.isArray(p.enum)) p.enum = [...(p.enum as unknown[]), null];
    }
    out[name] = p;
  }
  return { type: 'object', properties: out, required: Object.keys(out), additionalProperties: false };
}

function openai(tools: readonly ToolDefinition[]) {
  return tools.map((t) => ({
    type: 'function' as const,
    function: { name: t.name, description: t.description, parameters: toStrictSchema(argumentsSchema(t)), strict: true },
  }));
}

const VAPI_MESSAGES: Record<string, { start: string; failed: string }> = {
  list_services: { start: 'Let me check what we offer.', failed: "I couldn't load our services just now." },
  find_available_slots: { start: 'Let me check the calendar.', failed: "I couldn't reach the calendar just now." },
  get_next_available: { start: 'Let me find the next opening.', failed: "I couldn't reach the calendar just now." },
  book_appointment: { start: 'One moment while I book that.', failed: "I couldn't complete the booking just now; nothing was booked." },
  cancel_appointment: { start: 'One moment.', failed: "I couldn't cancel that just now; the appointment is unchanged." },
  reschedule_appointment: { start: 'One moment while I move that.', failed: "I couldn't move it just now; the original time still stands." },
  list_appointments: { start: 'Let me look that up.', failed: "I couldn't look up appointments just now." },
};

/** Ready-to-send bodies for Vapi's `POST /tool`. */
function vapi(tools: readonly ToolDefinition[], opts: DefinitionOptions) {
  const url = `${opts.publicBaseUrl.replace(/\/+$/, '')}/webhooks/vapi`;
  return tools.map((t) => {
    const m = VAPI_MESSAGES[t.name];
    return {
      type: 'function' as const,
      async: false,
      function: { name: t.name, description: t.description, parameters: argumentsSchema(t), strict: false },
      // Authenticate with a Vapi credential (bearer or X-Vapi-Secret = VAPI_SECRET): add "credentialId" here.
      server: { url, timeoutSeconds: 20 },
      messages: m
        ? [
            { type: 'request-start', content: m.start, blocking: false },
            { type: 'request-failed', content: m.failed },
            { type: 'request-response-delayed', content: 'Still working on it, one moment.', timingMilliseconds: 3000 },
          ]
        : [],
    };
  });
}

export const FORMATS = {
  openai: (tools: readonly ToolDefinition[]) => openai(tools),
  vapi: (tools: readonly ToolDefinition[], opts: DefinitionOptions) => vapi(tools, opts),
} satisfies Record<string, (tools: readonly ToolDefinition[], opts: DefinitionOptions) => unknown>;

export type DefinitionFormat = keyof typeof FORMATS;

export function isDefinitionFormat(f: string): f is DefinitionFormat {
  return Object.hasOwn(FORMATS, f);
}

export function toolDefinitions(format: DefinitionFormat, opts: DefinitionOptions): unknown {
  return FORMATS[format](TOOLS, opts);
}
