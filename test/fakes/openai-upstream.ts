/**
 * A scripted OpenAI-compatible chat model on 127.0.0.1: each POST .../chat/completions takes the next
 * step of the script, which may look at the request (to answer with what a tool returned, as a
 * model would). Every request is recorded. `stream: true` is answered with chat.completion.chunk
 * events, content in small pieces and tool-call arguments split across deltas, as OpenAI does.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
  id?: string;
}

export type Reply = { content?: string; tool_calls?: ScriptedToolCall[] } | { status: number; error: string };

export interface RecordedRequest {
  body: {
    model: string;
    messages: Array<{ role: string; content?: unknown; tool_call_id?: string; tool_calls?: unknown[] }>;
    tools?: Array<{ type: string; function?: { name: string } }>;
    tool_choice?: unknown;
    stream?: boolean;
    [k: string]: unknown;
  };
  headers: IncomingMessage['headers'];
}

export type Step = Reply | ((req: RecordedRequest['body']) => Reply);

export interface FakeUpstream {
  /** Base URL for the OpenAI client, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Steps still to be used, in order. */
  script: Step[];
  close(): Promise<void>;
}

/** The parsed result of the last `tool` message in a request (what our server sent the model). */
export function lastToolResult(body: RecordedRequest['body']): Record<string, unknown> & { ok: boolean; message: string } {
  const tool = [...body.messages].reverse().find((m) => m.role === 'tool');
  if (!tool || typeof tool.content !== 'string') throw new Error('no tool message in the request');
  return JSON.parse(tool.content) as Record<string, unknown> & { ok: boolean; message: string };
}

function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

export async function startFakeUpstream(script: Step[] = []): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const state = { script, n: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
      requests.push({ body, headers: req.headers });
      const step = state.script.shift();
      if (!step) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"script exhausted"}}');
        return;
      }
      const reply = typeof step === 'function' ? step(body) : step;
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: reply.error, type: 'server_error' } }));
        return;
      }
      const n = ++state.n;
      const toolCalls = (reply.tool_calls ?? []).map((c, i) => ({
        id: c.id ?? `call_${n}_${i}`,
        type: 'function' as const,
        function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
      }));
      const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop';
      const id = `chatcmpl-fake-${n}`;
      const created = 1_700_000_000 + n;
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id,
            object: 'chat.completion',
            created,
            model: body.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: reply.content ?? null, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
                finish_reason: finish,
                logprobs: null,
              },
            ],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const send = (delta: unknown, finishReason: string | null = null, extra: object = {}) =>
        res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }], ...extra })}\n\n`);
      send({ role: 'assistant', content: '' });
      for (const p of pieces(reply.content ?? '', 7)) send({ content: p });
      toolCalls.forEach((c, index) => {
        send({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] });
        for (const p of pieces(c.function.arguments, 9)) send({ tool_calls: [{ index, function: { arguments: p } }] });
      });
      send({}, finish);
      const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
      if (streamOptions?.include_usage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get script() {
      return state.script;
    },
    set script(s: Step[]) {
      state.script = s;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
