/**
 * The HTTP server's life: listening (with a sentence when the port cannot be had) and a graceful
 * drain on shutdown that never resets a connection the server has taken a request on.
 *
 * Why not just http.Server#close(): since Node 19 it also destroys every keep-alive connection that
 * is idle at that instant, and "idle" includes a connection whose next request is already sitting
 * unread in the socket buffer. Destroying a socket with unread data sends a TCP reset, so a client
 * that had just written a booking sees ECONNRESET and cannot know whether it was made. Instead the
 * drain:
 *   1. stops accepting new connections (new ones are refused, before anything is sent);
 *   2. answers every request in flight, and every request that still arrives on an open
 *      connection, with `Connection: close`, so that connection ends cleanly after its response;
 *   3. leaves idle connections to the keep-alive timeout (server.keepAliveTimeout, 5 s), the same
 *      rule as in normal operation: clients close idle sockets before it (undici and browsers
 *      honour the `Keep-Alive: timeout=5` hint), so no request is written into a closing socket;
 *   4. after `graceMs`, closes whatever is left (a stuck client).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { ConfigError } from '../config/business.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpServer {
  server: Server;
  /** The port actually listened on (PORT=0 picks a free one). */
  port: number;
  /**
   * Stops accepting and ends every connection after its current response. Resolves when the last
   * connection is gone; `forced` counts those still open after `graceMs` (then destroyed).
   */
  drain(graceMs: number): Promise<{ forced: number }>;
}

/** The sentence for a port we could not listen on. */
export function listenProblem(err: NodeJS.ErrnoException, port: number, host: string): ConfigError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ConfigError(`Cannot start: port ${port} is already in use on ${host} (another Bookline, or another program); stop it or set PORT to a free port.`);
    case 'EACCES':
      return new ConfigError(
        `Cannot start: port ${port} needs privileges this process does not have (ports below 1024 usually do); set PORT to 1024 or above and put a reverse proxy in front.`,
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(`Cannot start: ${host} is not an address of this machine; set HOST to one of its addresses, or 0.0.0.0 for all of them.`);
    default:
      return new ConfigError(`Cannot start: listening on ${host}:${port} failed (${err.code ?? err.message}); check PORT and HOST.`);
  }
}

/** Listens; rejects with a ConfigError sentence (port in use, privileged port...) when it cannot. */
export function listen(handler: Handler, port: number, host: string): Promise<HttpServer> {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    // Before the app sees the request: a handler may answer synchronously.
    if (draining) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    handler(req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const drain = (graceMs: number): Promise<{ forced: number }> => {
    draining = true;
    for (const res of inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      // Already streaming (MCP, /v1 chat): end the connection once this response is done.
      else res.once('finish', () => res.socket?.end());
    }
    return new Promise((resolve) => {
      let forced = 0;
      const timer = setTimeout(() => {
        forced = sockets.size;
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      timer.unref();
      // net.Server#close, not http.Server#close: see the comment at the top.
      NetServer.prototype.close.call(server, () => {
        clearTimeout(timer);
        resolve({ forced });
      });
    });
  };

  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenProblem(err, port, host));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve({ server, port: (server.address() as AddressInfo).port, drain });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
