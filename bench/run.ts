/**
 * `npm run bench` (full, for people) and `npm run bench:quick` (tiny, for CI: proves the harness
 * still runs; never asserts on speed). Runs each section, writes bench/results/<name>.json and .md,
 * and prints the markdown. Exits non-zero if any section threw.
 *
 *   --quick            small sizes, under 30 s; writes bench/results/quick.*
 *   --only=a,b         run some sections (http, engine, growth, google, stores); writes bench/results/partial.*
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchEngine } from './engine.js';
import { benchGoogle } from './google.js';
import { benchGrowth } from './growth.js';
import { benchHttp } from './http.js';
import { renderMarkdown, type Results } from './report.js';
import { benchStores } from './stores.js';
import { isQuick } from './util.js';

const SECTIONS = {
  engine: benchEngine,
  growth: benchGrowth,
  http: benchHttp,
  google: benchGoogle,
  stores: benchStores,
} as const;
type Section = keyof typeof SECTIONS;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const quick = isQuick(argv);
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Section[]) : undefined;
  for (const name of only ?? []) if (!(name in SECTIONS)) throw new Error(`unknown section "${name}"; sections: ${Object.keys(SECTIONS).join(', ')}`);
  const unknown = argv.filter((a) => a !== '--quick' && !a.startsWith('--only='));
  if (unknown.length) throw new Error(`unknown arguments: ${unknown.join(' ')}`);

  const results: Results = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    command: `npm run ${quick ? 'bench:quick' : 'bench'}${only ? ` -- --only=${only.join(',')}` : ''}`,
    machine: {
      node: process.version,
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
    },
    sections: {},
    errors: {},
  };

  const t0 = performance.now();
  for (const name of Object.keys(SECTIONS) as Section[]) {
    if (only && !only.includes(name)) continue;
    const t = performance.now();
    process.stderr.write(`bench: ${name}...`);
    try {
      // Each section returns its own result type; the Results interface names them per key.
      (results.sections as Record<string, unknown>)[name] = await SECTIONS[name]({ quick });
      process.stderr.write(` ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      results.errors[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(` FAILED\n${results.errors[name]}\n`);
    }
  }

  const dir = join('bench', 'results');
  const base = quick ? 'quick' : only ? 'partial' : 'latest';
  const md = renderMarkdown(results);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.md`), md);
  process.stdout.write(`\n${md}\n`);
  process.stderr.write(`bench: ${((performance.now() - t0) / 1000).toFixed(1)} s, wrote ${join(dir, `${base}.json`)} and .md\n`);
  return Object.keys(results.errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
