/**
 * The state of KVM_DEV_TYPE_XICS on a XIVE host (XICS-on-XIVE, arch/powerpc/kvm/book3s_xive.c):
 * per source the guest-visible XICS fields, the "actual" target the XIVE routes to, the ESB PQ
 * bits of the IPI that backs the source, the routing entry (EAS) the hardware holds, and the
 * saved bits of the last GET round; per connected vCPU its presenter (server number, VP id, CPPR,
 * MFRR and eight event queues); per VM the counters that make the GET rounds.
 * @packageDocumentation
 */
import { defineSlot, type IrqChip, type KvmDevice, type Vcpu, type Vm } from '@kvmdev/core/plugin';
import { KVMPPC_XICS_IRQ_PER_ICS, KVMPPC_XICS_MAX_ICS_ID, MASKED } from '../uapi.js';

/** Per-source flag bits in {@link XiveSrcBlock.flags}. */
export const XS_VALID = 1;
/** The source is level-sensitive (emulated: the backing IPI is an edge source). */
export const XS_LSI = 2;
/** An LSI's input line is high (`asserted`). */
export const XS_ASSERTED = 4;
/** P and Q as they were when the source was last masked (`old_p`, `old_q`). */
export const XS_OLD_P = 8;
/** See {@link XS_OLD_P}. */
export const XS_OLD_Q = 16;
/** P and Q as the last GET round's scan saw them (`saved_p`, `saved_q`). */
export const XS_SAVED_P = 32;
/** See {@link XS_SAVED_P}. */
export const XS_SAVED_Q = 64;
/** The last GET round's scan found the source in a presenter's event queue (`in_queue`). */
export const XS_IN_QUEUE = 128;

/** ESB bits: P (bit 1) and Q (bit 0), as the XIVE's ESB loads return them. */
export const ESB_P = 2;
/** See {@link ESB_P}. */
export const ESB_Q = 1;

/** No routing (an EAS never configured, or configured masked). */
export const NO_VP = -1;

/** One block of 1024 sources (`struct kvmppc_xive_src_block`), created by the first SET in it. */
export class XiveSrcBlock {
  /** Block id = source number >> 10. */
  readonly id: number;
  /** XS_* bits. */
  readonly flags = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS);
  /** The priority the guest set (`guest_priority`, 0xff = masked). */
  readonly guestPrio = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS).fill(MASKED);
  /** The priority `ibm,int-on` restores and GET shows under MASKED (`saved_priority`). */
  readonly savedPrio = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS).fill(MASKED);
  /** The XIVE priority the source is targeted at (`act_priority`, 0xff = untargeted). */
  readonly actPrio = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS).fill(MASKED);
  /** The server it is targeted at (`act_server`); 0 until a targeting succeeds. */
  readonly actServer = new Uint32Array(KVMPPC_XICS_IRQ_PER_ICS);
  /** The guest priority the last GET round's scan saw (`saved_scan_prio`). */
  readonly scanPrio = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS);
  /** The backing IPI's ESB PQ bits (ESB_P | ESB_Q). */
  readonly pq = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS);
  /** The hardware routing of the backing IPI: its VP id, or NO_VP. */
  readonly easVp = new Int32Array(KVMPPC_XICS_IRQ_PER_ICS).fill(NO_VP);
  /** The hardware routing's priority (0xff = masked: events are dropped). */
  readonly easPrio = new Uint8Array(KVMPPC_XICS_IRQ_PER_ICS).fill(MASKED);

  constructor(id: number) {
    this.id = id;
  }
}

/** XIVE priorities (queues) per presenter (KVMPPC_XIVE_Q_COUNT). */
export const XIVE_Q_COUNT = 8;

/** One event queue of a presenter (`struct xive_q`). */
export class XiveQueue {
  /** A queue page is provisioned (`qpage`); without one events escalate and are not queued. */
  provisioned = false;
  /** Sources targeted at this queue (`count`; at most entries - XIVE_Q_GAP). */
  count = 0;
  /** Targets moved away, to subtract when the queue is next seen empty (`pending_count`). */
  pendingCount = 0;
  /** Events written since provisioning (source numbers). */
  readonly events: number[] = [];
  /** The guest's read position in `events` (`idx`): events before it were fetched by H_XIRR. */
  idx = 0;
}

/** One vCPU's presenter (`struct kvmppc_xive_vcpu`). */
export class XicsOnXivePresenter {
  readonly vcpu: Vcpu;
  /** The server number given to KVM_ENABLE_CAP (a u32). */
  readonly server: number;
  /** Its VP id: the VP block's base plus the packed server number. */
  readonly vpId: number;
  /** The guest CPPR (0 at connect: nothing deliverable). */
  cppr = 0;
  /** The CPPR written to the thread context (`hw_cppr`). */
  hwCppr = 0;
  /** IPI request priority (0xff = none). */
  mfrr = MASKED;
  /** Pending priorities seen by the last ack (`pending`, a bit per priority). */
  pending = 0;
  /** Interrupts may be routed here (`valid`). */
  valid = true;
  /** A source number an ICP restore named before the source existed (`delayed_irq`). */
  delayedIrq = 0;
  /** The ESB PQ bits of the VP's own IPI (the MFRR-change signal). */
  ipiPq = 0;
  /** The thread context's pending buffer (IPB: a bit per priority the XIVE notified). */
  ipb = 0;
  readonly queues: XiveQueue[] = [];

  constructor(vcpu: Vcpu, server: number, vpId: number) {
    this.vcpu = vcpu;
    this.server = server;
    this.vpId = vpId;
    for (let i = 0; i < XIVE_Q_COUNT; i++) this.queues.push(new XiveQueue());
  }
}

/** `struct kvmppc_xive` of an XICS device on a XIVE host: one per VM. */
export class XicsOnXive {
  readonly vm: Vm;
  readonly dev: KvmDevice<XicsOnXive>;
  /** Source blocks by id (null until the first SET in the block). */
  readonly blocks: (XiveSrcBlock | null)[] = [];
  /** Highest block id created (`max_sbid`). */
  maxSbid = 0;
  /** Sources ever made valid (`src_count`). */
  srcCount = 0;
  /** GETs in the current round (`saved_src_count`); a GET at 0 scans every source first. */
  savedSrcCount = 0;
  /** ICP restores waiting for their source (`delayed_irqs`). */
  delayedIrqs = 0;
  /** VP block size (`nr_servers`): KVM_MAX_VCPUS until GRP_CTRL NR_SERVERS sets it. */
  nrServers = 0;
  /** The VP block was allocated (the first vCPU connect): NR_SERVERS is EBUSY from then on. */
  vpAllocated = false;
  /** Priorities whose queues are provisioned on every presenter (`qmap`, a bit each). */
  qmap = 0;
  /** Presenters in vCPU creation order (kvm_for_each_vcpu). */
  readonly presenters: XicsOnXivePresenter[] = [];
  /** The irqchip this device installed on its VM (null after release). */
  chip: IrqChip | null = null;

  /** KVM_MAX_VCPUS of the host (NR_CPUS): the default and the clamp of `nrServers`. */
  readonly maxVcpus: number;
  /** Entries of one event queue (4-byte entries in a page of the host's queue shift). */
  readonly queueEntries: number;

  constructor(vm: Vm, dev: KvmDevice<XicsOnXive>, maxVcpus: number, queueEntries: number) {
    this.vm = vm;
    this.dev = dev;
    this.maxVcpus = maxVcpus;
    this.nrServers = maxVcpus;
    this.queueEntries = queueEntries;
  }

  /** kvmppc_xive_find_source: the block of `irq` (a u32), or null. */
  findBlock(irq: number): XiveSrcBlock | null {
    const id = (irq >>> 0) >>> 10;
    if (id > KVMPPC_XICS_MAX_ICS_ID || id >= this.blocks.length) return null;
    return this.blocks[id]!;
  }

  /** kvmppc_xive_create_src_block: the block of `irq`, created if needed. */
  createBlock(irq: number): XiveSrcBlock {
    const id = (irq >>> 0) >>> 10;
    while (this.blocks.length <= id) this.blocks.push(null);
    let b = this.blocks[id]!;
    if (b === null) {
      b = new XiveSrcBlock(id);
      this.blocks[id] = b;
      if (id > this.maxSbid) this.maxSbid = id;
    }
    return b;
  }

  /** kvmppc_xive_find_server: the presenter whose server number is `nr` (a u32). */
  findServer(nr: number): XicsOnXivePresenter | undefined {
    const n = nr >>> 0;
    for (const p of this.presenters) if (p.server === n) return p;
    return undefined;
  }

  /** The presenter owning VP `vp`, if any (kvmppc_xive_vp_in_use). */
  findVp(vp: number): XicsOnXivePresenter | undefined {
    for (const p of this.presenters) if (p.vpId === vp) return p;
    return undefined;
  }
}

/** Where a VM keeps its XICS-on-XIVE (`kvm->arch.xive`). */
export const XIVE_XICS_SLOT = defineSlot<XicsOnXive>('@kvmdev/xics:xics-on-xive');
/** Where a vCPU keeps its presenter (`vcpu->arch.xive_vcpu`). */
export const XIVE_PRESENTER_SLOT = defineSlot<XicsOnXivePresenter>('@kvmdev/xics:xive-presenter');

/** The XICS-on-XIVE of a VM, or undefined. */
export function xicsOnXiveOf(vm: Vm): XicsOnXive | undefined {
  return vm.slot(XIVE_XICS_SLOT);
}

/** The presenter of a vCPU connected to an XICS-on-XIVE, or undefined. */
export function xicsOnXivePresenterOf(vcpu: Vcpu): XicsOnXivePresenter | undefined {
  return vcpu.slot(XIVE_PRESENTER_SLOT);
}
