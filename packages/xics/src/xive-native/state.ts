/**
 * The state of one XIVE native device (`struct kvmppc_xive` in native mode): the source blocks
 * (created lazily, 1024 sources each, as typed arrays), the VP block (its size, NR_SERVERS, and
 * whether it is allocated), and one presenter per connected vCPU with its eight event queues.
 * @packageDocumentation
 */
import { defineSlot, type IrqChip, type KvmDevice, type Vcpu, type Vm } from '@kvmdev/core/plugin';
import { KVMPPC_XIVE_Q_COUNT, XIVE_BLOCKS, XIVE_MASKED, XIVE_SOURCES_PER_BLOCK } from './uapi.js';

/** Per-source flag bits in {@link XiveSourceBlock.flags}. */
export const XSRC_VALID = 1;
/** The source is level-sensitive (set by GRP_SOURCE, never cleared by it). */
export const XSRC_LSI = 2;
/** An LSI's line is asserted. */
export const XSRC_ASSERTED = 4;

/** ESB PQ states in {@link XiveSourceBlock.pq}: 0b01 is "off" (GRP_SOURCE leaves a source there). */
export const PQ_OFF = 1;

/** One source block (`struct kvmppc_xive_src_block`): 1024 sources. */
export class XiveSourceBlock {
  /** Block id = source number >> 10. */
  readonly id: number;
  /** XSRC_* bits. */
  readonly flags = new Uint8Array(XIVE_SOURCES_PER_BLOCK);
  /** The routed priority (act_priority; XIVE_MASKED when not routed). */
  readonly priority = new Uint8Array(XIVE_SOURCES_PER_BLOCK).fill(XIVE_MASKED);
  /** The routed server (act_server). */
  readonly server = new Uint32Array(XIVE_SOURCES_PER_BLOCK);
  /** The EISN the queue receives. */
  readonly eisn = new Uint32Array(XIVE_SOURCES_PER_BLOCK);
  /** The ESB PQ bits of the source's IPI (2 bits). */
  readonly pq = new Uint8Array(XIVE_SOURCES_PER_BLOCK);

  constructor(id: number) {
    this.id = id;
  }
}

/** One event queue of a presenter (`struct xive_q` plus the guest address it was given). */
export class XiveQueue {
  /** Whether a page backs the queue (q->qpage). */
  configured = false;
  /** guest_qaddr. */
  qaddr = 0n;
  /** guest_qshift. */
  qshift = 0;
  /** The generation bit. */
  toggle = 0;
  /** The next entry. */
  index = 0;
  /** Sources routed to the queue (q->count). */
  count = 0;

  /** Entries in the queue (q->msk + 1). */
  entries(): number {
    return this.configured ? (1 << this.qshift) >>> 2 : 0;
  }

  /** Back to "no page". */
  reset(): void {
    this.configured = false;
    this.qaddr = 0n;
    this.qshift = 0;
    this.toggle = 0;
    this.index = 0;
    this.count = 0;
  }
}

/** One presenter (`struct kvmppc_xive_vcpu` in native mode). */
export class XivePresenter {
  /** The vCPU. */
  readonly vcpu: Vcpu;
  /** The server number given to the connect (a u32). */
  readonly server: number;
  /** The VP index in the device's VP block (kvmppc_pack_vcpu_id of the server). */
  readonly vp: number;
  /** The saved thread context word 0-1 (w01) as the two u32 halves of its little-endian u64 view. */
  w01Lo = 0;
  /** High half of the `w01Lo` u64. */
  w01Hi = 0;
  /** The eight event queues, by priority. */
  readonly queues: readonly XiveQueue[];

  constructor(vcpu: Vcpu, server: number, vp: number) {
    this.vcpu = vcpu;
    this.server = server;
    this.vp = vp;
    const q: XiveQueue[] = [];
    for (let i = 0; i < KVMPPC_XIVE_Q_COUNT; i++) q.push(new XiveQueue());
    this.queues = q;
  }
}

/** `struct kvmppc_xive` of a XIVE native device: one per VM. */
export class XiveNativeState {
  /** The VM. */
  readonly vm: Vm;
  /** The device. */
  readonly dev: KvmDevice<XiveNativeState>;
  /** Source blocks by id (null until a GRP_SOURCE in the block). */
  readonly blocks: (XiveSourceBlock | null)[] = new Array<XiveSourceBlock | null>(XIVE_BLOCKS).fill(null);
  /** Valid sources (src_count). */
  sourceCount = 0;
  /** NR_SERVERS: the size of the VP block (KVM_MAX_VCPUS until set). */
  nrServers: number;
  /** Whether the VP block is allocated (the first connect that passes the range check). */
  vpAllocated = false;
  /** Presenters by server number. */
  readonly presenters = new Map<number, XivePresenter>();
  /** The irqchip this device installed on its VM (null after release). */
  chip: IrqChip | null = null;

  constructor(vm: Vm, dev: KvmDevice<XiveNativeState>) {
    this.vm = vm;
    this.dev = dev;
    this.nrServers = vm.maxVcpus;
  }

  /** kvmppc_xive_find_source: the block of `irq` (a u32), or null. */
  findBlock(irq: number): XiveSourceBlock | null {
    const id = (irq >>> 0) >>> 10;
    return id < XIVE_BLOCKS ? this.blocks[id]! : null;
  }

  /** kvmppc_xive_create_src_block: the block of `irq` (< 2^20), created if needed. */
  createBlock(irq: number): XiveSourceBlock {
    const id = irq >>> 10;
    let b = this.blocks[id]!;
    if (b === null) {
      b = new XiveSourceBlock(id);
      this.blocks[id] = b;
    }
    return b;
  }

  /** kvmppc_xive_vp_in_use: whether a presenter has VP index `vp`. */
  vpInUse(vp: number): boolean {
    for (const p of this.presenters.values()) if (p.vp === vp) return true;
    return false;
  }
}

/** Where a VM keeps its XIVE native device (`kvm->arch.xive` when the device is the native one). */
export const XIVE_NATIVE_SLOT = defineSlot<XiveNativeState>('@kvmdev/xics:xive-native');
/** Where a vCPU keeps its native presenter (`vcpu->arch.xive_vcpu` with irq_type KVMPPC_IRQ_XIVE). */
export const XIVE_PRESENTER_SLOT = defineSlot<XivePresenter>('@kvmdev/xics:xive-native-presenter');

/** The XIVE native device of a VM, or undefined. */
export function xiveNativeOf(vm: Vm): XiveNativeState | undefined {
  return vm.slot(XIVE_NATIVE_SLOT);
}

/** The native presenter of a vCPU, or undefined. */
export function xivePresenterOf(vcpu: Vcpu): XivePresenter | undefined {
  return vcpu.slot(XIVE_PRESENTER_SLOT);
}

/** `vcpu->arch.irq_type` once connected to a XIVE native device (KVMPPC_IRQ_XIVE). */
export const XIVE_IRQ_CONNECTION = 'xive';
