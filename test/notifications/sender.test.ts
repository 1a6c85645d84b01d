/** The real `telnyx` SDK against the local fake: the request it sends, and what each failure means. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/business.js';
import { parseEnv } from '../../src/config/env.js';
import { SendError, smsSenderFromEnv, TelnyxSender } from '../../src/notifications/sender.js';
import { FakeTelnyx } from '../fakes/telnyx.js';
import { FROM, telnyxSenderFor } from './setup.js';

let fake: FakeTelnyx;
beforeAll(async () => {
  fake = await new FakeTelnyx().start();
});
afterAll(() => fake.close());

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(SendError);
    return (err as SendError).outcome;
  }
}

describe('TelnyxSender (real SDK, fake API)', () => {
  it('sends from the configured number and returns the Telnyx message id', async () => {
    const before = fake.messages.length;
    const { providerId } = await telnyxSenderFor(fake).send({ to: '+12125550123', text: 'Hello from the test' });
    const msg = fake.messages[before]!;
    expect(msg).toMatchObject({ to: '+12125550123', from: FROM, text: 'Hello from the test', messagingProfileId: null });
    expect(providerId).toBe(msg.id);
  });

  it('can send through a messaging profile instead of a number', async () => {
    const sender = new TelnyxSender({ apiKey: fake.apiKey, messagingProfileId: 'profile-1', baseURL: fake.baseURL, timeoutMs: 2000 });
    await sender.send({ to: '+12125550123', text: 'via profile' });
    expect(fake.messages.at(-1)).toMatchObject({ from: null, messagingProfileId: 'profile-1' });
  });

  it('classifies each failure by whether a message could exist', async () => {
    const s = telnyxSenderFor(fake, 300);
    const send = () => s.send({ to: '+12125550123', text: 'x' });
    fake.fail({ status: 500 });
    expect(await outcome(send())).toBe('not_sent');
    fake.fail({ status: 503 });
    expect(await outcome(send())).toBe('not_sent');
    fake.fail({ status: 429 });
    expect(await outcome(send())).toBe('not_sent');
    fake.fail({ status: 504 });
    expect(await outcome(send())).toBe('unknown');
    fake.fail({ delayMs: 1000, accept: true });
    expect(await outcome(send())).toBe('unknown');
    fake.fail({ drop: true, accept: true });
    expect(await outcome(send())).toBe('unknown');
    // Validation and auth failures come from Telnyx itself: retrying cannot help.
    expect(await outcome(s.send({ to: '12', text: 'x' }))).toBe('rejected');
    const wrongKey = new TelnyxSender({ apiKey: 'nope', fromNumber: FROM, baseURL: fake.baseURL, timeoutMs: 2000 });
    expect(await outcome(wrongKey.send({ to: '+12125550123', text: 'x' }))).toBe('rejected');
  });

  it('treats a refused connection as not sent', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const s = new TelnyxSender({ apiKey: 'k', fromNumber: FROM, baseURL: `http://127.0.0.1:${port}/v2`, timeoutMs: 2000 });
    expect(await outcome(s.send({ to: '+12125550123', text: 'x' }))).toBe('not_sent');
  });

  it('is built from env only when a key is set, and then needs a sender identity', () => {
    expect(smsSenderFromEnv(parseEnv({}))).toBeNull();
    expect(() => smsSenderFromEnv(parseEnv({ TELNYX_API_KEY: 'k' }))).toThrow(ConfigError);
    const s = smsSenderFromEnv(parseEnv({ TELNYX_API_KEY: 'k', TELNYX_FROM_NUMBER: FROM, TELNYX_API_BASE_URL: 'http://127.0.0.1:9/v2' }));
    expect(s?.name).toBe('telnyx');
  });
});
