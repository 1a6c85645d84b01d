/**
 * Sections 1 and 5: HTTP throughput and latency over loopback, and the server's peak memory.
 *
 * Bookline and the baseline (bench/baseline-server.ts: bare Express, same JSON body parser, fixed
 * answer) each run in their own child process started the same way, so the ratio between them is the
 * cost of our work per request. autocannon drives both from this process. The baseline is measured
 * before and after Bookline, and the mean of the two is used, so drift on a shared machine shows up
 * as spread instead of as a false ratio.
 *
 * Bookings go to distinct free hours (bench/business.json: 10 staff, 07:00-22:00, no per-phone cap)
 * from distinct phone numbers, so they are real durable writes; how many succeeded is read back from
 * the server's own tool-call log and reported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { loadBusinessConfig } from '../src/config/business.js';
import { BENCH_CONFIG, DistinctSlots, phoneFor, sig, summarize } from './util.js';

export interface LoadFigures {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export interface ToolFigures extends LoadFigures {
  /**
   * Tool answers with ok: true, read from the server's call log. It can exceed `requests` by the few
   * calls still in flight when autocannon stopped counting, so the ratio uses the log for both sides.
   */
  toolOk: number;
  toolFailed: Record<string, number>;
  okRatio: number;
  /** Bookline / baseline. */
  rpsRatio: number;
  p50Ratio: number;
}

export interface HttpResult {
  connections: number;
  durationSec: number;
  baseline: LoadFigures & { runs: LoadFigures[] };
  find: ToolFigures;
  book: ToolFigures;
  /** The same three with one connection: unqueued latency. */
  single: { connections: number; durationSec: number; baseline: LoadFigures; find: ToolFigures; book: ToolFigures };
  memory: { serverPeakRssMb: number | null; serverIdleRssMb: number | null; baselinePeakRssMb: number | null };
  method: string;
}

const ROOT = process.cwd();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Child {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
}

/** `node --import tsx <entry>`: the pid we read memory from is the server itself, not a wrapper. */
const BENCH_VAPI_SECRET = 'bench-secret';

async function start(entry: string, env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    // A clean environment: a VAPI_SECRET or PORT in the developer's shell must not change the run.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const child = { proc, port, stderr: () => err };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${entry} exited with ${proc.exitCode} before listening:\n${err}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${entry} did not answer /healthz within 30 s:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child: Child | undefined): Promise<void> {
  if (!child || child.proc.exitCode !== null) return;
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** VmHWM (peak resident set) or VmRSS from /proc, in MB; null where /proc does not exist. */
function memoryMb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? sig(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function vapiBody(toolCallId: string, caller: string, name: string, args: Record<string, unknown>): string {
  return JSON.stringify({
    message: {
      type: 'tool-calls',
      call: { id: 'bench', customer: { number: caller } },
      toolCallList: [{ id: toolCallId, type: 'function', function: { name, arguments: args } }],
    },
  });
}

interface LoadSpec {
  port: number;
  durationSec: number;
  connections: number;
  body?: string;
  /** Builds each request's body; used for bookings so every one is distinct. */
  nextBody?: () => string;
}

async function load(spec: LoadSpec): Promise<LoadFigures> {
  const latencies: number[] = [];
  // Authenticated like a production Vapi deployment; the baseline ignores the header.
  const headers = { 'content-type': 'application/json', 'x-vapi-secret': BENCH_VAPI_SECRET };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${spec.port}`,
        connections: spec.connections,
        duration: spec.durationSec,
        requests: [
          spec.nextBody
            ? { method: 'POST', path: '/webhooks/vapi', headers, setupRequest: (req) => ({ ...req, body: spec.nextBody!() }) }
            : { method: 'POST', path: '/webhooks/vapi', headers, body: spec.body },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    // autocannon's own histogram has 1 ms resolution; keep the exact times for the percentiles.
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
  const lat = summarize(latencies);
  return {
    requestsPerSec: sig(latencies.length / result.duration),
    p50Ms: sig(lat.p50),
    p99Ms: sig(lat.p99),
    requests: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** What the server answered, from its own call log (tool call ids carry the run's prefix). */
function toolOutcomes(dbPath: string, prefix: string): { ok: number; failed: Record<string, number> } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT ok, code, COUNT(*) AS n FROM tool_calls WHERE tool_call_id LIKE ? GROUP BY ok, code')
      .all(`${prefix}%`) as { ok: number; code: string | null; n: number }[];
    const failed: Record<string, number> = {};
    let ok = 0;
    for (const r of rows) {
      if (r.ok) ok += r.n;
      else failed[r.code ?? 'UNKNOWN'] = (failed[r.code ?? 'UNKNOWN'] ?? 0) + r.n;
    }
    return { ok, failed };
  } finally {
    db.close();
  }
}

export async function benchHttp(opts: { quick: boolean }): Promise<HttpResult> {
  const connections = opts.quick ? 4 : 10;
  const durationSec = opts.quick ? 1.5 : 10;
  const warmSec = opts.quick ? 0.5 : 2;
  const dir = mkdtempSync(join(tmpdir(), 'bookline-bench-http-'));
  const dbPath = join(dir, 'bench.db');
  let server: Child | undefined;
  let baseline: Child | undefined;
  try {
    [server, baseline] = await Promise.all([
      start('src/main.ts', {
        DATABASE_PATH: dbPath,
        LOG_LEVEL: 'silent',
        BUSINESS_CONFIG: BENCH_CONFIG,
        // Production mode refuses open entry points: Vapi is authenticated, the unused ones are opted out.
        VAPI_SECRET: BENCH_VAPI_SECRET,
        ALLOW_OPEN_ENTRY_POINTS: 'telnyx,retell,elevenlabs,tools',
        // Each booking uses its own phone, but the limiter would still count them all as writes.
        RATE_LIMIT_PHONE_PER_HOUR: '0',
        SMS_WORKER_INTERVAL_MS: '0',
      }),
      start('bench/baseline-server.ts', {}),
    ]);
    const serverIdleRssMb = memoryMb(server.proc.pid, 'VmRSS');

    const config = loadBusinessConfig(BENCH_CONFIG);
    const zone = config.business.timeZone;
    const slots = new DistinctSlots(zone, DateTime.now().setZone(zone).startOf('day').plus({ days: 1 }), 365, 7, 22, config.staff.length);
    let i = 0;
    const bookBody = (prefix: string) => () => {
      const n = i++;
      return vapiBody(`${prefix}${n}`, phoneFor(n), 'book_appointment', {
        customer_name: `Bench Caller ${n}`,
        service_name: 'haircut',
        appointment_datetime: slots.at(n),
      });
    };
    let f = 0;
    const findBody = (prefix: string) => () => vapiBody(`${prefix}${f++}`, '+15550100000', 'find_available_slots', { service_name: 'haircut' });

    // Warm-up (JIT, SQLite page cache) on both; not recorded.
    await load({ port: baseline.port, durationSec: warmSec, connections, body: findBody('warm-')() });
    await load({ port: server.port, durationSec: warmSec, connections, nextBody: findBody('warm-find-') });
    await load({ port: server.port, durationSec: warmSec, connections, nextBody: bookBody('warm-book-') });

    const base1 = await load({ port: baseline.port, durationSec, connections, body: findBody('base-')() });
    const book = await load({ port: server.port, durationSec, connections, nextBody: bookBody('bench-book-') });
    const find = await load({ port: server.port, durationSec, connections, nextBody: findBody('bench-find-') });
    const base2 = await load({ port: baseline.port, durationSec, connections, body: findBody('base-')() });

    // One connection: the latency a single voice turn waits for when nothing is queued in front of it.
    const oneSec = opts.quick ? 0.5 : 5;
    const oneBase = await load({ port: baseline.port, durationSec: oneSec, connections: 1, body: findBody('base-')() });
    const oneFind = await load({ port: server.port, durationSec: oneSec, connections: 1, nextBody: findBody('one-find-') });
    const oneBook = await load({ port: server.port, durationSec: oneSec, connections: 1, nextBody: bookBody('one-book-') });

    const base: LoadFigures = {
      requestsPerSec: sig((base1.requestsPerSec + base2.requestsPerSec) / 2),
      p50Ms: sig((base1.p50Ms + base2.p50Ms) / 2),
      p99Ms: sig((base1.p99Ms + base2.p99Ms) / 2),
      requests: base1.requests + base2.requests,
      non2xx: base1.non2xx + base2.non2xx,
      errors: base1.errors + base2.errors,
    };
    const withTool = (figures: LoadFigures, prefix: string, base: LoadFigures): ToolFigures => {
      const out = toolOutcomes(dbPath, prefix);
      return {
        ...figures,
        toolOk: out.ok,
        toolFailed: out.failed,
        okRatio: sig(out.ok / Math.max(1, out.ok + Object.values(out.failed).reduce((a, b) => a + b, 0))),
        rpsRatio: sig(figures.requestsPerSec / base.requestsPerSec),
        p50Ratio: sig(figures.p50Ms / base.p50Ms),
      };
    };
    const bookFigures = withTool(book, 'bench-book-', base);
    const findFigures = withTool(find, 'bench-find-', base);
    const one = { connections: 1, durationSec: oneSec, baseline: oneBase, find: withTool(oneFind, 'one-find-', oneBase), book: withTool(oneBook, 'one-book-', oneBase) };
    for (const b of [bookFigures, one.book]) {
      if (b.okRatio < 0.9) throw new Error(`only ${b.toolOk} of ${b.requests} bookings succeeded (${JSON.stringify(b.toolFailed)}); the booking figures would measure refusals`);
    }
    for (const f of [findFigures, one.find]) if (f.okRatio < 0.99) throw new Error(`find_available_slots failed ${JSON.stringify(f.toolFailed)}`);

    return {
      connections,
      durationSec,
      baseline: { ...base, runs: [base1, base2] },
      find: findFigures,
      book: bookFigures,
      single: one,
      memory: {
        serverPeakRssMb: memoryMb(server.proc.pid, 'VmHWM'),
        serverIdleRssMb,
        baselinePeakRssMb: memoryMb(baseline.proc.pid, 'VmHWM'),
      },
      method:
        `autocannon, ${connections} connections, ${durationSec} s per run over 127.0.0.1, POST /webhooks/vapi with a Vapi tool-calls envelope. ` +
        `Bookline: node --import tsx src/main.ts, embedded calendar, SQLite in a temp file (WAL, synchronous=FULL), LOG_LEVEL=silent, bench/business.json. ` +
        `Baseline: bare Express 5 + express.json() answering a fixed body, same launch. Baseline measured before and after; mean used. Then the three again with 1 connection for unqueued latency. Peak RSS = VmHWM of the server process after all runs.`,
    };
  } finally {
    await Promise.all([stop(server), stop(baseline)]);
    rmSync(dir, { recursive: true, force: true });
  }
}
