/**
 * The GICv2 / GICv3 introspection specs: names, per-interrupt state read through the attribute
 * groups, the per-vCPU interface, the guest's ack / EOI / SGI, raw accesses in device terms; that
 * reading changes no state; and that a view reads only what is asked for (512 vCPUs, nr_irqs 992).
 */
import { fc, test as fcTest } from '@fast-check/jest';
import { type ComposedVm, composeVm, createHost, presets, saveSnapshot } from '@kvmdev/core';
import type { DeviceView, IntrospectDevice, IntrospectTarget } from '@kvmdev/core/plugin';
import { armVgic } from '../src/index.js';
import * as U from '../src/uapi.js';

const specOf = (key: string) => armVgic.devices.find((d) => d.key === key)!.introspect!;
const v3Spec = specOf('KVM_DEV_TYPE_ARM_VGIC_V3');
const v2Spec = specOf('KVM_DEV_TYPE_ARM_VGIC_V2');

function compose(gic: 'v2' | 'v3', vcpus: number, nrIrqs?: number): { c: ComposedVm; target: IntrospectTarget; view: DeviceView; host: ReturnType<typeof createHost> } {
  const host = createHost({ plugins: [armVgic] });
  const base = presets.qemuVirtArm64({ vcpus, gic });
  const cfg = nrIrqs ? { ...base, devices: [{ ...base.devices[0]!, settings: { ...base.devices[0]!.settings, nrIrqs } }] } : base;
  const c = composeVm(host, cfg);
  for (const v of c.vcpus) v.run(); // the first KVM_RUN maps the frames
  const target = { vm: c.vm, device: c.devices[0]!.handle, vcpus: c.vcpus };
  return { c, target, view: (gic === 'v3' ? v3Spec : v2Spec).open(target), host };
}

const DIST = 0x08000000;
const REDIST = 0x080a0000;

describe('GICv3 view', () => {
  test('names and looks up INTIDs by kind; ranges follow nr_irqs', () => {
    const { view } = compose('v3', 2, 128);
    const iv = view.interrupts!;
    expect(iv.line).toBe('irq');
    expect(iv.ranges()).toEqual([
      { kind: 'SGI', first: 0, count: 16, banked: true },
      { kind: 'PPI', first: 16, count: 16, banked: true },
      { kind: 'SPI', first: 32, count: 96, banked: false },
    ]);
    expect([iv.name(3), iv.name(27), iv.name(40), iv.name(128), iv.name(8192)]).toEqual(['SGI 3', 'PPI 27', 'SPI 40', null, 'LPI 8192']);
    expect([iv.lookup('SPI 40'), iv.lookup('spi 40'), iv.lookup('PPI 27'), iv.lookup('SGI 40'), iv.lookup('SPI 1020'), iv.lookup('40')]).toEqual([40, 40, 27, null, null, 40]);
    // an SPI past nr_irqs still has its INTID, so a tool can raise it and meet the kernel's EINVAL
    expect(iv.lookup('SPI 200')).toBe(200);
    expect(() => iv.raise!(200, 1)).toThrow(/EINVAL/);
  });

  test('an SPI configured by the guest, raised, acknowledged and EOI\'d reads right at each step', () => {
    const { c, view } = compose('v3', 4);
    const iv = view.interrupts!;
    const g0 = c.vcpus[0]!.guest;
    g0.mmioWrite32(DIST, 4, 0x12); // ARE | EnableGrp1A
    g0.mmioWrite32(DIST + 0x84, 4, 1 << 8); // IGROUPR1: SPI 40 group 1
    g0.mmioWrite32(DIST + 0x428, 4, 0xa0); // IPRIORITYR10
    g0.mmioWrite32(DIST + 0x6000 + 8 * 40, 4, 2); // IROUTER40 -> vCPU 2
    g0.mmioWrite32(DIST + 0x104, 4, 1 << 8); // ISENABLER1
    const g2 = c.vcpus[2]!.guest;
    g2.sysregWrite(U.ICC_PMR_EL1, 0xf0);
    g2.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
    expect(iv.read(40, 1)).toEqual([
      { id: 40, name: 'SPI 40', vcpu: null, enabled: true, pending: false, active: false, priority: 0xa0, targets: [2], target: 'vCPU 2', group: 1, config: 'edge', configured: true },
    ]);
    expect(iv.raise!(40, 1)).toEqual({ status: 0, via: 'KVM_IRQ_LINE 0x01000028' });
    expect(iv.read(40, 1)[0]).toMatchObject({ pending: true, active: false });
    expect(iv.cpu(2)).toMatchObject({ vcpu: 2, lines: [{ name: 'irq', level: 1 }, { name: 'fiq', level: 0 }], priorityMask: 0xf0, runningPriority: 0xff, highestPending: 40 });
    const ack = view.guest!.ack(2);
    expect(ack.value).toBe(40n);
    expect(ack.reading).toEqual({ kind: 'ack', text: 'vCPU 2 acknowledges SPI 40 (priority 0xa0)', data: { intid: 40, priority: 0xa0 }, token: 40n });
    expect(iv.read(40, 1)[0]).toMatchObject({ pending: false, active: true });
    expect(iv.cpu(2)).toMatchObject({ runningPriority: 0xa0, highestPending: null });
    expect(iv.cpu(2).text).toBe('vCPU 2: irq line 0, ICC_PMR_EL1 0xf0, ICC_IGRPEN1_EL1 1, running priority 0xa0, highest pending none');
    expect(() => view.guest!.eoi(2)).toThrow(/EINVAL.*needs the INTID/);
    expect(view.guest!.eoi(2, ack.reading.token)).toEqual({ kind: 'eoi', text: 'vCPU 2 EOIs SPI 40', data: { intid: 40, reg: 'ICC_EOIR1_EL1' } });
    expect(iv.read(40, 1)[0]).toMatchObject({ pending: false, active: false });
    // a spurious acknowledge takes nothing: no token
    expect(view.guest!.ack(2).reading).toEqual({ kind: 'ack', text: 'vCPU 2 reads ICC_IAR1_EL1: spurious (1023), nothing pending', data: { intid: 1023, spurious: true } });
  });

  test('banked interrupts are read per vCPU; a level PPI is pending while its line is up', () => {
    const { c, view } = compose('v3', 2);
    const iv = view.interrupts!;
    expect(() => iv.read(27, 1)).toThrow(RangeError);
    const rd1 = REDIST + 0x20000; // vCPU 1's redistributor
    c.vcpus[1]!.guest.mmioWrite32(rd1 + U.GICR_ISENABLER0, 4, 1 << 27);
    const cfg = iv.read(27, 1, 1)[0]!;
    expect(cfg).toMatchObject({ id: 27, name: 'PPI 27', vcpu: 1, enabled: true, pending: false, target: 'vCPU 1', targets: [1], config: 'level', configured: true });
    expect(iv.read(27, 1, 0)[0]).toMatchObject({ vcpu: 0, enabled: false, configured: false });
    iv.raise!(27, 1, 1);
    expect(iv.read(27, 1, 1)[0]).toMatchObject({ pending: true, extra: { line: true } });
    expect(iv.read(27, 1, 0)[0]!.pending).toBe(false);
    expect(() => iv.raise!(27, 1)).toThrow(/banked/);
    // SGIs reset enabled: that is their reset state, not a configuration
    expect(iv.read(0, 16, 0).every((s) => s.enabled === true && !s.configured && s.config === 'edge')).toBe(true);
  });

  test('ipi writes ICC_SGI1R_EL1 per affinity cluster and reads the targets back', () => {
    const { c, view } = compose('v3', 4);
    c.vcpus[0]!.guest.mmioWrite32(DIST, 4, 0x12);
    for (const v of c.vcpus) {
      v.guest.sysregWrite(U.ICC_PMR_EL1, 0xff);
      v.guest.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
    }
    const [r] = view.guest!.ipi(0, [1, 3], { id: 1 });
    expect(r).toEqual({ kind: 'ipi', text: 'vCPU 0 sends SGI 1 to vCPU 1, 3 (ICC_SGI1R_EL1 = 0x100000a)', data: { intid: 1, targets: [1, 3] } });
    expect(c.vcpus[1]!.line('irq')).toBe(1);
    expect(view.interrupts!.read(1, 1, 3)[0]).toMatchObject({ pending: true });
  });

  test('raw accesses read in device terms', () => {
    const { c, view } = compose('v3', 2);
    const v0 = c.vcpus[0]!.guest;
    v0.mmioWrite32(DIST + 0x104, 4, 1 << 8);
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'write', addr: BigInt(DIST + 0x104), size: 4, value: 0x100n })).toMatchObject({
      kind: 'access',
      text: 'vCPU 0 writes GICD_ISENABLER1 = 0x100: enables SPI 40',
    });
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'write', addr: BigInt(DIST + 0x6000 + 8 * 41), size: 4, value: 0x80000000n })!.text).toBe(
      'vCPU 0 writes GICD_IROUTER41 = 0x80000000: routes SPI 41 to any vCPU (1 of N)',
    );
    expect(view.describe({ kind: 'mmio', vcpu: 1, op: 'write', addr: BigInt(REDIST + 0x20000 + U.GICR_ISENABLER0), size: 4, value: 0x8000000n })!.text).toBe(
      'vCPU 1 writes GICR_ISENABLER0 of vCPU 1 = 0x8000000: enables PPI 27',
    );
    expect(view.describe({ kind: 'mmio', vcpu: 1, op: 'write', addr: BigInt(REDIST + 0x20000 + 0x80), size: 4, value: 1n })!.text).toBe('vCPU 1 writes GICR RD_base+0x80 of vCPU 1 = 0x1');
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: 0x1000n, size: 4, value: 0n })).toBeNull();
    expect(view.describe({ kind: 'sysreg', vcpu: 0, op: 'write', encoding: U.ICC_EOIR1_EL1, value: 40n })).toMatchObject({ kind: 'eoi', text: 'vCPU 0 EOIs SPI 40' });
    expect(view.describe({ kind: 'sysreg', vcpu: 0, op: 'write', encoding: U.ICC_PMR_EL1, value: 0xf0n })).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'set', group: U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr: 0x428n, value: 0xa0n, errno: null })!.text).toBe(
      'GICD_IPRIORITYR10: SPI 40 priority 0xa0, SPI 41 priority 0x00, SPI 42 priority 0x00, SPI 43 priority 0x00',
    );
    expect(view.describe({ kind: 'attr', op: 'get', group: U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr: U.vgicMpidrAttr(1) | BigInt(U.ICC_PMR_EL1), value: 0n, errno: null })!.text).toBe('ICC_PMR_EL1 of vCPU 1');
    expect(v3Spec.names!.sysregs!.ICC_IAR1_EL1).toBe(0xc660);
  });

  fcTest.prop([fc.array(fc.tuple(fc.integer({ min: 32, max: 127 }), fc.boolean(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.integer({ min: 0, max: 127 }), fc.integer({ min: 1, max: 128 })], {
    numRuns: 25,
  })('reading a view changes no state (snapshot and lines identical)', (setup, first, count) => {
    const { c, view, host } = compose('v3', 2, 128);
    const g = c.vcpus[0]!.guest;
    for (const [n, en, prio] of setup) {
      g.mmioWrite32(DIST + 0x400 + n, 1, prio);
      if (en) g.mmioWrite32(DIST + 0x100 + 4 * (n >> 5), 4, 1 << (n & 31));
      view.interrupts!.raise!(n, 1);
    }
    const before = JSON.stringify(saveSnapshot(host, c.vm.fd));
    const lines = c.vcpus.map((v) => v.line('irq'));
    view.summary();
    view.state();
    for (const v of c.vcpus) {
      view.interrupts!.read(first, count, v.id);
      view.interrupts!.cpu(v.id);
    }
    expect(JSON.stringify(saveSnapshot(host, c.vm.fd))).toBe(before);
    expect(c.vcpus.map((v) => v.line('irq'))).toEqual(lines);
  });

  test('512 vCPUs, nr_irqs 992 (960 SPIs): open reads nothing; a window of rows costs what it shows', () => {
    const host = createHost({ plugins: [armVgic] });
    const base = presets.qemuVirtArm64({ vcpus: 512, gic: 'v3' });
    const c = composeVm(host, { ...base, devices: [{ ...base.devices[0]!, settings: { ...base.devices[0]!.settings, nrIrqs: 992 } }] });
    const h = c.devices[0]!.handle;
    let calls = 0;
    const counting: IntrospectDevice = {
      fd: h.fd,
      host: h.host,
      device: h.device,
      attrRaw: (op, group, attr, addr) => {
        calls++;
        return h.attrRaw(op, group, attr, addr);
      },
    };
    const view = v3Spec.open({ vm: c.vm, device: counting, vcpus: c.vcpus });
    expect(calls).toBe(0);
    expect(view.interrupts!.ranges().at(-1)).toEqual({ kind: 'SPI', first: 32, count: 960, banked: false });
    calls = 0;
    const rows = view.interrupts!.read(500, 50);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_x, i) => 500 + i));
    // nr_irqs once; per 32-IRQ word: ISENABLER, ISPENDR, ISACTIVER, IGROUPR, LEVEL_INFO (3 words);
    // ICFGR (4 words); IPRIORITYR (13 words); IROUTER per SPI (50)
    expect(calls).toBeLessThanOrEqual(1 + 5 * 3 + 4 + 13 + 50);
    calls = 0;
    view.interrupts!.read(16, 16, 511);
    // nr_irqs, then the vCPU's redistributor words once each: 6 one-word registers, 8 IPRIORITYR, LEVEL_INFO
    expect(calls).toBe(1 + 6 + 8 + 1);
    calls = 0;
    view.interrupts!.cpu(511);
    expect(calls).toBeLessThanOrEqual(5);
  });
});

describe('GICv2 view', () => {
  test('targets from ITARGETSR, GICC_PMR from the ABI\'s VMPriMask, the IAR value as the EOI token', () => {
    const { c, view } = compose('v2', 2);
    const iv = view.interrupts!;
    const CPU = 0x08010000;
    const g0 = c.vcpus[0]!.guest;
    const g1 = c.vcpus[1]!.guest;
    g0.mmioWrite32(DIST, 4, 1);
    g0.mmioWrite32(DIST + 0x828, 4, 0x02); // SPI 40 -> CPU interface 1
    g0.mmioWrite32(DIST + 0x428, 4, 0xa0);
    g0.mmioWrite32(DIST + 0x104, 4, 1 << 8);
    for (const g of [g0, g1]) {
      g.mmioWrite32(CPU, 4, 1);
      g.mmioWrite32(CPU + 4, 4, 0xf0);
    }
    expect(iv.read(40, 1)[0]).toMatchObject({ targets: [1], target: 'vCPU 1', priority: 0xa0, enabled: true, group: 0 });
    expect(iv.cpu(1)).toMatchObject({ priorityMask: 0xf0, runningPriority: 0xff });
    expect(iv.cpu(1).fields.find((f) => f.name === 'GICC_PMR')!.text).toBe('0xf0 (VMPriMask 0x1e)');
    iv.raise!(40, 1);
    const ack = view.guest!.ack(1);
    expect(ack.reading).toMatchObject({ kind: 'ack', text: 'vCPU 1 acknowledges SPI 40 (priority 0xa0)', token: 40n });
    expect(view.guest!.eoi(1, ack.reading.token).text).toBe('vCPU 1 EOIs SPI 40');
    // an SGI's IAR carries the source CPU; the token keeps it for GICC_EOIR
    g1.mmioWrite32(DIST + 0x100, 4, 0xffff);
    const [ipi] = view.guest!.ipi(1, [0], { id: 3 });
    expect(ipi!.text).toBe('vCPU 1 sends SGI 3 to vCPU 0 (GICD_SGIR = 0x10003)');
    const sgi = view.guest!.ack(0);
    expect(sgi.reading).toMatchObject({ text: 'vCPU 0 acknowledges SGI 3 from vCPU 1 (priority 0x00)', token: 0x403n });
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'write', addr: BigInt(CPU + 0x10), size: 4, value: 0x403n })).toMatchObject({ kind: 'eoi', text: 'vCPU 0 EOIs SGI 3' });
    expect(view.describe({ kind: 'attr', op: 'get', group: U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS, attr: (1n << 32n) | 4n, value: 0x1en, errno: null })!.text).toBe('GICC_PMR of vCPU 1');
  });
});
