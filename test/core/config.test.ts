import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadBusinessConfig, parseBusinessConfig } from '../../src/config/business.js';
import { parseEnv } from '../../src/config/env.js';

const minimal = {
  business: { name: 'B', timeZone: 'Europe/London' },
  hours: { monday: ['09:00-17:00'] },
  services: [{ id: 'cut', name: 'Cut', durationMinutes: 30 }],
  staff: [{ id: 'a', name: 'Ann' }],
};

function writeTemp(content: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'business.json');
  writeFileSync(p, content);
  return p;
}

describe('business config', () => {
  it('the demo file is valid', () => {
    const cfg = loadBusinessConfig('config/business.json');
    expect(cfg.business.timeZone).toBe('America/New_York');
    expect(cfg.staff.map((s) => s.calendarId)).toEqual(['sam', 'priya', 'jordan']);
  });

  it('fills defaults', () => {
    const cfg = parseBusinessConfig(minimal);
    expect(cfg.booking).toMatchObject({ minNoticeMinutes: 120, horizonDays: 60, slotIntervalMinutes: 15, cancellationNoticeMinutes: 0 });
    expect(cfg.hours[1]).toEqual([{ start: 540, end: 1020 }]);
    expect(cfg.hours[2]).toEqual([]);
  });

  it.each([
    [{ business: { name: 'B', timeZone: 'Mars/Olympus' } }, 'business.timeZone: not an IANA time zone'],
    [{ hours: { monday: ['9-5'] } }, 'hours.monday.0: expected a range like "09:00-17:00"'],
    [{ hours: { monday: ['17:00-09:00'] } }, 'hours.monday.0: "17:00-09:00" ends before it starts'],
    [{ hours: { monday: ['09:00-13:00', '12:00-17:00'] } }, 'hours.monday: time ranges overlap'],
    [{ hours: { funday: ['09:00-17:00'] } }, 'hours: Unrecognized key: "funday"'],
    [{ services: [{ id: 'cut', name: 'Cut', durationMinutes: 30, staff: ['zed'] }] }, 'services.0.staff.0: unknown staff id "zed"'],
    [{ staff: [{ id: 'a', name: 'A' }, { id: 'a', name: 'B' }] }, 'staff.1.id: duplicate staff id "a"'],
    [{ closures: [{ date: '2026-12-24', from: '13:00' }] }, 'closures.0: a partial closure needs both "from" and "to"'],
  ])('%o -> names the field', (patch, expected) => {
    expect(() => parseBusinessConfig({ ...minimal, ...patch }, 'my.json')).toThrow(ConfigError);
    try {
      parseBusinessConfig({ ...minimal, ...patch }, 'my.json');
    } catch (e) {
      expect((e as Error).message).toContain('Invalid configuration in my.json');
      expect((e as Error).message).toContain(expected);
    }
  });

  it('a missing or broken file names the file', () => {
    expect(() => loadBusinessConfig('/nonexistent/business.json')).toThrow(/Cannot read business configuration \/nonexistent\/business.json/);
    const p = writeTemp('{ not json');
    expect(() => loadBusinessConfig(p)).toThrow(new RegExp(`Business configuration ${p} is not valid JSON`));
  });
});

describe('env', () => {
  it('defaults to the embedded demo on port 3000', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, CALENDAR_PROVIDER: 'embedded', BUSINESS_CONFIG: 'config/business.json', DATA_DIR: './data' });
    expect(env.VAPI_SECRET).toBeUndefined();
  });

  it('names the variable that is wrong', () => {
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(/PORT: expected a whole number/);
    expect(() => parseEnv({ CALENDAR_PROVIDER: 'outlook' })).toThrow(/CALENDAR_PROVIDER/);
    expect(() => parseEnv({ TRUST_MODEL_PHONE: 'maybe' })).toThrow(/TRUST_MODEL_PHONE: expected true or false/);
  });
});

describe('.env.example', () => {
  it('lists every variable the service reads, and nothing it does not', async () => {
    const { readFileSync } = await import('node:fs');
    const { envSchema } = await import('../../src/config/env.js');
    const text = readFileSync('.env.example', 'utf8');
    const listed = new Set([...text.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const read = Object.keys(envSchema.shape);
    expect(read.filter((k) => !listed.has(k))).toEqual([]);
    expect([...listed].filter((k) => !read.includes(k!))).toEqual([]);
    // The listed values parse (uncommented ones are the defaults).
    const values = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(() => parseEnv(values)).not.toThrow();
  });
});
