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
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { loadBusinessConfig } from '../src/config/business.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { BENCH_CONFIG, DistinctSlots, freePort, phoneFor, sig, summarize } from './util.js';

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
  /** Spawn to the first 200 from /healthz. */
  startup: { serverMs: number; baselineMs: number };
  /** How the server was started: the compiled production build, or the tsx loader (quick mode). */
  launch: 'production build' | 'tsx';
  /**
   * find again, 10 connections, against a server whose database is on tmpfs (/dev/shm), where fsync
   * returns at once: read-only call-log batches commit without an fsync of their own, so the distance
   * to `find` is what the disk's load (and WAL checkpoints) still costs. Null where there is no /dev/shm, and in quick mode.
   */
  findNoFsync: ToolFigures | null;
  /** A separate server under the same find load with node --cpu-prof. */
  profile: ProfileSummary & { seconds: number };
  targets: TargetRow[];
  method: string;
}

export interface TargetRow {
  figure: string;
  value: number | null;
  unit: string;
  target: string;
  met: boolean | null;
}

const ROOT = process.cwd();

export interface Child {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  startupMs: number;
}

export const BENCH_VAPI_SECRET = 'bench-secret';

/**
 * `node [args] <entry>`, never through npm or a wrapper: the pid we read memory from is the server
 * itself. A .ts entry runs under the tsx loader.
 */
export async function start(entry: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const t0 = performance.now();
  const args = [...nodeArgs, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    // A clean environment: a VAPI_SECRET or PORT in the developer's shell must not change the run.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${entry} exited with ${proc.exitCode} before listening:\n${err}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return { proc, port, stderr: () => err, startupMs: sig(performance.now() - t0) };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${entry} did not answer /healthz within 30 s:\n${err}`);
    }
    // Polled often: start-up time is a reported figure.
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The production start (`npm run build && node dist/src/main.js`), compiled into its own directory so
 * a bench never races `npm run build` or the build test over dist/. Quick mode skips the compile
 * (about 20 s) and runs src/main.ts under tsx.
 */
function buildServer(quick: boolean): { entry: string; launch: HttpResult['launch']; nodeArgs: string[] } {
  if (quick) return { entry: 'src/main.ts', launch: 'tsx', nodeArgs: [] };
  const out = join('bench', 'results', '.build');
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out, '--sourceMap', 'false'], { cwd: ROOT, stdio: 'inherit' });
  return { entry: join(out, 'src', 'main.js'), launch: 'production build', nodeArgs: productionNodeArgs() };
}

/** The node flags of `npm run start:prod` (package.json), so the bench starts the server as production does. */
export function productionNodeArgs(): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const m = /^exec node((?: --[^ ]+)*) dist\/src\/main\.js$/.exec(scripts['start:prod'] ?? '');
  if (!m) throw new Error(`package.json start:prod is not "exec node [--flags] dist/src/main.js": ${scripts['start:prod']}`);
  return m[1]!.trim().split(' ').filter(Boolean);
}

export async function stop(child: Child | undefined): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** VmHWM (peak resident set) or VmRSS from /proc, in MB; null where /proc does not exist. */
export function memoryMb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? sig(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export function vapiBody(toolCallId: string, caller: string, name: string, args: Record<string, unknown>): string {
  return JSON.stringify({
    message: {
      type: 'tool-calls',
      call: { id: 'bench', customer: { number: caller } },
      toolCallList: [{ id: toolCallId, type: 'function', function: { name, arguments: args } }],
    },
  });
}

export interface LoadSpec {
  port: number;
  durationSec: number;
  connections: number;
  body?: string;
  /** Builds each request's body; used for bookings so every one is distinct. */
  nextBody?: () => string;
}

export async function load(spec: LoadSpec): Promise<LoadFigures> {
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
export function toolOutcomes(dbPath: string, prefix: string): { ok: number; failed: Record<string, number> } {
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

/** The bench server's environment: the bench business, authenticated Vapi, nothing in the way of a load. */
export function serverEnv(db: string): Record<string, string> {
  return {
    DATABASE_PATH: db,
    LOG_LEVEL: 'silent',
    BUSINESS_CONFIG: BENCH_CONFIG,
    // Production mode refuses open entry points: Vapi is authenticated, the unused ones are opted out.
    VAPI_SECRET: BENCH_VAPI_SECRET,
    ALLOW_OPEN_ENTRY_POINTS: 'telnyx,retell,elevenlabs,tools',
    // Each booking uses its own phone, but the limiter would still count them all as writes.
    RATE_LIMIT_PHONE_PER_HOUR: '0',
    SMS_WORKER_INTERVAL_MS: '0',
  };
}

export async function benchHttp(opts: { quick: boolean }): Promise<HttpResult> {
  const connections = opts.quick ? 4 : 10;
  const durationSec = opts.quick ? 1.5 : 10;
  const warmSec = opts.quick ? 0.5 : 2;
  const dir = mkdtempSync(join(tmpdir(), 'bookline-bench-http-'));
  const dbPath = join(dir, 'bench.db');
  let server: Child | undefined;
  let baseline: Child | undefined;
  let profiled: Child | undefined;
  let memoryless: Child | undefined;
  try {
    const { entry, launch, nodeArgs } = buildServer(opts.quick);
    // One at a time: start-up time is a figure, and two cold starts on two cores would share them.
    baseline = await start('bench/baseline-server.ts', {});
    // Quick mode profiles the measured server itself (its figures are not for quoting) to save a start.
    const profDir = join(dir, 'prof');
    const profArgs = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
    server = await start(entry, serverEnv(dbPath), opts.quick ? profArgs : nodeArgs);
    // Idle: listening, nothing asked yet, after the start-up work has settled.
    await new Promise((r) => setTimeout(r, opts.quick ? 200 : 1_000));
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
    // Quick mode's profile covers the one-connection runs, up to the server's exit.
    let profStart = performance.now();
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
    const withTool = (figures: LoadFigures, prefix: string, base: LoadFigures, db = dbPath): ToolFigures => {
      const out = toolOutcomes(db, prefix);
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
    const memory = {
      serverPeakRssMb: memoryMb(server.proc.pid, 'VmHWM'),
      serverIdleRssMb,
      baselinePeakRssMb: memoryMb(baseline.proc.pid, 'VmHWM'),
    };
    await Promise.all([stop(server), stop(baseline)]);

    let findNoFsync: ToolFigures | null = null;
    // Full runs only: one more server start would cost quick mode (CI) a third of its time.
    if (!opts.quick && existsSync('/dev/shm')) {
      const shm = mkdtempSync(join('/dev/shm', 'bookline-bench-'));
      try {
        memoryless = await start(entry, serverEnv(join(shm, 'bench.db')), nodeArgs);
        await load({ port: memoryless.port, durationSec: warmSec, connections, nextBody: findBody('shm-warm-') });
        const figures = await load({ port: memoryless.port, durationSec, connections, nextBody: findBody('shm-find-') });
        findNoFsync = withTool(figures, 'shm-find-', base, join(shm, 'bench.db'));
        if (findNoFsync.okRatio < 0.99) throw new Error(`find_available_slots on tmpfs failed ${JSON.stringify(findNoFsync.toolFailed)}`);
      } finally {
        await stop(memoryless);
        rmSync(shm, { recursive: true, force: true });
      }
    }

    // In a full run the profile comes from its own server, so profiling costs nothing in the figures above.
    const profSec = opts.quick ? oneSec : 5;
    if (!opts.quick) {
      profiled = await start(entry, serverEnv(join(dir, 'profiled.db')), [...nodeArgs, ...profArgs]);
      await load({ port: profiled.port, durationSec: warmSec, connections, nextBody: findBody('prof-warm-') });
      profStart = performance.now();
      const profLoad = await load({ port: profiled.port, durationSec: profSec, connections, nextBody: findBody('prof-find-') });
      if (profLoad.non2xx || profLoad.errors) throw new Error(`the profiled find load had ${profLoad.non2xx} non-2xx answers and ${profLoad.errors} errors`);
      await stop(profiled);
    }
    const profWindowMs = performance.now() - profStart;
    const profFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!profFile) throw new Error('node --cpu-prof wrote no profile (the server did not exit cleanly on SIGTERM)');
    const profile = { ...summarizeProfile(join(profDir, profFile), profWindowMs), seconds: profSec };

    const startup = { serverMs: server.startupMs, baselineMs: baseline.startupMs };
    const target = (figure: string, value: number | null, unit: string, op: '>=' | '<=', limit: number): TargetRow => ({
      figure,
      value,
      unit,
      target: `${op} ${limit}${unit}`,
      met: value === null ? null : op === '>=' ? value >= limit : value <= limit,
    });
    const targets = [
      target('find, 10 connections: req/s / baseline', findFigures.rpsRatio, 'x', '>=', 0.3),
      target('find, 1 connection: p50', one.find.p50Ms, ' ms', '<=', 1),
      target('book, durable: req/s / baseline', bookFigures.rpsRatio, 'x', '>=', 0.15),
      target('RSS idle', memory.serverIdleRssMb, ' MB', '<=', 120),
      target('RSS peak through the HTTP bench', memory.serverPeakRssMb, ' MB', '<=', 150),
      target('start-up to /healthz', startup.serverMs, ' ms', '<=', 1500),
    ];

    return {
      connections,
      durationSec,
      baseline: { ...base, runs: [base1, base2] },
      find: findFigures,
      book: bookFigures,
      single: one,
      findNoFsync,
      memory,
      startup,
      launch,
      profile,
      targets,
      method:
        `autocannon, ${connections} connections, ${durationSec} s per run over 127.0.0.1, POST /webhooks/vapi with a Vapi tool-calls envelope. ` +
        `Bookline: ${launch === 'tsx' ? 'node --import tsx src/main.ts' : `node ${nodeArgs.join(' ')} dist/src/main.js (the production build, compiled by the bench; flags as in npm run start:prod)`}, embedded calendar, SQLite in a temp file (WAL, synchronous=NORMAL; a booking is answered after an fdatasync of the WAL shared by the bookings waiting then), LOG_LEVEL=silent, bench/business.json. ` +
        `Baseline: bare Express 5 + express.json() answering a fixed body, node --import tsx. Baseline measured before and after; mean used. Then the three again with 1 connection for unqueued latency. ` +
        `Start-up: spawn to the first 200 from /healthz. Idle RSS = VmRSS 1 s after that; peak RSS = VmHWM of the server process after all runs. ` +
        `Profile: a second server, node --cpu-prof, under the same find load for ${profSec} s.`,
    };
  } finally {
    await Promise.all([stop(server), stop(baseline), stop(profiled), stop(memoryless)]);
    rmSync(dir, { recursive: true, force: true });
  }
}
