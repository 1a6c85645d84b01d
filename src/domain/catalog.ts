/**
 * Matching what the caller said to the service catalog and staff list: "haircut", "Hair cut" and
 * "cut" all find the haircut. Exact name, id or alias first; then a unique partial match; then a
 * close spelling (edit distance), so a transcription slip still lands.
 */
import type { BusinessConfig, ServiceConfig, StaffConfig } from '../config/business.js';
import { UnknownServiceError, UnknownStaffError } from './errors.js';
import { andList, orList } from './speech.js';

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

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

function match<T>(items: readonly T[], keys: (t: T) => string[], query: string): T | undefined {
  const q = compact(query);
  if (!q) return undefined;
  const exact = items.filter((t) => keys(t).some((k) => compact(k) === q));
  if (exact.length >= 1) return exact[0];
  const partial = items.filter((t) => keys(t).some((k) => compact(k).includes(q) || (q.length >= 3 && q.includes(compact(k)))));
  if (partial.length === 1) return partial[0];
  if (q.length >= 4) {
    const close = items.filter((t) => keys(t).some((k) => editDistance(compact(k), q) <= (q.length >= 7 ? 2 : 1)));
    if (close.length === 1) return close[0];
  }
  return undefined;
}

export function findService(cfg: BusinessConfig, name: string): ServiceConfig {
  const found = match(cfg.services, (s) => [s.id, s.name, ...s.aliases], name);
  if (found) return found;
  throw new UnknownServiceError(
    `We don't offer "${name.slice(0, 60)}". We offer ${andList(cfg.services.map((s) => s.name.toLowerCase()))}; which would the caller like?`,
    { services: cfg.services.map((s) => s.name) },
  );
}

export function findStaff(cfg: BusinessConfig, name: string): StaffConfig {
  const firstName = (s: StaffConfig) => s.name.split(/\s+/).filter((p) => !/^(dr|mr|mrs|ms)\.?$/i.test(p))[0] ?? s.name;
  const found = match(cfg.staff, (s) => [s.id, s.name, firstName(s)], name);
  if (found) return found;
  throw new UnknownStaffError(
    `There's nobody called "${name.slice(0, 60)}" here. Our team is ${andList(cfg.staff.map((s) => s.name))}; would the caller like one of them, or anyone available?`,
    { staff: cfg.staff.map((s) => s.name) },
  );
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

export function staffCannotDo(staff: StaffConfig, service: ServiceConfig, cfg: BusinessConfig): UnknownStaffError {
  const names = eligibleStaff(cfg, service).map((s) => s.name);
  return new UnknownStaffError(`${staff.name} doesn't do ${service.name.toLowerCase()}; ${orList(names)} can. Would one of them work?`, {
    staff: names,
  });
}
