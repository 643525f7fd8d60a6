/**
 * Interrupt round trip per family: host injection (KVM_IRQ_LINE, line up), guest acknowledge
 * (GICv3 ICC_IAR1_EL1 / GICv2 GICC_IAR / MPIC IACK / XICS H_XIRR), EOI, line down; through the
 * facade (host.ioctl with pre-built kvm_irq_level structs) and through the typed API
 * (vm.irqLine), the guest side through the vCPU's guest port in both. The fake core device's
 * round trip is the reference (the floor the core imposes).
 * @packageDocumentation
 */
import { KVM_IRQ_LINE, KVM_SET_DEVICE_ATTR } from '@kvmdev/core';
import { KVM_DEV_MPIC_GRP_IRQ_ACTIVE } from '@kvmdev/mpic';
import { type Rig, fakeRig, gicv2Rig, gicv3Rig, mpicRig, MPIC_SRC, vgicMissing, xicsRig } from './families.js';
import { type Figure, type RunFn, against, consume, judge, measure, skipped } from './harness.js';

const G = 'roundtrip';
const FACADE_TARGET = 'facade round trip (inject, ack, EOI, line down) <= 0.5x one real KVM_IRQ_LINE';
const TYPED_TARGET = 'typed round trip <= 1.2x the facade round trip';

/** What the acknowledge must return for the round trip to be real. */
function expectedAck(rig: Rig): number {
  switch (rig.family) {
    case 'mpic':
      return MPIC_SRC; // the vector
    case 'xics':
      return rig.irqField; // XISR (low 24 bits of XIRR)
    case 'fake':
      return rig.irqField;
    default:
      return rig.irqField & 0xffff; // the INTID
  }
}

/** The rigs of the round-trip figures, one per family (the allocation test measures the same ones). */
export const roundtripRigs = {
  fake: (): Rig => fakeRig(),
  gicv3: (): Promise<Rig> => gicv3Rig({ vcpus: 1, nrIrqs: 128 }),
  gicv2: (): Promise<Rig> => gicv2Rig({ vcpus: 1, nrIrqs: 128 }),
  mpic: (): Rig => mpicRig({ cpus: 1 }),
  xics: (): Rig => xicsRig({ servers: 1 }),
} as const;

/** The line-up and line-down `kvm_irq_level` structs of a rig's round trip, built in its host memory. */
export function irqLevelStructs(rig: Rig): { up: number; down: number } {
  const mem = rig.f.host.mem;
  const up = mem.alloc(8);
  const down = mem.alloc(8);
  mem.setU32(up, rig.irqField);
  mem.setU32(up + 4, rig.levelUp);
  mem.setU32(down, rig.irqField);
  mem.setU32(down + 4, rig.levelDown);
  return { up, down };
}

/** The measured round trips (inject, acknowledge + EOI, line down): through the facade with the given structs, and through the typed API. */
export function roundTripRuns(rig: Rig, up: number, down: number): { facade: RunFn; typed: RunFn } {
  const host = rig.f.host;
  const vmFd = rig.f.vmFd;
  const ackEoi = rig.ackEoi;
  const vm = rig.vm;
  const irq = rig.irqField;
  const lu = rig.levelUp;
  const ld = rig.levelDown;
  return {
    facade: (n) => {
      for (let i = 0; i < n; i++) {
        host.ioctl(vmFd, KVM_IRQ_LINE, up);
        consume(ackEoi(0));
        host.ioctl(vmFd, KVM_IRQ_LINE, down);
      }
    },
    typed: (n) => {
      for (let i = 0; i < n; i++) {
        vm.irqLine(irq, lu);
        consume(ackEoi(0));
        vm.irqLine(irq, ld);
      }
    },
  };
}

async function family(label: string, rig: Rig, ref: { facade: Pick<Figure, 'name' | 'nsPerOp'>; typed: Pick<Figure, 'name' | 'nsPerOp'> } | null): Promise<Figure[]> {
  const { f } = rig;
  const host = f.host;
  const mem = host.mem;
  const vmFd = f.vmFd;
  const { up, down } = irqLevelStructs(rig);
  // one checked round trip first
  if (host.ioctl(vmFd, KVM_IRQ_LINE, up) < 0) throw new Error(`${label}: KVM_IRQ_LINE failed, errno ${host.errno}`);
  const got = rig.ackEoi(0);
  host.ioctl(vmFd, KVM_IRQ_LINE, down);
  const want = expectedAck(rig);
  const mask = rig.family === 'xics' ? 0xffffff : rig.family.startsWith('gic') ? 0x3ff : 0xffffffff;
  const ok = (got & mask) === want;
  const ackNote = ok ? '' : `WARNING: the acknowledge returned 0x${(got >>> 0).toString(16)}, expected 0x${want.toString(16)} (the round trip is not delivering)`;
  const ackEoi = rig.ackEoi;
  const runs = roundTripRuns(rig, up, down);
  // timed in alternation with one real KVM_IRQ_LINE; the typed row also with the facade row (harness.ts timePaired)
  const facadeName = `${label}: facade KVM_IRQ_LINE up, ack, EOI, down`;
  const facade = await measure(G, facadeName, runs.facade, {}, undefined, { real: 'irq_line' });
  const typed = await measure(G, `${label}: typed vm.irqLine up, ack, EOI, down`, runs.typed, {}, undefined, {
    real: 'irq_line',
    ref: { name: facadeName, run: runs.facade },
  });
  if (ackNote) {
    facade.note = ackNote;
    typed.note = ackNote;
  }
  const out = [facade, typed];
  if (ref) {
    against(facade, ref.facade);
    facade.target = FACADE_TARGET;
    facade.status = ok ? 'met' : 'NOT MET'; // the runner judges realRatio <= realMax
    facade.realMax = 0.5;
    judge(typed, TYPED_TARGET, ok && typed.ratio! <= 1.2);
  } else {
    facade.note = 'reference: the core floor (fake device)';
    typed.note = facade.note;
  }
  if (rig.family === 'mpic') {
    // QEMU's other path for the MPIC: KVM_SET_DEVICE_ATTR(GRP_IRQ_ACTIVE)
    const devFd = rig.devFd;
    const a1 = mem.alloc(32);
    const a0 = mem.alloc(32);
    for (const [addr, v] of [
      [a1, 1],
      [a0, 0],
    ] as const) {
      mem.setU32(addr + 4, KVM_DEV_MPIC_GRP_IRQ_ACTIVE);
      mem.setU32(addr + 8, MPIC_SRC);
      mem.setU64Parts(addr + 16, addr + 24, 0);
      mem.setU32(addr + 24, v);
    }
    const ia = await measure(G, `${label}: facade SET GRP_IRQ_ACTIVE up, ack, EOI, down`, (n) => {
      for (let i = 0; i < n; i++) {
        host.ioctl(devFd, KVM_SET_DEVICE_ATTR, a1);
        consume(ackEoi(0));
        host.ioctl(devFd, KVM_SET_DEVICE_ATTR, a0);
      }
    });
    if (ref) against(ia, ref.facade);
    ia.real = 'irq_line';
    ia.note = 'informational: QEMU\'s other MPIC injection path';
    out.push(ia);
  }
  return out;
}

const FAKE_FACADE = 'fake (core floor): facade KVM_IRQ_LINE up, ack, EOI, down';
const FAKE_TYPED = 'fake (core floor): typed vm.irqLine up, ack, EOI, down';
const REF = { facade: { group: G, name: FAKE_FACADE }, typed: { group: G, name: FAKE_TYPED } }; // typed rows compare with their own facade

async function gic(label: string, make: () => Promise<Rig>): Promise<Figure[]> {
  try {
    return await family(label, await make(), REF);
  } catch (e) {
    return [skipped(G, label, vgicMissing() || (e as Error).message, `${FACADE_TARGET}; ${TYPED_TARGET}`)];
  }
}

/** One process per family; the fake device's figures are the reference (resolved by name by the runner). */
export const roundtripUnits: Record<string, () => Promise<Figure[]>> = {
  'roundtrip:fake': () => family('fake (core floor)', roundtripRigs.fake(), null),
  'roundtrip:gicv3': () => gic('GICv3 SPI (ICC_IAR1_EL1 / ICC_EOIR1_EL1)', roundtripRigs.gicv3),
  'roundtrip:gicv2': () => gic('GICv2 SPI (GICC_IAR / GICC_EOIR MMIO)', roundtripRigs.gicv2),
  'roundtrip:mpic': () => family('MPIC source 1 (IACK / EOI MMIO)', roundtripRigs.mpic(), REF),
  'roundtrip:xics': () => family('XICS MSI source 0x1000 (H_XIRR / H_EOI)', roundtripRigs.xics(), REF),
};
