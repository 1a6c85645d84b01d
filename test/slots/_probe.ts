import { DateTime } from 'luxon';
import { parseBusinessConfig } from '../../src/config/business.js';
import { compileRules } from '../../src/slots/rules.js';
import { findSlots, checkStart } from '../../src/slots/engine.js';
function run(z: string, date: string, ranges: string[], dur: number) {
  const cfg = parseBusinessConfig({business:{name:'x',timeZone:z},hours:{sunday:ranges},booking:{minNoticeMinutes:0,horizonDays:60},services:[{id:'s',name:'S',durationMinutes:dur}],staff:[{id:'a',name:'A'}]});
  const rules = compileRules(cfg);
  const from = DateTime.fromISO(date+'T00:00',{zone:z}).toMillis();
  const now = from - 86400000*3;
  const q = {rules, service:{durationMin:dur,bufferBeforeMin:0,bufferAfterMin:0}, staff:[{staffId:'a',busy:[]}], now};
  const s = findSlots({...q, from, to: from+86400000});
  console.log(z, date, ranges, dur, s.map(x=>DateTime.fromMillis(x.start,{zone:z}).toFormat('HH:mmZZ')+'-'+DateTime.fromMillis(x.end,{zone:z}).toFormat('HH:mm')).join(' '));
  return {q, from};
}
run('America/New_York','2026-03-08',['01:30-03:30'],15);
const {q} = run('America/New_York','2026-03-08',['02:30-04:00'],15);
console.log(checkStart(q, DateTime.fromISO('2026-03-08T03:00',{zone:'America/New_York'}).toMillis()));
const r = run('America/New_York','2026-03-08',['00:00-02:30'],60);
console.log(checkStart(r.q, DateTime.fromISO('2026-03-08T01:30',{zone:'America/New_York'}).toMillis()));
run('Europe/London','2026-03-29',['01:30-03:30'],15);
run('Europe/London','2026-03-29',['00:30-02:30'],15);
run('Europe/London','2026-10-25',['00:30-02:30'],15);
