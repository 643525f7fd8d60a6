/**
 * The MPIC introspection spec: names (sources, IPIs, timers), per-IRQ state through
 * GRP_REGISTER / GRP_IRQ_ACTIVE and the servicing queues, each CPU's CTPR and what it has in
 * service, ack / EOI / IPI through the vCPU's CPU page, raw accesses as registers; reading
 * changes nothing, not even the queues' cached values an IACK or CTPR write compares against.
 */
import { fc, test as fcTest } from '@fast-check/jest';
import { composeVm, createHost, presets, saveSnapshot } from '@kvmdev/core';
import type { DeviceView } from '@kvmdev/core/plugin';
import { KVM_DEV_MPIC_GRP_REGISTER, MPIC_EOI, MPIC_IACK, type MpicState, mpic, mpicCpuReg, mpicIdr, mpicIvpr } from '../src/internal.js';

const BASE = 0xfe0040000;

function setup(model: '20' | '42' = '20') {
  const host = createHost({ plugins: [mpic] });
  const c = composeVm(host, presets.qemuE500({ vcpus: 2, model }));
  const view: DeviceView = mpic.devices[model === '20' ? 0 : 1].introspect.open({ vm: c.vm, device: c.devices[0]!.handle, vcpus: c.vcpus });
  const g = c.vcpus.map((v) => v.guest);
  const state = c.devices[0]!.handle.device.private as MpicState;
  return { host, c, view, g, state };
}

describe('MPIC view', () => {
  test('names sources, IPIs and timers; ranges follow FRR', () => {
    const { view } = setup('42');
    const iv = view.interrupts!;
    expect(iv.line).toBe('external');
    expect(iv.ranges()).toEqual([
      { kind: 'source', first: 0, count: 196, banked: false },
      { kind: 'IPI', first: 256, count: 4, banked: false },
      { kind: 'timer', first: 260, count: 4, banked: false },
    ]);
    expect([iv.name(5), iv.name(258), iv.name(261), iv.name(200), iv.name(300)]).toEqual(['source 5', 'IPI 2', 'timer 1', null, null]);
    expect([iv.lookup('source 5'), iv.lookup('src 5'), iv.lookup('IPI 2'), iv.lookup('timer 0'), iv.lookup('IPI 4'), iv.lookup('SPI 40')]).toEqual([5, 5, 258, 260, null, null]);
    expect(view.summary()).toBe('FSL MPIC v4.2, 196 sources, 4 IPIs, 4 timers, 2 CPUs, window 0xfe0040000');
  });

  test('a source configured, raised, acknowledged and EOI\'d reads right at each step', () => {
    const { view, g, c } = setup();
    const iv = view.interrupts!;
    g[0]!.mmioWrite32(BASE + mpicIvpr(3), 4, 0x00050043); // vector 0x43, priority 5, unmasked
    g[0]!.mmioWrite32(BASE + mpicIdr(3), 4, 1); // CPU 0
    g[0]!.mmioWrite32(BASE + mpicCpuReg(0, 0x80), 4, 0); // CTPR 0
    expect(iv.read(3, 1)).toEqual([
      { id: 3, name: 'source 3', vcpu: null, enabled: true, pending: false, active: false, priority: 5, targets: [0], target: 'vCPU 0', group: null, config: 'edge', configured: true, extra: { vector: 0x43, activity: false } },
    ]);
    expect(iv.raise!(3, 1)).toEqual({ status: 0, via: 'KVM_IRQ_LINE GSI 3' });
    expect(iv.read(3, 1)[0]).toMatchObject({ pending: true, active: false, extra: { activity: true } });
    expect(iv.cpu(0)).toMatchObject({ lines: [{ name: 'external', level: 1 }], priorityMask: 0, runningPriority: null, highestPending: 3 });
    const ack = view.guest!.ack(0);
    expect(ack.value).toBe(0x43n);
    expect(ack.reading).toEqual({ kind: 'ack', text: 'vCPU 0 acknowledges vector 0x43 (source 3, priority 5)', data: { vector: 0x43, irq: 'source 3', priority: 5 }, token: 0x43n });
    expect(iv.read(3, 1)[0]).toMatchObject({ active: true });
    expect(iv.cpu(0)).toMatchObject({ runningPriority: 5, highestPending: null });
    expect(iv.cpu(0).text).toBe('vCPU 0: external line 0, CTPR 0, in service source 3 (priority 5), highest raised none');
    c.vm.irqLine(3, 0);
    expect(view.guest!.eoi(0)).toEqual({ kind: 'eoi', text: 'vCPU 0 EOIs vector 0x43 (source 3)', data: { vector: 0x43, irq: 'source 3' } });
    expect(iv.read(3, 1)[0]).toMatchObject({ active: false, pending: false });
    expect(view.guest!.eoi(0).text).toBe('vCPU 0 EOIs (nothing was in service)');
  });

  test('an IPI goes to the CPUs of IPIDR and is pending on each until taken', () => {
    const { view, g } = setup();
    g[0]!.mmioWrite32(BASE + 0x10a0, 4, 0x00090080); // IPI 0: vector 0x80, priority 9
    for (const c of [0, 1]) g[c]!.mmioWrite32(BASE + mpicCpuReg(c, 0x80), 4, 0);
    const [r] = view.guest!.ipi(0, [1], { id: 0 });
    expect(r).toEqual({ kind: 'ipi', text: 'vCPU 0 sends IPI 0 to vCPU 1 (IPIDR0 = 0x2)', data: { ipi: 0, targets: [1] } });
    // mpic.c starts IPI destinations from the IDR reset value (CPU 0), so CPU 0 gets it too
    expect(view.interrupts!.read(256, 1)[0]).toMatchObject({ name: 'IPI 0', pending: true, targets: [0, 1], priority: 9 });
    expect(view.guest!.ack(1).reading.text).toBe('vCPU 1 acknowledges vector 0x80 (IPI 0, priority 9)');
  });

  test('the timers read at mpic.c\'s read offsets (TVPR 0x10 below its write offset)', () => {
    const { view, g } = setup();
    g[0]!.mmioWrite32(BASE + 0x1120, 4, 0x80030077); // TVPR0 written at 0x1120: vector 0x77, priority 3, masked
    expect(view.interrupts!.read(260, 1)[0]).toMatchObject({ name: 'timer 0', enabled: false, priority: 3, extra: { vector: 0x77 } });
  });

  test('raw accesses read as registers', () => {
    const { view } = setup();
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'write', addr: BigInt(BASE + mpicIvpr(3)), size: 4, value: 0x50043n })!.text).toBe('vCPU 0 writes source 3 IVPR = 0x50043: vector 0x43, priority 5');
    expect(view.describe({ kind: 'mmio', vcpu: 1, op: 'write', addr: BigInt(BASE + mpicCpuReg(1, 0x80)), size: 4, value: 0n })!.text).toBe('vCPU 1 writes CPU 1 CTPR = 0x0');
    expect(view.describe({ kind: 'mmio', vcpu: 1, op: 'write', addr: BigInt(BASE + mpicCpuReg(1, MPIC_EOI)), size: 4, value: 0n })).toMatchObject({ kind: 'eoi' });
    // IACK on another CPU's page is not this vCPU's acknowledge
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: BigInt(BASE + mpicCpuReg(1, MPIC_IACK)), size: 4, value: 0xffffn })).toMatchObject({ kind: 'access', text: 'vCPU 0 reads CPU 1 IACK = 0xffff' });
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: BigInt(BASE + MPIC_IACK), size: 4, value: 0xffffn })!.text).toBe('vCPU 0 reads IACK: spurious vector 0xffff, nothing pending');
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: 0x1000n, size: 4, value: 0n })).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'get', group: KVM_DEV_MPIC_GRP_REGISTER, attr: 0x1110n, value: 0x80000000n, errno: null })!.text).toBe('TVPR 0: vector 0x0, priority 0, masked');
    expect(view.describe({ kind: 'attr', op: 'get', group: KVM_DEV_MPIC_GRP_REGISTER, attr: 0x1000n, value: 0n, errno: null })!.text).toBe('FRR');
  });

  fcTest.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 79 }), fc.integer({ min: 0, max: 15 }), fc.boolean()), { maxLength: 10 })], { numRuns: 25 })(
    'reading changes no state, not even the cached queue tops (a later IACK or CTPR write compares against them)',
    (setupOps) => {
      const { host, c, view, g, state } = setup();
      for (const [n, prio, raise] of setupOps) {
        g[0]!.mmioWrite32(BASE + mpicIvpr(n), 4, (prio << 16) | n);
        g[0]!.mmioWrite32(BASE + mpicIdr(n), 4, 1 + (n & 1));
        if (raise) c.vm.irqLine(n, 1);
      }
      g[0]!.mmioWrite32(BASE + mpicCpuReg(0, 0x80), 4, 0);
      if (setupOps.length) g[0]!.mmioRead(BASE + mpicCpuReg(0, MPIC_IACK), 4);
      const cached = () => [...state.raisedNext, ...state.raisedPrio, ...state.servicingNext, ...state.servicingPrio].join(',');
      const before = JSON.stringify(saveSnapshot(host, c.vm.fd));
      const cache = cached();
      const lines = c.vcpus.map((v) => v.line('external'));
      view.summary();
      view.state();
      for (const r of view.interrupts!.ranges()) view.interrupts!.read(r.first, r.count);
      for (const v of c.vcpus) view.interrupts!.cpu(v.id);
      expect(cached()).toBe(cache);
      expect(JSON.stringify(saveSnapshot(host, c.vm.fd))).toBe(before);
      expect(c.vcpus.map((v) => v.line('external'))).toEqual(lines);
    },
  );
});
