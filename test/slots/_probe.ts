import { Settings } from 'luxon';
import { at, busy, find, makeBusiness, NY, starts, DAY } from './fixtures.js';
for (const m of [0, 10, 6]) {
Settings.now = () => Date.UTC(2027, m, 15, 12);
const open = makeBusiness({ hours: { monday: ['09:00-17:00'] } });
const from = at(NY, '2026-06-15T00:00');
const b = { alice: [busy(NY, '2026-06-15T14:00', '2026-06-15T15:00')] };
console.log(m, b.alice.map(x=>new Date(x.start).toISOString()), starts(find(open, { service: 'hour-after', now: at(NY, '2026-06-14T12:00'), from, to: from + DAY, busy: b }), NY).join(' '));
}
