import { afterEach, expect, it } from 'vitest';
import { runGoogleCheck } from '../../tools/google-check.js';
import { harness, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

it('google:check reports unreadable, read-only and healthy calendars in plain words', async () => {
  h = await harness({ fake: { calendars: ['ok@salon.test'], seed: { readOnlyCalendars: ['ro@salon.test'] } } });
  const lines = await runGoogleCheck({
    client: h.client,
    calendars: [
      { label: 'Ok', calendarId: 'ok@salon.test' },
      { label: 'Ro', calendarId: 'ro@salon.test' },
      { label: 'Gone', calendarId: 'gone@salon.test' },
    ],
    identity: 'tester',
    authKind: 'oauth',
    write: true,
  });
  expect(lines.map((l) => [l.ok, l.what])).toEqual([
    [true, 'credentials: signed in as tester'],
    [true, 'Ok (ok@salon.test): events readable'],
    [true, 'Ok (ok@salon.test): free/busy readable'],
    [true, 'Ok (ok@salon.test): writable (test event created and deleted)'],
    [true, 'Ro (ro@salon.test): events readable'],
    [true, 'Ro (ro@salon.test): free/busy readable'],
    [false, 'Ro (ro@salon.test): writable'],
    [false, 'Gone (gone@salon.test): events readable'],
  ]);
  expect(lines[6]!.detail).toMatch(/Make changes to events/);
  expect(lines[7]!.detail).toMatch(/does not exist, or it is not shared with tester/);
  // The write probe leaves only a tombstone behind.
  expect(h.fake.events('ok@salon.test').map((e) => e.status)).toEqual(['cancelled']);
});

it('google:check stops at credentials when the refresh token is revoked', async () => {
  h = await harness();
  h.fake.revokeRefreshTokens();
  const lines = await runGoogleCheck({ client: h.client, calendars: [{ label: 'A', calendarId: 'alice@salon.test' }], identity: 'tester', authKind: 'oauth', write: false });
  expect(lines).toEqual([{ ok: false, what: 'credentials', detail: expect.stringMatching(/invalid_grant.*GOOGLE_OAUTH_REFRESH_TOKEN/) }]);
});
