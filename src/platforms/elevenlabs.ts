/**
 * ElevenLabs Agents server tools (webhook tools) <-> tool calls.
 *
 * ElevenLabs' SDK says a server tool's body is the flat object described by request_body_schema;
 * other ElevenLabs material shows `{tool_call_id, tool_name, parameters, conversation_id}`. Both are
 * accepted (reference section 4.2). Flat bodies arrive at `/webhooks/elevenlabs/:tool`; the envelope
 * may go to either URL. A flat body cannot be mistaken for the envelope: every tool schema is strict
 * and none has a `tool_name` or `parameters` argument.
 *
 * Server tools are not signed; the tool definition sends a workspace secret as a bearer token, and
 * the conversation id as `X-Conversation-Id` from the `system__conversation_id` dynamic variable.
 */
import { type Request, type Response, Router } from 'express';
import type { Deps } from '../deps.js';
import { runTool } from '../tools/registry.js';
import { bodyErrors, contentKey, isObj, jsonBody, malformed, type Obj, str } from './common.js';
import { secretMatches } from './signatures.js';

export interface ElevenLabsRequest {
  name: string | undefined;
  args: unknown;
  toolCallId: string | undefined;
  callId: string | undefined;
  callerPhone: string | undefined;
}

export function parseElevenLabs(body: Obj, urlTool: string | undefined, headerCallId: string | undefined): ElevenLabsRequest {
  const enveloped = 'tool_name' in body || ('tool_call_id' in body && 'parameters' in body);
  if (!enveloped) return { name: urlTool, args: body, toolCallId: undefined, callId: headerCallId, callerPhone: undefined };
  return {
    name: str(body.tool_name, 100) ?? urlTool,
    args: body.parameters ?? {},
    toolCallId: str(body.tool_call_id),
    callId: str(body.conversation_id) ?? headerCallId,
    callerPhone: str(body.caller_id, 64),
  };
}

export function elevenlabsRouter(deps: Deps): Router {
  const router = Router();
  router.use(jsonBody('256kb'));
  router.use((req, res, next) => {
    const secret = deps.settings.ELEVENLABS_TOOL_SECRET;
    if (secret && !secretMatches(req, secret, 'x-tool-secret')) {
      res.status(401).json({ ok: false, code: 'UNAUTHORIZED', message: 'Missing or wrong ElevenLabs tool secret.' });
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
    const urlTool = typeof req.params.tool === 'string' ? req.params.tool : undefined;
    const parsed = parseElevenLabs(body, urlTool, str(req.get('x-conversation-id')));
    if (!parsed.name) {
      res.status(400).json(malformed(deps, 'no_tool'));
      return;
    }
    if (!isObj(parsed.args) && typeof parsed.args !== 'string') {
      res.status(400).json(malformed(deps, 'params_not_object'));
      return;
    }
    const { result, kind } = await runTool(deps, parsed.name, parsed.args, {
      platform: 'elevenlabs',
      callId: parsed.callId,
      toolCallId: parsed.toolCallId,
      callerPhone: parsed.callerPhone,
      idempotencyKey: parsed.toolCallId ? `elevenlabs:${parsed.toolCallId}` : contentKey('elevenlabs', parsed.callId, parsed.name, parsed.args),
    });
    res.status(kind === 'unknown_tool' ? 404 : 200).json(result);
  };
  router.post('/', handle);
  router.post('/:tool', handle);
  router.use(bodyErrors((res, status, problem) => res.status(status).json(malformed(deps, problem))));
  return router;
}
