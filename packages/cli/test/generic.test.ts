/**
 * The CLI knows no device family: a plugin it has never heard of, with an introspection spec,
 * gets the same scenario steps (irq, ack, eoi, ipi), trace readings and inspect rows as the
 * first-party controllers; and the CLI's source has no device constants or device imports.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { EINVAL, KvmError, composeVm, createHost } from '@kvmdev/core';
import { type AccessReading, type DeviceIntrospectSpec, type InterruptState, definePlugin } from '@kvmdev/core/plugin';
import { Runner, SourceFile, inspectDevice, vmDevices } from '../src/index.js';

/** A toy controller: 4 lines per VM, a pending bit each; the guest acks the lowest through a hypercall. */
interface Toy {
  pending: number;
  active: number;
  enabled: number;
}
const TOY_ACK = 0x7001;
const TOY_EOI = 0x7002;

const toyIntrospect: DeviceIntrospectSpec = {
  names: { hypercalls: { TOY_ACK, TOY_EOI }, hypercallReturns: { TOY_OK: 0 } },
  open(t) {
    const st = () => t.device.device.private as Toy;
    const row = (n: number): InterruptState => ({
      id: n,
      name: `line ${n}`,
      vcpu: null,
      enabled: ((st().enabled >> n) & 1) === 1,
      pending: ((st().pending >> n) & 1) === 1,
      active: ((st().active >> n) & 1) === 1,
      priority: n,
      targets: [0],
      target: 'vCPU 0',
      group: null,
      config: 'level',
      configured: (((st().pending | st().active) >> n) & 1) === 1,
    });
    const ackReading = (x: number): AccessReading =>
      x < 0 ? { kind: 'ack', text: 'toy: nothing pending', data: {} } : { kind: 'ack', text: `toy: vCPU 0 takes line ${x}`, data: { line: x }, token: BigInt(x) };
    return {
      summary: () => `toy PIC, pending ${st().pending.toString(2)}`,
      state: () => [{ title: 'lines', fields: [{ name: 'pending', value: st().pending, text: st().pending.toString(2) }] }],
      interrupts: {
        line: 'irq',
        ranges: () => [{ kind: 'line', first: 0, count: 4, banked: false }],
        name: (id) => (id >= 0 && id < 4 ? `line ${id}` : null),
        lookup: (name) => {
          const m = /^line (\d)$/.exec(name);
          return m && Number(m[1]) < 4 ? Number(m[1]) : null;
        },
        read: (first, count) => [0, 1, 2, 3].filter((n) => n >= first && n < first + count).map(row),
        cpu: (vcpu) => ({ vcpu, lines: [], runningPriority: null, priorityMask: null, highestPending: null, fields: [], text: `vCPU ${vcpu}: toy` }),
        raise: (id, level) => {
          const s = st();
          s.pending = level ? s.pending | (1 << id) : s.pending & ~(1 << id);
          return { status: 1, via: `toy line ${id}` };
        },
      },
      guest: {
        ack: (vcpu) => {
          const r = t.vcpus.find((v) => v.id === vcpu)!.guest.hypercall(TOY_ACK, []);
          return { value: BigInt(r.ret), reading: ackReading(r.ret) };
        },
        eoi: (_vcpu, token) => {
          if (token === undefined) throw new KvmError(EINVAL, 'toy EOI needs the line');
          t.vcpus[0]!.guest.hypercall(TOY_EOI, [Number(token)]);
          return { kind: 'eoi', text: `toy: line ${token} done`, data: { line: Number(token) } };
        },
        ipi: () => [],
      },
      describe: (a) => (a.kind === 'hcall' && a.nr === TOY_ACK ? ackReading(a.ret) : null),
    };
  },
};

let dev: Toy | null = null;
const toy = definePlugin({
  name: '@acme/toy',
  version: '0.0.1',
  core: '*',
  devices: [
    {
      key: '@acme/toy:pic',
      ops: {
        name: 'toy-pic',
        create: (d) => {
          d.private = dev = { pending: 0, active: 0, enabled: 0xf };
          return 0;
        },
        release: () => {},
      },
      introspect: toyIntrospect,
    },
  ],
  hooks: {
    hypercall: (_v, nr, args) => {
      if (!dev) return -515;
      if (nr === TOY_ACK) {
        const p = dev.pending & ~dev.active;
        if (!p) return -1;
        const n = 31 - Math.clz32(p & -p);
        dev.active |= 1 << n;
        return n;
      }
      if (nr === TOY_EOI) {
        dev.active &= ~(1 << (args[0] ?? 0));
        dev.pending &= ~(1 << (args[0] ?? 0));
        return 0;
      }
      return -515;
    },
  },
  claims: { hypercalls: [TOY_ACK, TOY_EOI] },
  profiles: [{ name: 'toy', doc: 'a toy machine', devices: ['@acme/toy:pic'] }],
});

describe('a device the CLI has never heard of', () => {
  const host = createHost({ plugins: [toy] });
  const vm = composeVm(host, { arch: 'toy', vcpus: 1, devices: [{ type: '@acme/toy:pic', name: 'pic' }] });

  it('runs irq / ack / eoi steps and reads raw hypercalls through its plugin', () => {
    const src = SourceFile.parse(
      'toy.yaml',
      `- irq: { name: line 2, level: 1 }
- irq: { name: line 3, level: 1 }
- ack: { vcpu: 0 }
- expect: { value: 2 }
- eoi: { vcpu: 0 }
- hcall: { vcpu: 0, name: TOY_ACK }
- expect: { ret: 3 }
- hcall: { vcpu: 0, name: TOY_EOI, args: [3] }
- expect: { ret: TOY_OK }
`,
    );
    const r = new Runner(host, vm);
    r.run({ source: src, steps: src.data as unknown[], path: [] });
    expect(r.events.map((e) => e.text)).toEqual([
      'host raises line 2 (toy line 2) -> status 1',
      'host raises line 3 (toy line 3) -> status 1',
      'toy: vCPU 0 takes line 2',
      'expect: value is 0x2 (ok)',
      'toy: line 2 done',
      'toy: vCPU 0 takes line 3',
      'expect: return code is 3 (ok)',
      'vCPU 0 TOY_EOI(0x3) -> TOY_OK',
      'expect: return code is TOY_OK (ok)',
    ]);
  });

  it('names its interrupts in scenario errors and shows its rows in inspect', () => {
    const r = new Runner(host, vm);
    const bad = SourceFile.parse('bad.yaml', '- irq: { name: SPI 40, level: 1 }\n');
    expect(() => r.check({ source: bad, steps: bad.data as unknown[], path: [] })).toThrow(/no device of this VM has an interrupt "SPI 40" it can raise \(pic has line\)/);
    const src = SourceFile.parse('raise.yaml', '- irq: { name: line 1, level: 1 }\n');
    r.run({ source: src, steps: src.data as unknown[], path: [] });
    const x = inspectDevice(vmDevices(host, vm)[0]!, false);
    expect(x.summary).toBe('toy PIC, pending 10');
    expect(x.rows.map((row) => row.name)).toEqual(['line 1']);
  });
});

describe('the CLI source has no per-family code', () => {
  const dir = join(__dirname, '../src');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  it('has no families module', () => {
    expect(files).not.toContain('families.ts');
  });
  it('imports a device package only to preload the first-party plugins, and names no device constant', () => {
    const devicePkgs = /^@kvmdev\/(arm-vgic|mpic|xics)$/;
    const constant = /^(KVM_DEV_TYPE|KVM_DEV_ARM|KVM_DEV_MPIC|KVM_DEV_XICS|KVM_REG_PPC|ICC|GICD|GICC|GICR|MPIC|XICS|H|KVM_INTERRUPT|KVM_ARM_IRQ)_[A-Z0-9_]+$/;
    const found: string[] = [];
    for (const f of files) {
      const sf = ts.createSourceFile(f, readFileSync(join(dir, f), 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier) && devicePkgs.test(n.moduleSpecifier.text) && f !== 'plugins.ts') found.push(`${f}: import ${n.moduleSpecifier.text}`);
        if (ts.isIdentifier(n) && constant.test(n.text)) found.push(`${f}: ${n.text}`);
        // object keys such as { ICC_PMR_EL1: 0xc230 } in a table
        if (ts.isPropertyAssignment(n) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name)) && constant.test(n.name.text)) found.push(`${f}: key ${n.name.text}`);
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(found).toEqual([]);
  });
});
