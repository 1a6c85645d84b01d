/**
 * Manage the businesses of this deployment from a shell, on the same store the server uses
 * (DATABASE_URL or the SQLite file):
 *
 *   npm run business -- add --file salon.json --slug maple-street [--secrets secrets.json]
 *   npm run business -- list
 *   npm run business -- show maple-street
 *   npm run business -- update maple-street [--file salon.json] [--secrets secrets.json] [--slug new-slug]
 *   npm run business -- disable maple-street      (and: enable)
 *   npm run business -- reseal                    (after putting a new key first in BOOKLINE_ENCRYPTION_KEY)
 *
 * Running servers pick a change up within BUSINESS_REFRESH_MS.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { openRuntime } from '../src/bootstrap.js';
import { ConfigError } from '../src/config/business.js';
import { readEnv } from '../src/config/env.js';
import { createBusiness, listBusinesses, ManageError, resealAll, setStatus, showBusiness, updateBusiness } from '../src/tenants/manage.js';

const USAGE = `usage: npm run business -- <add|list|show|update|disable|enable|reseal> [slug] [--file business.json] [--slug slug] [--secrets secrets.json]`;

function readJson(path: string | undefined, what: string): unknown {
  if (path === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${what} ${path}: ${(err as Error).message}`);
  }
}

async function run(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { file: { type: 'string' }, slug: { type: 'string' }, secrets: { type: 'string' } },
  });
  const [command, target] = positionals;
  const rt = await openRuntime(readEnv(), pino({ level: 'warn' }));
  try {
    const print = (x: unknown) => console.log(JSON.stringify(x, null, 2));
    switch (command) {
      case 'add':
        if (!values.file || !values.slug) throw new ManageError(400, 'add needs --file and --slug');
        print(await createBusiness(rt, { slug: values.slug, config: readJson(values.file, 'business file'), secrets: readJson(values.secrets, 'secrets file') }));
        return 0;
      case 'list':
        for (const b of await listBusinesses(rt)) console.log(`${b.slug}\t${b.status}\t${b.name}\t${b.timeZone}\tv${b.version}\t${b.baseUrl}`);
        return 0;
      case 'show':
        print(await showBusiness(rt, target ?? ''));
        return 0;
      case 'update':
        print(await updateBusiness(rt, target ?? '', { slug: values.slug, config: readJson(values.file, 'business file'), secrets: readJson(values.secrets, 'secrets file') }));
        return 0;
      case 'disable':
      case 'enable':
        print(await setStatus(rt, target ?? '', command === 'disable' ? 'disabled' : 'active'));
        return 0;
      case 'reseal':
        console.log(`re-sealed the secrets of ${await resealAll(rt)} business(es)`);
        return 0;
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    await rt.store.close();
  }
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof ManageError ? err.message : err);
    process.exit(1);
  },
);
