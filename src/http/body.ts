/**
 * A JSON request body read straight off the socket, for handlers that run without Express's
 * body-parser (the voice webhooks, see ./lanes.ts). It accepts what express.json() accepted for them:
 * application/json (or +json) in UTF-8, identity, gzip, deflate or brotli, up to `limit` bytes after
 * decompression, a top-level object or array (body-parser's strict mode), an empty body as {}.
 * Failures are problems, not exceptions, so each platform answers them in its own shape.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export type BodyProblem = 'not_json' | 'too_large' | 'encoding';

export type JsonBody =
  | { ok: true; raw: Buffer; value: unknown }
  /** Not a JSON content type: nothing was read (as express.json() leaves req.body unset). */
  | { ok: true; raw: undefined; value: undefined }
  | { ok: false; status: 400 | 413 | 415; problem: BodyProblem };

const isJsonType = (type: string | undefined): boolean => {
  if (!type) return false;
  const media = type.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
};

function charsetOf(type: string): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(type);
  return m?.[1]?.toLowerCase();
}

function decoder(req: IncomingMessage): Readable | undefined {
  const enc = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  switch (enc) {
    case 'identity':
      return req;
    case 'gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      return undefined;
  }
}

export function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonBody> {
  const type = req.headers['content-type'];
  if (!isJsonType(type)) return Promise.resolve({ ok: true, raw: undefined, value: undefined });
  const charset = charsetOf(type!);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return Promise.resolve({ ok: false, status: 415, problem: 'encoding' });
  const declared = Number(req.headers['content-length']);
  const identity = req.headers['content-encoding'] === undefined;
  if (identity && declared > limit) return Promise.resolve({ ok: false, status: 413, problem: 'too_large' });
  const source = decoder(req);
  if (!source) return Promise.resolve({ ok: false, status: 415, problem: 'encoding' });

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (v: JsonBody) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      resolve(v);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settle({ ok: false, status: 413, problem: 'too_large' });
        // Whatever else was sent is read and dropped, so the answer is not a reset.
        source.resume();
        return;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('error', () => settle({ ok: false, status: 400, problem: 'not_json' }));
    // A client that goes away mid-body: nothing will read the answer, but the handler must not hang.
    req.once('close', () => {
      if (!req.complete) settle({ ok: false, status: 400, problem: 'not_json' });
    });
    source.once('end', () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (raw.length === 0) return settle({ ok: true, raw, value: {} });
      const text = raw.toString('utf8');
      // Strict, like body-parser: the first non-blank character opens an object or an array.
      const first = /\S/.exec(text)?.[0];
      if (first !== '{' && first !== '[') return settle({ ok: false, status: 400, problem: 'not_json' });
      try {
        settle({ ok: true, raw, value: JSON.parse(text) as unknown });
      } catch {
        settle({ ok: false, status: 400, problem: 'not_json' });
      }
    });
  });
}
