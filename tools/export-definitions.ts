/**
 * Prints or writes the tool definitions for a platform.
 *
 *   npm run tools:definitions -- --format openai              # JSON array on stdout
 *   npm run tools:export -- --format vapi --out defs/vapi/    # one <tool>.json per tool
 *   npm run tools:export -- --format all --out defs/          # defs/<format>/<tool>.json
 *
 * URLs inside definitions use --base-url, else PUBLIC_BASE_URL from the environment, else
 * http://localhost:<PORT> with a warning on stderr: a voice platform cannot reach localhost.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/business.js';
import { baseUrlProblem, isLocalBaseUrl, readEnv } from '../src/config/env.js';
import { type DefinitionFormat, FORMATS, isDefinitionFormat, toolDefinitions } from '../src/tools/definitions.js';
import { TOOLS } from '../src/tools/registry.js';

const NOTES: Partial<Record<DefinitionFormat, string>> = {
  vapi: 'Vapi: add "credentialId" to each server block (a Bearer credential holding VAPI_SECRET), then POST each file to https://api.vapi.ai/tool.',
  telnyx: 'Telnyx: add an Authorization header only if you protect the URL yourself; requests are verified with TELNYX_PUBLIC_KEY.',
  elevenlabs: 'ElevenLabs: add request_headers.Authorization = {"secret_id": "<id of a workspace secret holding Bearer ELEVENLABS_TOOL_SECRET>"}.',
  retell: 'Retell: requests are verified with the API key that has the webhook badge (RETELL_API_KEY).',
};

export function writeDefinitions(format: DefinitionFormat, dir: string, publicBaseUrl: string): string[] {
  mkdirSync(dir, { recursive: true });
  const defs = toolDefinitions(format, { publicBaseUrl }) as unknown[];
  return defs.map((def, i) => {
    const file = join(dir, `${TOOLS[i]!.name}.json`);
    writeFileSync(file, `${JSON.stringify(def, null, 2)}\n`);
    return file;
  });
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { format: { type: 'string', default: 'openai' }, out: { type: 'string' }, 'base-url': { type: 'string' } },
  });
  const format = values.format!;
  const formats = format === 'all' ? (Object.keys(FORMATS) as DefinitionFormat[]) : [format];
  for (const f of formats) {
    if (!isDefinitionFormat(f)) {
      console.error(`Unknown format "${f}". Formats: ${Object.keys(FORMATS).join(', ')}, all.`);
      return 2;
    }
  }
  let publicBaseUrl: string;
  try {
    publicBaseUrl = values['base-url'] ?? readEnv().PUBLIC_BASE_URL;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    return 2;
  }
  const problem = baseUrlProblem(publicBaseUrl);
  if (problem) {
    console.error(`--base-url: ${problem}, got "${publicBaseUrl.slice(0, 200)}"; give the address callers' platforms reach, like https://book.example.com`);
    return 2;
  }
  publicBaseUrl = publicBaseUrl.replace(/\/+$/, '');
  if (isLocalBaseUrl(publicBaseUrl)) {
    console.error(
      `warning: these definitions point at ${publicBaseUrl}, which no voice platform can reach; set PUBLIC_BASE_URL (or --base-url) to this server's public https address before uploading them.`,
    );
  }
  if (!values.out) {
    if (format === 'all') {
      console.error('--format all needs --out <dir>.');
      return 2;
    }
    process.stdout.write(`${JSON.stringify(toolDefinitions(format as DefinitionFormat, { publicBaseUrl }), null, 2)}\n`);
    return 0;
  }
  for (const f of formats as DefinitionFormat[]) {
    const dir = format === 'all' ? join(values.out, f) : values.out;
    const files = writeDefinitions(f, dir, publicBaseUrl);
    console.error(`${f}: wrote ${files.length} files to ${dir}`);
    if (NOTES[f]) console.error(`  ${NOTES[f]}`);
  }
  return 0;
}

// Run only as a command, so tests can import writeDefinitions.
if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
