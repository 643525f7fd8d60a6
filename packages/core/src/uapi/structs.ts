/**
 * Codecs for the uapi structs, over a user address space: `read*` decodes from a user address,
 * `write*` encodes to one. Offsets and sizes follow include/uapi/linux/kvm.h exactly.
 * @packageDocumentation
 */

/**
 * The little-endian accessors a struct codec needs from a user address space (the host's
 * `UserMemory` is one). Each throws a `KvmError` (EFAULT) on a bad address.
 */
export interface StructMemory {
  /** Reads a little-endian u32. */
  getU32(addr: number): number;
  /** Writes a little-endian u32. */
  setU32(addr: number, value: number): void;
  /** Reads a little-endian u64. */
  getU64(addr: number): bigint;
  /** Writes a little-endian u64. */
  setU64(addr: number, value: bigint | number): void;
  /** Fills `len` bytes with `byte`. */
  fill(addr: number, len: number, byte: number): void;
}

/** struct kvm_create_device (12 bytes): type@0, fd@4 (out), flags@8. */
export interface KvmCreateDevice {
  /** KVM_DEV_TYPE_* (in). */
  type: number;
  /** The new device fd (out; written on a real create). */
  fd: number;
  /** KVM_CREATE_DEVICE_TEST or 0 (in). */
  flags: number;
}
/** Codec of struct kvm_create_device. */
export const kvm_create_device = {
  size: 12,
  read(mem: StructMemory, addr: number): KvmCreateDevice {
    return { type: mem.getU32(addr), fd: mem.getU32(addr + 4), flags: mem.getU32(addr + 8) };
  },
  write(mem: StructMemory, addr: number, v: KvmCreateDevice): void {
    mem.setU32(addr, v.type);
    mem.setU32(addr + 4, v.fd);
    mem.setU32(addr + 8, v.flags);
  },
} as const;

/** struct kvm_device_attr (24 bytes): flags@0, group@4, attr u64@8, addr u64@16. */
export interface KvmDeviceAttrStruct {
  /** Must be 0. */
  flags: number;
  /** Attribute group (device-defined). */
  group: number;
  /** Attribute id within the group (device-defined). */
  attr: bigint;
  /** User address of the payload (u64 pointer). */
  addr: bigint;
}
/** Codec of struct kvm_device_attr. */
export const kvm_device_attr = {
  size: 24,
  read(mem: StructMemory, addr: number): KvmDeviceAttrStruct {
    return {
      flags: mem.getU32(addr),
      group: mem.getU32(addr + 4),
      attr: mem.getU64(addr + 8),
      addr: mem.getU64(addr + 16),
    };
  },
  write(mem: StructMemory, addr: number, v: KvmDeviceAttrStruct): void {
    mem.setU32(addr, v.flags);
    mem.setU32(addr + 4, v.group);
    mem.setU64(addr + 8, v.attr);
    mem.setU64(addr + 16, v.addr);
  },
} as const;

/** struct kvm_irq_level (8 bytes): irq (or status, out) @0, level @4. */
export interface KvmIrqLevel {
  /** The IRQ (in), or the status of KVM_IRQ_LINE_STATUS (out, s32). */
  irq: number;
  /** The line level (0 or 1; ppc also KVM_INTERRUPT_SET etc.). */
  level: number;
}
/** Codec of struct kvm_irq_level. */
export const kvm_irq_level = {
  size: 8,
  read(mem: StructMemory, addr: number): KvmIrqLevel {
    return { irq: mem.getU32(addr), level: mem.getU32(addr + 4) };
  },
  write(mem: StructMemory, addr: number, v: KvmIrqLevel): void {
    mem.setU32(addr, v.irq);
    mem.setU32(addr + 4, v.level);
  },
} as const;

/** struct kvm_enable_cap (104 bytes): cap@0, flags@4, args[4] u64 @8, pad[64]. */
export interface KvmEnableCap {
  /** The KVM_CAP_* number. */
  cap: number;
  /** Must be 0. */
  flags: number;
  /** The four u64 arguments. */
  args: [bigint, bigint, bigint, bigint];
}
/** Codec of struct kvm_enable_cap. */
export const kvm_enable_cap = {
  size: 104,
  read(mem: StructMemory, addr: number): KvmEnableCap {
    return {
      cap: mem.getU32(addr),
      flags: mem.getU32(addr + 4),
      args: [mem.getU64(addr + 8), mem.getU64(addr + 16), mem.getU64(addr + 24), mem.getU64(addr + 32)],
    };
  },
  write(mem: StructMemory, addr: number, v: KvmEnableCap): void {
    mem.setU32(addr, v.cap);
    mem.setU32(addr + 4, v.flags);
    for (let i = 0; i < 4; i++) mem.setU64(addr + 8 + 8 * i, v.args[i] ?? 0n);
  },
} as const;

/** struct kvm_one_reg (16 bytes): id u64@0, addr u64@8. */
export interface KvmOneReg {
  /** The register id (KVM_REG_<arch> | KVM_REG_SIZE_* | index). */
  id: bigint;
  /** User address of the value. */
  addr: bigint;
}
/** Codec of struct kvm_one_reg. */
export const kvm_one_reg = {
  size: 16,
  read(mem: StructMemory, addr: number): KvmOneReg {
    return { id: mem.getU64(addr), addr: mem.getU64(addr + 8) };
  },
  write(mem: StructMemory, addr: number, v: KvmOneReg): void {
    mem.setU64(addr, v.id);
    mem.setU64(addr + 8, v.addr);
  },
} as const;

/** struct kvm_msi (32 bytes): address_lo@0, address_hi@4, data@8, flags@12, devid@16, pad[12]. */
export interface KvmMsi {
  /** MSI address bits 31:0. */
  addressLo: number;
  /** MSI address bits 63:32. */
  addressHi: number;
  /** MSI data (payload). */
  data: number;
  /** 0 or KVM_MSI_VALID_DEVID. */
  flags: number;
  /** Device id, meaningful with KVM_MSI_VALID_DEVID. */
  devid: number;
}
/** Codec of struct kvm_msi. */
export const kvm_msi = {
  size: 32,
  read(mem: StructMemory, addr: number): KvmMsi {
    return {
      addressLo: mem.getU32(addr),
      addressHi: mem.getU32(addr + 4),
      data: mem.getU32(addr + 8),
      flags: mem.getU32(addr + 12),
      devid: mem.getU32(addr + 16),
    };
  },
  write(mem: StructMemory, addr: number, v: KvmMsi): void {
    mem.setU32(addr, v.addressLo);
    mem.setU32(addr + 4, v.addressHi);
    mem.setU32(addr + 8, v.data);
    mem.setU32(addr + 12, v.flags);
    mem.setU32(addr + 16, v.devid);
  },
} as const;

/** One struct kvm_irq_routing_entry (48 bytes): gsi@0, type@4, flags@8, pad@12, union u @16. */
export type KvmIrqRoutingEntry =
  | { gsi: number; type: 1; flags: number; irqchip: number; pin: number }
  | { gsi: number; type: 2; flags: number; addressLo: number; addressHi: number; data: number; devid: number }
  | { gsi: number; type: number; flags: number; raw: readonly number[] };

/** struct kvm_irq_routing: nr@0, flags@4, then nr 48-byte entries @8. */
export const kvm_irq_routing = {
  headerSize: 8,
  entrySize: 48,
  /** Total size of a routing table with `nr` entries. */
  sizeOf(nr: number): number {
    return 8 + 48 * nr;
  },
  readEntry(mem: StructMemory, addr: number): KvmIrqRoutingEntry {
    const gsi = mem.getU32(addr);
    const type = mem.getU32(addr + 4);
    const flags = mem.getU32(addr + 8);
    const u = addr + 16;
    if (type === 1) return { gsi, type: 1, flags, irqchip: mem.getU32(u), pin: mem.getU32(u + 4) };
    if (type === 2)
      return {
        gsi,
        type: 2,
        flags,
        addressLo: mem.getU32(u),
        addressHi: mem.getU32(u + 4),
        data: mem.getU32(u + 8),
        devid: mem.getU32(u + 12),
      };
    const raw: number[] = [];
    for (let i = 0; i < 8; i++) raw.push(mem.getU32(u + 4 * i));
    return { gsi, type, flags, raw };
  },
  /** Writes a whole table (header and entries) at `addr`. */
  write(mem: StructMemory, addr: number, entries: readonly KvmIrqRoutingEntry[], flags = 0): void {
    mem.setU32(addr, entries.length);
    mem.setU32(addr + 4, flags);
    entries.forEach((e, i) => {
      const a = addr + 8 + 48 * i;
      mem.fill(a, 48, 0);
      mem.setU32(a, e.gsi);
      mem.setU32(a + 4, e.type);
      mem.setU32(a + 8, e.flags);
      const u = a + 16;
      if ('pin' in e) {
        mem.setU32(u, e.irqchip);
        mem.setU32(u + 4, e.pin);
      } else if ('data' in e) {
        mem.setU32(u, e.addressLo);
        mem.setU32(u + 4, e.addressHi);
        mem.setU32(u + 8, e.data);
        mem.setU32(u + 12, e.devid);
      } else {
        e.raw.forEach((w, j) => mem.setU32(u + 4 * j, w));
      }
    });
  },
} as const;

/** struct kvm_vcpu_init (32 bytes): target@0, features[7]@4. */
export interface KvmVcpuInit {
  /** KVM_ARM_TARGET_* (from KVM_ARM_PREFERRED_TARGET). */
  target: number;
  /** Seven u32 feature bitmaps (KVM_ARM_VCPU_*). */
  features: number[];
}
/** Codec of struct kvm_vcpu_init. */
export const kvm_vcpu_init = {
  size: 32,
  read(mem: StructMemory, addr: number): KvmVcpuInit {
    const features: number[] = [];
    for (let i = 0; i < 7; i++) features.push(mem.getU32(addr + 4 + 4 * i));
    return { target: mem.getU32(addr), features };
  },
  write(mem: StructMemory, addr: number, v: KvmVcpuInit): void {
    mem.setU32(addr, v.target);
    for (let i = 0; i < 7; i++) mem.setU32(addr + 4 + 4 * i, v.features[i] ?? 0);
  },
} as const;

/** struct kvm_arm_device_addr (16 bytes): id u64@0, addr u64@8. */
export interface KvmArmDeviceAddr {
  /** KVM_ARM_DEVICE_* id (device id << 16 | address type). */
  id: bigint;
  /** The guest-physical base address. */
  addr: bigint;
}
/** Codec of struct kvm_arm_device_addr. */
export const kvm_arm_device_addr = {
  size: 16,
  read(mem: StructMemory, addr: number): KvmArmDeviceAddr {
    return { id: mem.getU64(addr), addr: mem.getU64(addr + 8) };
  },
  write(mem: StructMemory, addr: number, v: KvmArmDeviceAddr): void {
    mem.setU64(addr, v.id);
    mem.setU64(addr + 8, v.addr);
  },
} as const;

/**
 * struct kvm_userspace_memory_region (32 bytes): slot@0, flags@4, guest_phys_addr u64@8,
 * memory_size u64@16, userspace_addr u64@24. struct kvm_userspace_memory_region2 (160 bytes)
 * adds guest_memfd_offset u64@32, guest_memfd u32@40, pad1 u32@44, pad2[14] u64@48.
 */
export interface KvmUserspaceMemoryRegion {
  /** `slot`: `as_id << 16 | slot id`. */
  slot: number;
  /** `flags`: KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, KVM_MEM_GUEST_MEMFD. */
  flags: number;
  /** `guest_phys_addr`. */
  guestPhysAddr: bigint;
  /** `memory_size` in bytes (0 deletes the slot). */
  memorySize: bigint;
  /** `userspace_addr`. */
  userspaceAddr: bigint;
  /** REGION2 only. */
  guestMemfdOffset?: bigint;
  /** REGION2 only. */
  guestMemfd?: number;
}
/** Codec of struct kvm_userspace_memory_region (32 bytes) and kvm_userspace_memory_region2 (160 bytes). */
export const kvm_userspace_memory_region = {
  size: 32,
  size2: 160,
  read(mem: StructMemory, addr: number, v2 = false): KvmUserspaceMemoryRegion {
    const r: KvmUserspaceMemoryRegion = {
      slot: mem.getU32(addr),
      flags: mem.getU32(addr + 4),
      guestPhysAddr: mem.getU64(addr + 8),
      memorySize: mem.getU64(addr + 16),
      userspaceAddr: mem.getU64(addr + 24),
    };
    if (v2) {
      r.guestMemfdOffset = mem.getU64(addr + 32);
      r.guestMemfd = mem.getU32(addr + 40);
    }
    return r;
  },
  /** Writes the v1 layout, or the v2 layout (with zeroed padding) when `v2` is set. */
  write(mem: StructMemory, addr: number, v: KvmUserspaceMemoryRegion, v2 = false): void {
    if (v2) mem.fill(addr, 160, 0);
    mem.setU32(addr, v.slot);
    mem.setU32(addr + 4, v.flags);
    mem.setU64(addr + 8, v.guestPhysAddr);
    mem.setU64(addr + 16, v.memorySize);
    mem.setU64(addr + 24, v.userspaceAddr);
    if (v2) {
      mem.setU64(addr + 32, v.guestMemfdOffset ?? 0n);
      mem.setU32(addr + 40, v.guestMemfd ?? 0);
    }
  },
} as const;

/** struct kvm_irqfd (32 bytes): fd@0, gsi@4, flags@8, resamplefd@12, pad[16]. */
export interface KvmIrqfd {
  /** `fd`: the eventfd. */
  fd: number;
  /** `gsi`: the GSI (routing entry) the eventfd raises. */
  gsi: number;
  /** `flags`: KVM_IRQFD_FLAG_DEASSIGN, KVM_IRQFD_FLAG_RESAMPLE. */
  flags: number;
  /** `resamplefd`: the eventfd signalled when a level-triggered interrupt is acknowledged (KVM_IRQFD_FLAG_RESAMPLE). */
  resamplefd: number;
}
/** Codec of struct kvm_irqfd (32 bytes). */
export const kvm_irqfd = {
  size: 32,
  read(mem: StructMemory, addr: number): KvmIrqfd {
    return { fd: mem.getU32(addr), gsi: mem.getU32(addr + 4), flags: mem.getU32(addr + 8), resamplefd: mem.getU32(addr + 12) };
  },
  write(mem: StructMemory, addr: number, v: KvmIrqfd): void {
    mem.fill(addr, 32, 0);
    mem.setU32(addr, v.fd);
    mem.setU32(addr + 4, v.gsi);
    mem.setU32(addr + 8, v.flags);
    mem.setU32(addr + 12, v.resamplefd);
  },
} as const;
