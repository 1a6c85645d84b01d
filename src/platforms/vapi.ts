/**
 * Vapi server messages <-> tool calls. Vapi's own docs and SDK disagree on the tool-call shape
 * (see shared/reference/voice-platform-wire-formats.md, section 1.2), so every shape seen in the
 * wild is accepted: toolCallList items with function.arguments as a string or an object, flat
 * arguments/parameters, and toolWithToolCallList[].toolCall.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { Deps } from '../deps.js';
import { bearerToken, matchesSecret } from '../http/auth.js';
import { readJsonBody } from '../http/body.js';
import { INTERNAL_ANSWER, malformed, type RequestProblem } from './common.js';
import { verifyVapiHmac } from './signatures.js';
import { runTool } from '../tools/registry.js';

export interface VapiToolCall {
  id: string;
  name: string;
  args: unknown;
}

export interface VapiEnvelope {
  type: string;
  callId?: string | undefined;
  callerPhone?: string | undefined;
  calls: VapiToolCall[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function toCall(raw: unknown, index: number): VapiToolCall {
  const c = isObj(raw) ? raw : {};
  const inner = isObj(c.toolCall) ? c.toolCall : c;
  const fn = isObj(inner.function) ? inner.function : {};
  const id = str(inner.id) ?? str(c.id) ?? `call_${index}`;
  const name = str(fn.name) ?? str(inner.name) ?? str(c.name) ?? '';
  const args = fn.arguments ?? inner.arguments ?? fn.parameters ?? inner.parameters ?? {};
  return { id, name, args };
}

/** Reads a Vapi request body; undefined when it is not a Vapi server message at all. */
export function parseVapiMessage(body: unknown): VapiEnvelope | undefined {
  if (!isObj(body) || !isObj(body.message)) return undefined;
  const m = body.message;
  const type = str(m.type) ?? 'unknown';
  const call = isObj(m.call) ? m.call : {};
  const customer = isObj(call.customer) ? call.customer : isObj(m.customer) ? m.customer : {};
  const list = Array.isArray(m.toolCallList)
    ? m.toolCallList
    : Array.isArray(m.toolCalls)
      ? m.toolCalls
      : Array.isArray(m.toolWithToolCallList)
        ? m.toolWithToolCallList
        : [];
  return {
    type,
    callId: str(call.id),
    callerPhone: str(customer.number),
    calls: type === 'tool-calls' ? list.map(toCall) : [],
  };
}

/**
 * A request we cannot read (not JSON, over the size limit, not a Vapi message) in Vapi's response
 * shape: one result holding the failure as a JSON string, and the top-level `error` Vapi's type has.
 * There is no tool call id to echo: the calls could not be read. The status says what went wrong
 * (400, 413, 415); Vapi itself only acts on 200s, so this is for whoever reads its logs and ours.
 */
function unreadable(deps: Deps, res: ServerResponse, status: number, problem: RequestProblem): void {
  const result = malformed(deps, problem);
  send(res, status, JSON.stringify({ results: [{ result: JSON.stringify(result) }], error: result.message }), problem === 'too_large');
}

function send(res: ServerResponse, status: number, body: string, close = false): void {
  // As Express's res.json would, minus the ETag nobody asks for on a POST.
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(close && { connection: 'close' }),
  });
  res.end(body);
}

/**
 * One `{"toolCallId","name","result"}` entry as JSON text. Vapi wants the result as a JSON string, so
 * the result is serialised once and that text escaped once, straight into the answer.
 */
function resultEntry(call: VapiToolCall, result: unknown): string {
  return `{"toolCallId":${JSON.stringify(call.id)},"name":${JSON.stringify(call.name)},"result":${JSON.stringify(JSON.stringify(result))}}`;
}

const BODY_LIMIT = 256 * 1024;

/**
 * POST /webhooks/vapi as a plain Node handler: it reads its own body, so it runs the same under
 * Express (createApp) and in the server's fast lane (src/http/lanes.ts), and answers an unreadable
 * body in Vapi's shape.
 */
export function vapiHandler(deps: Deps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const handle = answer(deps);
  // Never rejects: a failure of ours is answered here, in the words Express's error handler uses,
  // whichever of the two called it.
  return (req, res) =>
    handle(req, res).catch((err: unknown) => {
      deps.logger.error({ err, path: req.url }, 'unhandled error');
      if (res.headersSent) return void res.destroy();
      send(res, 500, JSON.stringify(INTERNAL_ANSWER));
    });
}

function answer(deps: Deps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const body = await readJsonBody(req, BODY_LIMIT);
    if (!body.ok) return unreadable(deps, res, body.status, body.problem);
    // Either credential Vapi offers is enough: a shared secret (X-Vapi-Secret or bearer), or HMAC.
    const secret = deps.settings.VAPI_SECRET;
    const hmacSecret = deps.settings.VAPI_HMAC_SECRET;
    if (secret || hmacSecret) {
      const header = req.headers['x-vapi-secret'];
      const given = (Array.isArray(header) ? header[0] : header) ?? bearerToken(req);
      const bySecret = secret !== undefined && given !== undefined && matchesSecret(given, secret);
      const byHmac =
        hmacSecret !== undefined &&
        verifyVapiHmac(body.raw ?? Buffer.alloc(0), headerOf(req, 'x-signature'), headerOf(req, 'x-timestamp'), hmacSecret, deps.clock.now()).ok;
      if (!bySecret && !byHmac) return send(res, 401, '{"error":"unauthorized"}');
    }
    const env = parseVapiMessage(body.value);
    if (!env) return unreadable(deps, res, 400, 'not_vapi');
    // status-update, end-of-call-report, transcripts...: nothing to answer, answer fast.
    if (env.type !== 'tool-calls') return send(res, 200, '{}');
    const results: string[] = [];
    // In call order, one after another: two calls in one turn may touch the same appointment.
    for (const call of env.calls) {
      const { result } = await runTool(deps, call.name, call.args, {
        platform: 'vapi',
        callId: env.callId,
        toolCallId: call.id,
        callerPhone: env.callerPhone,
        idempotencyKey: `vapi:${call.id}`,
      });
      results.push(resultEntry(call, result));
    }
    // Vapi ignores any status but 200, so failures travel inside each result.
    send(res, 200, `{"results":[${results.join(',')}]}`);
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function vapiRouter(deps: Deps): Router {
  const router = Router();
  const handler = vapiHandler(deps);
  router.post('/', (req, res) => handler(req, res));
  return router;
}
