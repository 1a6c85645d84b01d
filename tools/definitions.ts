/**
 * Prints the tool definitions for one platform, the same JSON GET /tools/definitions serves.
 *   npm run tools:definitions -- --format vapi --base-url https://book.example.com
 * The base URL defaults to PUBLIC_BASE_URL.
 */
import { parseArgs } from 'node:util';
import { readEnv } from '../src/config/env.js';
import { FORMATS, isDefinitionFormat, toolDefinitions } from '../src/tools/definitions.js';

const { values } = parseArgs({
  options: {
    format: { type: 'string', short: 'f', default: 'openai' },
    'base-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run tools:definitions -- --format <${Object.keys(FORMATS).join('|')}> [--base-url URL]`);
  process.exit(0);
}
if (!isDefinitionFormat(values.format)) {
  console.error(`Unknown format "${values.format}". Formats: ${Object.keys(FORMATS).join(', ')}.`);
  process.exit(2);
}
const publicBaseUrl = values['base-url'] ?? readEnv().PUBLIC_BASE_URL;
console.log(JSON.stringify(toolDefinitions(values.format, { publicBaseUrl }), null, 2));
