/**
 * Creating and changing stored businesses: the one implementation behind the operator API
 * (src/http/operator.ts), the CLI (tools/business.ts) and the seeding of config/businesses/*.json.
 * The business file schema validates the configuration, so an error names the field exactly as a
 * business file's would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { planCalendars } from '../calendar/index.js';
import { ConfigError, parseBusinessConfig } from '../config/business.js';
import { seal, sealedWith } from '../config/crypto.js';
import { randomBase32hex } from '../domain/ids.js';
import { checkEntryPoints } from '../config/security.js';
import type { Runtime } from '../runtime.js';
import type { BusinessRecord } from '../store/ports.js';
import { businessBaseUrl, openSecrets } from './context.js';
import { businessSettings, mergeSecrets, SECRET_SETTINGS, type Secrets, secretsSchema, secretsView } from './secrets.js';

export class ManageError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function checkSlug(slug: unknown): string {
  if (typeof slug !== 'string' || !SLUG.test(slug)) {
    throw new ManageError(400, 'slug: use 1-63 lowercase letters, digits and dashes, starting and ending with a letter or digit (e.g. "maple-street").');
  }
  return slug;
}

function checkConfig(raw: unknown, slug: string): string {
  try {
    parseBusinessConfig(raw, `business "${slug}"`);
  } catch (err) {
    if (err instanceof ConfigError) throw new ManageError(400, err.message);
    throw err;
  }
  return JSON.stringify(raw);
}

function sealSecrets(rt: Runtime, secrets: Secrets): string | null {
  if (Object.keys(secrets).length === 0) return null;
  if (!rt.keyring) throw new ManageError(400, 'secrets: set BOOKLINE_ENCRYPTION_KEY on the server to store a business\'s secrets (they are kept encrypted).');
  return seal(rt.keyring, JSON.stringify(secrets));
}

function parseSecretsInput(raw: unknown) {
  const parsed = secretsSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ManageError(400, parsed.error.issues.map((i) => `secrets.${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Credentials each calendar provider needs from the business's own secrets. */
const PROVIDER_SECRETS = {
  google: ['googleOauthClientId', 'googleOauthClientSecret', 'googleOauthRefreshToken'],
  microsoft: ['microsoftTenantId', 'microsoftClientId', 'microsoftClientSecret'],
} as const;

/**
 * Staff calendars on remote providers need the business's own credentials, checked when the record
 * is written (a 400 that names what is missing), not when it is first served.
 */
function checkCalendars(rt: Runtime, slug: string, configJson: string, secrets: Secrets): void {
  // What the business's context will run with: its own secrets, and the deployment's OAuth client.
  const effective = businessSettings(rt.settings, secrets, businessBaseUrl(rt, slug));
  const config = parseBusinessConfig(JSON.parse(configJson), `business "${slug}"`);
  try {
    planCalendars(config, { CALENDAR_PROVIDER: 'embedded' }, secrets.calendarPasswords ?? {});
  } catch (err) {
    if (err instanceof ConfigError) throw new ManageError(400, err.message.replace(/passwordEnv: set (\S+) to/g, 'passwordEnv: add secrets.calendarPasswords.$1 with'));
    throw err;
  }
  for (const [provider, names] of Object.entries(PROVIDER_SECRETS)) {
    const users = config.staff.filter((s) => s.calendar?.provider === provider);
    const missing = names.filter((n) => !effective[SECRET_SETTINGS[n]]);
    if (users.length && missing.length) {
      throw new ManageError(400, `business "${slug}": ${users.map((s) => s.name).join(', ')} use ${provider === 'google' ? 'Google Calendar' : 'Microsoft 365'}; set secrets ${missing.join(', ')} (the business's own credentials)`);
    }
  }
}

/** In production, a business with an entry point nobody authenticates is refused, as at start-up. */
function checkOpen(rt: Runtime, slug: string, secrets: Secrets): void {
  try {
    checkEntryPoints(businessSettings(rt.settings, secrets, businessBaseUrl(rt, slug)));
  } catch (err) {
    if (err instanceof ConfigError) throw new ManageError(400, `business "${slug}": ${err.message}`);
    throw err;
  }
}

export interface BusinessView {
  id: string;
  slug: string;
  status: string;
  version: number;
  name: string;
  timeZone: string;
  /** Which secrets are set (never their values). */
  secrets: ReturnType<typeof secretsView>;
  /** Where its platforms should call. */
  baseUrl: string;
  createdAt: string;
  updatedAt: string;
}

export function view(rt: Runtime, r: BusinessRecord): BusinessView {
  const config = JSON.parse(r.configJson) as { business?: { name?: string; timeZone?: string } };
  let secrets: Secrets = {};
  try {
    secrets = openSecrets(rt, r);
  } catch {
    secrets = {};
  }
  return {
    id: r.id,
    slug: r.slug,
    status: r.status,
    version: r.version,
    name: config.business?.name ?? '',
    timeZone: config.business?.timeZone ?? '',
    secrets: secretsView(secrets),
    baseUrl: businessBaseUrl(rt, r.slug),
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

async function find(rt: Runtime, slug: string): Promise<BusinessRecord> {
  const r = await rt.store.businesses.bySlug(slug);
  if (!r) throw new ManageError(404, `no business "${slug}"`);
  return r;
}

export async function createBusiness(rt: Runtime, input: { slug: unknown; config: unknown; secrets?: unknown }): Promise<BusinessView> {
  const slug = checkSlug(input.slug);
  const configJson = checkConfig(input.config, slug);
  const secrets = mergeSecrets({}, parseSecretsInput(input.secrets));
  checkOpen(rt, slug, secrets);
  checkCalendars(rt, slug, configJson, secrets);
  const id = `biz_${randomBase32hex(12)}`;
  const ok = await rt.store.businesses.create({ id, slug, status: 'active', configJson, secretsSealed: sealSecrets(rt, secrets) }, rt.clock.now());
  if (!ok) throw new ManageError(409, `slug "${slug}" is taken`);
  return view(rt, (await rt.store.businesses.get(id))!);
}

export async function updateBusiness(rt: Runtime, slug: string, change: { slug?: unknown; config?: unknown; secrets?: unknown }): Promise<BusinessView> {
  const current = await find(rt, slug);
  const nextSlug = change.slug === undefined ? undefined : checkSlug(change.slug);
  const configJson = change.config === undefined ? undefined : checkConfig(change.config, nextSlug ?? slug);
  let secretsSealed: string | null | undefined;
  let secrets = openSecrets(rt, current);
  if (change.secrets !== undefined) {
    secrets = mergeSecrets(secrets, parseSecretsInput(change.secrets));
    checkOpen(rt, nextSlug ?? slug, secrets);
    secretsSealed = sealSecrets(rt, secrets);
  }
  if (configJson !== undefined || change.secrets !== undefined) checkCalendars(rt, nextSlug ?? slug, configJson ?? current.configJson, secrets);
  if (nextSlug && nextSlug !== slug && (await rt.store.businesses.bySlug(nextSlug))) throw new ManageError(409, `slug "${nextSlug}" is taken`);
  const updated = await rt.store.businesses.update(current.id, { slug: nextSlug, configJson, secretsSealed }, rt.clock.now());
  return view(rt, updated!);
}

export async function setStatus(rt: Runtime, slug: string, status: 'active' | 'disabled'): Promise<BusinessView> {
  const current = await find(rt, slug);
  return view(rt, (await rt.store.businesses.update(current.id, { status }, rt.clock.now()))!);
}

export async function showBusiness(rt: Runtime, slug: string): Promise<BusinessView & { config: unknown }> {
  const r = await find(rt, slug);
  return { ...view(rt, r), config: JSON.parse(r.configJson) };
}

export async function listBusinesses(rt: Runtime): Promise<BusinessView[]> {
  return (await rt.store.businesses.list()).map((r) => view(rt, r));
}

/**
 * Seeds businesses from `dir/*.json` (the file name is the slug): created when missing, updated when
 * the file says something else than the store. Secrets are not read from files.
 */
export async function seedBusinesses(rt: Runtime, dir: string): Promise<{ created: string[]; updated: string[] }> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return { created: [], updated: [] };
  }
  const created: string[] = [];
  const updated: string[] = [];
  for (const f of files) {
    const slug = basename(f, '.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch (err) {
      throw new ConfigError(`${join(dir, f)}: not valid JSON (${(err as Error).message})`);
    }
    try {
      const existing = await rt.store.businesses.bySlug(slug);
      if (!existing) {
        await createBusiness(rt, { slug, config: raw });
        created.push(slug);
      } else if (existing.configJson !== JSON.stringify(raw)) {
        await updateBusiness(rt, slug, { config: raw });
        updated.push(slug);
      }
    } catch (err) {
      if (err instanceof ManageError) throw new ConfigError(`${join(dir, f)}: ${err.message}`);
      throw err;
    }
  }
  return { created, updated };
}

/** Re-seals every business's secrets with the current key (after adding a new key first in BOOKLINE_ENCRYPTION_KEY). */
export async function resealAll(rt: Runtime): Promise<number> {
  if (!rt.keyring) throw new ConfigError('BOOKLINE_ENCRYPTION_KEY is not set.');
  let n = 0;
  for (const r of await rt.store.businesses.list()) {
    if (!r.secretsSealed || sealedWith(r.secretsSealed) === rt.keyring.current) continue;
    await rt.store.businesses.update(r.id, { secretsSealed: sealSecrets(rt, openSecrets(rt, r)) }, rt.clock.now());
    n++;
  }
  return n;
}
