/**
 * How a plugin lets tools look at one of its device types in device terms: its interrupts by
 * name, their state per interrupt and per vCPU, the guest's acknowledge / EOI / IPI
 * operations, how a host raises an interrupt, and how a raw access (an MMIO load or store, a
 * system register, a hypercall, an attribute call) reads. The kvmdev CLI (`kvmdev run`,
 * `kvmdev inspect`) and the web inspector consume it generically, with no per-family code of
 * their own; a third-party plugin gets the same treatment as a first-party one.
 *
 * A spec reads state only the ways a VMM can: through the device's attribute API, the vCPUs'
 * ONE_REG and guest side, or (for state the ABI does not expose, such as the files a KVM-VFIO
 * device tracks) the plugin's own device state. Reading never changes guest-visible state.
 *
 * It is built to stay cheap on a large VM (512 vCPUs, a GICv3 with 992 SPIs): opening a view
 * reads nothing but the device's shape, and interrupt state is read on demand, by id range and
 * one vCPU at a time ({@link InterruptView.read}), so a tool pays only for the rows it shows.
 * @packageDocumentation
 */
import type { KvmDevice } from '../kernel/device.js';
import type { GuestPort } from '../kernel/guest-port.js';
import type { LineName } from '../kernel/lines.js';
import type { Vcpu } from '../kernel/vcpu.js';
import type { SetupDevice } from './setup-spec.js';

/**
 * What a view is bound to: one device of a VM, the VM and its vCPUs, as a VMM holds them (the
 * typed API's `VmHandle`, `DeviceHandle` and `VcpuHandle` are such objects: a tool passes the
 * handles of a `ComposedVm`).
 */
export interface IntrospectTarget {
  /** The VM the device belongs to. */
  readonly vm: IntrospectVm;
  /** The device being read. */
  readonly device: IntrospectDevice;
  /** The VM's vCPUs, in creation order. */
  readonly vcpus: readonly IntrospectVcpu[];
}

/** The VM of a view. */
export interface IntrospectVm {
  /** KVM_IRQ_LINE; returns the status, throws KvmError. */
  irqLine(irq: number, level: number): number;
}

/** The device of a view: its fd's attribute calls and, for state the ABI does not expose, the kernel object. */
export interface IntrospectDevice extends SetupDevice {
  /** The device's kernel object (its `private` state is the plugin's own). */
  readonly device: KvmDevice;
}

/** A vCPU of a view. */
export interface IntrospectVcpu {
  /** The vCPU id. */
  readonly id: number;
  /** The vCPU's kernel object. */
  readonly vcpu: Vcpu;
  /** The guest side: MMIO, system registers, hypercalls. */
  readonly guest: GuestPort;
  /** Level of an output line. */
  line(name: LineName): 0 | 1;
  /** KVM_GET_ONE_REG; throws KvmError. */
  getOneReg(id: bigint): bigint;
}

/**
 * A plugin's introspection spec for one device type (`DeviceRegistration.introspect`), next to
 * its snapshot and setup specs.
 */
export interface DeviceIntrospectSpec {
  /** Names of the interfaces this device serves (system registers, hypercalls, KVM_IRQ_LINE levels), for scenario files and traces. */
  readonly names?: DeviceNames;
  /**
   * Binds a view to one device. Cheap: it may read the device's shape (number of interrupts,
   * register window base); every state read happens later, when the view's methods are called,
   * so one view serves a whole scenario. Throws KvmError when the device cannot be read.
   */
  open(target: IntrospectTarget): DeviceView;
}

/** Names of the numbers a device's interfaces use. Tools accept them in scenario files and print them in traces. */
export interface DeviceNames {
  /** System registers by name, as 16-bit `Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 | Op2` encodings (`ICC_PMR_EL1: 0xc230`). */
  readonly sysregs?: Readonly<Record<string, number>>;
  /** Hypercall numbers by name (`H_XIRR: 0x74`). */
  readonly hypercalls?: Readonly<Record<string, number>>;
  /** Hypercall return codes by name (`H_SUCCESS: 0`, `H_PARAMETER: -4`). */
  readonly hypercallReturns?: Readonly<Record<string, number>>;
  /** KVM_IRQ_LINE `level` values by name, beyond 0 and 1 (PowerPC's `KVM_INTERRUPT_SET: 0xffffffff`). */
  readonly irqLineLevels?: Readonly<Record<string, number>>;
}

/** One device, seen in device terms. */
export interface DeviceView {
  /** One line about the device as it is now: `GICv3, 128 INTIDs, 4 redistributors, initialised`. */
  summary(): string;
  /**
   * The device's state in device terms, by section: a GIC's distributor control, an MPIC's
   * global registers, the files a KVM-VFIO device tracks. For a device without interrupts this
   * is the whole picture.
   */
  state(): readonly StateSection[];
  /** Present on an interrupt controller. */
  readonly interrupts?: InterruptView;
  /** Present when the guest acknowledges, EOIs and sends IPIs through this device. */
  readonly guest?: GuestOps;
  /**
   * A raw access in device terms, or null when it is not this device's (another device's
   * window, another group) or says nothing worth a line. Called after the access, so it can
   * read the state the access left. An acknowledge that took an interrupt carries the
   * {@link AccessReading.token} a later EOI needs.
   */
  describe(access: RawAccess): AccessReading | null;
}

/** A titled group of named values. */
export interface StateSection {
  /** `'distributor'`, `'KVM_DEV_VFIO_FILE'`, `'vCPU 0 ICP'`. */
  readonly title: string;
  /** The section's values, in display order. */
  readonly fields: readonly StateField[];
}

/** One named value: `{ name: 'GICD_CTLR', value: 0x12, text: '0x12 (EnableGrp1A, ARE)' }`. */
export interface StateField {
  /** The register or field name, as the device's documentation spells it. */
  readonly name: string;
  /** The value as data (null when it could not be read). */
  readonly value: number | bigint | string | boolean | null;
  /** The value in device terms. */
  readonly text: string;
}

/** The interrupts of a controller. */
export interface InterruptView {
  /** The vCPU output line the controller drives (`'irq'` on arm64, `'external'` on PowerPC). */
  readonly line: LineName;
  /**
   * The interrupt ids the device has now, in display order (a handful of ranges; a device
   * whose sources come and go, like the XICS, answers from its current state).
   */
  ranges(): readonly InterruptRange[];
  /** The name of an interrupt id (`40` -> `'SPI 40'`), or null when the device has no such id. */
  name(id: number): string | null;
  /**
   * The id of a name (`'SPI 40'`, `'spi 40'`, `'IPI 1'`, `'source 0x1000'`), or null when the
   * name is not one of the device's kind. A name in the device's id space that this instance
   * does not have (SPI 200 on a GIC with 128 INTIDs) still has an id, so a tool can raise it
   * and see the kernel refuse it.
   */
  lookup(name: string): number | null;
  /**
   * The state of the interrupts with ids in `[first, first + count)` that the device has, in
   * id order, one object per interrupt read. Banked interrupts (an {@link InterruptRange} with
   * `banked`) are read for vCPU `vcpu`, which is then required; global ones ignore it. Reads
   * go through the device's attribute API (each register word once per call), so reading a
   * range costs about what the visible rows need.
   */
  read(first: number, count: number, vcpu?: number): InterruptState[];
  /** The interrupt interface of one vCPU (by vCPU id). */
  cpu(vcpu: number): CpuState;
  /**
   * Raises or lowers an interrupt's input from the host, the way a VMM does (KVM_IRQ_LINE with
   * the architecture's encoding). `vcpu` names the vCPU of a banked interrupt (a PPI). Throws
   * KvmError like the ioctl; absent when the host cannot drive the device's inputs directly.
   */
  raise?(id: number, level: 0 | 1, vcpu?: number): RaiseResult;
}

/** A run of interrupt ids of one kind. */
export interface InterruptRange {
  /** `'SGI'`, `'PPI'`, `'SPI'`, `'LPI'`, `'source'`, `'IPI'`, `'timer'`. */
  readonly kind: string;
  /** The first interrupt number of the range. */
  readonly first: number;
  /** How many interrupts the range has. */
  readonly count: number;
  /** Each vCPU has its own copy (SGIs, PPIs, an XICS server's IPI): read per vCPU. */
  readonly banked: boolean;
}

/** Whether an interrupt is edge-triggered or level-sensitive. */
export type TriggerMode = 'edge' | 'level';

/**
 * One interrupt's state. A field the device does not have, or could not read, is null (the
 * attribute read failed, or the field has no meaning for this device).
 */
export interface InterruptState {
  /** The interrupt number (INTID, MPIC source, XICS global number). */
  readonly id: number;
  /** Display name: `'SPI 40'`, `'IPI 0'`, `'source 4096'`. */
  readonly name: string;
  /** The vCPU whose copy this is (banked interrupts), else null. */
  readonly vcpu: number | null;
  /** Enabled (unmasked), or null when the device does not say. */
  readonly enabled: boolean | null;
  /** Pending, or null when the device does not say. */
  readonly pending: boolean | null;
  /** Active (acknowledged and not yet EOIed), or null when the device has no active state. */
  readonly active: boolean | null;
  /** In the device's own scale (a GIC's 8-bit priority, an MPIC's 0..15, an XICS 0..0xff). */
  readonly priority: number | null;
  /** The vCPU ids it is delivered to (`[]` none, null unknown or "any one of them"). */
  readonly targets: readonly number[] | null;
  /** The target in device terms: `'vCPU 2'`, `'any (1 of N)'`, `'CPU 0,1'`, `'server 1'`. */
  readonly target: string;
  /** Interrupt group (a GIC's group 0 / 1), or null. */
  readonly group: number | null;
  /** Edge or level, or null when the device does not say. */
  readonly config: TriggerMode | null;
  /** False while the interrupt is in its reset state (tools hide those rows unless asked). */
  readonly configured: boolean;
  /** Device-specific values in device terms (an MPIC's `vector`, an XICS source's `presented`). */
  readonly extra?: Readonly<Record<string, number | string | boolean>>;
}

/** A vCPU output line and its level. */
export interface LineLevel {
  /** The line's name (`'IRQ'`, `'FIQ'`, `'INT'`, `'CINT'`, `'MCHK'`, `'EE'`). */
  readonly name: LineName;
  /** The line's level now. */
  readonly level: 0 | 1;
}

/** The interrupt interface of one vCPU. */
export interface CpuState {
  /** The vCPU id. */
  readonly vcpu: number;
  /** The output lines the controller drives, with their levels. */
  readonly lines: readonly LineLevel[];
  /** Priority of the interrupt being handled (GIC running priority; XICS CPPR), or null when none/unknown. */
  readonly runningPriority: number | null;
  /** The priority mask (ICC_PMR_EL1, GICC_PMR, MPIC CTPR, XICS CPPR), or null. */
  readonly priorityMask: number | null;
  /** The id of the highest-priority pending interrupt the vCPU would take, or null. */
  readonly highestPending: number | null;
  /** The registers behind it, in device terms. */
  readonly fields: readonly StateField[];
  /** One line: `vCPU 0: irq line 1, ICC_PMR_EL1 0xf0, running priority idle, highest pending SPI 40`. */
  readonly text: string;
}

/** What a host-side raise did. */
export interface RaiseResult {
  /** The ioctl's result (KVM_IRQ_LINE's status). */
  readonly status: number;
  /** How it was raised: `'KVM_IRQ_LINE 0x01000028'`. */
  readonly via: string;
}

/** Options of {@link GuestOps.ipi}: what each device takes from them is in its README. */
export interface IpiOptions {
  /** Which IPI (a GIC SGI number, an MPIC IPI 0..3). */
  readonly id?: number;
  /** The priority the IPI carries (an XICS MFRR). */
  readonly priority?: number;
}

/** The guest's side of interrupt handling, through the vCPU's guest port (MMIO, system registers, hypercalls). */
export interface GuestOps {
  /** The guest acknowledges on `vcpu` (ICC_IAR1_EL1, GICC_IAR, MPIC IACK, H_XIRR). Throws KvmError. */
  ack(vcpu: number): GuestAck;
  /**
   * End of interrupt on `vcpu` (ICC_EOIR1_EL1, GICC_EOIR, MPIC EOI, H_EOI). `token` is the
   * {@link AccessReading.token} of the acknowledge being ended; a device whose EOI names no
   * interrupt (the MPIC's ends the highest in service) accepts none, the others throw EINVAL
   * without it.
   */
  eoi(vcpu: number, token?: bigint): AccessReading;
  /** `vcpu` sends an IPI to the vCPUs `targets` (ICC_SGI1R_EL1, GICD_SGIR, MPIC IPIDR, H_IPI): one reading per guest access. */
  ipi(vcpu: number, targets: readonly number[], options?: IpiOptions): readonly AccessReading[];
}

/** The result of {@link GuestOps.ack}. */
export interface GuestAck {
  /** The raw value the guest read (IAR, the IACK vector, XIRR). */
  readonly value: bigint;
  /** What the value means (an interrupt number, spurious, none). */
  readonly reading: AccessReading;
}

/** A raw access, as a tool saw it happen. Values are what was written or read (null: nothing was read). */
export type RawAccess =
  | {
      readonly kind: 'mmio';
      readonly vcpu: number;
      readonly op: 'read' | 'write';
      readonly addr: bigint;
      readonly size: 1 | 2 | 4 | 8;
      /** The value read (null: no in-kernel device handled the load) or written. */
      readonly value: bigint | null;
    }
  | { readonly kind: 'sysreg'; readonly vcpu: number; readonly op: 'read' | 'write'; readonly encoding: number; readonly value: bigint }
  | {
      readonly kind: 'hcall';
      readonly vcpu: number;
      readonly nr: number;
      readonly args: readonly number[];
      readonly ret: number;
      /** The output registers. */
      readonly out: readonly number[];
    }
  | {
      /** An attribute call on this device's fd. */
      readonly kind: 'attr';
      readonly op: 'get' | 'set' | 'has';
      readonly group: number;
      readonly attr: bigint;
      /** The payload set or got (null for HAS, a payload-less SET, or a failed GET). */
      readonly value: bigint | null;
      /** The errno name of a failed call (`'ENXIO'`), or null. */
      readonly errno: string | null;
    };

/** What an access means. */
export interface AccessReading {
  /** `'ack'`, `'eoi'` and `'ipi'` are interrupt-flow events; `'access'` is any other access in device terms. */
  readonly kind: 'ack' | 'eoi' | 'ipi' | 'access';
  /** `'vCPU 0 acknowledges SPI 40 (priority 0xa0)'`, `'vCPU 0 writes GICD_ISENABLER1 = 0x100 (enables SPI 40)'`. */
  readonly text: string;
  /** The same as data: `{ intid: 40, priority: 0xa0 }`. */
  readonly data: Readonly<Record<string, number | string | boolean | readonly number[]>>;
  /** An acknowledge that took an interrupt: the value its EOI needs ({@link GuestOps.eoi}). */
  readonly token?: bigint;
}
