import { composeVm, createHost, presets, validateVmConfig } from '@kvmdev/core';
import type { KvmPlugin } from '@kvmdev/core';
import { mpic } from '@kvmdev/mpic';
import { xics } from '@kvmdev/xics';
import { armVgic } from '@kvmdev/arm-vgic';
import { MPIC_SETUPS } from '@kvmdev/mpic';
import { Runner, SourceFile, firstPartyPlugins } from '../src/index.js';

describe('first-party setups', () => {
  it('each plugin carries its setup specs and architecture profile', () => {
    const p: KvmPlugin = firstPartyPlugins().get('@kvmdev/mpic')!;
    expect(p).toBe(mpic);
    expect(p.devices![0]!.setup).toBe(MPIC_SETUPS.KVM_DEV_TYPE_FSL_MPIC_20);
    expect(p.profiles?.map((x) => x.name)).toEqual(['ppc-e500']);
  });
  it('validates settings with paths relative to the device', () => {
    const host = createHost({ plugins: [...firstPartyPlugins().values()] });
    const bad = presets.qemuE500();
    const cfg = { ...bad, devices: [{ ...bad.devices[0]!, settings: { base: '0xfe0041000', routing: 'all' } }] };
    expect(validateVmConfig(host, cfg)).toEqual([
      { path: 'devices[0].settings.base', message: '0xfe0041000 is not 256 KiB (0x40000) aligned' },
      { path: 'devices[0].settings.routing', message: "expected 'identity' or 'none', got \"all\"" },
    ]);
    const v2 = presets.firecrackerArm64({ gic: 'v2', vcpus: 9 });
    expect(validateVmConfig(host, v2).map((i) => i.path)).toContain('devices[0].settings.cpu');
    expect(validateVmConfig(host, presets.qemuVirtArm64({ vcpus: 4 }))).toEqual([]);
    expect(validateVmConfig(host, presets.qemuPseries())).toEqual([]);
  });
  it('composes every preset with the CLI setups', () => {
    const host = createHost({ plugins: [...firstPartyPlugins().values()] });
    for (const c of [presets.qemuE500(), presets.qemuPseries({ sources: 16 }), presets.firecrackerArm64(), presets.firecrackerArm64({ gic: 'v2' }), presets.qemuVirtArm64()]) {
      const vm = composeVm(host, c);
      expect(vm.devices).toHaveLength(1);
      vm.close();
    }
  });
});

describe('Runner (in process)', () => {
  it('runs a scenario from text and records decoded events', () => {
    const host = createHost({ plugins: [xics] });
    const vm = composeVm(host, presets.qemuPseries({ vcpus: 1, sources: 4 }));
    const src = SourceFile.parse(
      'inline.yaml',
      `- hcall: { vcpu: 0, name: H_CPPR, args: [0xff] }
- attr: { op: set, group: 1, attr: 0x1000, value: 0x500000000 }
- irqLine: { irq: 0x1000, level: 1 }
- ack: { vcpu: 0 }
- expect: { value: 0xff001000 }
- eoi: { vcpu: 0 }
`,
    );
    const r = new Runner(host, vm);
    r.run({ source: src, steps: src.data as unknown[], path: [] });
    expect(r.events.map((e) => e.kind)).toEqual(['hcall', 'attr', 'irq-line', 'line', 'ack', 'line', 'expect', 'eoi']);
    expect(r.events.find((e) => e.kind === 'ack')?.text).toBe('vCPU 0 acknowledges source 0x1000 (priority 0x05, CPPR was 0xff)');
  });
  it('traces guest outcomes: KVM_EXIT_PAPR_HCALL and KVM_EXIT_MMIO with their kvm_run fields, UNDEF for a sysreg (issue 13 item 15)', () => {
    const ppc = createHost({ plugins: [xics] });
    const pvm = composeVm(ppc, presets.qemuPseries({ vcpus: 1, sources: 4 }));
    const src = SourceFile.parse(
      'exits.yaml',
      `- hcall: { vcpu: 0, nr: 0x1234, args: [1, 2] }
- mmio: { vcpu: 0, op: read, addr: 0x70000000, size: 4 }
- mmio: { vcpu: 0, op: write, addr: 0x70000008, size: 2, value: 0xbeef }
`,
    );
    const r = new Runner(ppc, pvm);
    r.run({ source: src, steps: src.data as unknown[], path: [] });
    const [h, rd, wr] = r.events;
    expect(h).toMatchObject({ kind: 'hcall', outcome: 'exit', exit: { reason: 'KVM_EXIT_PAPR_HCALL', exit_reason: 19, nr: '0x1234', args: ['0x1', '0x2', '0x0', '0x0', '0x0', '0x0', '0x0', '0x0', '0x0'] } });
    expect(h!.text).toBe('vCPU 0 hcall 0x1234(0x1, 0x2) -> KVM_EXIT_PAPR_HCALL (nr 0x1234; the VMM answers)');
    expect(rd).toMatchObject({ kind: 'mmio', value: null, outcome: 'exit', exit: { reason: 'KVM_EXIT_MMIO', exit_reason: 6, phys_addr: '0x70000000', len: 4, is_write: 0 } });
    expect(rd!.text).toBe('vCPU 0 reads 0x70000000 (4 bytes) -> KVM_EXIT_MMIO (phys_addr 0x70000000 len 4 is_write 0)');
    expect(wr).toMatchObject({ kind: 'mmio', handled: false, exit: { phys_addr: '0x70000008', len: 2, is_write: 1 } });
    expect(wr!.text).toBe('vCPU 0 writes 0xbeef to 0x70000008 (2 bytes) -> KVM_EXIT_MMIO (phys_addr 0x70000008 len 2 is_write 1 data 0xbeef)');

    const arm = createHost({ plugins: [armVgic] });
    const avm = composeVm(arm, presets.firecrackerArm64({ vcpus: 1 }));
    const s2 = SourceFile.parse(
      'undef.yaml',
      `- sysreg: { vcpu: 0, op: read, reg: S3_7_C15_C15_7 }
- sysreg: { vcpu: 0, op: write, reg: S3_7_C15_C15_7, value: 1 }
`,
    );
    const a = new Runner(arm, avm);
    a.run({ source: s2, steps: s2.data as unknown[], path: [] });
    expect(a.events.map((e) => [e.kind, e.outcome, e.esr])).toEqual([
      ['sysreg', 'undef', '0x2000000'],
      ['sysreg', 'undef', '0x2000000'],
    ]);
    expect(a.events[0]!.text).toMatch(/reads .* -> UNDEF injected \(ESR 0x2000000\)$/);
  });
});
