/**
 * Outcomes -> tool results. A handler's reply or a thrown error becomes the one JSON object the
 * platform gets (`ok`, `code`, `message`, data fields), with `message` rendered by the voice
 * renderer. The message code and parameters travel beside the result (never serialized into it) so
 * another renderer can word the same outcome.
 */
import type { Deps } from '../deps.js';
import { BookingError } from '../domain/errors.js';
import { type FailureMessage, type Message, isMessage } from '../domain/messages.js';
import { renderVoice, type VoiceContext } from '../render/voice.js';
import type { ToolReply, ToolResult } from './types.js';

export function voiceContext(deps: Deps): VoiceContext {
  return { speech: deps.speech, now: deps.clock.now(), business: deps.config.business };
}

export interface Rendered {
  result: ToolResult;
  say: Message;
}

export function success(deps: Deps, reply: ToolReply): Rendered {
  return { result: { ok: true, message: renderVoice(reply.say, voiceContext(deps)), ...reply.data }, say: reply.say };
}

/** Anything thrown -> a failure result. Unknown errors are INTERNAL: a caller never hears a stack trace. */
export function failure(deps: Deps, err: unknown): Rendered {
  const e = err instanceof BookingError ? err : new BookingError('INTERNAL', {});
  return { result: { ok: false, code: e.code, message: renderVoice(e.say, voiceContext(deps)), ...e.details }, say: e.say };
}

/** What the idempotency record keeps: the result as sent, and its message for other renderers. */
export function storeRendered(r: Rendered): string {
  return JSON.stringify({ v: 2, result: r.result, say: r.say });
}

export function loadRendered(json: string): { result: ToolResult; say?: Message } {
  const stored = JSON.parse(json) as { v?: number; result?: ToolResult; say?: unknown };
  // Records written before v2 hold the bare result.
  if (stored.v === 2 && stored.result) return { result: stored.result, say: isMessage(stored.say) ? stored.say : undefined };
  return { result: stored as unknown as ToolResult };
}

export type { FailureMessage };
