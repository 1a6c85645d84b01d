/** Turns the results object into the short markdown report printed at the end and kept next to the JSON. */
import type { EngineResult } from './engine.js';
import type { GoogleResult } from './google.js';
import type { GrowthResult } from './growth.js';
import type { HttpResult } from './http.js';
import type { StoresResult } from './stores.js';

export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  platform: string;
  memoryGb: number;
}

export interface Results {
  date: string;
  mode: 'full' | 'quick';
  command: string;
  machine: Machine;
  sections: {
    http?: HttpResult;
    engine?: EngineResult;
    growth?: GrowthResult;
    google?: GoogleResult;
    stores?: StoresResult;
  };
  errors: Record<string, string>;
}

/** Milliseconds with about three significant digits, never in exponent form. */
function ms(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function num(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}

function times(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return `${x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : Number(x.toPrecision(2))}x`;
}

const pct = (x: number) => `${(x * 100).toFixed(x >= 0.995 && x < 1 ? 1 : 0)}%`;

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: Results): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Measured with \`${r.command}\` on ${r.date.slice(0, 10)}: Node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.platform}.` +
      ` Every figure sits next to a baseline measured in the same run; on a shared machine the ratios hold, the absolute times do not.`,
  );
  if (r.mode === 'quick') out.push('', '_Quick mode: tiny sizes and iteration counts, to keep the harness working. Not for quoting._');

  const h = r.sections.http;
  if (h) {
    const b = h.baseline;
    const toolRow = (name: string, t: HttpResult['find']) => [
      name,
      num(t.requestsPerSec),
      ms(t.p50Ms),
      ms(t.p99Ms),
      times(t.rpsRatio),
      times(t.p50Ratio),
      `${pct(t.okRatio)} (${t.toolOk.toLocaleString('en-US')})`,
    ];
    out.push(
      '',
      `### HTTP: \`POST /webhooks/vapi\` over loopback (autocannon, ${h.connections} connections, ${h.durationSec} s each)`,
      '',
      table(
        ['Request', 'req/s', 'p50 ms', 'p99 ms', 'req/s ÷ baseline', 'p50 ÷ baseline', 'tool ok'],
        [
          ['Baseline: bare Express, fixed JSON', num(b.requestsPerSec), ms(b.p50Ms), ms(b.p99Ms), '1x', '1x', 'n/a'],
          toolRow('`find_available_slots`, next 14 days, 10 staff', h.find),
          toolRow('`book_appointment`, distinct slots, durable write', h.book),
          ...(h.findNoFsync ? [toolRow('`find_available_slots`, database on tmpfs (fsync free)', h.findNoFsync)] : []),
        ],
      ),
      '',
      ...(h.findNoFsync
        ? [
            'The tmpfs row is the same find against a server whose database sits in /dev/shm, where fsync returns at once: read-only calls write their call-log rows in relaxed batches (no fsync of their own), so the two rows differ only by the disk\'s load and the occasional WAL checkpoint.',
            '',
          ]
        : []),
      `One connection (${h.single.durationSec} s each): the latency of a single voice turn with nothing queued ahead of it.`,
      '',
      table(
        ['Request', 'p50 ms', 'p99 ms', 'p50 ÷ baseline', 'tool ok'],
        [
          ['Baseline: bare Express, fixed JSON', ms(h.single.baseline.p50Ms), ms(h.single.baseline.p99Ms), '1x', 'n/a'],
          ...(
            [
              ['`find_available_slots`', h.single.find],
              ['`book_appointment`', h.single.book],
            ] as const
          ).map(([name, t]) => [name, ms(t.p50Ms), ms(t.p99Ms), times(t.p50Ratio), `${pct(t.okRatio)} (${t.toolOk.toLocaleString('en-US')})`]),
        ],
      ),
      '',
      `Server started as the ${h.launch === 'tsx' ? 'tsx loader (src/main.ts)' : 'production build (node dist/src/main.js)'}: start-up to /healthz ${num(h.startup.serverMs)} ms (baseline ${num(h.startup.baselineMs)} ms, under tsx); RSS ${h.memory.serverIdleRssMb ?? 'n/a'} MB idle, ${h.memory.serverPeakRssMb ?? 'n/a'} MB peak (VmHWM) through all HTTP runs; baseline peak ${h.memory.baselinePeakRssMb ?? 'n/a'} MB.`,
      '',
      '#### Targets (issue 17), this run',
      '',
      table(
        ['Figure', 'This run', 'Target', 'Met'],
        h.targets.map((t) => [t.figure, t.value === null ? 'n/a' : `${t.unit === 'x' ? t.value : t.unit === ' ms' ? ms(t.value) : num(t.value)}${t.unit}`, t.target, t.met === null ? 'n/a' : t.met ? 'yes' : 'no']),
      ),
      '',
      `#### CPU profile: \`find_available_slots\` under load (node --cpu-prof, ${h.profile.seconds} s, ${num(h.profile.busyMs)} ms busy, ${num(h.profile.idleMs)} ms idle)`,
      '',
      table(
        ['Top self time', 'Where', 'Self ms', 'Share of busy'],
        h.profile.top.map((l) => [`\`${l.name}\``, l.where, ms(l.selfMs), pct(l.share)]),
      ),
      '',
      table(
        ['Part', 'Inclusive ms (its frames and all they call)', 'Share', 'Self ms', 'Share'],
        h.profile.groups.map((g) => [g.group, ms(g.ms), pct(g.share), ms(g.selfMs), pct(g.selfShare)]),
      ),
    );
  }

  const e = r.sections.engine;
  if (e) {
    out.push(
      '',
      `### Slot engine vs naive search (${e.days} days, median time per search)`,
      '',
      table(
        ['Staff', 'Busy intervals', 'Slots found', 'Engine ms', 'Naive ms', 'Speed-up'],
        e.cases.map((c) => [String(c.staff), num(c.busy), num(c.slots), ms(c.engine.p50Ms), ms(c.naive.p50Ms), times(c.speedup)]),
      ),
      '',
      'Naive: every grid candidate checked against every busy event of its staff member, the way most booking servers do it. Both return identical slots (checked every run).',
    );
  }

  const g = r.sections.growth;
  if (g) {
    out.push(
      '',
      '### Cost as the database grows (in-process `runTool`, 1,000 upcoming appointments, the rest history)',
      '',
      table(
        ['Appointments', 'find p50 ms', 'find p99 ms', 'book p50 ms', 'book p99 ms', 'bookings ok'],
        g.rows.map((x) => [num(x.appointments), ms(x.find.p50Ms), ms(x.find.p99Ms), ms(x.book.p50Ms), ms(x.book.p99Ms), `${x.book.ok}/${x.book.n}`]),
      ),
      '',
      'Query plans on the largest store:',
      '',
      ...g.plans.map((p) => `- ${p.query}: ${p.plan.join('; ')}${p.usesIndex ? '' : ' **(no index!)**'}`),
    );
  }

  const go = r.sections.google;
  if (go) {
    out.push('', '### Google Calendar provider (local fake)', '');
    if ('skipped' in go) out.push(`Skipped: ${go.skipped}.`);
    else {
      out.push(
        table(
          ['Operation', 'Requests to Google', `Wall ms at ${go.latencyMs} ms/request`],
          go.ops.map((o) => [`\`${o.op}\``, String(o.requests), ms(o.wallMs)]),
        ),
      );
    }
  }

  const st = r.sections.stores;
  if (st) {
    out.push('', '### Stores and businesses (in-process `runTool`, then HTTP)', '');
    out.push(
      table(
        ['Store', 'Businesses', 'find/s', 'find p50 ms', 'x SQLite-1', 'book/s', 'book p50 ms', 'x SQLite-1'],
        st.inProcess.map((x) => [x.store, String(x.businesses), num(x.find.opsPerSec), ms(x.find.p50Ms), x.findRatio.toFixed(2), num(x.book.opsPerSec), ms(x.book.p50Ms), x.bookRatio.toFixed(2)]),
      ),
      '',
      table(
        ['HTTP setup', 'find req/s', 'find p50/p99 ms', 'book req/s', 'book p50/p99 ms', 'booked (no overlap)'],
        st.http.map((x) => [x.setup, num(x.find.requestsPerSec), `${ms(x.find.p50Ms)} / ${ms(x.find.p99Ms)}`, num(x.book.requestsPerSec), `${ms(x.book.p50Ms)} / ${ms(x.book.p99Ms)}`, String(x.book.booked)]),
      ),
      '',
      st.method,
    );
  }

  const failed = Object.entries(r.errors);
  if (failed.length) out.push('', '### Failed sections', '', ...failed.map(([k, v]) => `- ${k}: ${v.split('\n')[0]}`));
  return `${out.join('\n')}\n`;
}
