import { compareWithRecording, runOnModel, keyLine } from '/work/wt/oracle/packages/oracle/src/index.ts';
import { loadDivergences, loadRecordings, loadScenarios } from '/work/wt/oracle/packages/oracle/suite/files.ts';
import { MODELS } from '/work/wt/oracle/packages/oracle/suite/models.ts';
const target = process.argv[2]!; const only = process.argv[3];
const sc = loadScenarios(); const divs = loadDivergences();
for (const r of loadRecordings(target)) {
  if (only && !r.scenario.includes(only)) continue;
  const s = sc.find((x) => x.path === r.scenario)!;
  const c = compareWithRecording(runOnModel(s.parsed, MODELS[target]!), r, s.source, divs);
  const groups = new Map<string, string[]>();
  for (const st of c.steps) { if (st.verdict !== 'differ') continue;
    const line = keyLine(st.key); const g = `L${line} ${c.lines[line-1]!.replace(/#.*/,'').trim()} | kernel ${st.kernel} | model ${st.model}`;
    const k = /show/.test(c.lines[line-1]!) ? `L${line} ${c.lines[line-1]!.trim()}` : g;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(/show/.test(c.lines[line-1]!) ? `${st.key}: k ${st.kernel} m ${st.model}` : st.key);
  }
  if (groups.size) console.log(`== ${r.scenario}`);
  for (const [g, keys] of groups) console.log(`${g}  [${keys.length}] ${keys.slice(0, 6).join('  ')}${keys.length > 6 ? ' ...' : ''}`);
  for (const e of c.errors) console.log('ERR', e);
}
