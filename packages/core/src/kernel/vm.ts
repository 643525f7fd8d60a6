/**
 * The VM kernel object (`struct kvm`): its reference count, its device list (newest first), its
 * vCPUs, MMIO bus, irqchip and routing, and its teardown.
 * @packageDocumentation
 */
import type { KvmDevice } from './device.js';
import type { Kernel } from './kernel.js';
import { GuestMemory } from './guest-memory.js';
import { IrqFds } from './irqfd.js';
import { IrqRouting } from './irq-routing.js';
import { MemSlots } from './memslots.js';
import { MmioBus } from './mmio-bus.js';
import type { IrqChip } from './ops.js';
import { SlotStore, type Slot } from './slots.js';
import type { Vcpu } from './vcpu.js';

/** Lifecycle events a host reports (for tests, tracing and the conformance kit). */
export type VmEvent =
  | { kind: 'vm-freed'; vm: Vm }
  | { kind: 'device-created'; vm: Vm; device: KvmDevice }
  | { kind: 'device-released'; vm: Vm; device: KvmDevice }
  | { kind: 'device-destroyed'; vm: Vm; device: KvmDevice }
  | { kind: 'vm-bugged'; vm: Vm; error: unknown; where: string };

/** A virtual machine. */
export class Vm {
  /** A host-unique id for diagnostics. */
  readonly uid: number;
  /** The kernel (process) that created it. */
  readonly host: Kernel;
  /** The machine type passed to KVM_CREATE_VM. */
  readonly type: number;
  /** `kvm->users_count`: the VM fd, each vCPU and device fd, and every in-kernel holder. */
  usersCount = 1;
  /** `kvm->devices`, newest first. */
  readonly devices: KvmDevice[] = [];
  /** vCPUs in creation order (kvm_get_vcpu index). */
  readonly vcpus: Vcpu[] = [];
  /** `kvm->created_vcpus`. */
  createdVcpus = 0;
  /** Maximum number of vCPUs (lowered by an irqchip, e.g. 8 for GICv2). */
  maxVcpus: number;
  /** The VM's MMIO bus (in-kernel device frames). */
  readonly mmio = new MmioBus();
  /** The GSI routing table. */
  readonly routing = new IrqRouting();
  /** The memory slots (KVM_SET_USER_MEMORY_REGION(2)); plugins set `memslots.config` for their arch. */
  readonly memslots: MemSlots;
  /** Guest-physical reads and writes for in-kernel devices (kvm_read_guest / kvm_write_guest). */
  readonly memory: GuestMemory;
  /** The VM's irqfds (KVM_IRQFD). */
  readonly irqfds: IrqFds;
  /** The in-kernel irqchip, or null. */
  irqchip: IrqChip | null = null;
  /**
   * Out-parameter of KVM_IRQ_LINE for an irqchip whose status differs from the ioctl result
   * (see `IrqChip.irqLine`). The core resets it before each injection.
   */
  irqLineStatus: number | null = null;
  /** Set by a plugin bug (KVM_BUG_ON): every later ioctl on the VM gives EIO. */
  bugged = false;
  /**
   * Set by `markDead()` (kvm_vm_dead): the vCPUs can no longer run (KVM_RUN gives EIO). Since the
   * 2025 change "Reject ioctls only if the VM is bugged, not simply marked dead", other ioctls
   * still work on a dead VM; only `bugged` rejects them.
   */
  dead = false;
  /** Set once teardown has run. */
  freed = false;
  /**
   * `kvm->max_halt_poll_ns` as KVM_ENABLE_CAP(KVM_CAP_HALT_POLL) set it, or null while the VM
   * follows the halt_poll_ns module parameter.
   */
  maxHaltPollNs: number | null = null;
  /** Per-plugin data. */
  readonly slots = new SlotStore();
  private readonly byId = new Map<number, Vcpu>();

  constructor(host: Kernel, uid: number, type: number, maxVcpus: number) {
    this.host = host;
    this.uid = uid;
    this.type = type;
    this.maxVcpus = maxVcpus;
    this.memslots = new MemSlots(host.taskSize);
    this.memory = new GuestMemory(this.memslots, host.mem);
    this.irqfds = new IrqFds(this);
  }

  /**
   * kvm_notify_acked_irq: the guest EOId the interrupt of pin `pin` of irqchip `irqchip` (a
   * level-triggered line): the ack notifiers of the GSI routed there run (the irqfd resamplers).
   * Cheap when no resampling irqfd exists.
   */
  notifyAckedIrq(irqchip: number, pin: number): void {
    if (!this.irqfds.resampling) return;
    const gsi = this.routing.gsiOfPin(irqchip, pin);
    if (gsi >= 0) this.irqfds.acked(gsi);
  }

  /** Typed plugin data. */
  slot<T>(key: Slot<T>): T | undefined {
    return this.slots.get(key);
  }

  /** The vCPU with this id, or undefined. */
  vcpuById(id: number): Vcpu | undefined {
    return this.byId.get(id);
  }

  /** @internal Adds a vCPU (KVM_CREATE_VCPU). */
  addVcpu(v: Vcpu): void {
    this.vcpus.push(v);
    this.byId.set(v.id, v);
  }

  /** @internal Removes a vCPU whose fd could not be installed. */
  removeVcpu(v: Vcpu): void {
    const i = this.vcpus.indexOf(v);
    if (i >= 0) this.vcpus.splice(i, 1);
    this.byId.delete(v.id);
  }

  /** `kvm_get_kvm`: a new holder of the VM. */
  get(): void {
    if (this.freed) throw new Error('kvm_get_kvm on a freed VM');
    this.usersCount++;
  }

  /** `kvm_put_kvm`: drops a holder; the last one tears the VM down. */
  put(): void {
    if (this.freed || this.usersCount <= 0) throw new Error('kvm_put_kvm underflow');
    if (--this.usersCount === 0) this.teardown();
  }

  /** `kvm_put_kvm_no_destroy`: drops a reference that cannot be the last one. */
  putNoDestroy(): void {
    if (this.usersCount <= 1) throw new Error('kvm_put_kvm_no_destroy would free the VM');
    this.usersCount--;
  }

  /** kvm_vm_dead: the VM can no longer run (e.g. a failed first-run irqchip setup on arm64). */
  markDead(): void {
    this.dead = true;
  }

  /** KVM_BUG_ON: marks the VM bugged after a plugin threw. */
  bug(error: unknown, where: string): void {
    if (!this.bugged) {
      this.bugged = true;
      this.host.emit({ kind: 'vm-bugged', vm: this, error, where });
    }
  }

  /** kvm_destroy_vm. */
  private teardown(): void {
    const reg = this.host.tables;
    this.routing.clear();
    this.mmio.clear();
    // arch destroy: vCPUs first
    for (const v of this.vcpus) {
      for (const h of reg.vcpuDestroyHooks) this.safely(() => h(v), 'vcpuDestroy');
    }
    // then the devices, newest first
    while (this.devices.length > 0) {
      const dev = this.devices.shift()!;
      const destroy = dev.ops.destroy;
      if (destroy) this.safely(() => destroy(dev), `${dev.ops.name}.destroy`);
      dev.dead = true;
      this.host.emit({ kind: 'device-destroyed', vm: this, device: dev });
    }
    for (const h of reg.vmDestroyedHooks) this.safely(() => h(this), 'vmDestroyed');
    this.irqchip = null;
    this.memslots.clear();
    this.slots.clear();
    for (const v of this.vcpus) v.slots.clear();
    this.freed = true;
    this.host.onVmFreed(this);
  }

  private safely(fn: () => void, where: string): void {
    try {
      fn();
    } catch (e) {
      this.bug(e, where);
    }
  }
}
