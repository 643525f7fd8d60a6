/**
 * The XICS introspection spec: sources (ranges from the ICS blocks that exist) and each server's
 * IPI, source state through GRP_SOURCES, each presenter through ONE_REG, ack / EOI / IPI through
 * the PAPR hypercalls, hypercalls and attribute calls in device terms; reading changes nothing.
 */
import { fc, test as fcTest } from '@fast-check/jest';
import { composeVm, createHost, presets, saveSnapshot } from '@kvmdev/core';
import type { DeviceView } from '@kvmdev/core/plugin';
import { H_CPPR, H_EOI, H_IPOLL, H_XIRR, KVM_DEV_XICS_GRP_SOURCES, KVM_INTERRUPT_SET, encodeSource, xics } from '../src/internal.js';

function setup(sources = 16) {
  const host = createHost({ plugins: [xics] });
  const c = composeVm(host, presets.qemuPseries({ vcpus: 2, sources }));
  const spec = xics.devices![0]!.introspect!;
  const view: DeviceView = spec.open({ vm: c.vm, device: c.devices[0]!.handle, vcpus: c.vcpus });
  const dev = c.devices[0]!.handle;
  const setSource = (n: number, v: bigint) => {
    const buf = host.scratch();
    host.mem.setU64(buf, v);
    dev.attrRaw('set', KVM_DEV_XICS_GRP_SOURCES, n, buf);
  };
  for (const v of c.vcpus) v.guest.hypercall(H_CPPR, [0xff]);
  return { host, c, view, setSource, spec };
}

describe('XICS view', () => {
  test('ranges are the sources that exist, plus the banked IPI; names and lookups', () => {
    const { view, setSource } = setup(16);
    setSource(0x2005, encodeSource({ priority: 0xff })); // a second ICS block
    const iv = view.interrupts!;
    expect(iv.ranges()).toEqual([
      { kind: 'IPI', first: 2, count: 1, banked: true },
      { kind: 'source', first: 0x1000, count: 16, banked: false },
      { kind: 'source', first: 0x2005, count: 1, banked: false },
    ]);
    expect([iv.name(2), iv.name(0x1003), iv.name(0x1010)]).toEqual(['IPI', 'source 0x1003', null]);
    expect([iv.lookup('IPI'), iv.lookup('source 0x1003'), iv.lookup('0x2005'), iv.lookup('source 0x1010')]).toEqual([2, 0x1003, 0x2005, null]);
    expect(view.summary()).toBe('XICS, 17 sources, 2 presenters (ICPs)');
  });

  test('a source raised, acknowledged through H_XIRR and ended through H_EOI', () => {
    const { view, setSource, c } = setup();
    setSource(0x1001, encodeSource({ server: 1, priority: 5, levelSensitive: true }));
    const iv = view.interrupts!;
    expect(iv.read(0x1001, 1)).toEqual([
      {
        id: 0x1001,
        name: 'source 0x1001',
        vcpu: null,
        enabled: true,
        pending: false,
        active: false,
        priority: 5,
        targets: [1],
        target: 'server 1',
        group: null,
        config: 'level',
        configured: true,
        extra: { masked: false, presented: false, queued: false },
      },
    ]);
    expect(iv.read(0x1000, 1)[0]).toMatchObject({ enabled: false, configured: false, config: 'edge' });
    expect(iv.raise!(0x1001, 1)).toEqual({ status: 0, via: 'KVM_IRQ_LINE 0x1001' });
    expect(iv.cpu(1)).toMatchObject({ lines: [{ name: 'external', level: 1 }], highestPending: 0x1001, priorityMask: 0xff });
    const ack = view.guest!.ack(1);
    expect(ack.reading).toEqual({
      kind: 'ack',
      text: 'vCPU 1 acknowledges source 0x1001 (priority 0x05, CPPR was 0xff)',
      data: { xirr: 0xff001001, xisr: 0x1001, priority: 5, oldCppr: 0xff },
      token: 0xff001001n,
    });
    expect(iv.read(0x1001, 1)[0]).toMatchObject({ active: true, pending: true });
    expect(iv.cpu(1)).toMatchObject({ runningPriority: 5, highestPending: null });
    c.vm.irqLine(0x1001, 0);
    expect(() => view.guest!.eoi(1)).toThrow(/EINVAL/);
    expect(view.guest!.eoi(1, ack.reading.token).text).toBe('vCPU 1 EOIs source 0x1001 (CPPR back to 0xff)');
    expect(iv.read(0x1001, 1)[0]).toMatchObject({ active: false, pending: false });
  });

  test('an IPI through H_IPI is the target server\'s banked IPI row until its MFRR is cleared', () => {
    const { view } = setup();
    expect(() => view.interrupts!.read(2, 1)).toThrow(RangeError);
    const [r] = view.guest!.ipi(0, [1], { priority: 4 });
    expect(r).toEqual({ kind: 'ipi', text: 'vCPU 0 sends an IPI (MFRR 0x04) to server 1', data: { server: 1, mfrr: 4 } });
    expect(view.interrupts!.read(2, 1, 1)[0]).toMatchObject({ name: 'IPI', vcpu: 1, pending: true, active: null, priority: 4, configured: true, target: 'server 1', extra: { presented: true } });
    expect(view.interrupts!.read(2, 1, 0)[0]).toMatchObject({ vcpu: 0, pending: false, configured: false });
    expect(view.guest!.ack(1).reading.text).toBe('vCPU 1 acknowledges IPI (priority 0x04, CPPR was 0xff)');
    // taken, but requested until MFRR goes back to 0xff (the guest's H_IPI 0xff)
    expect(view.interrupts!.read(2, 1, 1)[0]).toMatchObject({ pending: true, extra: { presented: false } });
    view.guest!.ipi(1, [1], { priority: 0xff });
    expect(view.interrupts!.read(2, 1, 1)[0]).toMatchObject({ pending: false, configured: false });
  });

  test('hypercalls and attribute calls in device terms; its names', () => {
    const { view, spec } = setup();
    expect(view.describe({ kind: 'hcall', vcpu: 0, nr: H_XIRR, args: [], ret: 0, out: [0xff000000] })!.text).toBe('vCPU 0 H_XIRR: nothing pending (CPPR 0xff)');
    expect(view.describe({ kind: 'hcall', vcpu: 0, nr: H_EOI, args: [0xff001000], ret: 0, out: [] })).toMatchObject({ kind: 'eoi', text: 'vCPU 0 EOIs source 0x1000 (CPPR back to 0xff)' });
    expect(view.describe({ kind: 'hcall', vcpu: 0, nr: H_IPOLL, args: [1], ret: 0, out: [0xff001000, 0xff] })!.text).toBe('vCPU 0 polls server 1: XIRR 0xff001000 (source 0x1000 pending), MFRR 0xff');
    expect(view.describe({ kind: 'hcall', vcpu: 0, nr: 0x1234, args: [], ret: -2, out: [] })).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'set', group: KVM_DEV_XICS_GRP_SOURCES, attr: 0x1000n, value: 0x10500000001n, errno: null })!.text).toBe('source 0x1000: server 1, priority 0x05, LSI');
    expect(spec.names).toMatchObject({ hypercalls: { H_XIRR: 0x74, H_EOI: 0x64 }, hypercallReturns: { H_SUCCESS: 0, H_PARAMETER: -4 }, irqLineLevels: { KVM_INTERRUPT_SET } });
  });

  fcTest.prop([fc.array(fc.tuple(fc.integer({ min: 0x1000, max: 0x100f }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 1 }), fc.boolean()), { maxLength: 8 })], { numRuns: 25 })(
    'reading changes no state',
    (ops) => {
      const { host, c, view, setSource } = setup();
      for (const [n, prio, server, raise] of ops) {
        setSource(n, encodeSource({ server, priority: prio }));
        if (raise) c.vm.irqLine(n, KVM_INTERRUPT_SET);
      }
      const before = JSON.stringify(saveSnapshot(host, c.vm.fd));
      const lines = c.vcpus.map((v) => v.line('external'));
      view.summary();
      view.state();
      for (const v of c.vcpus) {
        view.interrupts!.read(0, 0x2000, v.id);
        view.interrupts!.cpu(v.id);
      }
      expect(JSON.stringify(saveSnapshot(host, c.vm.fd))).toBe(before);
      expect(c.vcpus.map((v) => v.line('external'))).toEqual(lines);
    },
  );
});
