/**
 * An OpenAI-compatible `POST /v1/chat/completions` that already knows our tools: usable as Vapi's
 * "Custom LLM" and from curl or any OpenAI client.
 *
 * The request is forwarded to an upstream OpenAI-compatible model with our system prompt (business,
 * time zone, today's date) and our tools added. Tool calls the model makes to our tools run here,
 * through runTool, and their results go back to the model, for at most CHAT_MAX_TOOL_ROUNDS rounds;
 * then one last round without tools makes it answer in words. The client sees only the final
 * assistant turn (plus any words the model said while calling tools, when streaming).
 *
 * Tools the client sent itself (Vapi's endCall, transferCall...) are offered to the model as well;
 * when the model calls one, that call is returned to the client to run, as OpenAI would.
 *
 * `stream: true` answers as server-sent events in OpenAI's `chat.completion.chunk` format, ending
 * with `data: [DONE]`; content is forwarded as the upstream produces it, so a voice platform can
 * start speaking before the model has finished.
 */
import { Router, type Request, type Response } from 'express';
import type OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { randomBase32hex } from '../domain/ids.js';
import { FORMATS } from '../tools/definitions.js';
import { getTool, runTool, TOOLS } from '../tools/registry.js';
import { bodyErrors, isObj, jsonBody, problemText, str } from './common.js';
import { requireBearer } from './signatures.js';

const UPSTREAM_TIMEOUT_MS = 30_000;
const FALLBACK_SPOKEN = "Sorry, I'm having trouble right now. Could you say that again in a moment?";

function openaiError(res: Response, status: number, message: string, type: string, code: string | null = null, param: string | null = null): void {
  res.status(status).json({ error: { message, type, param, code } });
}

const messageSchema = z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']) });

const requestSchema = z.looseObject({
  model: z.string().max(200).optional(),
  messages: z.array(messageSchema).min(1).max(1000),
  stream: z.boolean().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).max(128).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});
type ChatRequest = z.output<typeof requestSchema>;

/** The SDK class, loaded by the first chat request rather than at start-up (most servers never configure /v1). */
let sdk: Promise<typeof OpenAI> | undefined;
const loadOpenAI = () => (sdk ??= import('openai').then((m) => m.default));

export const upstreamConfigured = (settings: Deps['settings']) => Boolean(settings.OPENAI_BASE_URL || settings.OPENAI_API_KEY);

/** The upstream client, or undefined when none is configured (the endpoint then answers 503). */
export async function upstreamClient(settings: Deps['settings']): Promise<OpenAI | undefined> {
  if (!upstreamConfigured(settings)) return undefined;
  const OpenAIClient = await loadOpenAI();
  return new OpenAIClient({
    // Local OpenAI-compatible servers often need no key; the SDK insists on a string.
    apiKey: settings.OPENAI_API_KEY ?? 'not-needed',
    baseURL: settings.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
    timeout: UPSTREAM_TIMEOUT_MS,
    // One retry: a caller is waiting on the line, and a second one would outlast their patience.
    maxRetries: 1,
  });
}

/** The system prompt: who we are and what "today" is, which a model cannot know by itself. */
export function systemPrompt(deps: Deps): string {
  const now = deps.clock.now();
  const { business } = deps.config;
  const where = business.address ? ` at ${business.address}` : '';
  return [
    `You are the phone receptionist for ${business.name}${where}. You help callers find a time, book, reschedule, cancel, and check their appointments, using the tools.`,
    `Today is ${deps.speech.day(now, now)} (${deps.speech.localDate(now)}), and it is ${deps.speech.time(now)} in the business time zone, ${business.timeZone}. All dates and times are in that zone; pass them to tools as local ISO, e.g. ${deps.speech.localDate(now)}T14:30, with no offset.`,
    'Only offer times a tool returned; never guess availability. Confirm the name, service and time with the caller before booking, moving or cancelling.',
    "Each tool result has a `message`: say it to the caller in your own words. If ok is false, the message says what went wrong and what to ask next; nothing was changed unless it says so.",
    'Keep answers short and conversational: this is a phone call. Never read out ids, codes or ISO dates.',
  ].join('\n');
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

interface Turn {
  content: string;
  calls: PendingCall[];
  finishReason: string;
  usage?: OpenAI.CompletionUsage | undefined;
}

/** Where a streamed answer goes; undefined when the client did not ask to stream. */
interface Sink {
  content(text: string): void;
}

class SseWriter implements Sink {
  private started = false;
  constructor(
    private readonly res: Response,
    private readonly id: string,
    private readonly created: number,
    private readonly model: string,
  ) {}

  get headersSent(): boolean {
    return this.started;
  }

  private chunk(delta: ChatCompletionChunk.Choice.Delta, finishReason: ChatCompletionChunk.Choice['finish_reason'] = null): void {
    if (!this.started) {
      this.started = true;
      this.res.status(200);
      this.res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      this.res.setHeader('Cache-Control', 'no-cache, no-transform');
      this.res.setHeader('Connection', 'keep-alive');
      this.res.setHeader('X-Accel-Buffering', 'no');
      this.res.flushHeaders();
      this.write({ role: 'assistant', content: '' }, null);
    }
    this.write(delta, finishReason);
  }

  private write(delta: ChatCompletionChunk.Choice.Delta, finishReason: ChatCompletionChunk.Choice['finish_reason']): void {
    const chunk: ChatCompletionChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    };
    this.res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  content(text: string): void {
    if (text) this.chunk({ content: text });
  }

  toolCalls(calls: PendingCall[]): void {
    this.chunk({
      tool_calls: calls.map((c, index) => ({ index, id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    });
  }

  finish(reason: 'stop' | 'tool_calls' | 'length'): void {
    this.chunk({}, reason);
    this.res.write('data: [DONE]\n\n');
    this.res.end();
  }
}

/** Function tools the client brought, minus any that shadow ours. */
function clientTools(req: ChatRequest): ChatCompletionTool[] {
  return (req.tools ?? []).filter(
    (t): boolean => t.type === 'function' && isObj(t.function) && typeof t.function.name === 'string' && !getTool(t.function.name),
  ) as unknown as ChatCompletionTool[];
}

async function upstreamTurn(client: OpenAI, params: ChatCompletionCreateParamsBase, sink: Sink | undefined, signal: AbortSignal): Promise<Turn> {
  if (!sink) {
    const completion = await client.chat.completions.create({ ...params, stream: false }, { signal });
    const choice = completion.choices[0];
    const calls = (choice?.message.tool_calls ?? [])
      .filter((c): c is ChatCompletionMessageFunctionToolCall => c.type === 'function')
      .map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
    return { content: choice?.message.content ?? '', calls, finishReason: choice?.finish_reason ?? 'stop', usage: completion.usage };
  }
  // No stream_options.include_usage: not every OpenAI-compatible server accepts it, and a streamed
  // answer to our client carries no usage anyway.
  const stream = await client.chat.completions.create({ ...params, stream: true }, { signal });
  let content = '';
  let finishReason = 'stop';
  let usage: OpenAI.CompletionUsage | undefined;
  const calls: PendingCall[] = [];
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.content) {
      content += choice.delta.content;
      sink.content(choice.delta.content);
    }
    for (const d of choice.delta.tool_calls ?? []) {
      // Streamed tool calls arrive in pieces keyed by index: id and name first, arguments in parts.
      const c = (calls[d.index] ??= { id: '', name: '', arguments: '' });
      if (d.id) c.id = d.id;
      if (d.function?.name) c.name += d.function.name;
      if (d.function?.arguments) c.arguments += d.function.arguments;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  return { content, calls: calls.filter(Boolean), finishReason, usage };
}

function addUsage(total: OpenAI.CompletionUsage | undefined, more: OpenAI.CompletionUsage | undefined): OpenAI.CompletionUsage | undefined {
  if (!more) return total;
  if (!total) return { ...more };
  return {
    prompt_tokens: total.prompt_tokens + more.prompt_tokens,
    completion_tokens: total.completion_tokens + more.completion_tokens,
    total_tokens: total.total_tokens + more.total_tokens,
  };
}

export function openaiChatRouter(deps: Deps): Router {
  const router = Router();
  // One client for the router's life, made on first use.
  let client: Promise<OpenAI | undefined> | undefined;
  const ourTools = FORMATS.openai(TOOLS) as ChatCompletionTool[];
  router.use(jsonBody('1mb'));
  router.use(
    requireBearer(
      () => deps.settings.TOOLS_API_KEY,
      (res) => openaiError(res, 401, 'Invalid or missing API key: send Authorization: Bearer <TOOLS_API_KEY>.', 'invalid_request_error', 'invalid_api_key'),
    ),
  );

  router.get('/models', (_req, res) => {
    const id = deps.settings.OPENAI_MODEL ?? 'bookline';
    res.json({ object: 'list', data: [{ id, object: 'model', created: 0, owned_by: 'bookline' }] });
  });

  router.post('/chat/completions', async (req: Request, res: Response) => {
    if (!upstreamConfigured(deps.settings)) {
      openaiError(res, 503, 'No upstream model is configured: set OPENAI_BASE_URL and/or OPENAI_API_KEY (and OPENAI_MODEL).', 'service_unavailable', 'upstream_not_configured');
      return;
    }
    const parsed = requestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = issue.path.join('.') || null;
      openaiError(res, 400, `Invalid request: ${param ? `${param}: ` : ''}${issue.message}`, 'invalid_request_error', null, param);
      return;
    }
    const body = parsed.data;
    const model = deps.settings.OPENAI_MODEL ?? body.model;
    if (!model) {
      openaiError(res, 400, 'No model: send "model" or set OPENAI_MODEL.', 'invalid_request_error', null, 'model');
      return;
    }

    // Vapi's custom-LLM request carries the call; other clients can name it in headers.
    const call = isObj(body.call) ? body.call : {};
    const customer = isObj(call.customer) ? call.customer : isObj(body.customer) ? body.customer : {};
    const callId = str(call.id) ?? str(req.get('x-call-id'));
    const callerPhone = str(customer.number, 64) ?? str(req.get('x-caller-number'), 64);

    const id = `chatcmpl-${randomBase32hex(24)}`;
    const created = Math.floor(deps.clock.now() / 1000);
    const sse = body.stream ? new SseWriter(res, id, created, model) : undefined;
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });

    const extraTools = clientTools(body);
    const clientNames = new Set(extraTools.map((t) => (t as { function: { name: string } }).function.name));
    const tools = [...ourTools, ...extraTools];
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: systemPrompt(deps) },
      ...(body.messages as unknown as ChatCompletionMessageParam[]),
    ];
    const base: Omit<ChatCompletionCreateParamsBase, 'messages'> = { model, tools };
    if (body.temperature != null) base.temperature = body.temperature;
    if (body.top_p != null) base.top_p = body.top_p;
    if (body.max_tokens != null) base.max_tokens = body.max_tokens;
    if (body.max_completion_tokens != null) base.max_completion_tokens = body.max_completion_tokens;

    let usage: OpenAI.CompletionUsage | undefined;
    let spoken = '';
    try {
      client ??= upstreamClient(deps.settings);
      const upstream = (await client)!;
      for (let round = 0; ; round++) {
        const lastRound = round >= deps.settings.CHAT_MAX_TOOL_ROUNDS;
        const turn = await upstreamTurn(upstream, { ...base, messages, tool_choice: lastRound ? 'none' : 'auto' }, sse, abort.signal);
        usage = addUsage(usage, turn.usage);
        spoken += turn.content;
        // A name that is neither ours nor the client's goes to runTool, whose answer tells the model
        // which tools exist.
        const theirs = turn.calls.filter((c) => clientNames.has(c.name));
        const ours = turn.calls.filter((c) => !clientNames.has(c.name));

        if (turn.calls.length === 0 || lastRound) {
          const reason = turn.finishReason === 'length' ? 'length' : 'stop';
          if (sse) sse.finish(reason);
          else res.json(completion(id, created, model, { role: 'assistant', content: turn.content, refusal: null }, reason, usage));
          return;
        }
        if (theirs.length > 0) {
          // The client runs its own tools; ours from the same turn are dropped (not run), and the
          // model can ask again once the client has answered.
          const toolCalls = theirs.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
          if (sse) {
            sse.toolCalls(theirs);
            sse.finish('tool_calls');
          } else {
            res.json(completion(id, created, model, { role: 'assistant', content: turn.content || null, refusal: null, tool_calls: toolCalls }, 'tool_calls', usage));
          }
          return;
        }

        messages.push({
          role: 'assistant',
          content: turn.content || null,
          tool_calls: ours.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
        });
        // In order, one at a time: two calls in one turn may touch the same appointment.
        for (const c of ours) {
          // No idempotency key: the tool-call id is minted by the model inside this request, so a
          // retried HTTP request gets new ids anyway and there is nothing stable to key on.
          const { result } = await runTool(deps, c.name, c.arguments, { platform: 'openai-chat', callId, toolCallId: c.id, callerPhone });
          messages.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify(result) });
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return; // the client went away; nobody to answer
      const status = await loadOpenAI().then(
        (O) => (err instanceof O.APIError ? err.status : undefined),
        () => undefined,
      );
      deps.logger.error({ err, status }, 'upstream model failed');
      if (sse?.headersSent) {
        // Words may already have been spoken; finish the turn with an apology rather than cut off.
        sse.content(`${spoken ? ' ' : ''}${FALLBACK_SPOKEN}`);
        sse.finish('stop');
        return;
      }
      openaiError(res, 502, `The upstream model failed${status ? ` with HTTP ${status}` : ''}; please retry.`, 'upstream_error', 'upstream_failed');
    }
  });

  router.use(bodyErrors((res, status, problem) => openaiError(res, status, problemText(deps, problem), 'invalid_request_error')));
  return router;
}

function completion(
  id: string,
  created: number,
  model: string,
  message: OpenAI.ChatCompletionMessage,
  finishReason: 'stop' | 'tool_calls' | 'length',
  usage: OpenAI.CompletionUsage | undefined,
): OpenAI.ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
    ...(usage ? { usage } : {}),
  };
}
