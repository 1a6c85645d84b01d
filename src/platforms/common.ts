/** Small pieces the platform adapters share. No domain logic lives here. */
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { RawBodyRequest } from '../app.js';
import { InvalidArgumentError } from '../domain/errors.js';
import { failureResult } from '../domain/speech.js';
import type { ToolResult } from '../tools/types.js';

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
export function malformed(message: string): ToolResult {
  return failureResult(new InvalidArgumentError(message)) as ToolResult;
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

/** Router error handler for body-parser failures, answered with `render(status, message)`. */
export function bodyErrors(render: (res: Response, status: number, message: string) => void) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const e = err as { type?: string };
    if (e.type === 'entity.parse.failed') render(res, 400, 'The request body is not valid JSON.');
    else if (e.type === 'entity.too.large') render(res, 413, 'The request body is too large.');
    else if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') render(res, 415, 'The request body encoding is not supported.');
    else next(err);
  };
}
