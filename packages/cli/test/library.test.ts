import { composeVm, createHost, presets, validateVmConfig } from '@kvmdev/core';
import type { KvmPlugin } from '@kvmdev/core';
import { mpic } from '@kvmdev/mpic';
import { xics } from '@kvmdev/xics';
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
});
