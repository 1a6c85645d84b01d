import type { z } from 'zod';
import type { Deps } from '../deps.js';
import type { ErrorCode } from '../domain/errors.js';
import type { SuccessMessage } from '../domain/messages.js';

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  deps: Deps;
  /** Aborts when the per-call deadline passes; handed to every calendar call. */
  signal: AbortSignal;
  platform: string;
  /** The caller's number as the voice platform reported it (not as the model typed it). */
  callerPhone?: string | undefined;
  /** The platform's id for this call (tool call id / Idempotency-Key), when it sent one. */
  requestKey?: string | undefined;
}

/**
 * Every tool answers one of these (serialized as the tool result): `message` is the sentence to
 * speak; the rest is data.
 */
export interface ToolResult {
  ok: boolean;
  message: string;
  code?: ErrorCode;
  [key: string]: unknown;
}

/** What a handler returns: the outcome as a message code with its parameters, plus the data fields. */
export interface ToolReply {
  say: SuccessMessage;
  data?: Record<string, unknown>;
}

/** The parts of a tool that its published definitions are generated from. */
export interface ToolSignature<S extends z.ZodObject = z.ZodObject> {
  name: string;
  /** Written for the model: when to call it and what to ask the caller first. */
  description: string;
  schema: S;
  /** The argument the platform's caller id fills when the model leaves it out. */
  callerPhoneArg?: keyof z.output<S> & string;
}

export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> extends ToolSignature<S> {
  /** Changes appointments: replays are answered from the idempotency record. */
  mutating: boolean;
  /**
   * Acts on existing appointments of `callerPhoneArg`: when the platform reports who is calling, only
   * that number's appointments may be touched, whatever number the model passes.
   */
  bindToCaller?: boolean;
  handler(ctx: ToolContext, input: z.output<S>): Promise<ToolReply>;
}

export function defineTool<S extends z.ZodObject>(def: ToolDefinition<S>): ToolDefinition<S> {
  return def;
}
