/**
 * A local stand-in for the Telnyx Messaging API (POST /v2/messages) on 127.0.0.1, reached by the
 * real `telnyx` SDK through its baseURL option. It answers with the documented response shape
 * (`{ data: OutboundMessagePayload }`, see the SDK's MessageSendResponse) and records every message
 * it accepted. Faults are queued per request: error statuses, slow answers (client timeouts), and
 * dropped connections, each either before or after the message is "accepted", because the
 * difference between the two is exactly what the outbox has to cope with.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMessage {
  id: string;
  to: string;
  from: string | null;
  messagingProfileId: string | null;
  text: string;
  receivedAt: number;
}

export type Fault =
  /** Answer with this HTTP status and a Telnyx error body; nothing is accepted. */
  | { status: number }
  /** Accept (or not) and answer only after `delayMs`: longer than the client timeout = a timeout. */
  | { delayMs: number; accept: boolean }
  /** Accept (or not) and cut the connection without an answer. */
  | { drop: true; accept: boolean };

export interface FakeTelnyxOptions {
  apiKey?: string;
  /** Added to every answer (the kill test needs sends slow enough to be caught mid-batch). */
  latencyMs?: number;
}

export class FakeTelnyx {
  readonly apiKey: string;
  readonly messages: FakeMessage[] = [];
  /** Every POST /v2/messages, accepted or not. */
  requests = 0;
  latencyMs: number;
  private readonly faults: Fault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  baseURL = '';

  constructor(opts: FakeTelnyxOptions = {}) {
    this.apiKey = opts.apiKey ?? 'KEY_test_fake';
    this.latencyMs = opts.latencyMs ?? 0;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseURL = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests get this fault, in order after any already queued. */
  fail(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** Accepted messages per text: a duplicate SMS shows up as a count above 1. */
  countsByText(): Map<string, number> {
    const m = new Map<string, number>();
    for (const msg of this.messages) m.set(msg.text, (m.get(msg.text) ?? 0) + 1);
    return m;
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v2/messages') return error(res, 404, '10005', 'Resource not found', `${req.method} ${req.url}`);
    this.requests++;
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return error(res, 401, '10009', 'Authentication failed', 'The API key is missing or wrong.');

    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return error(res, 400, '10015', 'Bad Request', 'The request body is not valid JSON.');
    }
    const to = typeof body.to === 'string' ? body.to : undefined;
    const text = typeof body.text === 'string' ? body.text : undefined;
    const from = typeof body.from === 'string' ? body.from : null;
    const profile = typeof body.messaging_profile_id === 'string' ? body.messaging_profile_id : null;
    if (!to || !/^\+[1-9]\d{6,14}$/.test(to)) return error(res, 422, '40310', 'Invalid \'to\' address', 'The destination number is invalid.', '/to');
    if (!text) return error(res, 422, '40005', 'Invalid message body', 'Text is required for SMS.', '/text');
    if (!from && !profile) return error(res, 422, '40305', 'Invalid \'from\' address', 'A from number or messaging_profile_id is required.', '/from');

    const fault = this.faults.shift();
    if (fault && 'status' in fault) {
      return this.later(this.latencyMs, () => error(res, fault.status, '10007', 'Unexpected error', 'An unexpected error occured.'));
    }
    const accept = !fault || fault.accept;
    const msg: FakeMessage = { id: randomUUID(), to, from, messagingProfileId: profile, text, receivedAt: Date.now() };
    if (accept) this.messages.push(msg);
    if (fault && 'drop' in fault) {
      req.socket.destroy();
      return;
    }
    const delay = this.latencyMs + (fault && 'delayMs' in fault ? fault.delayMs : 0);
    this.later(delay, () => {
      if (res.destroyed) return;
      if (!accept) return error(res, 500, '10007', 'Unexpected error', 'An unexpected error occured.');
      json(res, 200, { data: payload(msg) });
    });
  }
}

/** The fields Telnyx returns for a queued outbound SMS (MessageSendResponse.data). */
function payload(m: FakeMessage) {
  const now = new Date(m.receivedAt).toISOString();
  return {
    record_type: 'message',
    direction: 'outbound',
    id: m.id,
    type: 'SMS',
    messaging_profile_id: m.messagingProfileId ?? '4001767e-ce0f-4cae-9d5f-0d5e636e7809',
    organization_id: 'b448f9cc-a842-4784-98e9-03c1a5872950',
    from: { phone_number: m.from ?? '+18445550001', carrier: 'TELNYX LLC', line_type: 'VoIP' },
    to: [{ phone_number: m.to, status: 'queued', carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' }],
    cc: [],
    text: m.text,
    media: [],
    webhook_url: null,
    webhook_failover_url: null,
    encoding: 'GSM-7',
    parts: 1,
    tags: [],
    cost: null,
    received_at: now,
    sent_at: null,
    completed_at: null,
    valid_until: new Date(m.receivedAt + 14_400_000).toISOString(),
    errors: [],
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: string, title: string, detail: string, pointer?: string): void {
  if (res.destroyed) return;
  json(res, status, { errors: [{ code, title, detail, ...(pointer ? { source: { pointer } } : {}) }] });
}
