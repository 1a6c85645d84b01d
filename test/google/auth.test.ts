import { afterEach, describe, expect, it } from 'vitest';
import { buildGoogleCalendarClient, googleSettingsFromEnv } from '../../src/calendar/google-client.js';
import { ConfigError } from '../../src/config/business.js';
import { parseEnv } from '../../src/config/env.js';
import { CalendarUnavailableError } from '../../src/domain/errors.js';
import { harness, HOUR, NOW, serviceAccountKeyFile, STAFF, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const range = { start: NOW, end: NOW + 24 * HOUR };

describe('OAuth refresh token', () => {
  it('fetches a token once and reuses it', async () => {
    h = await harness();
    await h.provider.freeBusy(STAFF, range);
    await h.provider.freeBusy(STAFF, range);
    expect(h.fake.counts()).toEqual({ token: 1, freebusy: 2, total: 3 });
    expect(h.fake.tokenGrants()).toMatchObject([{ grantType: 'refresh_token', clientId: 'client-1' }]);
  });

  it('refreshes once when Google rejects an access token before its expiry, then succeeds', async () => {
    h = await harness();
    await h.provider.freeBusy(STAFF, range);
    h.fake.expireAccessTokens();
    h.fake.resetCounts();
    const fb = await h.provider.freeBusy(STAFF, range);
    expect(fb.errors.size).toBe(0);
    expect(h.fake.counts()).toEqual({ freebusy: 2, token: 1, total: 3 });
    expect(h.provider.health()).toEqual({ ok: true });
  });

  it('refreshes only once per call when 401s persist, and says so in health', async () => {
    h = await harness();
    await h.provider.freeBusy(STAFF, range);
    h.fake.resetCounts();
    h.fake.inject('freebusy', { status: 401 }, 5);
    await expect(h.provider.freeBusy(STAFF, range)).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(h.fake.counts()).toEqual({ freebusy: 2, token: 1, total: 3 });
    expect(h.provider.health()).toEqual({ ok: false, detail: expect.stringMatching(/rejected our access token/) });

    h.fake.clearFaults();
    await h.provider.freeBusy(STAFF, range);
    expect(h.provider.health()).toEqual({ ok: true });
  });

  it('surfaces a revoked refresh token as a clear, unhealthy state without retrying it', async () => {
    h = await harness();
    h.fake.revokeRefreshTokens();
    const err = await h.provider.freeBusy(STAFF, range).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalendarUnavailableError);
    expect(h.fake.counts()).toEqual({ token: 1, total: 1 });
    const health = h.provider.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/refused the stored refresh token \(invalid_grant: Token has been expired or revoked\.\).*GOOGLE_OAUTH_REFRESH_TOKEN/);
    expect(h.logger.entries.filter((e) => e.level === 'error' && e.msg === health.detail)).toHaveLength(1);

    // A token revoked after a while: the 401 leads to a refresh, which is refused the same way.
    await h.close();
    h = await harness();
    await h.provider.freeBusy(STAFF, range);
    h.fake.revokeRefreshTokens();
    h.fake.expireAccessTokens();
    await expect(h.provider.freeBusy(STAFF, range)).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(h.provider.health()).toMatchObject({ ok: false, detail: expect.stringMatching(/invalid_grant/) });
  });
});

describe('service account', () => {
  it('sends the jwt-bearer grant (with the delegation subject) to the overridden token URL', async () => {
    h = await harness({ auth: { kind: 'service-account', keyFile: serviceAccountKeyFile(), subject: 'owner@salon.test' } });
    const fb = await h.provider.freeBusy(STAFF, range);
    expect(fb.errors.size).toBe(0);
    const [grant] = h.fake.tokenGrants();
    expect(grant).toMatchObject({
      grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      claims: { iss: 'bookline@proj.iam.gserviceaccount.com', sub: 'owner@salon.test', scope: 'https://www.googleapis.com/auth/calendar' },
    });
  });

  it('refreshes a rejected service-account token once, then succeeds', async () => {
    h = await harness({ auth: { kind: 'service-account', keyFile: serviceAccountKeyFile() } });
    await h.provider.freeBusy(STAFF, range);
    h.fake.expireAccessTokens();
    h.fake.resetCounts();
    await h.provider.freeBusy(STAFF, range);
    expect(h.fake.counts()).toEqual({ freebusy: 2, token: 1, total: 3 });
  });

  it('explains a token refusal in service-account terms', async () => {
    h = await harness({ auth: { kind: 'service-account', keyFile: serviceAccountKeyFile(), subject: 'someone@other.test' } });
    h.fake.inject('token', { status: 401, reason: 'unauthorized_client', message: 'Client is unauthorized to retrieve access tokens using this method.' });
    await expect(h.provider.freeBusy(STAFF, range)).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(h.provider.health().detail).toMatch(/Domain-wide delegation is not granted/);
  });

  it('names the variable when the key file is unusable', () => {
    expect(() => buildGoogleCalendarClient({ auth: { kind: 'service-account', keyFile: '/nonexistent/key.json' } })).toThrow(
      /GOOGLE_SERVICE_ACCOUNT_KEY_FILE: cannot read/,
    );
  });
});

describe('googleSettingsFromEnv', () => {
  const env = (vars: Record<string, string>) => parseEnv({ CALENDAR_PROVIDER: 'google', ...vars });

  it('infers the auth kind and keeps overrides', () => {
    expect(
      googleSettingsFromEnv(
        env({
          GOOGLE_OAUTH_CLIENT_ID: 'id',
          GOOGLE_OAUTH_CLIENT_SECRET: 'secret',
          GOOGLE_OAUTH_REFRESH_TOKEN: 'rt',
          GOOGLE_CALENDAR_ROOT_URL: 'http://127.0.0.1:4615',
          GOOGLE_TOKEN_URL: 'http://127.0.0.1:4615/token',
        }),
      ),
    ).toEqual({
      auth: { kind: 'oauth', clientId: 'id', clientSecret: 'secret', refreshToken: 'rt' },
      rootUrl: 'http://127.0.0.1:4615/',
      tokenUrl: 'http://127.0.0.1:4615/token',
    });
    expect(googleSettingsFromEnv(env({ GOOGLE_SERVICE_ACCOUNT_KEY_FILE: 'k.json', GOOGLE_IMPERSONATE_SUBJECT: 'a@b.c' }))).toEqual({
      auth: { kind: 'service-account', keyFile: 'k.json', subject: 'a@b.c' },
    });
  });

  it.each([
    [{}, /GOOGLE_SERVICE_ACCOUNT_KEY_FILE.*GOOGLE_OAUTH_REFRESH_TOKEN/],
    [{ GOOGLE_OAUTH_CLIENT_ID: 'id', GOOGLE_OAUTH_REFRESH_TOKEN: 'rt' }, /^GOOGLE_OAUTH_CLIENT_SECRET: required/],
    [{ GOOGLE_AUTH: 'service-account' }, /^GOOGLE_SERVICE_ACCOUNT_KEY_FILE: required/],
    [{ GOOGLE_SERVICE_ACCOUNT_KEY_FILE: 'k.json', GOOGLE_OAUTH_CLIENT_ID: 'id' }, /^GOOGLE_AUTH: both/],
    [{ GOOGLE_SERVICE_ACCOUNT_KEY_FILE: 'k.json', GOOGLE_CALENDAR_ROOT_URL: 'http://h:1/prefix' }, /^GOOGLE_CALENDAR_ROOT_URL: the Google client drops any path/],
    [{ GOOGLE_SERVICE_ACCOUNT_KEY_FILE: 'k.json', GOOGLE_TOKEN_URL: 'nope' }, /^GOOGLE_TOKEN_URL: "nope" is not a URL/],
  ])('rejects %j', (vars, message) => {
    expect(() => googleSettingsFromEnv(env(vars as Record<string, string>))).toThrow(ConfigError);
    expect(() => googleSettingsFromEnv(env(vars as Record<string, string>))).toThrow(message);
  });

  it('validates retry knobs in the env schema', () => {
    expect(() => parseEnv({ REMOTE_MAX_ATTEMPTS: '0' })).toThrow(/REMOTE_MAX_ATTEMPTS/);
    expect(parseEnv({})).toMatchObject({ GOOGLE_SEND_UPDATES: 'none', REMOTE_MAX_ATTEMPTS: 4, REMOTE_BREAKER_THRESHOLD: 5 });
  });
});
