/**
 * Before/after in one run: `npm run bench:compare -- --before=<git rev> [--seconds=10]`.
 *
 * Builds <rev> (git archive into a temp directory, compiled with this checkout's TypeScript against
 * this checkout's node_modules) next to the working tree's own production build, starts both as
 * production does (each with its own start:prod flags) on the bench business, and drives them with
 * the same autocannon loads as `npm run bench`, interleaved with the bare Express baseline, so the
 * two columns share one machine state. Every tool answer is checked in each server's call log.
 * Writes bench/results/compare.md and .json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { loadBusinessConfig } from '../src/config/business.js';
import { type Child, load, type LoadFigures, memoryMb, productionNodeArgs, serverEnv, start, stop, toolOutcomes, vapiBody } from './http.js';
import { BENCH_CONFIG, DistinctSlots, phoneFor, sig } from './util.js';

const ROOT = process.cwd();
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function arg(name: string): string | undefined {
  return process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** The node flags of a checkout's start:prod ("exec node [--flags] dist/src/main.js"). */
function startFlags(packageJson: string): string[] {
  const script = (JSON.parse(packageJson) as { scripts: Record<string, string> }).scripts['start:prod'] ?? '';
  const m = /^exec node((?: --[^ ]+)*) dist\/src\/main\.js$/.exec(script);
  if (!m) throw new Error(`start:prod is not "exec node [--flags] dist/src/main.js": ${script}`);
  return m[1]!.trim().split(' ').filter(Boolean);
}

function build(srcDir: string, outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  try {
    // Emitted even where today's type definitions disagree with an old revision's code.
    execFileSync(process.execPath, [TSC, '-p', join(srcDir, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false', '--noEmitOnError', 'false'], { cwd: srcDir, stdio: 'pipe' });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    if (!existsSync(join(outDir, 'src', 'main.js'))) throw err;
    console.error(`note: ${srcDir} compiled with type errors against today's dependencies (emitted anyway):\n${out.split('\n').slice(0, 5).join('\n')}`);
  }
}

interface Side {
  name: string;
  rev: string;
  entry: string;
  nodeArgs: string[];
}

interface SideFigures {
  startupMs: number;
  idleRssMb: number | null;
  peakRssMb: number | null;
  find: LoadFigures & { ok: number; failed: Record<string, number> };
  book: LoadFigures & { ok: number; failed: Record<string, number> };
  findOne: LoadFigures;
  bookOne: LoadFigures;
}

async function main(): Promise<void> {
  const before = arg('before');
  if (!before) throw new Error('usage: npm run bench:compare -- --before=<git rev> [--seconds=10]');
  const seconds = Number(arg('seconds') ?? 10);
  const connections = 10;
  const beforeRev = execFileSync('git', ['rev-parse', '--short', before], { encoding: 'utf8' }).trim();
  const afterRev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';

  const work = mkdtempSync(join(tmpdir(), 'bookline-compare-'));
  const children: Child[] = [];
  try {
    const oldSrc = join(work, 'before');
    mkdirSync(oldSrc);
    execFileSync('sh', ['-c', `git archive ${beforeRev} | tar -x -C ${JSON.stringify(oldSrc)}`]);
    symlinkSync(join(ROOT, 'node_modules'), join(oldSrc, 'node_modules'));
    build(oldSrc, join(oldSrc, '.build'));
    const newOut = join(ROOT, 'bench', 'results', '.build-compare');
    build(ROOT, newOut);
    const sides: Side[] = [
      { name: 'before', rev: beforeRev, entry: join(oldSrc, '.build', 'src', 'main.js'), nodeArgs: startFlags(readFileSync(join(oldSrc, 'package.json'), 'utf8')) },
      { name: 'after', rev: `${afterRev}${dirty ? '+changes' : ''}`, entry: join(newOut, 'src', 'main.js'), nodeArgs: productionNodeArgs() },
    ];

    const config = loadBusinessConfig(BENCH_CONFIG);
    const zone = config.business.timeZone;
    let f = 0;
    const findBody = (prefix: string) => () => vapiBody(`${prefix}${f++}`, '+15550100000', 'find_available_slots', { service_name: 'haircut' });
    // One counter per server across all its runs: every booking gets a slot and a caller of its own.
    const counters = new Map<DistinctSlots, number>();
    const bookBody = (prefix: string, slots: DistinctSlots) => {
      return () => {
        const n = counters.get(slots) ?? 0;
        counters.set(slots, n + 1);
        return vapiBody(`${prefix}${n}`, phoneFor(n), 'book_appointment', { customer_name: `Bench Caller ${n}`, service_name: 'haircut', appointment_datetime: slots.at(n) });
      };
    };

    const baseline = await start('bench/baseline-server.ts', {});
    children.push(baseline);
    const fixed = findBody('base-')();
    const servers = new Map<string, { child: Child; db: string; idle: number | null; slots: DistinctSlots }>();
    for (const side of sides) {
      const db = join(work, `${side.name}.db`);
      const child = await start(side.entry, serverEnv(db), side.nodeArgs);
      children.push(child);
      await new Promise((r) => setTimeout(r, 1_000));
      const slots = new DistinctSlots(zone, DateTime.now().setZone(zone).startOf('day').plus({ days: 1 }), 365, 7, 22, config.staff.length);
      servers.set(side.name, { child, db, idle: memoryMb(child.proc.pid, 'VmRSS'), slots });
    }

    // Warm-up of all three, then: baseline, each side's find and book, baseline again; then one connection.
    await load({ port: baseline.port, durationSec: 2, connections, body: fixed });
    for (const side of sides) {
      const s = servers.get(side.name)!;
      await load({ port: s.child.port, durationSec: 2, connections, nextBody: findBody(`warm-find-${side.name}-`) });
      await load({ port: s.child.port, durationSec: 2, connections, nextBody: bookBody(`warm-book-${side.name}-`, s.slots) });
    }
    const bases: LoadFigures[] = [await load({ port: baseline.port, durationSec: seconds, connections, body: fixed })];
    const raw = new Map<string, Partial<SideFigures>>();
    for (const side of sides) raw.set(side.name, {});
    for (const kind of ['find', 'book'] as const) {
      for (const side of sides) {
        const s = servers.get(side.name)!;
        const prefix = `cmp-${kind}-${side.name}-`;
        const figures = await load({ port: s.child.port, durationSec: seconds, connections, nextBody: kind === 'find' ? findBody(prefix) : bookBody(prefix, s.slots) });
        raw.get(side.name)![kind] = { ...figures, ...toolOutcomes(s.db, prefix) };
      }
    }
    bases.push(await load({ port: baseline.port, durationSec: seconds, connections, body: fixed }));
    const oneBase = await load({ port: baseline.port, durationSec: 5, connections: 1, body: fixed });
    for (const side of sides) {
      const s = servers.get(side.name)!;
      raw.get(side.name)!.findOne = await load({ port: s.child.port, durationSec: 5, connections: 1, nextBody: findBody(`cmp-one-find-${side.name}-`) });
      raw.get(side.name)!.bookOne = await load({ port: s.child.port, durationSec: 5, connections: 1, nextBody: bookBody(`cmp-one-book-${side.name}-`, s.slots) });
    }
    const baseRps = sig((bases[0]!.requestsPerSec + bases[1]!.requestsPerSec) / 2);

    const out: Record<string, SideFigures & { rev: string }> = {};
    for (const side of sides) {
      const s = servers.get(side.name)!;
      const r = raw.get(side.name)! as SideFigures;
      for (const kind of ['find', 'book'] as const) {
        const total = r[kind].ok + Object.values(r[kind].failed).reduce((a, b) => a + b, 0);
        // A side whose answers were refusals would be measuring refusals.
        if (r[kind].ok < total * (kind === 'find' ? 0.99 : 0.9)) throw new Error(`${side.name}: only ${r[kind].ok} of ${total} ${kind} calls succeeded (${JSON.stringify(r[kind].failed)})`);
      }
      out[side.name] = { ...r, rev: side.rev, startupMs: s.child.startupMs, idleRssMb: s.idle, peakRssMb: memoryMb(s.child.proc.pid, 'VmHWM') };
    }

    const b = out.before!;
    const a = out.after!;
    const ratio = (x: number) => `${sig(x / baseRps)}x`;
    const times = (x: number, y: number) => `${sig(y / x, 2)}x`;
    const rows: string[][] = [
      ['find, 10 connections: req/s', `${b.find.requestsPerSec} (${ratio(b.find.requestsPerSec)})`, `${a.find.requestsPerSec} (${ratio(a.find.requestsPerSec)})`, times(b.find.requestsPerSec, a.find.requestsPerSec)],
      ['find, 10 connections: p50 / p99 ms', `${b.find.p50Ms} / ${b.find.p99Ms}`, `${a.find.p50Ms} / ${a.find.p99Ms}`, ''],
      ['find, 1 connection: p50 ms', `${b.findOne.p50Ms}`, `${a.findOne.p50Ms}`, times(a.findOne.p50Ms, b.findOne.p50Ms)],
      ['book, 10 connections: req/s', `${b.book.requestsPerSec} (${ratio(b.book.requestsPerSec)})`, `${a.book.requestsPerSec} (${ratio(a.book.requestsPerSec)})`, times(b.book.requestsPerSec, a.book.requestsPerSec)],
      ['book, 10 connections: p50 / p99 ms', `${b.book.p50Ms} / ${b.book.p99Ms}`, `${a.book.p50Ms} / ${a.book.p99Ms}`, ''],
      ['book, 1 connection: p50 ms', `${b.bookOne.p50Ms}`, `${a.bookOne.p50Ms}`, times(a.bookOne.p50Ms, b.bookOne.p50Ms)],
      ['start-up to /healthz, ms', `${b.startupMs}`, `${a.startupMs}`, ''],
      ['RSS idle / peak, MB', `${b.idleRssMb} / ${b.peakRssMb}`, `${a.idleRssMb} / ${a.peakRssMb}`, ''],
      ['tool answers ok (find, book)', `${b.find.ok}, ${b.book.ok}`, `${a.find.ok}, ${a.book.ok}`, ''],
    ];
    const md = [
      `Measured with \`npm run bench:compare -- --before=${before}\` on ${new Date().toISOString().slice(0, 10)}: before = ${b.rev}, after = ${a.rev}; autocannon, ${connections} connections, ${seconds} s per run, POST /webhooks/vapi on the bench business; both production builds started as their own start:prod does. Baseline (bare Express, fixed JSON) before and after the four runs: ${bases.map((x) => x.requestsPerSec).join(' and ')} req/s, mean ${baseRps}; one connection p50 ${oneBase.p50Ms} ms. Ratios in brackets are against that mean.`,
      '',
      '| Figure | Before | After | Change |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
    ].join('\n');
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'compare.md'), md);
    writeFileSync(join(ROOT, 'bench', 'results', 'compare.json'), `${JSON.stringify({ date: new Date().toISOString(), seconds, connections, baseline: { runs: bases, mean: baseRps, one: oneBase }, ...out }, null, 2)}\n`);
    console.log(md);
    rmSync(newOut, { recursive: true, force: true });
  } finally {
    await Promise.all(children.map((c) => stop(c)));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
