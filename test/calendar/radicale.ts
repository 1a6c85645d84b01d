/**
 * A real CalDAV server for the tests: Debian's radicale, started in a throwaway folder with its own
 * config (Debian's /etc/radicale/config uses remote_user auth, wrong for tests) and htpasswd users,
 * on a free port of 127.0.0.1, stopped by its pid. Each user gets a calendar made with MKCALENDAR.
 *
 * Passwords are stored plain: radicale's bcrypt needs python3-bcrypt, which the Debian package
 * does not pull in; Basic auth over the wire is the same either way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Radicale {
  /** Server root, e.g. http://127.0.0.1:5232/ */
  url: string;
  /** The calendar collection made for a user. */
  calendarUrl(user: string, name?: string): string;
  makeCalendar(user: string, password: string, name?: string): Promise<string>;
  /** PUTs a raw iCalendar object into a user's calendar (events made by someone else). */
  put(user: string, password: string, calendarUrl: string, filename: string, ics: string): Promise<number>;
  stop(): Promise<void>;
  /** Stop and remove the folder. */
  close(): Promise<void>;
  /** Start again on the same port and folder (after stop), to test an outage in the middle. */
  start(): Promise<void>;
}

export function radicaleMissing(): string | undefined {
  const r = spawnSync('radicale', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'radicale is not installed: apt-get install -y radicale apache2-utils (.ci/run installs it)';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export async function startRadicale(users: Record<string, string>): Promise<Radicale> {
  const dir = mkdtempSync(join(tmpdir(), 'bookline-radicale-'));
  const port = await freePort();
  const usersFile = join(dir, 'users');
  writeFileSync(usersFile, Object.entries(users).map(([u, p]) => `${u}:${p}`).join('\n') + '\n');
  const config = join(dir, 'config');
  writeFileSync(
    config,
    [
      '[server]',
      `hosts = 127.0.0.1:${port}`,
      '[auth]',
      'type = htpasswd',
      `htpasswd_filename = ${usersFile}`,
      'htpasswd_encryption = plain',
      'delay = 0',
      '[rights]',
      'type = owner_only',
      '[storage]',
      `filesystem_folder = ${join(dir, 'collections')}`,
      '[logging]',
      'level = warning',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async () => {
    stderr = '';
    child = spawn('radicale', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Ready when it answers HTTP; start-up takes 1-2 s, far more on a loaded machine or under libfaketime.
    for (let i = 0; i < 900; i++) {
      if (child.exitCode !== null) throw new Error(`radicale exited with ${child.exitCode}: ${stderr}`);
      try {
        await fetch(url, { method: 'OPTIONS' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`radicale did not answer on ${url}: ${stderr}`);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();

  const calendarUrl = (user: string, name = 'calendar') => `${url}${user}/${name}/`;
  return {
    url,
    calendarUrl,
    async makeCalendar(user, password, name = 'calendar') {
      const target = calendarUrl(user, name);
      const res = await fetch(target, {
        method: 'MKCALENDAR',
        headers: { authorization: basic(user, password), 'content-type': 'application/xml' },
        body: `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>${name}</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`,
      });
      if (res.status !== 201) throw new Error(`MKCALENDAR ${target}: ${res.status} ${await res.text()}`);
      return target;
    },
    async put(user, password, calUrl, filename, ics) {
      const res = await fetch(new URL(filename, calUrl), { method: 'PUT', headers: { authorization: basic(user, password), 'content-type': 'text/calendar; charset=utf-8' }, body: ics });
      await res.arrayBuffer();
      return res.status;
    },
    start,
    stop,
    async close() {
      // Removed only once the process is gone, so radicale never writes into a deleted folder.
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProxyFault {
  /** Answer this status without forwarding (with Retry-After: 1 on 429). */
  status?: number;
  /** Forward, let Radicale apply it, then drop the connection instead of answering. */
  dropAfter?: boolean;
}

export interface FaultProxy {
  url: string;
  /** The next `times` requests with this method get the fault. */
  inject(method: string, fault: ProxyFault, times: number): void;
  close(): Promise<void>;
}

/**
 * A pass-through proxy in front of Radicale that can throttle, fail or lose answers, the faults a
 * real CalDAV server shows under load that Radicale cannot be asked for.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: { method: string; fault: ProxyFault }[] = [];
  const server = http.createServer((req, res) => {
    const i = faults.findIndex((f) => f.method === req.method);
    const fault = i >= 0 ? faults.splice(i, 1)[0]!.fault : undefined;
    if (fault?.status) {
      req.resume();
      res.writeHead(fault.status, fault.status === 429 ? { 'retry-after': '1' } : {});
      res.end();
      return;
    }
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
      if (fault?.dropAfter) {
        up.resume();
        up.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    inject(method, fault, times) {
      for (let n = 0; n < times; n++) faults.push({ method, fault });
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
