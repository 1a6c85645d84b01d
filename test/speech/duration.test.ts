/**
 * How long a caller listens. Every message of a broad scripted run (test/speech/script.ts), plus one
 * sample of every message code, is spoken with espeak-ng (en-us, 175 words a minute) and measured
 * with soxi. Goal: p95 <= 10 s, max <= 15 s. espeak-ng and sox must be installed (Debian/Ubuntu:
 * apt-get install espeak-ng sox); without them this test fails and says so.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { msg, type MessageCode } from '../../src/domain/messages.js';
import { renderVoice } from '../../src/render/voice.js';
import { voiceContext } from '../../src/tools/outcome.js';
import { makeTestDeps } from '../helpers.js';
import { SAMPLES } from './samples.js';
import { scriptedRun } from './script.js';

const run = promisify(execFile);
const P95_LIMIT_S = 10;
const MAX_LIMIT_S = 15;

function requireTools(): void {
  for (const [tool, args] of [['espeak-ng', ['--version']], ['soxi', ['-h']]] as const) {
    const r = spawnSync(tool, args, { stdio: 'ignore' });
    if (r.error) throw new Error(`This test speaks every message with espeak-ng and measures it with soxi: install espeak-ng and sox (Debian/Ubuntu: apt-get install espeak-ng sox). ${tool} could not be run: ${r.error.message}`);
  }
}

async function seconds(text: string, dir: string, i: number): Promise<number> {
  const wav = join(dir, `${i}.wav`);
  await run('espeak-ng', ['-v', 'en-us', '-s', '175', '-w', wav, text]);
  const { stdout } = await run('soxi', ['-D', wav]);
  return Number(stdout.trim());
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('speech length', () => {
  it('every message of a broad scripted run is short to listen to: p95 <= 10 s, max <= 15 s', { timeout: 180_000 }, async () => {
    requireTools();
    const spoken = await scriptedRun();
    const deps = await makeTestDeps();
    const ctx = voiceContext(deps);
    for (const code of Object.keys(SAMPLES) as MessageCode[]) {
      spoken.push({ business: 'samples', tool: 'render', code, message: renderVoice(msg(code, SAMPLES[code] as never), ctx) });
    }
    await deps.cleanup();

    // Each distinct sentence is synthesised once; the figures count every message as produced.
    const texts = [...new Set(spoken.map((s) => s.message))];
    const dir = mkdtempSync(join(tmpdir(), 'bookline-speech-'));
    const length = new Map<string, number>();
    try {
      for (let i = 0; i < texts.length; i += 2) {
        const pair = texts.slice(i, i + 2);
        const secs = await Promise.all(pair.map((t, k) => seconds(t, dir, i + k)));
        pair.forEach((t, k) => length.set(t, secs[k]!));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const all = spoken.map((s) => length.get(s.message)!).sort((a, b) => a - b);
    const p50 = percentile(all, 50);
    const p95 = percentile(all, 95);
    const max = all[all.length - 1]!;
    const longest = [...spoken].sort((a, b) => length.get(b.message)! - length.get(a.message)!).slice(0, Number(process.env.SPEECH_LONGEST ?? 5));
    console.log(
      `espeak-ng en-us 175 wpm: ${spoken.length} messages (${texts.length} distinct, ${new Set(spoken.map((s) => s.code)).size} codes): p50 ${p50.toFixed(1)} s, p95 ${p95.toFixed(1)} s, max ${max.toFixed(1)} s\n` +
        longest.map((s) => `  ${length.get(s.message)!.toFixed(1)} s [${s.business} ${s.tool} ${s.code}] ${s.message}`).join('\n'),
    );
    expect(p95).toBeLessThanOrEqual(P95_LIMIT_S);
    expect(max).toBeLessThanOrEqual(MAX_LIMIT_S);
  });
});
