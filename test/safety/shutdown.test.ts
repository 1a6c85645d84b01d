/**
 * Stopping the real server: a signal to `npm start` stops the server itself (no orphan keeps the
 * port), and a drain under load resets no request the server took: each request gets its full
 * response, or its connection is refused before anything is sent.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { answers, freePort, QUIET_ENV, startServer, waitHealthy } from '../support/process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while any process is left in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// Process groups this file started: killed at the end even if a test timed out half-way.
const groups = new Set<number>();
afterAll(() => {
  for (const pgid of groups) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
});

describe.concurrent('npm start and signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the npm start pid stops the server: nothing answers on the port, nothing is left in the group`, async () => {
      const port = await freePort();
      // Its own process group, as a terminal or a process manager would start it.
      const npm = spawn('npm', ['start', '--silent'], { detached: true, env: { ...process.env, ...QUIET_ENV, PORT: String(port) }, stdio: 'ignore' });
      const pgid = npm.pid!;
      groups.add(pgid);
      const exited = new Promise<void>((r) => npm.once('exit', () => r()));
      try {
        await waitHealthy({ child: npm, exited: exited.then(() => 'exit'), stdout: () => '', stderr: () => '' }, port);
        process.kill(npm.pid!, signal);
        await exited;
        // npm exits after its child: by then the server must be gone, not orphaned.
        for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
        expect(groupAlive(pgid)).toBe(false);
        expect(await answers(port)).toBe(false);
      } finally {
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      }
    }, 60_000);
  }
});

interface DrainCounts {
  /** Requests written on an open socket. */
  sent: number;
  /** ...of which got a complete response. */
  answered: number;
  /** Responses carrying Connection: close (the server is draining). */
  closeMarked: number;
  /** Keep-alive responses received after SIGTERM was sent (written before the server saw it). */
  keepAliveAfterSignal: number;
  /** Connections refused before anything was sent (the server stopped accepting). */
  refused: number;
  /** Connections the server closed while we had nothing in flight, not after a close-marked response. */
  closedIdle: number;
  /** Requests written whose connection then failed before the full response: must be 0. */
  lostAfterWrite: number;
  lostErrors: string[];
}

/**
 * One keep-alive client on raw sockets, so each request's fate is known exactly: it sends
 * request after request on its connection, reconnects when the server closes it after a
 * `Connection: close` response, and stops when a connection is refused.
 */
async function keepAliveClient(port: number, counts: DrainCounts, signalled: () => boolean, body: string): Promise<void> {
  for (;;) {
    const socket: Socket = connect(port, '127.0.0.1');
    const opened = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    if (!opened) {
      counts.refused++;
      return;
    }
    let buffer = Buffer.alloc(0);
    let waiting: ((ev: 'data' | 'end') => void) | undefined;
    let ended = false;
    let error: string | undefined;
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      waiting?.('data');
    });
    socket.on('end', () => {
      ended = true;
      waiting?.('end');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      ended = true;
      waiting?.('end');
    });
    const next = () => new Promise<'data' | 'end'>((r) => (waiting = r));

    for (;;) {
      if (ended) {
        // Closed while nothing was in flight: the server chose an idle moment.
        counts.closedIdle++;
        break;
      }
      socket.write(`POST /tools/find_available_slots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      counts.sent++;
      // Read one full response: headers, then Content-Length bytes.
      let head: string | undefined;
      let length = 0;
      for (;;) {
        if (head === undefined) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end >= 0) {
            head = buffer.subarray(0, end).toString();
            buffer = buffer.subarray(end + 4);
            length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? NaN);
          }
        }
        if (head !== undefined && buffer.length >= length) break;
        if (ended) break;
        await next();
      }
      if (head === undefined || !(buffer.length >= length)) {
        counts.lostAfterWrite++;
        counts.lostErrors.push(error ?? 'closed before the response was complete');
        socket.destroy();
        return;
      }
      buffer = buffer.subarray(length);
      counts.answered++;
      if (/^connection:\s*close/im.test(head)) {
        counts.closeMarked++;
        // The server ends the connection after this response; wait for it, then reconnect.
        while (!ended) await next();
        break;
      }
      if (signalled()) counts.keepAliveAfterSignal++;
    }
    socket.destroy();
  }
}

describe('graceful drain', () => {
  it('16 keep-alive clients sending through SIGTERM: no request lost after it was written, every last response says Connection: close', async () => {
    const server = await startServer({ TOOL_DEADLINE_MS: '8000' });
    const counts: DrainCounts = { sent: 0, answered: 0, closeMarked: 0, keepAliveAfterSignal: 0, refused: 0, closedIdle: 0, lostAfterWrite: 0, lostErrors: [] };
    let signalledAt: number | undefined;
    const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const body = JSON.stringify({ service_name: 'haircut', start_date: day });
    const clients = Array.from({ length: 16 }, () => keepAliveClient(server.port, counts, () => signalledAt !== undefined, body));
    await sleep(1500);
    const sentBefore = counts.sent;
    signalledAt = performance.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    const stoppedMs = performance.now() - signalledAt;
    await Promise.all(clients);
    console.log(
      `drain: ${counts.sent} requests sent (${sentBefore} before SIGTERM), ${counts.answered} answered, ${counts.closeMarked} with Connection: close, ` +
        `${counts.keepAliveAfterSignal} keep-alive after the signal, ${counts.refused} refused before sending, ${counts.closedIdle} closed idle, ` +
        `${counts.lostAfterWrite} lost after write; exit ${code} after ${Math.round(stoppedMs)} ms`,
    );
    expect(counts.lostErrors).toEqual([]);
    expect(counts.lostAfterWrite).toBe(0);
    expect(counts.answered).toBe(counts.sent);
    // Each of the 16 connections open at SIGTERM ended with a close-marked response, none idle-closed.
    expect(counts.closeMarked).toBe(16);
    expect(counts.closedIdle).toBe(0);
    // Every client ended on a refused connection: the server had stopped accepting.
    expect(counts.refused).toBe(16);
    expect(sentBefore).toBeGreaterThan(16);
    expect(code).toBe(0);
    expect(stoppedMs).toBeLessThan(8000);
  }, 60_000);
});
