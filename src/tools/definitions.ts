/**
 * Tool definitions for each platform, generated from the one zod schema per tool. Add a platform by
 * adding a generator to FORMATS.
 */
import { z } from 'zod';
import { STILL_WORKING, TOOL_STATUS } from '../render/voice.js';
import { ALIASES } from './aliases.js';
import { TOOLS } from './registry.js';
import type { ToolSignature } from './types.js';

export type JsonSchema = Record<string, unknown>;

export interface DefinitionOptions {
  /** Public base URL of this service, e.g. https://book.example.com */
  publicBaseUrl: string;
  /**
   * Also publish the compatibility aliases (find_available_times, schedule_meeting): off by default,
   * since new assistants should use our own names. The aliases work whether or not they are published.
   */
  includeAliases?: boolean | undefined;
}

type ToolDefinition = ToolSignature;

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

/** What each tool says while it runs and when it fails: spoken by Vapi and Retell (worded in src/render/voice.ts). */
export const TOOL_MESSAGES: Record<string, { start: string; failed: string }> = {
  ...TOOL_STATUS,
  ...Object.fromEntries(ALIASES.filter((a) => !TOOL_STATUS[a.name]).map((a) => [a.name, TOOL_STATUS[a.target]!])),
};

const base = (opts: DefinitionOptions) => opts.publicBaseUrl.replace(/\/+$/, '');

interface ObjectSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required: string[];
}

/**
 * The tool's arguments reduced to per-property keywords a platform accepts. Length, range and
 * pattern limits are dropped where a platform's schema has no room for them; runTool still
 * enforces every one of them, and answers a violation with a sentence.
 */
function reduced(tool: ToolDefinition, keep: readonly string[], mapProp?: (name: string, p: JsonSchema) => JsonSchema): ObjectSchema {
  const full = argumentsSchema(tool);
  const props = (full.properties ?? {}) as Record<string, JsonSchema>;
  const properties: Record<string, JsonSchema> = {};
  for (const [name, prop] of Object.entries(props)) {
    const p: JsonSchema = {};
    for (const k of keep) if (prop[k] !== undefined) p[k] = prop[k];
    properties[name] = mapProp ? mapProp(name, p) : p;
  }
  return { type: 'object', properties, required: [...((full.required as string[] | undefined) ?? [])] };
}

/** Where the platform sends the caller's number itself. */
const CALLER_FILLED = 'Leave empty: the number they are calling from is used; fill only if they want a different number.';

/**
 * For platforms that send the caller's number with each call: the phone argument becomes optional
 * and says so, so the model does not ask the caller for a number the platform already has.
 */
function callerPhoneOptional(t: ToolDefinition, params: ObjectSchema, description: string): ObjectSchema {
  const phone = t.callerPhoneArg;
  if (!phone || !params.properties[phone]) return params;
  return {
    ...params,
    properties: { ...params.properties, [phone]: { ...params.properties[phone], description: `The caller's phone number. ${description}` } },
    required: params.required.filter((r) => r !== phone),
  };
}

// Keys of Vapi's JsonSchema type (@vapi-ai/server-sdk); its API validates against that type.
const VAPI_KEYS = ['type', 'description', 'enum', 'format', 'items', 'properties', 'required', 'title'] as const;
const VAPI_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

type VapiPropertyType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';

/** Ready-to-send bodies for Vapi's `POST /tool` (type Vapi.CreateToolsRequest.Function). */
function vapi(tools: readonly ToolDefinition[], opts: DefinitionOptions) {
  const url = `${base(opts)}/webhooks/vapi`;
  return tools.map((t) => {
    const m = TOOL_MESSAGES[t.name];
    // Vapi sends call.customer.number with every tool call; runTool fills the argument from it.
    const params = callerPhoneOptional(
      t,
      reduced(t, VAPI_KEYS, (_n, p) => {
        if (typeof p.format === 'string' && !VAPI_FORMATS.has(p.format)) delete p.format;
        return p;
      }),
      CALLER_FILLED,
    );
    return {
      type: 'function' as const,
      async: false,
      function: {
        name: t.name,
        description: t.description,
        parameters: {
          type: 'object' as const,
          properties: params.properties as Record<string, JsonSchema & { type: VapiPropertyType }>,
          required: params.required,
        },
        strict: false,
      },
      // Authenticate with a Vapi credential (bearer or X-Vapi-Secret = VAPI_SECRET): add "credentialId" here.
      server: { url, timeoutSeconds: 20 },
      messages: m
        ? [
            { type: 'request-start' as const, content: m.start, blocking: false },
            { type: 'request-failed' as const, content: m.failed },
            { type: 'request-response-delayed' as const, content: STILL_WORKING, timingMilliseconds: 3000 },
          ]
        : [],
    };
  });
}

/** OpenAI Responses API function tools: flat, no `function` wrapper. */
function openaiResponses(tools: readonly ToolDefinition[]) {
  return tools.map((t) => ({ type: 'function' as const, name: t.name, description: t.description, parameters: toStrictSchema(argumentsSchema(t)), strict: true }));
}

/** OpenAI Realtime `session.tools`: flat, and Realtime has no strict mode. */
function openaiRealtime(tools: readonly ToolDefinition[]) {
  return tools.map((t) => ({ type: 'function' as const, name: t.name, description: t.description, parameters: argumentsSchema(t) }));
}

/** MCP `tools/list` entries, as our /mcp endpoint lists them. */
function mcp(tools: readonly ToolDefinition[]) {
  return tools.map((t) => ({ name: t.name, description: t.description, inputSchema: argumentsSchema(t) }));
}

const PORTABLE_KEYS = ['type', 'description', 'enum'] as const;

/**
 * Telnyx AI Assistant webhook tools (SDK WebhookTool). The caller's number is not in Telnyx's tool
 * request: our dynamic-variables webhook records it per call, and the headers below carry the
 * call's id and, as a fallback, the templated number. The model therefore need not ask for it.
 */
function telnyx(tools: readonly ToolDefinition[], opts: DefinitionOptions) {
  return tools.map((t) => {
    const body = callerPhoneOptional(
      t,
      reduced(t, PORTABLE_KEYS),
      'Leave empty: the number they are calling from ({{telnyx_end_user_target}}) is used; fill only if they want a different number.',
    );
    return {
      type: 'webhook' as const,
      webhook: {
        name: t.name,
        description: t.description,
        url: `${base(opts)}/webhooks/telnyx/${t.name}`,
        method: 'POST' as const,
        // Mustache in header values is documented for Telnyx webhook tools; these two are belt and
        // braces for the x-telnyx-call-control-id header Telnyx adds itself.
        headers: [
          { name: 'x-call-control-id', value: '{{call_control_id}}' },
          { name: 'x-caller-number', value: '{{telnyx_end_user_target}}' },
        ],
        body_parameters: body,
        async: false,
      },
    };
  });
}

/**
 * Retell custom functions (general_tools[] entries of a Retell LLM). Field names from Retell's docs
 * and API reference; `method` and `timeout_ms` are documented for custom functions, `args_at_root`
 * (left false: we need the `call` object for the caller's number) is seen in Retell's API but not
 * in the page the reference read (UNCONFIRMED).
 */
function retell(tools: readonly ToolDefinition[], opts: DefinitionOptions) {
  const url = `${base(opts)}/webhooks/retell`;
  return tools.map((t) => ({
    type: 'custom' as const,
    name: t.name,
    description: t.description,
    url,
    method: 'POST' as const,
    speak_during_execution: true,
    execution_message_description: TOOL_MESSAGES[t.name]?.start ?? 'One moment.',
    speak_after_execution: true,
    timeout_ms: 20_000,
    args_at_root: false,
    // Retell sends call.from_number (to_number when the agent dialled out); runTool fills the argument from it.
    parameters: callerPhoneOptional(t, reduced(t, PORTABLE_KEYS), CALLER_FILLED),
  }));
}

/**
 * ElevenLabs Agents webhook (server) tools, SDK WebhookToolConfigInput. Each body property has
 * exactly one of `description` (the model fills it) or `dynamic_variable` (the platform does): the
 * caller's number comes from `system__caller_id`, never from the model.
 */
function elevenlabs(tools: readonly ToolDefinition[], opts: DefinitionOptions) {
  return tools.map((t) => ({
    type: 'webhook' as const,
    name: t.name,
    description: t.description,
    response_timeout_secs: 20,
    api_schema: {
      url: `${base(opts)}/webhooks/elevenlabs/${t.name}`,
      method: 'POST' as const,
      request_headers: { 'X-Conversation-Id': { variable_name: 'system__conversation_id' } },
      request_body_schema: reduced(t, PORTABLE_KEYS, (name, p) => {
        if (name === t.callerPhoneArg) return { type: p.type, dynamic_variable: 'system__caller_id' };
        return { ...p, description: p.description ?? name.replace(/_/g, ' ') };
      }),
    },
  }));
}

export const FORMATS = {
  openai: (tools: readonly ToolDefinition[]) => openai(tools),
  vapi: (tools: readonly ToolDefinition[], opts: DefinitionOptions) => vapi(tools, opts),
  'openai-responses': (tools: readonly ToolDefinition[]) => openaiResponses(tools),
  'openai-realtime': (tools: readonly ToolDefinition[]) => openaiRealtime(tools),
  telnyx: (tools: readonly ToolDefinition[], opts: DefinitionOptions) => telnyx(tools, opts),
  retell: (tools: readonly ToolDefinition[], opts: DefinitionOptions) => retell(tools, opts),
  elevenlabs: (tools: readonly ToolDefinition[], opts: DefinitionOptions) => elevenlabs(tools, opts),
  mcp: (tools: readonly ToolDefinition[]) => mcp(tools),
} satisfies Record<string, (tools: readonly ToolDefinition[], opts: DefinitionOptions) => unknown>;

export type DefinitionFormat = keyof typeof FORMATS;

export function isDefinitionFormat(f: string): f is DefinitionFormat {
  return Object.hasOwn(FORMATS, f);
}

/** The tools a format publishes: ours, then the compatibility aliases when asked for. */
export function publishedTools(opts: Pick<DefinitionOptions, 'includeAliases'> = {}): readonly ToolDefinition[] {
  return opts.includeAliases ? [...TOOLS, ...ALIASES.filter((a) => !TOOLS.some((t) => t.name === a.name))] : TOOLS;
}

export function toolDefinitions(format: DefinitionFormat, opts: DefinitionOptions): unknown {
  return FORMATS[format](publishedTools(opts), opts);
}
