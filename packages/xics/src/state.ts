/**
 * The XICS state as plain typed arrays and numbers: the ICS blocks (1024 sources each, created
 * lazily), the ICPs (one per connected vCPU, found by server number in O(1)) and the
 * per-XICS object that owns them.
 * @packageDocumentation
 */
import {
  defineSlot,
  type IrqChip,
  type KvmDevice,
  type Vcpu,
  type Vm,
} from '@kvmdev/core/plugin';
import { KVMPPC_XICS_IRQ_PER_ICS, KVMPPC_XICS_MAX_ICS_ID, MASKED } from './uapi.js';

/** Per-source flag bits in {@link IcsBlock.flags}. */
export const SRC_LSI = 1;
export const SRC_RESEND = 2;
export const SRC_MASKED_PENDING = 4;
export const SRC_EXISTS = 8;

/** PQ bits in {@link IcsBlock.pq}. */
export const PQ_PRESENTED = 1;
export const PQ_QUEUED = 2;

/** One ICS block (`struct kvmppc_ics`): 1024 sources. */
export class IcsBlock {
  /** ICS id = source number >> 10. */
  readonly icsid: number;
  /** Destination server of each source. */
  readonly server = new Uint32Array(KVMPPC_XICS_IRQ_PER_ICS);
  /** Current priority (0xff = masked). */
  readonly priority = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS).fill(MASKED);
  /** The priority `ibm,int-on` restores. */
  readonly savedPriority = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS).fill(MASKED);
  /** SRC_* bits. */
  readonly flags = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS);
  /** PQ_* bits. */
  readonly pq = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS);

  constructor(icsid: number) {
    this.icsid = icsid;
  }
}

/** One presenter (`struct kvmppc_icp`). */
export class Icp {
  readonly vcpu: Vcpu;
  /** Server number (the u32 given to KVM_ENABLE_CAP). */
  readonly server: number;
  /** Current processor priority; 0 is most favoured. Starts at 0 (kernel quirk). */
  cppr = 0;
  /** IPI request priority (0xff = none). */
  mfrr = MASKED;
  /** Priority of the interrupt in XISR (0xff = none). */
  pendingPri = MASKED;
  /** Pending source (0 = none, 2 = IPI). */
  xisr = 0;
  /** A delivery to this ICP was refused since the last resend scan. */
  needResend = false;
  /** The output the last state update computed: XISR != 0 and PPRI < CPPR. */
  outEe = false;
  /** One bit per ICS block holding sources refused by this ICP (1024 bits). */
  readonly resendMap = new Uint32Array((KVMPPC_XICS_MAX_ICS_ID + 1) >>> 5);

  constructor(vcpu: Vcpu, server: number) {
    this.vcpu = vcpu;
    this.server = server;
  }
}

/** `struct kvmppc_xics`: one per VM. */
export class XicsState {
  readonly vm: Vm;
  readonly dev: KvmDevice<XicsState>;
  /**
   * ICS blocks by id; null (or beyond the end) until the first SET of a source in the block.
   * Grown on demand up to the highest id created (at most KVMPPC_XICS_MAX_ICS_ID + 1 entries).
   */
  readonly ics: (IcsBlock | null)[] = [];
  /** Highest ICS id created so far. */
  maxIcsid = 0;
  /** Number of ICS blocks created. */
  icsCount = 0;
  /** ICPs by server number. */
  readonly servers = new Map<number, Icp>();
  /** The irqchip this XICS installed on its VM (null after release). */
  chip: IrqChip | null = null;

  constructor(vm: Vm, dev: KvmDevice<XicsState>) {
    this.vm = vm;
    this.dev = dev;
  }

  /** kvmppc_xics_find_ics: the block of `irq` (taken as a u32), or null. */
  findIcs(irq: number): IcsBlock | null {
    const icsid = (irq >>> 0) >>> 10;
    const ics = this.ics;
    if (icsid >= ics.length) return null;
    return ics[icsid]!;
  }

  /** kvmppc_xics_create_ics: the block of `irq`, created if needed. */
  createIcs(irq: number): IcsBlock {
    const icsid = (irq >>> 0) >>> 10;
    const ics = this.ics;
    while (ics.length <= icsid) ics.push(null);
    let b = ics[icsid]!;
    if (b === null) {
      b = new IcsBlock(icsid);
      this.ics[icsid] = b;
      this.icsCount++;
      if (icsid > this.maxIcsid) this.maxIcsid = icsid;
    }
    return b;
  }

  /** kvmppc_xics_find_server: the ICP with server number `nr` (a u32), or undefined. */
  findServer(nr: number): Icp | undefined {
    return this.servers.get(nr >>> 0);
  }
}

/** Where a VM keeps its XICS (`kvm->arch.xics`). */
export const XICS_SLOT = defineSlot<XicsState>('@kvmdev/xics:xics');
/** Where a vCPU keeps its ICP (`vcpu->arch.icp`). */
export const ICP_SLOT = defineSlot<Icp>('@kvmdev/xics:icp');

/** The XICS of a VM, or undefined. */
export function xicsOf(vm: Vm): XicsState | undefined {
  return vm.slot(XICS_SLOT);
}

/** The ICP of a vCPU, or undefined. */
export function icpOf(vcpu: Vcpu): Icp | undefined {
  return vcpu.slot(ICP_SLOT);
}

/** The ONE_REG value of an ICP as its two u32 halves: [lo, hi]. Writes into `out`. */
export function icpWords(icp: Icp, out: number[]): void {
  out[0] = ((icp.mfrr << 24) | (icp.pendingPri << 16)) >>> 0;
  out[1] = ((icp.cppr << 24) | icp.xisr) >>> 0;
}

/** The ONE_REG value of an ICP as a bigint (not for hot paths). */
export function icpValue(icp: Icp): bigint {
  const w = [0, 0];
  icpWords(icp, w);
  return (BigInt(w[1]!) << 32n) | BigInt(w[0]!);
}
