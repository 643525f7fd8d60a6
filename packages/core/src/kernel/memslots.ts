/**
 * Memory slots (`struct kvm_memslots`): the guest-physical layout of a VM, set with
 * KVM_SET_USER_MEMORY_REGION(2), with the checks of kvm_set_memory_region in the kernel's order:
 * flags, alignment of size, guest address and user address, the user range (access_ok), slot id
 * and address space, wrap, the size limit, then delete / create / move / flags-only with their
 * rules (EINVAL for a resize or a readonly flip, EEXIST for an overlap), then the arch's check.
 * @packageDocumentation
 */
import { EEXIST, EINVAL, EIO } from '../uapi/errno.js';
import {
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_MAX_NR_PAGES,
  KVM_MEM_READONLY,
  KVM_MEM_SLOTS_NUM,
  KVM_PAGE_SIZE,
} from '../uapi/kvm.js';

/** One memory slot: `npages` pages of guest-physical memory at `gpa`, backed by user memory at `userspaceAddr`. */
export interface MemSlot {
  /** Address space (slot >> 16). */
  readonly asId: number;
  /** Slot id (slot & 0xffff). */
  readonly id: number;
  /** The slot's flags (KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, KVM_MEM_GUEST_MEMFD). */
  readonly flags: number;
  /** Guest physical base (page aligned). */
  readonly gpa: number;
  /** Size in bytes (page aligned, > 0). */
  readonly size: number;
  /** Host (user) address of the first byte. */
  readonly userspaceAddr: number;
  /**
   * The dirty bitmap (one bit per page) of a KVM_MEM_LOG_DIRTY_PAGES slot, set by the kernel's
   * own writes to guest memory (device tables, pending bits), or null.
   */
  readonly dirty: Uint32Array | null;
}

/** What a slot update does (`enum kvm_mr_change`). */
export type MemRegionChange = 'create' | 'delete' | 'move' | 'flags-only';

/** A decoded KVM_SET_USER_MEMORY_REGION(2) request, u64 fields as bigints (straight from the struct). */
export interface MemRegionRequest {
  /** `as_id << 16 | slot id`. */
  readonly slot: number;
  /** KVM_MEM_* flags. */
  readonly flags: number;
  /** Guest physical base. */
  readonly guestPhysAddr: bigint;
  /** Size in bytes. */
  readonly memorySize: bigint;
  /** Host virtual base in the process's user memory. */
  readonly userspaceAddr: bigint;
  /** REGION2's guest_memfd_offset (0 for REGION). */
  readonly guestMemfdOffset: bigint;
  /** REGION2's guest_memfd (0 for REGION). */
  readonly guestMemfd: number;
}

/** The arch's part of a slot update (kvm_arch_prepare_memory_region): 0 or -errno. */
export type PrepareMemoryRegion = (change: MemRegionChange, slot: MemSlot) => number;

/** Per-arch memory-slot facts a plugin sets on a VM (from its `vmCreated` hook). */
export interface MemSlotConfig {
  /** kvm_arch_nr_memslot_as_ids: address spaces (1 on every arch but x86 with SMM). */
  addressSpaces: number;
  /** kvm_arch_has_readonly_mem: whether KVM_MEM_READONLY is a valid flag. */
  readonlyMem: boolean;
  /** KVM_PRIVATE_MEM_SLOTS of the arch: ids at or above `KVM_MEM_SLOTS_NUM - privateSlots` are internal. */
  privateSlots: number;
  /** The arch's kvm_arch_prepare_memory_region (arm64: EFAULT beyond the IPA space), or null. */
  prepare: PrepareMemoryRegion | null;
}

const U64 = 1n << 64n;
const PAGE = BigInt(KVM_PAGE_SIZE);

/** The memory slots of one VM, every address space. */
export class MemSlots {
  /** What the architecture allows: address spaces, read-only slots, private slots, and a hook run before a slot changes. */
  readonly config: MemSlotConfig = { addressSpaces: 1, readonlyMem: false, privateSlots: 0, prepare: null };
  /** access_ok's TASK_SIZE of the process (the user address space's upper bound). */
  private readonly taskSize: bigint;
  /** Slots by address space, sorted by gpa (no overlaps within a space). */
  private readonly spaces: MemSlot[][] = [[]];
  /** Last slot found by `find` in address space 0 (lookups of one table hit the same slot). */
  private last: MemSlot | null = null;
  /** `kvm->nr_memslot_pages`. */
  private pages = 0;
  /** Bumped on every change (kvm_memslots generation). */
  generation = 0;

  constructor(taskSize: bigint) {
    this.taskSize = taskSize;
  }

  /** KVM_USER_MEM_SLOTS of this VM's arch (what KVM_CAP_NR_MEMSLOTS reports). */
  get userSlots(): number {
    return KVM_MEM_SLOTS_NUM - this.config.privateSlots;
  }

  /** The slots of one address space, in address order. */
  list(asId = 0): readonly MemSlot[] {
    return this.spaces[asId] ?? [];
  }

  /** The slot with this id in address space `asId`, or null. */
  byId(asId: number, id: number): MemSlot | null {
    for (const s of this.spaces[asId] ?? []) if (s.id === id) return s;
    return null;
  }

  /** The slot of address space 0 that contains `gpa`, or null (no allocation). */
  find(gpa: number): MemSlot | null {
    const l = this.last;
    if (l !== null && gpa >= l.gpa && gpa < l.gpa + l.size) return l;
    const rs = this.spaces[0]!;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (gpa < r.gpa) hi = mid - 1;
      else if (gpa >= r.gpa + r.size) lo = mid + 1;
      else {
        this.last = r;
        return r;
      }
    }
    return null;
  }

  /**
   * kvm_vm_ioctl_set_memory_region + kvm_set_memory_region: 0 or -errno. A rejected request
   * changes nothing.
   */
  set(req: MemRegionRequest): number {
    const c = this.config;
    const asId = req.slot >>> 16;
    const id = req.slot & 0xffff;
    if (id >= this.userSlots) return -EINVAL; // kvm_vm_ioctl_set_memory_region: user slots only
    // check_memory_region_flags (no guest_memfd: no arch here has private memory)
    let valid = KVM_MEM_LOG_DIRTY_PAGES;
    if (c.readonlyMem && !(req.flags & KVM_MEM_GUEST_MEMFD)) valid |= KVM_MEM_READONLY;
    if (req.flags & ~valid) return -EINVAL;
    const size = req.memorySize;
    const gpa = req.guestPhysAddr;
    const uaddr = req.userspaceAddr;
    if (size % PAGE !== 0n) return -EINVAL;
    if (gpa % PAGE !== 0n) return -EINVAL;
    if (uaddr % PAGE !== 0n || size > this.taskSize || uaddr > this.taskSize - size) return -EINVAL;
    if (asId >= c.addressSpaces || id >= KVM_MEM_SLOTS_NUM) return -EINVAL;
    if (gpa + size >= U64) return -EINVAL;
    if (size / PAGE > BigInt(KVM_MEM_MAX_NR_PAGES)) return -EINVAL;
    while (this.spaces.length <= asId) this.spaces.push([]);
    const space = this.spaces[asId]!;
    const old = space.find((s) => s.id === id) ?? null;
    if (size === 0n) {
      if (old === null) return -EINVAL;
      if (this.pages < old.size / KVM_PAGE_SIZE) return -EIO;
      return this.commit(space, old, null, 'delete');
    }
    const slot: MemSlot = {
      asId,
      id,
      flags: req.flags,
      gpa: Number(gpa),
      size: Number(size),
      userspaceAddr: Number(uaddr),
      dirty: req.flags & KVM_MEM_LOG_DIRTY_PAGES ? (old?.dirty ?? new Uint32Array(Math.ceil(Number(size / PAGE) / 32))) : null,
    };
    let change: MemRegionChange;
    if (old === null) {
      change = 'create';
    } else {
      if (slot.userspaceAddr !== old.userspaceAddr || slot.size !== old.size || (slot.flags ^ old.flags) & (KVM_MEM_READONLY | KVM_MEM_GUEST_MEMFD))
        return -EINVAL;
      if (slot.gpa !== old.gpa) change = 'move';
      else if (slot.flags !== old.flags) change = 'flags-only';
      else return 0;
    }
    if ((change === 'create' || change === 'move') && this.overlaps(space, id, slot.gpa, slot.gpa + slot.size)) return -EEXIST;
    const r = c.prepare ? c.prepare(change, slot) : 0;
    if (r < 0) return r;
    return this.commit(space, old, slot, change);
  }

  private overlaps(space: readonly MemSlot[], id: number, start: number, end: number): boolean {
    for (const s of space) if (s.id !== id && start < s.gpa + s.size && end > s.gpa) return true;
    return false;
  }

  private commit(space: MemSlot[], old: MemSlot | null, slot: MemSlot | null, _change: MemRegionChange): number {
    if (old !== null) {
      space.splice(space.indexOf(old), 1);
      this.pages -= old.size / KVM_PAGE_SIZE;
    }
    if (slot !== null) {
      let i = 0;
      while (i < space.length && space[i]!.gpa < slot.gpa) i++;
      space.splice(i, 0, slot);
      this.pages += slot.size / KVM_PAGE_SIZE;
    }
    this.last = null;
    this.generation++;
    return 0;
  }

  /** Drops every slot (VM teardown). */
  clear(): void {
    for (const s of this.spaces) s.length = 0;
    this.pages = 0;
    this.last = null;
    this.generation++;
  }
}
