/**
 * The real server as a child process (`node --import tsx src/main.ts`, or any command line), for
 * tests about what only a process shows: start-up refusals, signals, draining, crashes.
 */
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export const MAIN = ['--import', 'tsx', 'src/main.ts'];

/** The settings every spawned test server gets unless a test overrides them. */
export const QUIET_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  // Its own business, open every day with no closures: the demo file's holidays must not decide
  // whether a test passes on the day it runs.
  BUSINESS_CONFIG: 'test/fixtures/open-every-day.json',
  DATABASE_PATH: ':memory:',
  RATE_LIMIT_PHONE_PER_HOUR: '0',
  RATE_LIMIT_IP_PER_MINUTE: '0',
  SMS_WORKER_INTERVAL_MS: '0',
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// Every child still running when the test worker exits (a test that timed out half-way) is killed.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Spawns `args` (node arguments by default: the server) with QUIET_ENV + `env`, capturing output. */
export function spawnProc(env: Record<string, string>, opts: { command?: string; args?: string[] } & SpawnOptions = {}): Proc {
  const { command = process.execPath, args = MAIN, ...spawnOpts } = opts;
  const child = spawn(command, args, { env: { ...process.env, ...QUIET_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  live.add(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the server until it exits by itself (a refusal to start); kills it after `timeoutMs`. */
export async function runToExit(env: Record<string, string>, opts: Parameters<typeof spawnProc>[1] = {}, timeoutMs = 60_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnProc(env, opts);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Resolves once GET /healthz answers on `port`; throws if the process exits or `timeoutMs` pass (generous: a loaded machine, or libfaketime, makes start-up slow). */
export async function waitHealthy(p: Proc, port: number, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let gone = false;
  void p.exited.then(() => (gone = true));
  while (Date.now() < until && !gone) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  p.child.kill('SIGKILL');
  throw new Error(`server did not start on port ${port}:\n${p.stderr()}`);
}

/** Starts the server on a free port and waits until it answers. */
export async function startServer(env: Record<string, string> = {}, opts: Parameters<typeof spawnProc>[1] = {}): Promise<Proc & { port: number }> {
  const port = await freePort();
  const p = spawnProc({ PORT: String(port), ...env }, opts);
  await waitHealthy(p, port);
  return { ...p, port };
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
export function answers(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );
}
