/** Shared bits for the platform tests: key pairs, listening servers, the call log. */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { TestDeps } from '../helpers.js';
import { callLog } from '../support/store.js';

export interface TelnyxKeys {
  publicKeyB64: string;
  privateKey: KeyObject;
}

/** A fresh Ed25519 pair; the public half in Telnyx's format (base64 of the 32 raw bytes). */
export function telnyxKeys(): TelnyxKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { publicKeyB64: der.subarray(der.length - 32).toString('base64'), privateKey };
}

/** The two headers Telnyx sends, for `body` signed at `nowMs`. */
export function telnyxHeaders(keys: TelnyxKeys, body: string, nowMs: number): Record<string, string> {
  const ts = String(Math.floor(nowMs / 1000));
  const sig = sign(null, Buffer.from(`${ts}|${body}`), keys.privateKey).toString('base64');
  return { 'telnyx-signature-ed25519': sig, 'telnyx-timestamp': ts, 'content-type': 'application/json' };
}

export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function lastLogged(deps: TestDeps) {
  return (await callLog(deps, 1))[0];
}
