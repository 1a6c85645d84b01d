/** Small pieces the platform adapters share. No domain logic lives here. */
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { RawBodyRequest } from '../app.js';
import type { Deps } from '../deps.js';
import { BookingError } from '../domain/errors.js';
import type { FailureParams } from '../domain/messages.js';
import { failure } from '../tools/outcome.js';
import type { ToolResult } from '../tools/types.js';

/** The answer for a failure of ours that nothing else caught: the same on every route, never a stack. */
export const INTERNAL_ANSWER = { ok: false, code: 'INTERNAL', message: 'Something went wrong on our side.' } as const;

export type RequestProblem = FailureParams['REQUEST_UNREADABLE']['problem'];

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown, max = 128): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined);

/**
 * Idempotency key for platforms that retry a tool request without giving it an id of its own
 * (Telnyx, Retell, ElevenLabs' flat form). A retry repeats the same call id, tool and arguments, so
 * their hash names it. Within one call, two identical requests are the same intent (booking the same
 * person into the same slot twice, cancelling the same appointment twice), so answering the second
 * from the first is correct rather than a loss. Without a call id there is nothing to scope the key
 * by, and no key is used.
 */
export function contentKey(platform: string, callId: string | undefined, tool: string, args: unknown): string | undefined {
  if (!callId) return undefined;
  const h = createHash('sha256').update(callId).update('\0').update(tool).update('\0').update(JSON.stringify(args ?? null)).digest('hex');
  return `${platform}:${h.slice(0, 40)}`;
}

/** The result-shaped answer for a request we could not read (same shape the tools answer with). */
export function malformed(deps: Deps, problem: RequestProblem): ToolResult {
  return failure(deps, new BookingError('REQUEST_UNREADABLE', { problem })).result;
}

/** Logs a warning the first time it is called, then stays quiet: one line per process, not per call. */
export function warnOnce(logger: Logger, message: string): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    logger.warn(message);
  };
}

/**
 * A JSON body parser that keeps the exact bytes for signature checks. Each platform router parses
 * its own body so it can answer an unreadable one in its own wire format.
 */
export function jsonBody(limit: string) {
  return express.json({
    limit,
    verify: (req, _res, buf) => {
      (req as RawBodyRequest).rawBody = buf;
    },
  });
}

/** Router error handler for body-parser failures, answered with `render(status, problem)`. */
export function bodyErrors(render: (res: Response, status: number, problem: RequestProblem) => void) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const e = err as { type?: string };
    if (e.type === 'entity.parse.failed') render(res, 400, 'not_json');
    else if (e.type === 'entity.too.large') render(res, 413, 'too_large');
    else if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') render(res, 415, 'encoding');
    else next(err);
  };
}

/** The same problem as a plain sentence, for protocols with their own error shape (MCP, OpenAI). */
export function problemText(deps: Deps, problem: RequestProblem): string {
  return malformed(deps, problem).message;
}
