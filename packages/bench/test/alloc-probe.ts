/**
 * The allocation probe behind `alloc.test.ts`: run as its own Node process with a fixed 64 MiB
 * young generation (`--min-semi-space-size=64 --max-semi-space-size=64`) and `--expose-gc`, so
 * that a run of calls allocating less than that triggers no scavenge and the growth of
 * `heapUsed` over it is exactly what the calls allocated. Each hot path is warmed up (JIT),
 * then measured over CALLS calls after a forced GC; a run in which a GC did happen is repeated.
 * The rigs, the `kvm_irq_level` structs and the round-trip loops are the bench's own
 * (`src/roundtrip.ts`, also used by `src/scale.ts`), so this counts exactly the benchmarked paths.
 * Prints one JSON line: `{ [case]: bytesPerCall }`.
 * @packageDocumentation
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR } from '@kvmdev/core';
import type { Rig } from '../src/families.js';
import { irqLevelStructs, roundTripRuns, roundtripRigs } from '../src/roundtrip.js';

const CALLS = 200_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let gcs = 0;
new PerformanceObserver((l) => {
  gcs += l.getEntries().length;
}).observe({ entryTypes: ['gc'] });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

// every sum into the sink stays a small integer (`| 0`): a module variable holding a double
// would box it on every store, an allocation of the probe's own
let sink = 0;

/** The smaller of two measured runs (the first run of a process can carry one-time costs: code, feedback). */
async function bytesPerCall(run: (n: number) => void): Promise<number> {
  for (let i = 0; i < 5; i++) run(20_000);
  return Math.min(await once(run), await once(run));
}

async function once(run: (n: number) => void): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    gc!();
    await tick();
    const g0 = gcs;
    const h0 = process.memoryUsage().heapUsed;
    run(CALLS);
    const h1 = process.memoryUsage().heapUsed;
    await tick();
    if (gcs === g0 || attempt === 4) return Math.max(0, h1 - h0) / CALLS;
  }
}

async function family(name: string, rig: Rig, out: Record<string, number>): Promise<void> {
  const { f, devFd, dev } = rig;
  const host = f.host;
  f.prepAttr(rig.attrGroup, rig.attrLo, rig.attrHi);
  const attr = f.attr;
  if (host.ioctl(devFd, KVM_GET_DEVICE_ATTR, attr) < 0) throw new Error(`${name}: GET errno ${host.errno}`);
  const group = rig.attrGroup;
  const a = rig.attrNum;
  const value = dev.getAttr(group, a);
  out[`${name} facade KVM_GET_DEVICE_ATTR`] = await bytesPerCall((n) => {
    for (let i = 0; i < n; i++) sink = (sink + host.ioctl(devFd, KVM_GET_DEVICE_ATTR, attr)) | 0;
  });
  out[`${name} facade KVM_SET_DEVICE_ATTR`] = await bytesPerCall((n) => {
    for (let i = 0; i < n; i++) sink = (sink + host.ioctl(devFd, KVM_SET_DEVICE_ATTR, attr)) | 0;
  });
  out[`${name} typed getAttr${typeof value === 'bigint' ? ' (u64: returns a bigint)' : ''}`] = await bytesPerCall((n) => {
    for (let i = 0; i < n; i++) if (dev.getAttr(group, a) === value) sink = (sink + 1) | 0;
  });
  out[`${name} typed setAttr`] = await bytesPerCall((n) => {
    for (let i = 0; i < n; i++) dev.setAttr(group, a, value);
  });
  if (rig.family === 'gicv3' && rig.ackEoi(0) === 0 && rig.irqField === 0) return;
  const { up, down } = irqLevelStructs(rig);
  const runs = roundTripRuns(rig, up, down);
  out[`${name} facade round trip`] = await bytesPerCall(runs.facade);
  out[`${name} typed round trip`] = await bytesPerCall(runs.typed);
}

const out: Record<string, number> = {};
const which = process.argv[2] ?? 'all';
const plan: [string, () => Rig | Promise<Rig>][] = [
  ['fake', roundtripRigs.fake],
  ['GICv3', roundtripRigs.gicv3],
  ['GICv2', roundtripRigs.gicv2],
  ['MPIC', roundtripRigs.mpic],
  ['XICS', roundtripRigs.xics],
];
for (const [name, make] of plan) if (which === 'all' || which === name) await family(name, await make(), out);
process.stdout.write(`${JSON.stringify(out)}\n`);
process.stderr.write(`(sink ${sink & 1})\n`);
