/**
 * The business rules the slot engine needs, compiled from the business file into plain numbers so
 * the engine never touches config parsing, env, or the clock.
 */
import type { BusinessConfig, Closure, MinuteRange, ServiceConfig } from '../config/business.js';

export interface ScheduleRules {
  zone: string;
  slotIntervalMin: number;
  minNoticeMin: number;
  horizonDays: number;
  /** Index 1..7 = luxon weekday (Monday = 1). Minutes after local midnight. */
  businessHours: MinuteRange[][];
  /** Per-staff weekly hours that replace the business hours for that person. */
  staffHours: ReadonlyMap<string, MinuteRange[][]>;
  closures: readonly Closure[];
}

export interface ServiceTiming {
  durationMin: number;
  bufferBeforeMin: number;
  bufferAfterMin: number;
}

export function compileRules(cfg: BusinessConfig): ScheduleRules {
  const staffHours = new Map<string, MinuteRange[][]>();
  for (const s of cfg.staff) if (s.hours) staffHours.set(s.id, s.hours);
  return {
    zone: cfg.business.timeZone,
    slotIntervalMin: cfg.booking.slotIntervalMinutes,
    minNoticeMin: cfg.booking.minNoticeMinutes,
    horizonDays: cfg.booking.horizonDays,
    businessHours: cfg.hours,
    staffHours,
    closures: cfg.closures,
  };
}

export function serviceTiming(s: ServiceConfig): ServiceTiming {
  return { durationMin: s.durationMinutes, bufferBeforeMin: s.bufferBeforeMinutes, bufferAfterMin: s.bufferAfterMinutes };
}
