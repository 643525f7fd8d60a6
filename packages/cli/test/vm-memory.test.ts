/**
 * Guest memory in VM files: a `memory:` section of slots `{ gpa, size }` (core's
 * readMemoryConfig, set up by composeVm with KVM_SET_USER_MEMORY_REGION) and the `mem` step
 * (core's readMemStep / runMemStep, shared with the web inspector). With them a VM file alone
 * drives the ITS: examples/vms/qemu-virt-its-mapped.yaml puts the ITS tables and the command
 * queue into guest memory, writes MAPD / MAPC / MAPTI / INT, advances GITS_CWRITER, and `kvmdev
 * inspect` on it shows the mapped device, collection and translation, with LPI 8192 pending.
 * Before, a VM file had no `memory:` key (exit 2: unknown key) and no `mem` step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAPPED_ITS_LINES, kvmdev, tmp, vm } from './helpers.js';

jest.setTimeout(120_000);

const MAPPED = vm('qemu-virt-its-mapped.yaml');

describe('memory: and mem steps in VM files', () => {
  it('kvmdev inspect of examples/vms/qemu-virt-its-mapped.yaml shows the mapped device, collection and translation (LPI 8192 pending on vCPU 1)', () => {
    const r = kvmdev(['inspect', MAPPED]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(1)).toEqual([
      'gic (KVM_DEV_TYPE_ARM_VGIC_V3): GICv3, 288 INTIDs (256 SPIs), 2 redistributors, GICD_CTLR 0x52',
      '  distributor: GICD_CTLR 0x52 (EnableGrp1A, ARE, DS), GICD_TYPER 0x7a0008, INTIDs 288, base 0x8000000, redistributor base 0x80a0000',
      '  every interrupt is in its reset state (--all shows them)',
      '  vCPU 0: irq line 0, ICC_PMR_EL1 0x00, ICC_IGRPEN1_EL1 0, running priority idle, highest pending none',
      '  vCPU 1: irq line 1, ICC_PMR_EL1 0xf0, ICC_IGRPEN1_EL1 1, running priority idle, highest pending LPI 8192',
      ...MAPPED_ITS_LINES,
      '',
    ]);
  });

  it('kvmdev run prints the mem steps and their expectations (exit 0)', () => {
    const r = kvmdev(['run', MAPPED]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    const lines = r.stdout.split('\n');
    for (const l of [
      'scenario[7]    guest memory: writes u8 0xa1 at 0x40010000',
      'scenario[22]   guest memory: writes 4 u64 at 0x40000000 (0x40000000..0x4000001f)',
      'scenario[28]   guest memory: writes 4 u64 at 0x40000060 (0x40000060..0x4000007f)',
      'scenario[30]   guest memory: reads u64 at 0x40000010 = 0x8000000040060000',
      'scenario[31]   expect: value is 0x8000000040060000 (ok)',
      'scenario[33]   vCPU 0 writes GITS_CWRITER = 0x80: now GITS_CREADR 0x80, GITS_CWRITER 0x80',
      'scenario[33]     -> vCPU 1: irq line up',
      'scenario[37]   expect: vCPU 1 irq line is 1 (ok)',
      '-- its: ITS at 0x8080000, enabled, 1 device, 1 collection, 1 translation',
    ])
      expect(lines).toContain(l);
    const json = JSON.parse(kvmdev(['run', MAPPED, '--json']).stdout) as Record<string, unknown>[];
    expect(json.filter((e) => e.kind === 'mem')[1]).toEqual({
      at: 'scenario[22]',
      kind: 'mem',
      op: 'write',
      gpa: '0x40000000',
      size: 8,
      values: ['0x500000008', '0x4', '0x8000000040060000', '0x0'],
      text: 'guest memory: writes 4 u64 at 0x40000000 (0x40000000..0x4000001f)',
    });
  });

  it('snapshots with its guest memory; restored from the snapshot alone, the ITS state is the same', () => {
    const dir = tmp();
    const a = join(dir, 'its.json');
    const b = join(dir, 'its-again.json');
    expect(kvmdev(['snapshot', MAPPED, '-o', a]).code).toBe(0);
    const snap = JSON.parse(readFileSync(a, 'utf8'));
    expect(snap.vm.config.memory).toEqual([{ gpa: '0x40000000', size: '0x100000' }]);
    expect(snap.memory.slots.map((s: { slot: number; guestPhysAddr: string; memorySize: string }) => [s.slot, s.guestPhysAddr, s.memorySize])).toEqual([[0, '0x40000000', '0x100000']]);
    const r = kvmdev(['restore', a, '-o', b]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    expect(kvmdev(['diff', a, b])).toEqual({ code: 0, stdout: 'no differences\n', stderr: '' });
    const i = kvmdev(['inspect', a]);
    expect(i.stdout).toContain('  translations: device 5 event 3 → LPI 8192, collection 0 on vCPU 1 (RDbase 1), pending, enabled, priority 0xa0');
    // a VM without that memory refuses the image (exit 3), naming the field
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, 'vm: { preset: qemuVirtArm64Its, vcpus: 2 }\n');
    const x = kvmdev(['restore', bare, a]);
    expect([x.code, x.stderr.trim()]).toEqual([3, `kvmdev restore: ${a}: restore refused: $.memory.slots: the snapshot has memory slots [0@0x40000000+0x100000], this VM has [none]`]);
  });

  const bad: [string, string, number, string][] = [
    [
      'overlapping and misaligned slots',
      'vm: { preset: qemuVirtArm64Its }\nmemory:\n  - { gpa: 0x40000000, size: 0x100000 }\n  - { gpa: 0x400ff000, size: 0x2000 }\n  - { gpa: 0x50000800, size: 0x1000 }\n',
      2,
      'invalid VM config:\n  @F:4:5: memory[1]: 0x400ff000..0x40100fff overlaps memory[0] (0x40000000..0x400fffff)\n  @F:5:12: memory[2].gpa: 0x50000800 is not a multiple of the page size (0x1000)',
    ],
    ['memory not a list', 'vm: { preset: qemuVirtArm64Its }\nmemory: { gpa: 0x40000000, size: 0x100000 }\n', 2, '@F:2:9: memory: expected a list of memory slots { gpa, size }'],
    ['a zero size', 'vm: { preset: qemuVirtArm64Its }\nmemory: [{ gpa: 0x40000000, size: 0 }]\n', 2, '@F:2:35: memory[0].size: expected a nonzero size'],
    ['an unknown slot key', 'vm: { preset: qemuVirtArm64Its }\nmemory: [{ gpa: 0, size: 0x1000, flags: 1 }]\n', 2, '@F:2:41: memory[0].flags: unknown key; a memory slot has gpa, size'],
    [
      'more than 256 MiB',
      'vm: { preset: qemuVirtArm64Its }\nmemory:\n  - { gpa: 0x40000000, size: 0x10000000 }\n  - { gpa: 0x80000000, size: 0x1000 }\n',
      2,
      '@F:3:3: memory: 0x10001000 bytes of guest memory in all; at most 0x10000000 (256 MiB)',
    ],
    ['memory inside vm:', 'vm: { arch: arm64, vcpus: 1, devices: [], memory: [] }\n', 2, "@F:1:51: vm.memory: guest memory is the VM file's own memory: section, next to vm:"],
    [
      'a mem step across the end of the slot',
      'vm: { preset: qemuVirtArm64Its }\nmemory: [{ gpa: 0x40000000, size: 0x100000 }]\nscenario:\n  - mem: { op: write, gpa: 0x400ffffc, size: 8, values: [1] }\n',
      2,
      "@F:4:28: scenario[0].mem.gpa: 0x400ffffc..0x40100003 is not inside one memory slot; the VM's memory is 0x40000000..0x400fffff",
    ],
    [
      'a mem step without memory',
      'vm: { preset: qemuVirtArm64Its }\nscenario:\n  - mem: { op: read, gpa: 0x40000000, size: 8 }\n',
      2,
      '@F:3:27: scenario[0].mem.gpa: 0x40000000..0x40000007 is not inside one memory slot; the VM has no memory (give the VM file a memory: section)',
    ],
    [
      'a mem read with values',
      'vm: { preset: qemuVirtArm64Its }\nmemory: [{ gpa: 0x40000000, size: 0x1000 }]\nscenario:\n  - mem: { op: read, gpa: 0x40000000, size: 8, values: [1] }\n',
      2,
      '@F:4:56: scenario[0].mem.values: a read takes no values (it reads one item: check it with an expect step)',
    ],
    [
      'a mem expectation that fails',
      'vm: { preset: qemuVirtArm64Its }\nmemory: [{ gpa: 0x40000000, size: 0x1000 }]\nscenario:\n  - mem: { op: write, gpa: 0x40000000, size: 4, values: [0x12345678] }\n  - mem: { op: read, gpa: 0x40000000, size: 2 }\n  - expect: { value: 0x1234 }\n',
      1,
      '@F:6:5: scenario[2]: expectation failed: value is 0x5678, expected 0x1234',
    ],
    [
      'a slot beyond the IPA space (the kernel refuses it: EFAULT)',
      "vm: { preset: qemuVirtArm64Its }\nmemory: [{ gpa: '0x100000000000', size: 0x1000 }]\n",
      4,
      '@F: building the VM failed: EFAULT: KVM_SET_USER_MEMORY_REGION of memory[0] (0x100000000000..0x100000000fff)',
    ],
  ];
  const dir = tmp();
  it.each(bad)('refuses %s with its exit code and message, running nothing', (what, text, code, message) => {
    const f = join(dir, `${what.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(f, text);
    const r = kvmdev(['run', f]);
    expect([what, r.code, r.stderr.trim()]).toEqual([what, code, `kvmdev run: ${message.replaceAll('@F', f)}`]);
    if (code !== 1) expect(r.stdout).not.toContain('scenario[0] ');
  });
});
