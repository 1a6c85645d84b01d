/** Service and staff matching: exact > close spelling of a whole name or alias > partial; ties are AMBIGUOUS. */
import { afterEach, describe, expect, it } from 'vitest';
import { osaDistance } from '../../src/domain/catalog.js';
import { runTool } from '../../src/tools/registry.js';
import type { ToolResult } from '../../src/tools/types.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

async function find(service_name: string, extra: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await runTool(deps, 'find_available_slots', { service_name, max_results: 1, ...extra }, { platform: 'test' })).result;
}
const serviceOf = (r: ToolResult) => (r.service as { id: string } | undefined)?.id;

describe('service matching', () => {
  it('a close spelling of a whole name beats a partial word match: "beerd trim" and "bread trim" are the beard trim, not the haircut ("trim")', async () => {
    deps = await makeTestDeps();
    for (const name of ['beerd trim', 'bread trim', 'beard trmi', 'Beard-Trim']) expect(serviceOf(await find(name)), name).toBe('beard-trim');
  });

  it('exact names and aliases still win, close spellings of aliases land, partial matches come last', async () => {
    deps = await makeTestDeps();
    expect(serviceOf(await find('trim'))).toBe('haircut'); // an exact alias
    expect(serviceOf(await find('colour'))).toBe('color');
    expect(serviceOf(await find('hair colr'))).toBe('color'); // one edit from the name
    expect(serviceOf(await find('haircuts'))).toBe('haircut');
    expect(serviceOf(await find('color consult'))).toBe('consultation'); // a fragment of the alias "color consultation"
  });

  it('two plausible services answer AMBIGUOUS naming both', async () => {
    deps = await makeTestDeps();
    const r = await find('beard cut');
    expect(r.code).toBe('AMBIGUOUS');
    expect(r.message).toBe('Did you mean a haircut or a beard trim?');
    expect(r.services).toEqual(['Haircut', 'Beard trim']);
  });

  it('a transposition counts as one edit (optimal string alignment)', () => {
    expect(osaDistance('beard', 'baerd')).toBe(1);
    expect(osaDistance('beardtrim', 'beerdtrim')).toBe(1);
    expect(osaDistance('beardtrim', 'breadtrim')).toBe(2);
    expect(osaDistance('', 'abc')).toBe(3);
  });

  it('staff: a close spelling finds the person; two people sharing a first name are AMBIGUOUS', async () => {
    deps = await makeTestDeps({
      business: {
        business: { name: 'B', timeZone: 'America/New_York' },
        hours: { tuesday: ['09:00-17:00'] },
        services: [{ id: 'cut', name: 'Cut', durationMinutes: 30 }],
        staff: [{ id: 'sam-lee', name: 'Sam Lee' }, { id: 'sam-ortiz', name: 'Sam Ortiz' }, { id: 'priya', name: 'Priya' }],
      },
    });
    const priya = await find('cut', { staff_name: 'Pryia' });
    expect((priya.slots as { staff_ids: string[] }[])[0]!.staff_ids).toEqual(['priya']);
    const sam = await find('cut', { staff_name: 'Sam' });
    expect(sam.code).toBe('AMBIGUOUS');
    expect(sam.message).toBe('Did you mean Sam Lee or Sam Ortiz?');
  });
});
