/**
 * KVM_IRQFD (virt/kvm/eventfd.c): an eventfd bound to a GSI of a VM. A write to the eventfd
 * consumes its counter and injects the GSI through the routing table: first the arch's atomic
 * path (kvm_arch_set_irq_inatomic, when the GSI has exactly one route), else the deferred
 * injection (kvm_set_irq with level 1 then 0, or level 1 only for a resampling irqfd). A
 * resampling irqfd (KVM_IRQFD_FLAG_RESAMPLE) shares one resampler per GSI: when the guest EOIs
 * the interrupt (kvm_notify_acked_irq), the line is lowered and every resamplefd is signalled.
 * Closing the eventfd's last fd removes the irqfd (EPOLLHUP), as does VM teardown.
 * @packageDocumentation
 */
import { EAGAIN, EBADF, EBUSY, EINVAL } from '../uapi/errno.js';
import { KVM_IRQFD_FLAG_DEASSIGN, KVM_IRQFD_FLAG_RESAMPLE } from '../uapi/kvm.js';
import type { EventFd, EventFdWaiter } from './eventfd.js';
import type { Vm } from './vm.js';

/** The kernel's -EWOULDBLOCK (= -EAGAIN): "not possible atomically, defer". */
export const EWOULDBLOCK = EAGAIN;

/** `struct kvm_kernel_irqfd_resampler`: the resampling irqfds of one GSI. */
interface Resampler {
  readonly gsi: number;
  readonly irqfds: Irqfd[];
}

/** `struct kvm_kernel_irqfd`. */
class Irqfd implements EventFdWaiter {
  readonly vm: Vm;
  readonly gsi: number;
  readonly eventfd: EventFd;
  readonly resamplefd: EventFd | null;
  resampler: Resampler | null = null;
  private readonly owner: IrqFds;
  /** Scratch for eventfd_ctx_do_read. */
  private readonly cnt = new Uint32Array(2);

  constructor(owner: IrqFds, vm: Vm, gsi: number, eventfd: EventFd, resamplefd: EventFd | null) {
    this.owner = owner;
    this.vm = vm;
    this.gsi = gsi;
    this.eventfd = eventfd;
    this.resamplefd = resamplefd;
  }

  /** irqfd_wakeup(EPOLLIN). */
  wake(ev: EventFd): void {
    ev.doRead(this.cnt);
    this.owner.injected++;
    const vm = this.vm;
    const chip = vm.irqchip;
    if (chip === null) return;
    if (vm.routing.fireInatomic(chip, this.gsi) === -EWOULDBLOCK) this.inject();
  }

  /** irqfd_wakeup(EPOLLHUP). */
  hangup(_ev: EventFd): void {
    this.owner.deactivate(this);
  }

  /** irqfd_inject (the deferred path). */
  inject(): void {
    const vm = this.vm;
    const chip = vm.irqchip;
    if (chip === null) return;
    if (this.resampler === null) {
      vm.routing.fire(chip, this.gsi, 1);
      vm.routing.fire(chip, this.gsi, 0);
    } else vm.routing.fire(chip, this.gsi, 1);
  }
}

/** The irqfds of one VM (`kvm->irqfds`). */
export class IrqFds {
  private readonly vm: Vm;
  private items: Irqfd[] = [];
  private resamplers: Resampler[] = [];
  /** How many eventfd wakeups injected (for tests and tools). */
  injected = 0;

  constructor(vm: Vm) {
    this.vm = vm;
  }

  /** Number of bound irqfds. */
  get size(): number {
    return this.items.length;
  }

  /** Whether any resampling irqfd exists (ack notifiers are only needed then). */
  get resampling(): boolean {
    return this.resamplers.length > 0;
  }

  /** The GSIs bound to an eventfd (for tools and tests). */
  gsisOf(ev: EventFd): number[] {
    return this.items.filter((i) => i.eventfd === ev).map((i) => i.gsi);
  }

  /**
   * kvm_irqfd: flags other than DEASSIGN/RESAMPLE → EINVAL; deassign; or assign (intc not ready
   * → EAGAIN, fd not an eventfd → EBADF/EINVAL, resamplefd likewise, eventfd already bound in
   * this VM → EBUSY). `lookup` resolves an fd of the calling process to its eventfd, or -errno.
   */
  irqfd(fd: number, gsi: number, flags: number, resamplefd: number, lookup: (fd: number) => EventFd | number): number {
    if (flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)) return -EINVAL;
    if (flags & KVM_IRQFD_FLAG_DEASSIGN) return this.deassign(fd, gsi, lookup);
    return this.assign(fd, gsi, flags, resamplefd, lookup);
  }

  private assign(fd: number, gsi: number, flags: number, rfd: number, lookup: (fd: number) => EventFd | number): number {
    const vm = this.vm;
    const ready = vm.host.irqfdReady(vm, flags);
    if (ready < 0) return ready;
    const ev = lookup(fd);
    if (typeof ev === 'number') return ev;
    let resample: EventFd | null = null;
    if (flags & KVM_IRQFD_FLAG_RESAMPLE) {
      const r = lookup(rfd);
      if (typeof r === 'number') return r;
      resample = r;
    }
    const irqfd = new Irqfd(this, vm, gsi >>> 0, ev, resample);
    if (resample !== null) {
      let rs = this.resamplers.find((x) => x.gsi === irqfd.gsi);
      if (rs === undefined) {
        rs = { gsi: irqfd.gsi, irqfds: [] };
        this.resamplers = [...this.resamplers, rs];
      }
      rs.irqfds.push(irqfd);
      irqfd.resampler = rs;
    }
    for (const it of this.items) {
      if (it.eventfd !== ev) continue;
      // the kernel links the resampler first and shuts it down again (lowering the line if it was the last)
      this.shutdownResampler(irqfd);
      return -EBUSY;
    }
    this.items = [...this.items, irqfd];
    ev.addWaiter(irqfd);
    // an event already pending before the irqfd existed is injected (the deferred path), not consumed
    if (ev.readable) irqfd.inject();
    return 0;
  }

  private deassign(fd: number, gsi: number, lookup: (fd: number) => EventFd | number): number {
    const ev = lookup(fd);
    if (typeof ev === 'number') return ev;
    for (const it of this.items) if (it.eventfd === ev && it.gsi === gsi >>> 0) this.deactivate(it);
    return 0;
  }

  /** irqfd_deactivate + irqfd_shutdown: unhooks the irqfd and tears its resampler down when it was the last. */
  deactivate(it: Irqfd): void {
    if (!this.items.includes(it)) return;
    this.items = this.items.filter((x) => x !== it);
    it.eventfd.removeWaiter(it);
    this.shutdownResampler(it);
  }

  /** irqfd_resampler_shutdown. */
  private shutdownResampler(it: Irqfd): void {
    const rs = it.resampler;
    if (rs === null) return;
    rs.irqfds.splice(rs.irqfds.indexOf(it), 1);
    it.resampler = null;
    if (rs.irqfds.length === 0) {
      this.resamplers = this.resamplers.filter((x) => x !== rs);
      const chip = this.vm.irqchip;
      if (chip !== null) this.vm.routing.fire(chip, rs.gsi, 0);
    }
  }

  /**
   * kvm_notify_acked_gsi for the resamplers (irqfd_resampler_ack): the guest EOId the interrupt
   * of `gsi`: lower the line, then signal every resamplefd of the GSI.
   */
  acked(gsi: number): void {
    const rss = this.resamplers;
    for (let k = 0; k < rss.length; k++) {
      const rs = rss[k]!;
      if (rs.gsi !== gsi) continue;
      const chip = this.vm.irqchip;
      if (chip !== null) this.vm.routing.fire(chip, gsi, 0);
      const list = rs.irqfds;
      for (let i = 0; i < list.length; i++) list[i]!.resamplefd!.signal();
    }
  }

  /** kvm_irqfd_release: VM teardown. */
  releaseAll(): void {
    for (const it of [...this.items]) this.deactivate(it);
  }
}

/** The fd-lookup result for an fd that is not an eventfd (eventfd_ctx_fileget). */
export const NOT_AN_EVENTFD = -EINVAL;
/** The fd-lookup result for a closed fd. */
export const NO_SUCH_FD = -EBADF;
