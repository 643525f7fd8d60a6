/**
 * KVM_SET_USER_MEMORY_REGION(2): every errno path of kvm_vm_ioctl_set_memory_region /
 * kvm_set_memory_region in the kernel's order, the slot changes (create, delete, move,
 * flags-only, no-op), the caps, and guest-physical access through the slots.
 */
import fc from 'fast-check';
import {
  EEXIST,
  EFAULT,
  EINVAL,
  KVM_CAP_MULTI_ADDRESS_SPACE,
  KVM_CAP_NR_MEMSLOTS,
  KVM_CAP_READONLY_MEM,
  KVM_CAP_USER_MEMORY2,
  KVM_CHECK_EXTENSION,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_MAX_NR_PAGES,
  KVM_MEM_READONLY,
  KVM_SET_USER_MEMORY_REGION,
  KVM_SET_USER_MEMORY_REGION2,
  createHost,
  isKvmError,
  kvm_userspace_memory_region,
  type KvmUserspaceMemoryRegion,
} from '@kvmdev/core';
import type { MemSlot } from '@kvmdev/core/plugin';
import { ioctlErr, openVm } from './fixtures/sys.js';

const PAGE = 4096n;

function world(opts: { readonly?: boolean } = {}) {
  const host = createHost();
  const { kvm, vm } = openVm(host);
  const v = host.vmOf(vm);
  if (opts.readonly) v.memslots.config.readonlyMem = true;
  const buf = host.mem.alloc(160);
  const set = (r: Partial<KvmUserspaceMemoryRegion>, v2 = false): number => {
    const full: KvmUserspaceMemoryRegion = { slot: 0, flags: 0, guestPhysAddr: 0n, memorySize: PAGE, userspaceAddr: 0x10000n, ...r };
    kvm_userspace_memory_region.write(host.mem, buf, full, v2);
    return ioctlErr(host, vm, v2 ? KVM_SET_USER_MEMORY_REGION2 : KVM_SET_USER_MEMORY_REGION, buf);
  };
  const slots = (): string => v.memslots.list().map((s) => `${s.id}@${s.gpa.toString(16)}+${s.size.toString(16)}`).join(' ');
  return { host, kvm, vm, v, set, slots, buf };
}

describe('KVM_SET_USER_MEMORY_REGION errno paths', () => {
  test('a struct that is not mapped is EFAULT (v1 reads 32 bytes, v2 160)', () => {
    const { host, vm } = world();
    expect(ioctlErr(host, vm, KVM_SET_USER_MEMORY_REGION, 0)).toBe(-EFAULT);
    const end = host.mem.alloc(32); // the last bytes of user memory
    kvm_userspace_memory_region.write(host.mem, end, { slot: 0, flags: 0, guestPhysAddr: 0n, memorySize: PAGE, userspaceAddr: 0x10000n });
    expect(ioctlErr(host, vm, KVM_SET_USER_MEMORY_REGION2, end)).toBe(-EFAULT);
    expect(ioctlErr(host, vm, KVM_SET_USER_MEMORY_REGION, end)).toBe(0);
  });

  test('flags: v1 takes only LOG_DIRTY_PAGES|READONLY; READONLY needs the arch; GUEST_MEMFD needs private memory', () => {
    const w = world();
    expect(w.set({ flags: KVM_MEM_GUEST_MEMFD })).toBe(-EINVAL);
    expect(w.set({ flags: 1 << 3 }, true)).toBe(-EINVAL);
    expect(w.set({ flags: KVM_MEM_READONLY })).toBe(-EINVAL); // no readonly memslots on this arch
    expect(w.set({ flags: KVM_MEM_GUEST_MEMFD }, true)).toBe(-EINVAL);
    expect(w.slots()).toBe('');
    expect(w.set({ flags: KVM_MEM_LOG_DIRTY_PAGES })).toBe(0);
    const r = world({ readonly: true });
    expect(r.set({ flags: KVM_MEM_READONLY })).toBe(0);
    expect(r.set({ slot: 1, flags: KVM_MEM_READONLY | KVM_MEM_GUEST_MEMFD, guestPhysAddr: 0x100000n }, true)).toBe(-EINVAL);
  });

  test('slot id: user slots only (KVM_USER_MEM_SLOTS), address space beyond the arch', () => {
    const w = world();
    expect(w.set({ slot: 32767 })).toBe(-EINVAL);
    expect(w.set({ slot: 32766 })).toBe(0);
    expect(w.set({ slot: 1 << 16, guestPhysAddr: 0x100000n })).toBe(-EINVAL); // as_id 1, one address space
    w.v.memslots.config.privateSlots = 3; // an arch with internal slots (x86: 3)
    expect(w.set({ slot: 32764, guestPhysAddr: 0x200000n })).toBe(-EINVAL);
    expect(w.set({ slot: 32763, guestPhysAddr: 0x200000n })).toBe(0);
  });

  test('alignment of size, guest address and user address; the user range below TASK_SIZE', () => {
    const w = world();
    expect(w.set({ memorySize: 0x1800n })).toBe(-EINVAL);
    expect(w.set({ guestPhysAddr: 0x800n })).toBe(-EINVAL);
    expect(w.set({ userspaceAddr: 0x10008n })).toBe(-EINVAL);
    expect(w.set({ userspaceAddr: (1n << 48n) - PAGE, memorySize: 2n * PAGE })).toBe(-EINVAL);
    expect(w.set({ userspaceAddr: (1n << 48n) - PAGE, memorySize: PAGE })).toBe(0); // not mapped yet: fine
    expect(w.set({ slot: 1, userspaceAddr: 0xff00_0000_0000_0000n, guestPhysAddr: 0x100000n })).toBe(-EINVAL); // tagged/kernel
  });

  test('guest range wrap and the dirty-bitmap size limit', () => {
    const w = world();
    expect(w.set({ guestPhysAddr: (1n << 64n) - PAGE, memorySize: PAGE })).toBe(-EINVAL);
    expect(w.set({ guestPhysAddr: (1n << 64n) - 2n * PAGE, memorySize: PAGE })).toBe(0);
    const big = BigInt(KVM_MEM_MAX_NR_PAGES + 1) * PAGE;
    expect(w.set({ slot: 1, guestPhysAddr: 0n, memorySize: big, userspaceAddr: 0x10000n })).toBe(-EINVAL);
    expect(w.set({ slot: 1, guestPhysAddr: 0n, memorySize: big - PAGE, userspaceAddr: 0x10000n })).toBe(0);
  });

  test('size 0 deletes; deleting a slot that does not exist is EINVAL', () => {
    const w = world();
    expect(w.set({ slot: 5, memorySize: 0n })).toBe(-EINVAL);
    expect(w.set({ slot: 5 })).toBe(0);
    expect(w.set({ slot: 5, memorySize: 0n, guestPhysAddr: 0x123000n, userspaceAddr: 0n })).toBe(0); // other fields ignored
    expect(w.slots()).toBe('');
    expect(w.set({ slot: 5, memorySize: 0n })).toBe(-EINVAL);
    expect(w.set({ slot: 5, guestPhysAddr: 0x2000n, memorySize: 2n * PAGE, userspaceAddr: 0x20000n })).toBe(0); // re-created freely
    expect(w.slots()).toBe('5@2000+2000');
  });

  test('overlap with another slot is EEXIST, for a create and for a move; touching is fine', () => {
    const w = world();
    expect(w.set({ slot: 0, guestPhysAddr: 0x10000n, memorySize: 0x10000n })).toBe(0);
    expect(w.set({ slot: 1, guestPhysAddr: 0x1f000n, memorySize: 0x2000n, userspaceAddr: 0x40000n })).toBe(-EEXIST);
    expect(w.set({ slot: 1, guestPhysAddr: 0x0n, memorySize: 0x100000n, userspaceAddr: 0x40000n })).toBe(-EEXIST);
    expect(w.set({ slot: 1, guestPhysAddr: 0x20000n, memorySize: 0x2000n, userspaceAddr: 0x40000n })).toBe(0);
    expect(w.set({ slot: 1, guestPhysAddr: 0x8000n, memorySize: 0x2000n, userspaceAddr: 0x40000n })).toBe(0); // move below slot 0
    expect(w.set({ slot: 1, guestPhysAddr: 0xf000n, memorySize: 0x2000n, userspaceAddr: 0x40000n })).toBe(-EEXIST); // move onto it
    expect(w.slots()).toBe('1@8000+2000 0@10000+10000');
  });

  test('modifying a slot: no resize, no new user address, no readonly flip; move and flags-only work; same request is a no-op', () => {
    const w = world({ readonly: true });
    const base = { slot: 2, guestPhysAddr: 0x100000n, memorySize: 0x4000n, userspaceAddr: 0x80000n };
    expect(w.set(base)).toBe(0);
    const gen = w.v.memslots.generation;
    expect(w.set(base)).toBe(0);
    expect(w.v.memslots.generation).toBe(gen); // nothing to change
    expect(w.set({ ...base, memorySize: 0x8000n })).toBe(-EINVAL);
    expect(w.set({ ...base, userspaceAddr: 0x90000n })).toBe(-EINVAL);
    expect(w.set({ ...base, flags: KVM_MEM_READONLY })).toBe(-EINVAL);
    expect(w.set({ ...base, flags: KVM_MEM_LOG_DIRTY_PAGES })).toBe(0);
    expect(w.v.memslots.byId(0, 2)?.dirty).not.toBeNull();
    expect(w.set({ ...base, guestPhysAddr: 0x200000n })).toBe(0);
    expect(w.slots()).toBe('2@200000+4000');
    expect(w.v.memslots.byId(0, 2)?.flags).toBe(0);
  });

  test('the arch hook runs after the generic checks and can refuse (arm64: EFAULT beyond the IPA space)', () => {
    const w = world();
    const seen: string[] = [];
    w.v.memslots.config.prepare = (change, s: MemSlot) => (seen.push(`${change} ${s.gpa.toString(16)}`), s.gpa + s.size > 1 << 30 ? -EFAULT : 0);
    expect(w.set({ guestPhysAddr: 0x3fff_f000n, memorySize: 2n * PAGE })).toBe(-EFAULT);
    expect(w.set({ guestPhysAddr: 0x1000n, memorySize: 0x1800n })).toBe(-EINVAL); // generic check first: the hook is not asked
    expect(w.set({ guestPhysAddr: 0x1000n })).toBe(0);
    expect(w.set({ guestPhysAddr: 0x1000n, memorySize: 0n })).toBe(0);
    expect(seen).toEqual(['create 3ffff000', 'create 1000']); // a delete does not ask
  });

  test('caps: NR_MEMSLOTS, USER_MEMORY2, READONLY_MEM per arch, MULTI_ADDRESS_SPACE absent with one space', () => {
    const w = world();
    const cap = (fd: number, c: number) => w.host.ioctl(fd, KVM_CHECK_EXTENSION, c);
    expect(cap(w.kvm, KVM_CAP_NR_MEMSLOTS)).toBe(32767);
    expect(cap(w.vm, KVM_CAP_NR_MEMSLOTS)).toBe(32767);
    expect(cap(w.vm, KVM_CAP_USER_MEMORY2)).toBe(1);
    expect(cap(w.vm, KVM_CAP_MULTI_ADDRESS_SPACE)).toBe(0);
    expect(cap(w.vm, KVM_CAP_READONLY_MEM)).toBe(0);
    w.v.memslots.config.readonlyMem = true;
    expect(cap(w.vm, KVM_CAP_READONLY_MEM)).toBe(1);
  });

  test('the typed API takes numbers or bigints and throws the same errno', () => {
    const host = createHost();
    const vm = host.createVm();
    const ram = host.mem.mmap(0x10000);
    vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0x4000_0000, memorySize: 0x10000, userspaceAddr: ram });
    const err = (fn: () => void): number => {
      try {
        fn();
        return 0;
      } catch (e) {
        if (!isKvmError(e)) throw e;
        return e.errno;
      }
    };
    expect(err(() => vm.setUserMemoryRegion({ slot: 1, guestPhysAddr: 0x4000_8000n, memorySize: 0x1000n, userspaceAddr: ram }))).toBe(EEXIST);
    expect(err(() => vm.setUserMemoryRegion({ slot: 1, guestPhysAddr: 0.5, memorySize: 0x1000, userspaceAddr: ram }))).toBe(EINVAL);
    expect(err(() => vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_GUEST_MEMFD, guestPhysAddr: 0, memorySize: 0x1000, userspaceAddr: ram }))).toBe(EINVAL);
    expect(err(() => vm.setUserMemoryRegion2({ slot: 1, flags: KVM_MEM_GUEST_MEMFD, guestPhysAddr: 0, memorySize: 0x1000, userspaceAddr: ram, guestMemfd: 9 }))).toBe(EINVAL);
    vm.setUserMemoryRegion2({ slot: 1, guestPhysAddr: 0, memorySize: 0x1000, userspaceAddr: ram });
    expect(vm.vm.memslots.list().length).toBe(2);
  });
});

describe('guest-physical access through the slots (kvm_read_guest / kvm_write_guest)', () => {
  function ramWorld() {
    const w = world({ readonly: true });
    const a = w.host.mem.mmap(0x2000);
    const b = w.host.mem.mmap(0x1000);
    expect(w.set({ slot: 0, guestPhysAddr: 0x8000_0000n, memorySize: 0x2000n, userspaceAddr: BigInt(a) })).toBe(0);
    expect(w.set({ slot: 1, guestPhysAddr: 0x8000_2000n, memorySize: 0x1000n, userspaceAddr: BigInt(b), flags: KVM_MEM_READONLY })).toBe(0);
    return { ...w, a, b, g: w.v.memory };
  }

  test('reads and writes land in the backing user memory; an access may span two slots', () => {
    const { host, a, b, g } = ramWorld();
    host.mem.setU32(a + 0x1ffc, 0x11223344);
    host.mem.setU32(b, 0x55667788);
    const out = new Uint32Array(2);
    expect(g.readU64(0x8000_1ffc, out)).toBe(0);
    expect([out[0], out[1]]).toEqual([0x11223344, 0x55667788]);
    expect(g.writeU8(0x8000_0010, 0xab)).toBe(0);
    expect(host.mem.getU8(a + 0x10)).toBe(0xab);
    expect(g.readU8(0x8000_0010)).toBe(0xab);
  });

  test('unmapped guest pages, unmapped user pages and read-only slots fault with EFAULT', () => {
    const { host, set, g } = ramWorld();
    expect(g.readU8(0x7fff_ffff)).toBe(-EFAULT);
    expect(g.readU8(0x8000_3000)).toBe(-EFAULT);
    expect(g.writeU8(0x8000_2000, 1)).toBe(-EFAULT); // KVM_MEM_READONLY
    expect(g.readU8(0x8000_2000)).toBe(0);
    const out = new Uint32Array([7, 7]);
    expect(g.readU64(0x8000_2ffc, out)).toBe(-EFAULT); // runs off the end
    expect([out[0], out[1]]).toEqual([7, 7]);
    // a slot whose user memory is not mapped (the kernel only checks access_ok at SET time)
    expect(set({ slot: 3, guestPhysAddr: 0x9000_0000n, memorySize: PAGE, userspaceAddr: 0x7000_0000_0000n })).toBe(0);
    expect(g.readU8(0x9000_0000)).toBe(-EFAULT);
    expect(g.isVisible(0x9000_0000)).toBe(true);
    expect(g.isVisible(0x9000_1000)).toBe(false);
    void host;
  });

  test('kernel writes mark the pages of a dirty-logging slot', () => {
    const w = world();
    const ram = w.host.mem.mmap(0x4000);
    expect(w.set({ slot: 0, guestPhysAddr: 0n, memorySize: 0x4000n, userspaceAddr: BigInt(ram), flags: KVM_MEM_LOG_DIRTY_PAGES })).toBe(0);
    const g = w.v.memory;
    g.writeU64(0x2ffc, 1, 2); // pages 2 and 3
    g.readU8(0x0);
    expect(w.v.memslots.byId(0, 0)!.dirty![0]).toBe(0b1100);
  });
});

describe('memory-slot state machine (property)', () => {
  /** A reference model of the kernel's rules, independent of the implementation's data layout. */
  interface RefSlot {
    gpa: bigint;
    size: bigint;
    uaddr: bigint;
    flags: number;
  }
  function refSet(m: Map<number, RefSlot>, r: KvmUserspaceMemoryRegion): number {
    const id = r.slot & 0xffff;
    if (id >= 32767 || r.slot >>> 16) return -EINVAL;
    if (r.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) return -EINVAL;
    if (r.memorySize % PAGE || r.guestPhysAddr % PAGE || r.userspaceAddr % PAGE) return -EINVAL;
    if (r.userspaceAddr + r.memorySize > 1n << 48n) return -EINVAL;
    if (r.guestPhysAddr + r.memorySize >= 1n << 64n) return -EINVAL;
    const old = m.get(id);
    if (r.memorySize === 0n) {
      if (!old) return -EINVAL;
      m.delete(id);
      return 0;
    }
    const n: RefSlot = { gpa: r.guestPhysAddr, size: r.memorySize, uaddr: r.userspaceAddr, flags: r.flags };
    if (old) {
      if (old.uaddr !== n.uaddr || old.size !== n.size || (old.flags ^ n.flags) & KVM_MEM_READONLY) return -EINVAL;
      if (old.gpa === n.gpa) {
        m.set(id, n);
        return 0;
      }
    }
    for (const [k, s] of m) if (k !== id && n.gpa < s.gpa + s.size && n.gpa + n.size > s.gpa) return -EEXIST;
    m.set(id, n);
    return 0;
  }

  test('random requests: same errno as the reference, rejected requests change nothing, slots never overlap', () => {
    const req = fc.record({
      slot: fc.oneof(fc.nat(4), fc.constantFrom(32766, 32767, 1 << 16)),
      flags: fc.constantFrom(0, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, 4),
      guestPhysAddr: fc.oneof(fc.nat(16).map((p) => BigInt(p) * PAGE), fc.constant(0x800n), fc.constant((1n << 64n) - PAGE)),
      memorySize: fc.oneof(fc.nat(6).map((p) => BigInt(p) * PAGE), fc.constant(0x1001n)),
      userspaceAddr: fc.oneof(fc.nat(4).map((p) => 0x100000n + BigInt(p) * 0x10000n), fc.constant(0x100008n)),
    });
    fc.assert(
      fc.property(fc.array(req, { minLength: 1, maxLength: 30 }), (reqs) => {
        const w = world({ readonly: true });
        const ref = new Map<number, RefSlot>();
        for (const r of reqs) {
          const before = w.slots();
          const got = w.set(r);
          expect(got).toBe(refSet(ref, r));
          if (got < 0) expect(w.slots()).toBe(before);
          const list = w.v.memslots.list();
          for (let i = 1; i < list.length; i++) expect(list[i - 1]!.gpa + list[i - 1]!.size).toBeLessThanOrEqual(list[i]!.gpa);
        }
        expect(new Set(w.v.memslots.list().map((s) => s.id))).toEqual(new Set(ref.keys()));
      }),
      { numRuns: 200, seed: 15 },
    );
  });
});

