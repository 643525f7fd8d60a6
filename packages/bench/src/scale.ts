/**
 * Scale: the cost of one injection as the VM grows. GICv3 with 1, 8, 64, 512 vCPUs (the SPI
 * routed to the last vCPU) and with 64 to 992 IRQs (the highest SPI); each injection is a
 * KVM_IRQ_LINE through the facade, measured as line-up + line-down pairs (a level SPI, so both
 * halves do the full filing and line update) and reported per injection. XICS with 2048
 * servers and 1024 sources spread over the 2^20 source space, and MPIC with 32 CPUs, as full
 * round trips (an edge source cannot be re-injected without an acknowledge) to the last
 * server/CPU, against the 1-server / 1-CPU configuration.
 * @packageDocumentation
 */
import { KVM_IRQ_LINE } from '@kvmdev/core';
import { type Rig, gicv3Rig, mpicRig, vgicMissing, xicsRig } from './families.js';
import { type Figure, QUICK, type RunFn, against, consume, judge, measure, skipped } from './harness.js';
import { irqLevelStructs, roundTripRuns } from './roundtrip.js';

const G = 'scale';

/** A case and its name: the sweep measures the first alone and the others in alternation with it. */
interface Case {
  name: string;
  run: RunFn;
}

/** One injection (half of an up/down pair) through the facade. */
function injection(name: string, rig: Rig): Case {
  const host = rig.f.host;
  const vmFd = rig.f.vmFd;
  const { up, down } = irqLevelStructs(rig);
  if (host.ioctl(vmFd, KVM_IRQ_LINE, up) < 0) throw new Error(`${name}: KVM_IRQ_LINE errno ${host.errno}`);
  host.ioctl(vmFd, KVM_IRQ_LINE, down);
  return {
    name,
    run: (n) => {
      const pairs = n >>> 1 || 1;
      for (let i = 0; i < pairs; i++) {
        consume(host.ioctl(vmFd, KVM_IRQ_LINE, up));
        consume(host.ioctl(vmFd, KVM_IRQ_LINE, down));
      }
    },
  };
}

/** A full round trip through the facade (inject, acknowledge, EOI, line down). */
function roundTrip(name: string, rig: Rig): Case {
  const { up, down } = irqLevelStructs(rig);
  return { name, run: roundTripRuns(rig, up, down).facade };
}

/**
 * Measures a sweep: the smallest configuration first, every other one timed in alternation
 * with it (harness.ts timePaired), so its ratio is a per-pair median; each row is also paired
 * with the real KVM_IRQ_LINE.
 */
async function measureSweep(cases: Case[]): Promise<Figure[]> {
  const [first, ...rest] = cases;
  const out = [await measure(G, first!.name, first!.run, {}, undefined, { real: 'irq_line' })];
  for (const c of rest) out.push(await measure(G, c.name, c.run, {}, undefined, { real: 'irq_line', ref: { name: first!.name, run: first!.run } }));
  return out;
}

function sweep(figs: Figure[], target: string): Figure[] {
  const ref = figs[0]!;
  ref.note = 'reference: the smallest configuration';
  for (const f of figs.slice(1)) {
    against(f, ref);
    judge(f, target, f.ratio! <= 1.3);
  }
  return figs;
}

async function gicVcpus(): Promise<Figure[]> {
  const cases: Case[] = [];
  try {
    for (const n of [1, 8, 64, 512]) {
      cases.push(injection(`GICv3 injection, ${n} vCPU${n > 1 ? 's' : ''} (128 IRQs, SPI 127 -> last vCPU)`, await gicv3Rig({ vcpus: n, nrIrqs: 128 })));
    }
  } catch (e) {
    return [skipped(G, 'GICv3 injection vs vCPUs', vgicMissing() || (e as Error).message, '512 vCPUs <= 1.3x 1 vCPU')];
  }
  const s = sweep(await measureSweep(cases), 'injection cost at 512 vCPUs <= 1.3x 1 vCPU');
  for (const f of s.slice(1, -1)) f.target = 'informational (the target is at 512)';
  for (const f of s.slice(1, -1)) f.status = f.ratio! <= 1.3 ? 'met' : 'above 1.3x';
  return s;
}

async function gicIrqs(): Promise<Figure[]> {
  const cases: Case[] = [];
  try {
    for (const nr of [64, 128, 256, 512, 992]) {
      cases.push(injection(`GICv3 injection, ${nr} IRQs (4 vCPUs, SPI ${nr - 1})`, await gicv3Rig({ vcpus: 4, nrIrqs: nr })));
    }
  } catch (e) {
    return [skipped(G, 'GICv3 injection vs IRQs', vgicMissing() || (e as Error).message, '992 IRQs <= 1.3x 64 IRQs')];
  }
  const s = sweep(await measureSweep(cases), 'injection cost at 992 IRQs <= 1.3x 64 IRQs');
  for (const f of s.slice(1, -1)) f.target = 'informational (the target is at 992)';
  for (const f of s.slice(1, -1)) f.status = f.ratio! <= 1.3 ? 'met' : 'above 1.3x';
  return s;
}

async function xicsScale(): Promise<Figure[]> {
  const small = roundTrip('XICS round trip, 1 server, 1 source (0x1000)', xicsRig({ servers: 1 }));
  const servers = QUICK ? 512 : 2048;
  // 1024 sources, one per ICS block (source k in block k at offset 16 + k % 1000), the last one used
  const sources: number[] = [];
  for (let k = 0; k < 1024; k++) sources.push((k << 10) | (16 + (k % 1000)));
  const big = roundTrip(
    `XICS round trip, ${servers} servers (numbers 4i), 1024 sources over the 2^20 space (one per ICS block), last server`,
    xicsRig({ servers, serverOf: (i) => i * 4, sources }),
  );
  return sweep(await measureSweep([small, big]), `${servers} servers <= 1.3x 1 server (scale target)`);
}

async function mpicScale(): Promise<Figure[]> {
  const small = roundTrip('MPIC round trip, 1 CPU', mpicRig({ cpus: 1 }));
  const big = roundTrip('MPIC round trip, 32 CPUs (source -> CPU 31)', mpicRig({ cpus: 32 }));
  return sweep(await measureSweep([small, big]), '32 CPUs <= 1.3x 1 CPU (scale target)');
}

/** One process per sweep. */
export const scaleUnits: Record<string, () => Promise<Figure[]>> = {
  'scale:gicv3-vcpus': gicVcpus,
  'scale:gicv3-irqs': gicIrqs,
  'scale:xics': xicsScale,
  'scale:mpic': mpicScale,
};
