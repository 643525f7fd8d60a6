/**
 * XIVE native exploitation mode uapi (arch/powerpc/include/uapi/asm/kvm.h,
 * Documentation/virt/kvm/devices/xive.rst) and the kernel-internal limits the device uses
 * (book3s_xive.h), with the kernel's names and values.
 * @packageDocumentation
 */
import type { UserMemory } from '@kvmdev/core';

export { KVM_DEV_TYPE_XIVE } from '@kvmdev/core';
// KVM_CAP_PPC_IRQ_XIVE (169) is the package's (../uapi.ts): the vCPU connect's capability
export { KVM_CAP_PPC_IRQ_XIVE } from '../uapi.js';

// ---- device attribute groups ----
/** Control group: KVM_DEV_XIVE_RESET, KVM_DEV_XIVE_EQ_SYNC, KVM_DEV_XIVE_NR_SERVERS (write only). */
export const KVM_DEV_XIVE_GRP_CTRL = 1;
/** attr of GRP_CTRL: masks every source and disables every event queue (no payload). */
export const KVM_DEV_XIVE_RESET = 1;
/** attr of GRP_CTRL: syncs the sources and queues, marks the queue pages dirty (no payload). */
export const KVM_DEV_XIVE_EQ_SYNC = 2;
/** attr of GRP_CTRL: the size of the VP block (u32), settable until a vCPU connects. */
export const KVM_DEV_XIVE_NR_SERVERS = 3;
/** Group that creates or resets a source: attr = source number, u64 payload (LEVEL_SENSITIVE, LEVEL_ASSERTED). */
export const KVM_DEV_XIVE_GRP_SOURCE = 2;
/** Group that routes a source: attr = source number, u64 payload (priority, server, masked, EISN). */
export const KVM_DEV_XIVE_GRP_SOURCE_CONFIG = 3;
/** Group of the event queues: attr = EQ identifier (priority, server), payload struct kvm_ppc_xive_eq. */
export const KVM_DEV_XIVE_GRP_EQ_CONFIG = 4;
/** Group that syncs one source (attr = source number, no payload). */
export const KVM_DEV_XIVE_GRP_SOURCE_SYNC = 5;

// ---- the GRP_SOURCE payload ----
/** Bit 0 of a GRP_SOURCE value: a level-sensitive source (LSI). */
export const KVM_XIVE_LEVEL_SENSITIVE = 1n << 0n;
/** Bit 1 of a GRP_SOURCE value: the LSI's line is asserted (only with LEVEL_SENSITIVE). */
export const KVM_XIVE_LEVEL_ASSERTED = 1n << 1n;

// ---- the GRP_SOURCE_CONFIG payload ----
/** Shift of the priority field of a source configuration. */
export const KVM_XIVE_SOURCE_PRIORITY_SHIFT = 0;
/** Mask of the priority field: bits 2:0 (priority 7 is refused). */
export const KVM_XIVE_SOURCE_PRIORITY_MASK = 0x7n;
/** Shift of the server field of a source configuration. */
export const KVM_XIVE_SOURCE_SERVER_SHIFT = 3;
/** Mask of the server field: bits 31:3. */
export const KVM_XIVE_SOURCE_SERVER_MASK = 0xfffffff8n;
/** Shift of the masked bit of a source configuration. */
export const KVM_XIVE_SOURCE_MASKED_SHIFT = 32;
/** Mask of the masked bit: bit 32. */
export const KVM_XIVE_SOURCE_MASKED_MASK = 0x100000000n;
/** Shift of the EISN (the data the event queue receives) of a source configuration. */
export const KVM_XIVE_SOURCE_EISN_SHIFT = 33;
/** Mask of the EISN field: bits 63:33. */
export const KVM_XIVE_SOURCE_EISN_MASK = 0xfffffffe00000000n;

// ---- the EQ identifier (GRP_EQ_CONFIG attr) ----
/** Shift of the priority in an EQ identifier. */
export const KVM_XIVE_EQ_PRIORITY_SHIFT = 0;
/** Mask of the priority in an EQ identifier: bits 2:0. */
export const KVM_XIVE_EQ_PRIORITY_MASK = 0x7n;
/** Shift of the server in an EQ identifier. */
export const KVM_XIVE_EQ_SERVER_SHIFT = 3;
/** Mask of the server in an EQ identifier: bits 31:3. */
export const KVM_XIVE_EQ_SERVER_MASK = 0xfffffff8n;
/** kvm_ppc_xive_eq.flags: unconditional notification, the only flag value a queue accepts. */
export const KVM_XIVE_EQ_ALWAYS_NOTIFY = 1;

// ---- mmap offsets of the device fd (in pages) ----
/** Page offset of the thread interrupt management area (4 pages; only the OS page, 2, is mapped). */
export const KVM_XIVE_TIMA_PAGE_OFFSET = 0;
/** Page offset of the source ESB pages (2 pages per source: trigger, then EOI/management). */
export const KVM_XIVE_ESB_PAGE_OFFSET = 4;

// ---- kernel-internal ----
/** KVMPPC_XIVE_FIRST_IRQ: the first source number (0: every number below NR_IRQS is a source). */
export const KVMPPC_XIVE_FIRST_IRQ = 0;
/** KVMPPC_XIVE_NR_IRQS: source numbers are below 2^20 (1024 blocks of 1024). */
export const KVMPPC_XIVE_NR_IRQS = 1 << 20;
/** Sources per source block (KVMPPC_XICS_IRQ_PER_ICS). */
export const XIVE_SOURCES_PER_BLOCK = 1024;
/** Number of source blocks (KVMPPC_XICS_MAX_ICS_ID + 1). */
export const XIVE_BLOCKS = 1024;
/** KVMPPC_XIVE_Q_COUNT: event queues (priorities) per vCPU. */
export const KVMPPC_XIVE_Q_COUNT = 8;
/** XIVE_Q_GAP: queue entries kept free (a queue routes at most entries - 2 sources). */
export const XIVE_Q_GAP = 2;
/** The only queue size a queue accepts: 64 KiB (1 << 16), as "ibm,xive-eq-sizes" advertises. */
export const XIVE_EQ_SHIFT = 16;
/** MASKED: the priority of a source that is not routed. */
export const XIVE_MASKED = 0xff;

/** sizeof(struct kvm_ppc_xive_eq): flags, qshift (u32), qaddr (u64), qtoggle, qindex (u32), 40 bytes of padding. */
export const SIZEOF_KVM_PPC_XIVE_EQ = 64;

/** The fields of a `struct kvm_ppc_xive_eq` (without the padding). */
export interface KvmPpcXiveEq {
  /** KVM_XIVE_EQ_ALWAYS_NOTIFY or 0. */
  flags: number;
  /** log2 of the queue size in bytes (0: the queue is reset). */
  qshift: number;
  /** Guest physical address of the queue page. */
  qaddr: bigint;
  /** The generation (toggle) bit of the queue. */
  qtoggle: number;
  /** The index of the next entry. */
  qindex: number;
}

/** Codec of `struct kvm_ppc_xive_eq` (64 bytes) in user memory. */
export const kvm_ppc_xive_eq = {
  /** 64. */
  size: SIZEOF_KVM_PPC_XIVE_EQ,
  /** Reads the struct at `addr` (the caller checks the range). */
  read(mem: UserMemory, addr: number): KvmPpcXiveEq {
    return {
      flags: mem.getU32(addr),
      qshift: mem.getU32(addr + 4),
      qaddr: mem.getU64(addr + 8),
      qtoggle: mem.getU32(addr + 16),
      qindex: mem.getU32(addr + 20),
    };
  },
  /** Writes the struct at `addr`, padding zeroed (the caller checks the range). */
  write(mem: UserMemory, addr: number, v: KvmPpcXiveEq): void {
    mem.fill(addr, SIZEOF_KVM_PPC_XIVE_EQ, 0);
    mem.setU32(addr, v.flags >>> 0);
    mem.setU32(addr + 4, v.qshift >>> 0);
    mem.setU64(addr + 8, BigInt.asUintN(64, v.qaddr));
    mem.setU32(addr + 16, v.qtoggle >>> 0);
    mem.setU32(addr + 20, v.qindex >>> 0);
  },
} as const;

/** An EQ identifier (GRP_EQ_CONFIG attr) from a server and a priority. */
export function xiveEqId(server: number, priority: number): bigint {
  return ((BigInt(server >>> 0) << 3n) & KVM_XIVE_EQ_SERVER_MASK) | (BigInt(priority) & KVM_XIVE_EQ_PRIORITY_MASK);
}

/** A GRP_SOURCE_CONFIG value from its fields. */
export function xiveSourceConfig(f: { priority: number; server: number; masked?: boolean; eisn?: number }): bigint {
  return (
    (BigInt(f.priority) & KVM_XIVE_SOURCE_PRIORITY_MASK) |
    ((BigInt(f.server >>> 0) << 3n) & KVM_XIVE_SOURCE_SERVER_MASK) |
    (f.masked ? KVM_XIVE_SOURCE_MASKED_MASK : 0n) |
    ((BigInt((f.eisn ?? 0) >>> 0) << 33n) & KVM_XIVE_SOURCE_EISN_MASK)
  );
}
