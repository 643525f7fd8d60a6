/**
 * Guest RAM in a VM config (`memory: [{ gpa, size }]`): checked with issues naming the field,
 * composed with KVM_SET_USER_MEMORY_REGION, carried through a snapshot (its memory image) and
 * restored; and the `mem` scenario step shared by the CLI and the web inspector.
 */
import {
  MAX_VM_MEMORY,
  composeVm,
  createHost,
  readMemStep,
  readMemoryConfig,
  restoreSnapshot,
  runMemStep,
  saveSnapshot,
  validateVmConfig,
  type VmConfig,
} from '@kvmdev/core';
import { definePlugin } from '@kvmdev/core/plugin';

const toy = definePlugin({
  name: 'toy-arch',
  version: '1',
  core: '*',
  devices: [],
  profiles: [{ name: 'toy', doc: 'a toy architecture', devices: [], maxVcpus: 4 }],
});
const MiB = 1 << 20;
const config: VmConfig = { arch: 'toy', vcpus: 1, devices: [], memory: [{ gpa: '0x40000000', size: MiB }, { gpa: 0x1000, size: 0x2000 }] };

describe('memory: in a VM config', () => {
  it('is set up with KVM_SET_USER_MEMORY_REGION, one slot per entry, before the vCPUs', () => {
    const host = createHost({ plugins: [toy] });
    const c = composeVm(host, config);
    expect(c.memory.map((s) => [s.slot, s.gpa, s.size])).toEqual([
      [0, 0x40000000, MiB],
      [1, 0x1000, 0x2000],
    ]);
    const kvm = host.vmFor(c.vm.fd);
    if (typeof kvm === 'number') throw new Error('no vm');
    expect(kvm.memslots.list(0).map((s) => [s.id, s.gpa, s.size, s.userspaceAddr])).toEqual([
      [1, 0x1000, 0x2000, c.memory[1]!.userspaceAddr],
      [0, 0x40000000, MiB, c.memory[0]!.userspaceAddr],
    ]);
    // the guest sees the VMM's bytes (kvm_read_guest)
    host.mem.setU32(c.memory[0]!.userspaceAddr + 8, 0xfeedf00d);
    expect(kvm.memory.peekU64(0x40000008)).toBe(0xfeedf00dn);
  });

  it('refuses bad slots naming the field, before anything is created', () => {
    const host = createHost({ plugins: [toy] });
    const v = (memory: unknown) => validateVmConfig(host, { arch: 'toy', vcpus: 1, devices: [], memory });
    expect(v({ gpa: 0 })).toEqual([{ path: 'memory', message: 'expected a list of memory slots { gpa, size }' }]);
    expect(v([7])).toEqual([{ path: 'memory[0]', message: 'expected a memory slot { gpa, size }, got 7' }]);
    expect(v([{ gpa: 0x1001, size: 0x1000 }])).toEqual([{ path: 'memory[0].gpa', message: '0x1001 is not a multiple of the page size (0x1000)' }]);
    expect(v([{ gpa: 0, size: 0x800 }])).toEqual([{ path: 'memory[0].size', message: '0x800 is not a multiple of the page size (0x1000)' }]);
    expect(v([{ gpa: 0, size: 0 }])).toEqual([{ path: 'memory[0].size', message: 'expected a nonzero size' }]);
    expect(v([{ gpa: 'x', size: 0x1000 }])).toEqual([{ path: 'memory[0].gpa', message: 'expected an integer (a number or a 0x... string), got "x"' }]);
    expect(v([{ gpa: 0 }])).toEqual([{ path: 'memory[0].size', message: 'required (a memory slot is { gpa, size })' }]);
    expect(v([{ gpa: 0, size: 0x1000, flags: 1 }])).toEqual([{ path: 'memory[0].flags', message: 'unknown key; a memory slot has gpa, size' }]);
    expect(v([{ gpa: 0x10000, size: 0x10000 }, { gpa: 0x1f000, size: 0x2000 }])).toEqual([
      { path: 'memory[1]', message: '0x1f000..0x20fff overlaps memory[0] (0x10000..0x1ffff)' },
    ]);
    expect(v([{ gpa: 0, size: MAX_VM_MEMORY }, { gpa: MAX_VM_MEMORY, size: 0x1000 }])).toEqual([
      { path: 'memory', message: '0x10001000 bytes of guest memory in all; at most 0x10000000 (256 MiB)' },
    ]);
    const before = host.mem.mmap(0x1000);
    expect(() => composeVm(host, { arch: 'toy', vcpus: 1, devices: [], memory: [{ gpa: 0x1001, size: 0x1000 }] })).toThrow('memory[0].gpa: 0x1001 is not a multiple');
    expect(host.mem.mmap(0x1000)).toBe(before + 0x1000); // nothing mapped by the refused config
    expect(readMemoryConfig(undefined)).toEqual({ slots: [], issues: [] });
  });

  it('a VM with memory snapshots its RAM and restores it onto a VM composed from the same config', () => {
    const a = createHost({ plugins: [toy] });
    const ca = composeVm(a, config);
    const w = readMemStep({ op: 'write', gpa: 0x40000100, size: 8, values: ['0x1122334455667788', 3] }, ca.memory);
    expect(w.issue).toBeUndefined();
    expect(runMemStep(a, w.step!).text).toBe('guest memory: writes 2 u64 at 0x40000100 (0x40000100..0x4000010f)');
    const snap = saveSnapshot(a, ca.vm.fd);
    expect(snap.memory?.slots.map((s) => s.guestPhysAddr)).toEqual(['0x1000', '0x40000000']);
    const b = createHost({ plugins: [toy] });
    const cb = composeVm(b, JSON.parse(JSON.stringify(config)) as VmConfig);
    restoreSnapshot(b, cb.vm.fd, snap);
    const r = readMemStep({ op: 'read', gpa: 0x40000108, size: 8 }, cb.memory).step!;
    expect(runMemStep(b, r)).toEqual({ text: 'guest memory: reads u64 at 0x40000108 = 0x3', value: 3n, fields: { op: 'read', gpa: '0x40000108', size: 8, value: '0x3' } });
    expect(runMemStep(b, readMemStep({ op: 'read', gpa: 0x40000100, size: 2 }, cb.memory).step!).value).toBe(0x7788n);
    // a VM without that memory refuses the image
    const c = createHost({ plugins: [toy] });
    const cc = composeVm(c, { arch: 'toy', vcpus: 1, devices: [] });
    expect(() => restoreSnapshot(c, cc.vm.fd, snap)).toThrow(/memory/);
  });

  it('the mem step is checked against the VM\'s memory', () => {
    const host = createHost({ plugins: [toy] });
    const c = composeVm(host, config);
    const issue = (b: unknown) => readMemStep(b, c.memory).issue;
    expect(issue({ op: 'write', gpa: 0x40000000, size: 8, values: [1], vcpu: 0 })).toEqual({ path: ['vcpu'], message: 'unknown field; mem takes op, gpa, size, values' });
    expect(issue({ op: 'poke', gpa: 0, size: 8 })).toEqual({ path: ['op'], message: 'expected read or write, got "poke"' });
    expect(issue({ op: 'read', gpa: 0x40000000, size: 3 })).toEqual({ path: ['size'], message: 'expected 1, 2, 4 or 8, got 3' });
    expect(issue({ op: 'read', gpa: 0x40000000, size: 4, values: [1] })).toEqual({ path: ['values'], message: 'a read takes no values (it reads one item: check it with an expect step)' });
    expect(issue({ op: 'write', gpa: 0x40000000, size: 4 })).toEqual({ path: ['values'], message: 'required: expected a nonempty list of integers of 4 bytes' });
    expect(issue({ op: 'write', gpa: 0x40000000, size: 1, values: [1, 256] })).toEqual({ path: ['values', 1], message: 'expected an integer from 0x0 to 0xff, got 256' });
    expect(issue({ op: 'write', gpa: 0x400ffff8, size: 8, values: [1, 2] })).toEqual({
      path: ['gpa'],
      message: "0x400ffff8..0x40100007 is not inside one memory slot; the VM's memory is 0x40000000..0x400fffff, 0x1000..0x2fff",
    });
    const bare = composeVm(host, { arch: 'toy', vcpus: 1, devices: [] });
    expect(readMemStep({ op: 'read', gpa: 0, size: 8 }, bare.memory).issue).toEqual({
      path: ['gpa'],
      message: '0x0..0x7 is not inside one memory slot; the VM has no memory (give the VM file a memory: section)',
    });
  });
});
