/**
 * Retell custom functions <-> tool calls.
 *
 * Retell posts `{ name, call, args }` (call = the live call object with its whole transcript) and
 * signs it with `X-Retell-Signature` (HMAC-SHA256 keyed by the API key that has the webhook badge).
 * The response body, whatever JSON it is, goes to the model. With "Payload: args only" Retell sends
 * the bare arguments; that form is accepted on `/webhooks/retell/:tool`, without a call id or caller.
 *
 * The body limit is larger than elsewhere: `call` carries the running transcript with per-word
 * timings, which outgrows 256 kB on long calls.
 */
import { type Request, type Response, Router } from 'express';
import type { Deps } from '../deps.js';
import { runTool } from '../tools/registry.js';
import { bodyErrors, contentKey, isObj, jsonBody, malformed, type Obj, str } from './common.js';
import { rawBodyOf, verifyRetell } from './signatures.js';

export interface RetellRequest {
  name: string | undefined;
  args: unknown;
  callId: string | undefined;
  callerPhone: string | undefined;
}

/** Reads a Retell custom-function body; `fallbackName` is the tool in the URL for args-only bodies. */
export function parseRetell(body: Obj, fallbackName: string | undefined): RetellRequest {
  const enveloped = isObj(body.call) || (typeof body.name === 'string' && 'args' in body);
  if (!enveloped) return { name: fallbackName, args: body, callId: undefined, callerPhone: undefined };
  const call = isObj(body.call) ? body.call : {};
  // The caller is the far end: from_number on inbound calls, to_number when the agent dialled out.
  const callerPhone = call.direction === 'outbound' ? str(call.to_number, 64) : str(call.from_number, 64);
  return { name: str(body.name, 100) ?? fallbackName, args: body.args ?? {}, callId: str(call.call_id), callerPhone };
}

export function retellRouter(deps: Deps): Router {
  const router = Router();
  router.use(jsonBody('4mb'));

  router.use((req, res, next) => {
    const key = deps.settings.RETELL_API_KEY;
    if (!key) {
      next();
      return;
    }
    const verdict = verifyRetell(rawBodyOf(req), req.body, req.get('x-retell-signature'), key, deps.clock.now());
    if (!verdict.ok) {
      deps.logger.warn({ reason: verdict.reason }, 'rejected Retell request');
      res.status(401).json({ ok: false, code: 'UNAUTHORIZED', message: 'Invalid or missing X-Retell-Signature.' });
      return;
    }
    next();
  });

  const handle = async (req: Request, res: Response) => {
    const body: unknown = req.body ?? {};
    if (!isObj(body)) {
      res.status(400).json(malformed(deps, 'not_object'));
      return;
    }
    const parsed = parseRetell(body, typeof req.params.tool === 'string' ? req.params.tool : undefined);
    if (!parsed.name) {
      res.status(400).json(malformed(deps, 'no_tool'));
      return;
    }
    const { result, kind } = await runTool(deps, parsed.name, parsed.args, {
      platform: 'retell',
      callId: parsed.callId,
      callerPhone: parsed.callerPhone,
      // Retell gives a custom-function request no id of its own but retries it up to twice.
      idempotencyKey: contentKey('retell', parsed.callId, parsed.name, parsed.args),
    });
    res.status(kind === 'unknown_tool' ? 404 : 200).json(result);
  };
  router.post('/', handle);
  router.post('/:tool', handle);

  router.use(bodyErrors((res, status, problem) => res.status(status).json(malformed(deps, problem))));
  return router;
}
