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
    [{ closures: [{ date: '2026-13-40' }] }, 'closures.0.date: "2026-13-40" is not a real calendar date'],
    [{ closures: [{ date: '2026-02-30' }] }, 'closures.0.date: "2026-02-30" is not a real calendar date'],
    [{ closures: [{ date: '2026-12-24', until: '2026-12-32' }] }, 'closures.0.until: "2026-12-32" is not a real calendar date'],
    [{ closures: [{ date: '2027-02-29' }] }, 'closures.0.date: "2027-02-29" is not a real calendar date'],
  ])('%o -> names the field', (patch, expected) => {
    expect(() => parseBusinessConfig({ ...minimal, ...patch }, 'my.json')).toThrow(ConfigError);
    try {
      parseBusinessConfig({ ...minimal, ...patch }, 'my.json');
    } catch (e) {
      expect((e as Error).message).toContain('Invalid configuration in my.json');
      expect((e as Error).message).toContain(expected);
    }
  });

  it('real dates pass, leap days included', () => {
    const cfg = parseBusinessConfig({ ...minimal, closures: [{ date: '2028-02-29' }, { date: '2026-12-31', until: '2027-01-01' }] });
    expect(cfg.closures.map((c) => [c.date, c.until])).toEqual([
      ['2028-02-29', '2028-02-29'],
      ['2026-12-31', '2027-01-01'],
    ]);
    // A malformed date gets one message, not two.
    expect(() => parseBusinessConfig({ ...minimal, closures: [{ date: '2026-1-5' }] })).toThrow(/closures\.0\.date: expected a date like 2026-12-25$/);
  });

  it('Google mode needs every staff calendarId, and names who lacks one; the embedded calendar defaults it to the id', () => {
    const business = { ...minimal, staff: [{ id: 'a', name: 'Ann', calendarId: 'ann@salon.test' }, { id: 'b', name: 'Bob' }, { id: 'c', name: 'Cy' }] };
    expect(parseBusinessConfig(business).staff.map((s) => s.calendarId)).toEqual(['ann@salon.test', 'b', 'c']);
    expect(() => parseBusinessConfig(business, 'my.json', { requireCalendarIds: true })).toThrow(ConfigError);
    try {
      parseBusinessConfig(business, 'my.json', { requireCalendarIds: true });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('Invalid configuration in my.json: CALENDAR_PROVIDER=google needs "calendarId" for every staff member');
      expect(msg).toContain('staff.1.calendarId: set the Google calendar id of Bob ("b")');
      expect(msg).toContain('staff.2.calendarId: set the Google calendar id of Cy ("c")');
      expect(msg).not.toContain('Ann');
    }
    expect(parseBusinessConfig({ ...minimal, staff: [{ id: 'a', name: 'Ann', calendarId: 'ann@salon.test' }] }, 'x', { requireCalendarIds: true }).staff[0]!.calendarId).toBe('ann@salon.test');
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

  it('PUBLIC_BASE_URL: validated, trailing slash dropped, defaults to localhost on PORT', () => {
    expect(parseEnv({})).toMatchObject({ PUBLIC_BASE_URL: 'http://localhost:3000', PUBLIC_BASE_URL_SET: false });
    expect(parseEnv({ PORT: '48123' })).toMatchObject({ PUBLIC_BASE_URL: 'http://localhost:48123', PUBLIC_BASE_URL_SET: false });
    expect(parseEnv({ PUBLIC_BASE_URL: 'https://book.example.com/' })).toMatchObject({ PUBLIC_BASE_URL: 'https://book.example.com', PUBLIC_BASE_URL_SET: true });
    expect(parseEnv({ PUBLIC_BASE_URL: 'https://example.com/bookline' }).PUBLIC_BASE_URL).toBe('https://example.com/bookline');
    for (const bad of ['book.example.com', 'ftp://book.example.com', 'https://book.example.com/?x=1', 'https://book.example.com/#top', 'https://u:p@book.example.com', 'https://']) {
      expect(() => parseEnv({ PUBLIC_BASE_URL: bad }), bad).toThrow(/PUBLIC_BASE_URL: expected .*https:\/\/book\.example\.com/);
    }
  });

  it('admission settings: sensible defaults, and the queue wait must fit in the deadline', () => {
    expect(parseEnv({})).toMatchObject({ TOOL_DEADLINE_MS: 8000, TOOL_MAX_CONCURRENCY: 32, TOOL_QUEUE_TIMEOUT_MS: 4000 });
    expect(() => parseEnv({ TOOL_MAX_CONCURRENCY: '0' })).toThrow(/TOOL_MAX_CONCURRENCY: expected a whole number from 1/);
    expect(() => parseEnv({ TOOL_DEADLINE_MS: '1000', TOOL_QUEUE_TIMEOUT_MS: '1000' })).toThrow(/TOOL_QUEUE_TIMEOUT_MS: must be less than TOOL_DEADLINE_MS \(1000\)/);
    // Unset, it follows a short deadline down.
    expect(parseEnv({ TOOL_DEADLINE_MS: '1000' }).TOOL_QUEUE_TIMEOUT_MS).toBe(500);
    expect(parseEnv({ TOOL_QUEUE_TIMEOUT_MS: '0' }).TOOL_QUEUE_TIMEOUT_MS).toBe(0);
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
