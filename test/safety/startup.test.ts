/**
 * Start-up refusals with the real process: each is exit code 1 and one sentence on stderr naming
 * what to change, never a stack trace, and never "listening" before the server is.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runToExit } from '../support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'bookline-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One sentence, no stack, no raw driver error. */
function expectOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines.length, stderr).toBeLessThanOrEqual(3);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('SqliteError');
  expect(stderr).not.toContain('SQLITE_');
}

describe.concurrent('the port', { timeout: 90_000 }, () => {
  it('already in use: exit 1 with "port N is already in use", and no "listening" line', async () => {
    const port = await freePort();
    const holder: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
    try {
      const run = await runToExit({ PORT: String(port), LOG_LEVEL: 'info' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${port} is already in use`);
      expect(run.stderr).toContain('set PORT');
      expect(run.stdout).not.toContain('listening');
      expectOneSentence(run.stderr);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('privileged (EACCES): exit 1 naming the port and PORT', async (ctx) => {
    const unprivilegedFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    if (!(unprivilegedFrom > 80)) ctx.skip();
    // As root, run the server as nobody: root may bind port 80, nobody may not.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = await runToExit({ PORT: '80', LOG_LEVEL: 'info', HOME: '/tmp' }, asNobody);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('port 80 needs privileges');
    expect(run.stderr).toContain('set PORT to 1024 or above');
    expect(run.stdout).not.toContain('listening');
    expectOneSentence(run.stderr);
  });
});

describe.concurrent('the data directory', { timeout: 90_000 }, () => {
  // Tests run as root here: a path below a regular file fails for root too.
  const file = join(dir, 'file.txt');
  writeFileSync(file, 'not a folder');

  it('DATA_DIR below a file: one sentence naming the folder and DATA_DIR / DATABASE_PATH', async () => {
    const run = await runToExit({ DATABASE_PATH: '', DATA_DIR: join(file, 'sub') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot use the folder ${join(file, 'sub')} for the database (part of that path is a file, not a folder)`);
    expect(run.stderr).toContain('set DATA_DIR (or DATABASE_PATH)');
    expectOneSentence(run.stderr);
  });

  it('DATABASE_PATH in a folder that is a file, or naming a folder: names DATABASE_PATH', async () => {
    const below = await runToExit({ DATABASE_PATH: join(file, 'x.db') });
    expect(below.code).toBe(1);
    expect(below.stderr).toContain(`Cannot use the folder ${file} for the database`);
    expect(below.stderr).toContain('set DATABASE_PATH to a location this process can write');
    expectOneSentence(below.stderr);

    const folder = join(dir, 'a-folder.db');
    mkdirSync(folder);
    const isDir = await runToExit({ DATABASE_PATH: folder });
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toContain(`Cannot use ${folder} for the database (that is a folder, not a file)`);
    expectOneSentence(isDir.stderr);
  });

  it('a file that is not a database: one sentence, not SqliteError', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'x'.repeat(4096));
    const run = await runToExit({ DATABASE_PATH: junk });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot open the database ${junk} (file is not a database)`);
    expectOneSentence(run.stderr);
  });
});

describe.concurrent('settings and the business file', { timeout: 90_000 }, () => {
  it('PUBLIC_BASE_URL without a scheme is refused, naming the variable', async () => {
    const run = await runToExit({ PORT: '0', PUBLIC_BASE_URL: 'book.example.com' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PUBLIC_BASE_URL: expected an absolute http:// or https:// URL with a host, got "book.example.com"');
  });

  it('impossible closure dates are refused, naming the field', async () => {
    const business = JSON.parse(readFileSync('test/fixtures/open-every-day.json', 'utf8')) as Record<string, unknown>;
    const path = join(dir, 'bad-dates.json');
    writeFileSync(path, JSON.stringify({ ...business, closures: [{ date: '2026-13-40' }, { date: '2026-02-30' }] }));
    const run = await runToExit({ PORT: '0', BUSINESS_CONFIG: path });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('closures.0.date: "2026-13-40" is not a real calendar date');
    expect(run.stderr).toContain('closures.1.date: "2026-02-30" is not a real calendar date');
  });

  it('Google mode with staff lacking calendarId refuses to start, naming them', async () => {
    const run = await runToExit({
      PORT: '0',
      CALENDAR_PROVIDER: 'google',
      GOOGLE_OAUTH_CLIENT_ID: 'id',
      GOOGLE_OAUTH_CLIENT_SECRET: 'secret',
      GOOGLE_OAUTH_REFRESH_TOKEN: 'token',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CALENDAR_PROVIDER=google needs "calendarId" for every staff member');
    for (const [i, name, id] of [[0, 'Sam', 'sam'], [1, 'Priya', 'priya'], [2, 'Jordan', 'jordan']] as const) {
      expect(run.stderr).toContain(`staff.${i}.calendarId: set the Google calendar id of ${name} ("${id}")`);
    }
    expect(run.stdout).not.toContain('listening');
  });
});
