/**
 * Matching what the caller said to the service catalog and staff list: "haircut", "Hair cut" and
 * "cut" all find the haircut. In order: an exact name, id or alias; then a close spelling of a whole
 * name or alias (optimal string alignment distance, a transposition counting as one edit), so a
 * transcription slip like "beerd trim" lands on the beard trim rather than on a partial word
 * ("trim"); then a partial match. Two or three equally good candidates are AMBIGUOUS ("Did you mean
 * a beard trim or a haircut?"); none is UNKNOWN, with the nearest names.
 */
import type { BusinessConfig, ServiceConfig, StaffConfig } from '../config/business.js';
import { BookingError } from './errors.js';

export function normalizeName(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/'s\b/g, 's')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const compact = (s: string) => normalizeName(s).replace(/ /g, '');

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function osaDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/** Up to this many equally good candidates are offered back as a question. */
const MAX_CANDIDATES = 3;

export type Match<T> = { found: T } | { ambiguous: T[] } | { none: true };

/** How many edits still count as the same word: 1 for 4-6 letters, 2 for 7 or more. */
function tolerance(q: string): number {
  return q.length >= 7 ? 2 : q.length >= 4 ? 1 : 0;
}

export function match<T>(items: readonly T[], keys: (t: T) => string[], query: string): Match<T> {
  const q = compact(query);
  if (!q) return { none: true };
  const compactKeys = items.map((t) => keys(t).map(compact).filter(Boolean));
  const pick = (test: (k: string) => boolean): T[] => items.filter((_t, i) => compactKeys[i]!.some(test));
  const decide = (found: T[]): Match<T> | undefined => {
    if (found.length === 1) return { found: found[0]! };
    if (found.length > 1 && found.length <= MAX_CANDIDATES) return { ambiguous: found };
    return undefined;
  };

  // Exact: one item is the answer; two people both called "Sam" are a question.
  const exact = pick((k) => k === q);
  if (exact.length >= 1) return decide(exact) ?? { found: exact[0]! };

  const tol = tolerance(q);
  if (tol > 0) {
    const dist = compactKeys.map((ks) => Math.min(...ks.map((k) => (Math.abs(k.length - q.length) > tol ? Infinity : osaDistance(k, q)))));
    const best = Math.min(...dist);
    if (best <= tol) {
      const close = decide(items.filter((_t, i) => dist[i] === best));
      if (close) return close;
    }
  }
  if (q.length >= 3) {
    // A fragment of a longer name ("colour consult" of "colour consultation"), then a longer phrase
    // holding a whole name or alias ("beard cut" holds "beard" and "cut": ambiguous).
    const fragment = decide(pick((k) => k.includes(q)));
    if (fragment) return fragment;
    const holds = decide(pick((k) => k.length >= 3 && q.includes(k)));
    if (holds) return holds;
  }
  return { none: true };
}

/** The `n` items whose names are nearest to the query, best first (for "did you mean" lists). */
export function nearest<T>(items: readonly T[], keys: (t: T) => string[], query: string, n: number): T[] {
  const q = compact(query);
  const score = (t: T) =>
    Math.min(
      ...keys(t)
        .map(compact)
        .filter(Boolean)
        .map((k) => (q && (k.includes(q) || q.includes(k)) ? 0 : osaDistance(k, q) / Math.max(k.length, q.length, 1))),
    );
  return items
    .map((t, i) => ({ t, i, s: score(t) }))
    .sort((x, y) => x.s - y.s || x.i - y.i)
    .slice(0, n)
    .map((x) => x.t);
}

interface Lookup<T> {
  keys: (t: T) => string[];
  /** With this many or fewer, an unknown name is answered with the whole list. */
  speakAll: number;
  ambiguous: 'SERVICE_AMBIGUOUS' | 'STAFF_AMBIGUOUS';
  unknown: 'UNKNOWN_SERVICE' | 'UNKNOWN_STAFF';
  /** Data field names for the candidate names and the total count. */
  list: 'services' | 'staff';
  count: string;
}

/** The item the caller named, or a refusal with the candidates (ambiguous) or the nearest names (unknown). */
function lookup<T extends { name: string }>(items: readonly T[], name: string, l: Lookup<T>): T {
  const m = match(items, l.keys, name);
  if ('found' in m) return m.found;
  if ('ambiguous' in m) {
    const candidates = m.ambiguous.map((s) => s.name);
    throw new BookingError(l.ambiguous, { candidates }, { [l.list]: candidates });
  }
  const total = items.length;
  const names = (total <= l.speakAll ? items : nearest(items, l.keys, name, 3)).map((s) => s.name);
  throw new BookingError(l.unknown, { query: name.slice(0, 60), nearest: names, total }, { [l.list]: names, [l.count]: total });
}

const SERVICES: Lookup<ServiceConfig> = {
  keys: (s) => [s.id, s.name, ...s.aliases],
  speakAll: 5,
  ambiguous: 'SERVICE_AMBIGUOUS',
  unknown: 'UNKNOWN_SERVICE',
  list: 'services',
  count: 'service_count',
};

function firstName(s: StaffConfig): string {
  return s.name.split(/\s+/).filter((p) => !/^(dr|mr|mrs|ms)\.?$/i.test(p))[0] ?? s.name;
}

const STAFF: Lookup<StaffConfig> = {
  keys: (s) => [s.id, s.name, firstName(s)],
  speakAll: 4,
  ambiguous: 'STAFF_AMBIGUOUS',
  unknown: 'UNKNOWN_STAFF',
  list: 'staff',
  count: 'staff_count',
};

export const serviceKeys = SERVICES.keys;

export function findService(cfg: BusinessConfig, name: string): ServiceConfig {
  return lookup(cfg.services, name, SERVICES);
}

export function findStaff(cfg: BusinessConfig, name: string): StaffConfig {
  return lookup(cfg.staff, name, STAFF);
}

/** Staff who can do the service, in config order. */
export function eligibleStaff(cfg: BusinessConfig, service: ServiceConfig): StaffConfig[] {
  return service.staff.length === 0 ? cfg.staff : cfg.staff.filter((s) => service.staff.includes(s.id));
}

/**
 * A service and who may do it: the named staff member (who must be eligible), or everyone eligible.
 */
export function serviceAndStaff(cfg: BusinessConfig, serviceName: string, staffName: string | undefined): { service: ServiceConfig; named?: StaffConfig; staff: StaffConfig[] } {
  const service = findService(cfg, serviceName);
  const eligible = eligibleStaff(cfg, service);
  if (!staffName) return { service, staff: eligible };
  const named = findStaff(cfg, staffName);
  if (!eligible.some((s) => s.id === named.id)) throw staffCannotDo(named, service, cfg);
  return { service, named, staff: [named] };
}

export function staffCannotDo(staff: StaffConfig, service: ServiceConfig, cfg: BusinessConfig): BookingError {
  const names = eligibleStaff(cfg, service).map((s) => s.name);
  return new BookingError('STAFF_CANNOT_DO', { staff: staff.name, service: service.name, others: names }, { staff: names.slice(0, 20), staff_count: names.length });
}
