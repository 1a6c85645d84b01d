/**
 * Our Ed25519 check against the installed `telnyx` SDK as an independent oracle. (The research notes
 * say older v7 releases' webhooks.unwrap() checked Standard Webhooks HMAC instead; the installed
 * version verifies Ed25519, and this test pins that both agree, so neither drifts unnoticed.)
 */
import Telnyx from 'telnyx';
import { describe, expect, it } from 'vitest';
import { signRetell, telnyxPublicKey, verifyRetell, verifyTelnyx } from '../../src/platforms/signatures.js';
import { telnyxHeaders, telnyxKeys } from './support.js';

describe('Telnyx Ed25519 verification', () => {
  const keys = telnyxKeys();
  const other = telnyxKeys();
  const sdk = new Telnyx({ apiKey: 'unused', publicKey: keys.publicKeyB64 });
  const key = telnyxPublicKey(keys.publicKeyB64);
  const body = JSON.stringify({ data: { event_type: 'assistant.initialization', payload: { call_control_id: 'c1', telnyx_end_user_target: '+12125550123' } } });

  const cases: Array<[string, string, Record<string, string>]> = [
    ['valid', body, telnyxHeaders(keys, body, Date.now())],
    ['tampered body', body.replace('c1', 'c2'), telnyxHeaders(keys, body, Date.now())],
    ['other key', body, telnyxHeaders(other, body, Date.now())],
    ['stale', body, telnyxHeaders(keys, body, Date.now() - 400_000)],
    ['future', body, telnyxHeaders(keys, body, Date.now() + 400_000)],
  ];

  it.each(cases)('agrees with the telnyx SDK: %s', async (name, sent, headers) => {
    const ours = verifyTelnyx(Buffer.from(sent), headers['telnyx-signature-ed25519'], headers['telnyx-timestamp'], key, Date.now()).ok;
    let theirs: boolean;
    try {
      await sdk.webhooks.unwrap(sent, { headers });
      theirs = true;
    } catch {
      theirs = false;
    }
    expect(ours).toBe(name === 'valid');
    expect(theirs).toBe(ours);
  });

  it('rejects keys that are not 32 raw bytes', () => {
    expect(() => telnyxPublicKey(Buffer.alloc(31).toString('base64'))).toThrow(/32-byte/);
  });
});

describe('Retell HMAC verification', () => {
  it('matches the v=<ms>,d=<hex> scheme and its 5-minute window', () => {
    const now = 1_795_438_800_000;
    const body = Buffer.from('{"name":"list_services","args":{}}');
    expect(signRetell(body, 'k', now)).toMatch(/^v=1795438800000,d=[0-9a-f]{64}$/);
    expect(verifyRetell(body, undefined, signRetell(body, 'k', now), 'k', now + 299_000).ok).toBe(true);
    expect(verifyRetell(body, undefined, signRetell(body, 'k', now), 'k', now + 301_000)).toEqual({ ok: false, reason: 'stale x-retell-signature' });
    expect(verifyRetell(body, undefined, signRetell(body, 'k2', now), 'k', now).ok).toBe(false);
  });
});
