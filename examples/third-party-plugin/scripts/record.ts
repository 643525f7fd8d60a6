/**
 * Records oracle/kvm-vfio.kvms on this machine's /dev/kvm (the `host` target of
 * @kvmdev/oracle/runner) into oracle/recordings/host/. Run it with `pnpm oracle:record`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRecording } from '@kvmdev/oracle';
import { recordTarget, targetUnavailable } from '@kvmdev/oracle/runner';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const why = targetUnavailable('host');
if (why) {
  console.log(`cannot record here: ${why}`);
  process.exit(0);
}
const path = 'kvm-vfio.kvms';
const run = await recordTarget('host', [{ path, source: readFileSync(join(root, 'oracle', path), 'utf8') }], (m) => console.log(m));
for (const p of run.problems) console.log(`problem: ${p}`);
mkdirSync(join(root, 'oracle', 'recordings', 'host'), { recursive: true });
for (const r of run.recordings) writeFileSync(join(root, 'oracle', 'recordings', 'host', r.scenario.replace(/\.kvms$/, '.json')), formatRecording(r));
console.log(`recorded ${run.recordings.length} scenario(s) from ${run.kernel.release}`);
