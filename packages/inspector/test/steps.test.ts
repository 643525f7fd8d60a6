import { MAX_STEPS, type StepContext, parseScenario, parseSysregForm } from '../src/model/steps.js';

const ctx: StepContext = {
  arch: 'arm64',
  vcpus: [0, 1],
  devices: [
    {
      name: 'gic',
      key: 'KVM_DEV_TYPE_ARM_VGIC_V3',
      groups: () => [
        { group: 3, name: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS', attrs: [{ attr: 0, name: 'nr' }] },
      ],
      payloadSize: () => 4,
    },
  ],
  sysregs: new Map([['ICC_PMR_EL1', 0xc230]]),
  hypercalls: new Map([['H_XIRR', 0x74]]),
  hypercallReturns: new Map([['H_SUCCESS', 0]]),
  irqLineLevels: new Map([['KVM_INTERRUPT_SET', 0xffffffff]]),
  line: 'irq',
  hasGuestOps: true,
  memory: [],
};
const parse = (steps: unknown[], c: Partial<StepContext> = {}) =>
  parseScenario('t.yaml', steps, { ...ctx, ...c });

describe('scenario steps are checked before anything runs', () => {
  test('each problem names the file and the field', () => {
    expect(() => parse([{ note: 'x' }, { nope: {} }])).toThrow(
      't.yaml: scenario[1].nope: unknown step "nope"',
    );
    expect(() => parse([{ ack: { vcpu: 7 } }])).toThrow(
      't.yaml: scenario[0].ack.vcpu: no vCPU 7; the VM has vCPUs 0, 1',
    );
    expect(() => parse([{ spi: { intid: 40, level: 1, extra: 1 } }])).toThrow(
      'scenario[0].spi.extra: unknown field',
    );
    expect(() => parse([{ spi: { intid: 40, level: 2 } }])).toThrow(
      'scenario[0].spi.level: expected 0 or 1, got 2',
    );
    expect(() => parse([{ sysreg: { vcpu: 0, op: 'write', reg: 'ICC_NOPE', value: 1 } }])).toThrow(
      'unknown register "ICC_NOPE"',
    );
    expect(() => parse([{ hcall: { vcpu: 0, name: 'H_CPPR' } }])).toThrow(
      'scenario[0].hcall.name: unknown hypercall "H_CPPR"; names are H_XIRR',
    );
    expect(() => parse([{ ack: { vcpu: 0 } }], { hasGuestOps: false })).toThrow(
      'scenario[0].ack: ack needs a device whose plugin describes',
    );
    expect(() => parse([{ repeat: { times: 0, steps: [{ bad: 1 }] } }])).toThrow(
      'scenario[0].repeat.steps[0].bad: unknown step',
    );
    expect(() => parse([{ a: 1, b: 2 }])).toThrow('exactly one key');
    expect(() => parse([{ mmio: { vcpu: 0, op: 'read', addr: 0x1000, size: 3 } }])).toThrow(
      'expected 1, 2, 4 or 8, got 3',
    );
    expect(() => parse([{ expect: { value: 1, ret: 0 } }])).toThrow('give one of');
  });

  // the CLI's rule (issue 16): a level is the integer 0 or 1; raw KVM_IRQ_LINE / GSI levels a u32 or a device's name
  test.each([0, 1, '0', '1', '0x1', '0b1'])('level %p is accepted', (v) => {
    expect(parse([{ spi: { intid: 40, level: v } }])[0]!.a.level).toBe(Number(v));
    expect(parse([{ expect: { vcpu: 0, level: v } }])[0]!.a.level).toBe(Number(v));
  });
  test.each([true, false, 'high', 'low', 'up', 'down', 2, -1, '', null])('level %p is refused', (v) => {
    expect(() => parse([{ spi: { intid: 40, level: v } }])).toThrow(
      `scenario[0].spi.level: expected 0 or 1, got ${JSON.stringify(v)}`,
    );
    if (typeof v !== 'number')
      expect(() => parse([{ irqLine: { irq: 40, level: v } }])).toThrow(
        `scenario[0].irqLine.level: expected 0 or 1 (or a u32 or KVM_INTERRUPT_SET), got ${JSON.stringify(v)}`,
      );
  });

  test('names come from the devices: system registers, hypercalls, return codes, KVM_IRQ_LINE levels', () => {
    const [s, h, e, l, r] = parse([
      { sysreg: { vcpu: 0, op: 'write', reg: 'icc_pmr_el1', value: '0xf0' } },
      { hcall: { vcpu: 1, name: 'H_XIRR' } },
      { expect: { ret: 'H_SUCCESS' } },
      { irqLine: { irq: 0x1000, level: 'KVM_INTERRUPT_SET' } },
      { sysreg: { vcpu: 0, op: 'read', reg: 'S3_0_C12_C12_0' } },
    ]);
    expect(s!.a).toMatchObject({ enc: 0xc230, value: 0xf0n });
    expect(h!.a).toMatchObject({ nr: 0x74, args: [] });
    expect(e!.a).toMatchObject({ form: 'ret', ret: 0 });
    expect(l!.a).toMatchObject({ level: 0xffffffff });
    expect(r!.a).toMatchObject({ enc: parseSysregForm('S3_0_C12_C12_0') });
    expect(parseSysregForm('S3_0_C12_C12_0')).toBe(0xc660);
    expect(() =>
      parse([{ irqLine: { irq: 1, level: 'KVM_INTERRUPT_SET' } }], { irqLineLevels: new Map() }),
    ).toThrow('expected 0 or 1 (or a u32), got "KVM_INTERRUPT_SET"');
  });

  test('repeat is flattened, with its passes and labels', () => {
    const steps = parse([
      { note: 'a' },
      { repeat: { times: 2, steps: [{ ack: { vcpu: 0 } }, { eoi: { vcpu: 0 } }] } },
      { note: 'b' },
    ]);
    expect(steps.map((s) => [s.index, s.label, s.pass, s.kind])).toEqual([
      [0, 'scenario[0]', null, 'note'],
      [1, 'scenario[1].repeat.steps[0]', '1/2', 'ack'],
      [2, 'scenario[1].repeat.steps[1]', '1/2', 'eoi'],
      [3, 'scenario[1].repeat.steps[0]', '2/2', 'ack'],
      [4, 'scenario[1].repeat.steps[1]', '2/2', 'eoi'],
      [5, 'scenario[2]', null, 'note'],
    ]);
    expect(() => parse([{ repeat: { times: MAX_STEPS + 1, steps: [{ note: 'x' }] } }])).toThrow(
      `more than ${MAX_STEPS} steps`,
    );
  });

  test('attr steps take group and attribute names from the device type', () => {
    const [a] = parse([
      { attr: { device: 'gic', op: 'get', group: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS', attr: 'nr' } },
    ]);
    expect(a!.a).toMatchObject({ device: 0, group: 3, attr: 0n, size: 4 });
    expect(() => parse([{ attr: { device: 'nope', op: 'get', group: 1, attr: 0 } }])).toThrow(
      'no device "nope"; the VM has gic',
    );
  });
});
