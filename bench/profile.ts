/**
 * Reads a V8 .cpuprofile (node --cpu-prof) into the few lines a report needs: the functions with the
 * most self time, and the inclusive share of named parts of the code (luxon, the call log, body
 * parsing...), so a regression shows up as a moved line instead of a vague "slower".
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  endTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  where: string;
  selfMs: number;
  /** Of the busy time (everything but idle, GC counted as busy). */
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  top: ProfileLine[];
  /** Per group: inclusive time (its frames and all they call) and self time (its own frames only), as shares of busy time. */
  groups: { group: string; ms: number; share: number; selfMs: number; selfShare: number }[];
}

/** Parts of the code whose total cost the issue asks about. Matched against a frame's script URL. */
export const PROFILE_GROUPS: { group: string; test: (url: string, fn: string) => boolean }[] = [
  { group: 'luxon', test: (u) => u.includes('/node_modules/luxon/') },
  { group: 'call log (src/store/calls)', test: (u) => /\/src\/store\/calls\.[jt]s$/.test(u) },
  { group: 'store writes (src/store, better-sqlite3)', test: (u) => u.includes('/src/store/') || u.includes('/node_modules/better-sqlite3/') },
  { group: 'slot engine (src/slots)', test: (u) => u.includes('/src/slots/') },
  { group: 'zone arithmetic (src/domain/zone)', test: (u) => /\/src\/domain\/zone\.[jt]s$/.test(u) },
  { group: 'speech and voice rendering', test: (u) => /\/src\/(domain\/speech|render\/voice)\.[jt]s$/.test(u) },
  { group: 'argument validation (zod)', test: (u) => u.includes('/node_modules/zod/') },
  { group: 'body parsing (body-parser, raw-body)', test: (u) => /\/node_modules\/(body-parser|raw-body|iconv-lite)\//.test(u) },
  { group: 'routing (express, router)', test: (u) => /\/node_modules\/(express|router)\//.test(u) },
  { group: 'JSON.stringify / JSON.parse', test: (_u, fn) => fn === 'stringify' || fn === 'parse' },
];

const IDLE = new Set(['(idle)', '(program)']);

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.search(/\/(src|bench|dist)\//);
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, '');
}

/**
 * `lastMs`: only the samples of the profile's last `lastMs` milliseconds (the load, not the start-up
 * and module compilation before it; the profile ends when the process exits).
 */
export function summarizeProfile(path: string, lastMs = Infinity, topN = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const from = p.endTime - lastMs * 1000;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (at < from) continue;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt / 1000);
  }

  let idleMs = 0;
  let busyMs = 0;
  const perFunction = new Map<string, ProfileLine>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (IDLE.has(name)) {
      idleMs += t;
      continue;
    }
    busyMs += t;
    const where = n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '(native)';
    const key = `${name}@${where}`;
    const line = perFunction.get(key) ?? { name, where, selfMs: 0, share: 0 };
    line.selfMs += t;
    perFunction.set(key, line);
  }
  const top = [...perFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, topN);
  for (const l of top) l.share = l.selfMs / (busyMs || 1);

  // Inclusive time per group: the subtree under each outermost frame of the group, counted once.
  const inclusive = new Map<number, number>();
  const total = (id: number): number => {
    const known = inclusive.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    let t = self.get(id) ?? 0;
    for (const c of n.children ?? []) t += total(c);
    inclusive.set(id, t);
    return t;
  };
  const root = p.nodes[0]!;
  const groups = PROFILE_GROUPS.map(({ group, test }) => {
    let ms = 0;
    let selfMs = 0;
    const walk = (id: number, inside: boolean) => {
      const n = byId.get(id)!;
      const mine = test(n.callFrame.url, n.callFrame.functionName);
      if (mine) selfMs += self.get(id) ?? 0;
      if (mine && !inside) ms += total(id);
      for (const c of n.children ?? []) walk(c, inside || mine);
    };
    walk(root.id, false);
    return { group, ms, share: ms / (busyMs || 1), selfMs, selfShare: selfMs / (busyMs || 1) };
  });
  return { busyMs, idleMs, top, groups };
}
