/**
 * Telnyx AI Assistant webhook tools <-> tool calls.
 *
 * Telnyx posts each tool as a flat JSON object of the model's arguments to the URL configured for
 * that tool (no envelope, no tool name, no caller number), signed with the account Ed25519 key. The
 * caller's number therefore comes from our own record: the assistant's dynamic-variables webhook
 * fires at call start with the call_control_id and the caller's number, we keep that pair, and each
 * tool request names its call in `x-telnyx-call-control-id`. When that is missing, a templated
 * `x-caller-number: {{telnyx_end_user_target}}` header, and last the model's own argument, are used.
 *
 * See shared/reference/voice-platform-wire-formats.md section 2. The signature is checked here with
 * node:crypto rather than the `telnyx` SDK's webhooks.unwrap(): several v7 releases' unwrap() checked
 * Standard Webhooks HMAC headers instead of Telnyx's Ed25519 ones, and ours reads "now" from
 * deps.clock. test/platforms/signatures.test.ts pins that both agree on the installed version.
 */
import type { KeyObject } from 'node:crypto';
import { Router } from 'express';
import { ConfigError } from '../config/business.js';
import type { Deps } from '../deps.js';
import { runTool } from '../tools/registry.js';
import { bodyErrors, contentKey, isObj, jsonBody, malformed, str, warnOnce } from './common.js';
import { rawBodyOf, telnyxPublicKey, verifyTelnyx } from './signatures.js';

const BINDING_TTL_MS = 6 * 60 * 60 * 1000;

function callControlId(req: { get(name: string): string | undefined }): string | undefined {
  return str(req.get('x-telnyx-call-control-id')) ?? str(req.get('x-call-control-id'));
}

export function telnyxRouter(deps: Deps): Router {
  const router = Router();
  router.use(jsonBody('256kb'));
  // call_control_id -> caller number, as reported by Telnyx at call start; rows expire after 6 h.
  const bindings = deps.store.callContext;
  let key: KeyObject | undefined;
  if (deps.settings.TELNYX_PUBLIC_KEY) {
    try {
      key = telnyxPublicKey(deps.settings.TELNYX_PUBLIC_KEY);
    } catch (err) {
      throw new ConfigError(`TELNYX_PUBLIC_KEY: ${(err as Error).message}`);
    }
  }
  const warnUnsigned = warnOnce(deps.logger, 'TELNYX_PUBLIC_KEY is not set: accepting unsigned Telnyx webhooks (development only).');

  router.use((req, res, next) => {
    if (!key) {
      warnUnsigned();
      next();
      return;
    }
    const verdict = verifyTelnyx(rawBodyOf(req), req.get('telnyx-signature-ed25519'), req.get('telnyx-timestamp'), key, deps.clock.now());
    if (!verdict.ok) {
      deps.logger.warn({ reason: verdict.reason, path: req.path }, 'rejected Telnyx webhook');
      res.status(401).json({ ok: false, code: 'UNAUTHORIZED', message: 'Invalid or missing Telnyx signature.' });
      return;
    }
    next();
  });

  // Assistant setting "Dynamic variables webhook URL". Telnyx waits on this before the call starts
  // (about 1 s by default), so it does one store write and answers.
  router.post('/dynamic-variables', async (req, res) => {
    const data = isObj(req.body) && isObj(req.body.data) ? req.body.data : undefined;
    const payload = data && isObj(data.payload) ? data.payload : isObj(req.body) ? req.body : {};
    const ccid = str(payload.call_control_id);
    const caller = str(payload.telnyx_end_user_target, 64);
    const now = deps.clock.now();
    if (ccid) await bindings.remember(ccid, caller, now, BINDING_TTL_MS);
    const { business } = deps.config;
    res.status(200).json({
      dynamic_variables: {
        business_name: business.name,
        business_timezone: business.timeZone,
        today: deps.speech.localDate(now),
        today_spoken: deps.speech.day(now, now),
        current_time: deps.speech.time(now),
      },
    });
  });

  router.post('/:tool', async (req, res) => {
    const body: unknown = req.body ?? {};
    if (!isObj(body)) {
      res.status(400).json(malformed(deps, 'not_object'));
      return;
    }
    const tool = req.params.tool;
    const ccid = callControlId(req);
    const now = deps.clock.now();
    const callerPhone = (ccid ? await bindings.callerOf(ccid, now, BINDING_TTL_MS) : undefined) ?? str(req.get('x-caller-number'), 64);
    const { result, kind } = await runTool(deps, tool, body, {
      platform: 'telnyx',
      callId: ccid,
      callerPhone,
      idempotencyKey: contentKey('telnyx', ccid, tool, body),
    });
    // Tool failures are 200 with a sentence for the assistant to say; only a wrong URL is a 404.
    res.status(kind === 'unknown_tool' ? 404 : 200).json(result);
  });
  router.use(bodyErrors((res, status, problem) => res.status(status).json(malformed(deps, problem))));
  return router;
}
