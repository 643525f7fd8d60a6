/**
 * The conformance kit: checks a plugin's `DeviceOps` against the contract the core (and the
 * kernel's generic device code) relies on. {@link runConformance} is framework-neutral and
 * returns the violations; `describeDeviceConformance` (jest.ts) registers one jest test per rule.
 * @packageDocumentation
 */
import {
  type Host,
  type KvmPlugin,
  E2BIG,
  EAGAIN,
  EBADF,
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  ENODATA,
  ENODEV,
  ENOENT,
  ENOMEM,
  ENOSPC,
  ENOSYS,
  ENXIO,
  EOPNOTSUPP,
  EOVERFLOW,
  EPERM,
  ERANGE,
  KVM_CREATE_DEVICE_TEST,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  errnoName,
  kvm_device_attr,
} from '@kvmdev/core';
import {
  type AttrAccess,
  type AttrDecl,
  type AttrTable,
  type KvmDevice,
  definePlugin,
} from '@kvmdev/core/plugin';
import fc from 'fast-check';
import {
  type Payload,
  type PayloadSize,
  type VmFixture,
  createDevice,
  readPayload,
  vmWithVcpus,
  writePayload,
} from './fixtures.js';

/** Ids of the rules the kit checks. */
export type RuleId =
  | 'static-ops'
  | 'create-test'
  | 'create-error'
  | 'samples'
  | 'has-get-set'
  | 'has-ignores-addr'
  | 'eperm-accessor'
  | 'enxio-unknown'
  | 'efault'
  | 'set-rejected-no-change'
  | 'errno-samples'
  | 'set-once'
  | 'per-vcpu'
  | 'lifetime'
  | 'vm-refs'
  | 'fuzz'
  | 'no-throw';

/** Every rule, with its one-line title (used in messages and jest test names). */
export const RULES: Readonly<Record<RuleId, string>> = Object.freeze({
  'static-ops': 'the ops declare exactly one of release/destroy, matching the declared lifetime, and the table matches the accessors',
  'create-test': 'KVM_CREATE_DEVICE_TEST returns 0, creates nothing and leaves the fd field untouched',
  'create-error': "the plugin's create errors propagate and leave no device, no reference and no side effect",
  samples: 'every valid SET/GET sample succeeds',
  'has-get-set': 'HAS, GET and SET agree: what HAS rejects is never readable or writable, and what works is reported by HAS',
  'has-ignores-addr': 'HAS ignores kvm_device_attr.addr',
  'eperm-accessor': 'a missing accessor gives EPERM (core-enforced) and the table does not claim that access',
  'enxio-unknown': 'unknown groups and attributes give ENXIO',
  efault: 'a bad payload address (NULL, unmapped, end of buffer) gives EFAULT on GET and SET',
  'set-rejected-no-change': 'a rejected SET changes no state, on a freshly created device and after the valid samples',
  'errno-samples': 'every invalid sample fails with its documented errno, each on its own fresh device',
  'set-once': 'a set-once attribute refuses a second SET with its errno and no change, and a rejected SET does not use it up',
  'per-vcpu': "a per-vCPU attribute works for every vCPU, leaves the other vCPUs' state alone and refuses an id that names no vCPU",
  lifetime: 'release/destroy run exactly once, at the right time (last close incl. dup / VM teardown after the vCPUs)',
  'vm-refs': 'the device neither keeps the VM alive nor frees it early',
  fuzz: 'randomized attribute traffic never throws and returns only success or a documented negative errno',
  'no-throw': 'no plugin code throws (a throw marks the VM bugged and the call fails with EIO)',
});

/** Every rule id, in the order they run. */
export const RULE_IDS: readonly RuleId[] = Object.keys(RULES) as RuleId[];

/** What a rule found wrong. */
export interface Violation {
  /** The id of the rule that found it (a key of {@link RULES}). */
  readonly rule: RuleId;
  /** `"[rule-id] what went wrong"`: always names the rule. */
  readonly message: string;
}

/** The result of {@link runConformance}. */
export interface ConformanceReport {
  /** The device label the report is for (the spec's `name`, else the device key). */
  readonly device: string;
  /** True when no rule found a violation. */
  readonly ok: boolean;
  /** Every violation found, in rule order; empty when `ok`. */
  readonly violations: readonly Violation[];
  /** Rules that ran. */
  readonly checked: readonly RuleId[];
  /** Rules that did not run, with the reason (the spec skipped them, or they do not apply to this device). */
  readonly skipped: readonly SkippedRule[];
}

/** A rule that did not run, and why. */
export interface SkippedRule {
  /** The id of the rule that did not run. */
  readonly rule: RuleId;
  /** Why it did not run (skipped by the spec, or not applicable to this device). */
  readonly reason: string;
}

/** The fixture a rule runs in: a fresh host, VM and vCPUs, and the device type number. */
export interface ConformanceContext extends VmFixture {
  /** The device type number (kernel or vendor). */
  readonly type: number;
  /** The device fd once created, else -1. */
  devFd: number;
}

/** A (group, attr, value) tuple. */
export interface AttrSample {
  /** The attribute group (`kvm_device_attr.group`, e.g. KVM_DEV_ARM_VGIC_GRP_DIST_REGS). */
  readonly group: number;
  /** The attribute id (for a per-vCPU sample: the id that addresses vCPU 0, `perVcpu.attr(0)`). */
  readonly attr: number | bigint;
  /**
   * SET payload (default 0). A function computes it in the rule's fresh context (e.g. an fd it
   * opens); for a per-vCPU sample it also gets the vCPU id the call addresses.
   */
  readonly value?: Payload | ((ctx: ConformanceContext, vcpuId: number) => Payload);
  /** Payload size; default from the attribute table (4 when the table does not say). */
  readonly size?: PayloadSize;
  /** For messages. */
  readonly name?: string;
  /**
   * SET samples only: the attribute can be set once. A second SET fails with this errno (for
   * example EEXIST or EBUSY) and changes nothing; a rejected SET must not use the attribute up.
   */
  readonly once?: number;
  /** SET samples only: the attribute exists once per vCPU (see {@link PerVcpuAttr}). */
  readonly perVcpu?: PerVcpuAttr;
}

/** How a per-vCPU attribute addresses its vCPU. */
export interface PerVcpuAttr {
  /** The attribute id that addresses the vCPU with this id (the fixture's vCPU ids are 0..vcpus-1). */
  attr(vcpuId: number): number | bigint;
  /** errno of SET/GET for an id that names no vCPU (`attr(vcpus)`); unchecked when absent. */
  readonly missing?: number;
}

/** A call that must fail with `errno`. */
export interface InvalidSample extends AttrSample {
  /** The attr ioctl: KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR or KVM_HAS_DEVICE_ATTR. */
  readonly op: 'set' | 'get' | 'has';
  /** The errno the call must fail with (e.g. ENXIO, EINVAL, EBUSY). */
  readonly errno: number;
  /**
   * The state the call meets for `errno-samples`: `'samples'` (default: after every valid SET
   * sample, in order) or `'create'` (a freshly created device that no sample has touched). Each
   * invalid sample gets its own device. `set-rejected-no-change` checks a rejected SET in both states.
   */
  readonly after?: 'samples' | 'create';
}

/** The errno each attr ioctl gives (0: the call succeeds). */
export interface OpErrnos {
  /** errno of KVM_HAS_DEVICE_ATTR (0: the attribute exists). */
  readonly has?: number;
  /** errno of KVM_GET_DEVICE_ATTR (0: the read succeeds). */
  readonly get?: number;
  /** errno of KVM_SET_DEVICE_ATTR (0: the write succeeds). */
  readonly set?: number;
}

/**
 * How the kit probes a group whose attribute table describes its ids as a string (a computed
 * encoding such as `'offset | vcpu id << 32'`): `unknown` lists ids that name nothing, which
 * must give ENXIO on HAS, GET and SET on a freshly created device, unless `errno` documents
 * another answer per call (a kernel quirk: MPIC's HAS accepts every register offset, a GICv3
 * register group is EBUSY before init...); `anyAttr` says why every id is valid (the kernel
 * ignores `attr` for the group).
 */
export type AttrEncodingProbe = { readonly unknown: readonly (number | bigint)[]; readonly errno?: OpErrnos } | { readonly anyAttr: string };

/** A situation in which the plugin's create must fail. */
export interface CreateErrorCase {
  /** Label of the case, for messages. */
  readonly name: string;
  /** Prepares the VM (e.g. creates a conflicting device, runs a vCPU). */
  setup(ctx: ConformanceContext): void;
  /** The errno KVM_CREATE_DEVICE must fail with in this situation (e.g. EEXIST, EBUSY). */
  readonly errno: number;
}

/** Options of the randomized traffic. */
export interface FuzzOptions {
  /** Number of runs (default 50; env KVMDEV_FC_RUNS may raise it). */
  readonly runs?: number;
  /** fast-check seed (env KVMDEV_FC_SEED overrides it; default a fixed seed, so runs are reproducible). */
  readonly seed?: number;
  /** Replay path printed by a failure (env KVMDEV_FC_PATH overrides it). */
  readonly path?: string;
  /** Max calls per run (default 24). */
  readonly steps?: number;
}

/** What the kit needs to know about a device. */
export interface DeviceConformanceSpec {
  /** Label for messages (default: the device key). */
  readonly name?: string;
  /** The plugin under test. */
  readonly plugin: KvmPlugin;
  /** Plugins registered before it (dependencies). */
  readonly plugins?: readonly KvmPlugin[];
  /** The registration key (default: the plugin's first device). */
  readonly deviceKey?: string;
  /** Or the type number. */
  readonly type?: number;
  /** vCPUs to create before the device (default 0). */
  readonly vcpus?: number;
  /** KVM_CREATE_VM machine type (default 0). */
  readonly vmType?: number;
  /** Runs after the VM and vCPUs exist, before the device is created. */
  setup?(ctx: ConformanceContext): void;
  /** Runs right after the device is created (e.g. to set its base address). */
  afterCreate?(ctx: ConformanceContext): void;
  /** The attribute table (default: the registration's `attrs`). */
  readonly attrs?: AttrTable;
  /** The attribute samples the rules drive: valid SETs (in order), valid GETs, and calls that must fail. */
  readonly samples: {
    readonly set?: readonly AttrSample[];
    readonly get?: readonly AttrSample[];
    readonly invalid?: readonly InvalidSample[];
  };
  /** When the device's ops run: `'release'` on the last close of the device fd (incl. dups), `'destroy'` at VM teardown after the vCPUs. */
  readonly lifetime: 'release' | 'destroy';
  /** errno of a second create in the same VM, for one-per-VM devices. */
  readonly singleton?: number;
  /** More situations in which create must fail. */
  readonly createErrors?: readonly CreateErrorCase[];
  /** Extra device state to compare when a SET is rejected (default: GET of every readable state attribute). */
  fingerprint?(ctx: ConformanceContext): unknown;
  /** errnos the device may return (default: the usual device set; EIO is never allowed). */
  readonly errnos?: readonly number[];
  /** Options of the `fuzz` rule's randomized attribute traffic. */
  readonly fuzz?: FuzzOptions;
  /**
   * Attributes that HAS rejects but GET/SET accept by kernel design, exempt from the
   * "what HAS rejects is never readable or writable" check (e.g. the vGIC: an unknown register
   * offset reads as 0 and ignores writes, but HAS gives ENXIO). Say which kernel rule it follows.
   */
  readonly hasRejectsButAccessible?: (group: number, attr: bigint) => boolean;
  /**
   * Probes for the groups whose table entry gives `attrs` as a string, by group number. The kit
   * refuses (`enxio-unknown` fails) a string group it has no entry for: it cannot invent ids.
   */
  readonly encodings?: Readonly<Record<number, AttrEncodingProbe>>;
  /** Run only these rules. */
  readonly rules?: readonly RuleId[];
  /** Skip these rules: a map from rule id to the reason (shown on the skipped jest test), or a list of ids. */
  readonly skip?: readonly RuleId[] | Readonly<Partial<Record<RuleId, string>>>;
}

/** The reason `spec` skips `rule`, or undefined when it does not. */
export function skipReason(spec: DeviceConformanceSpec, rule: RuleId): string | undefined {
  const s = spec.skip;
  if (!s) return undefined;
  if (Array.isArray(s)) return (s as readonly RuleId[]).includes(rule) ? 'skipped by the spec (no reason given)' : undefined;
  const r = (s as Partial<Record<RuleId, string>>)[rule];
  return r === undefined ? undefined : `skipped by the spec: ${r}`;
}

const DEFAULT_ERRNOS = [EPERM, ENOENT, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENOSPC, ERANGE, ENOSYS, ENODATA, EOVERFLOW, EOPNOTSUPP];

/** An address no user memory maps (1 TiB). */
const UNMAPPED = 2 ** 40;

class RuleFailure extends Error {}

type Op = 'set' | 'get' | 'has';
const REQ: Record<Op, number> = { set: KVM_SET_DEVICE_ATTR, get: KVM_GET_DEVICE_ATTR, has: KVM_HAS_DEVICE_ATTR };

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function en(errno: number): string {
  return errno === 0 ? 'success' : `${errnoName(errno)}(${errno})`;
}

function canRead(a: AttrAccess): boolean {
  return a === 'r' || a === 'rw';
}
function canWrite(a: AttrAccess): boolean {
  return a === 'w' || a === 'rw';
}

/** A rule's working set: the context, reused user buffers, the event log. */
class Bench {
  readonly ctx: ConformanceContext;
  readonly host: Host;
  readonly log: string[] = [];
  readonly bugs: string[] = [];
  private readonly struct: number;
  /** A valid 64-byte payload buffer. */
  readonly buf: number;
  private readonly offs: (() => void)[] = [];

  constructor(
    readonly kit: Kit,
    vcpus: number,
  ) {
    const log = this.log;
    const probe = definePlugin({
      name: '@kvmdev/testing:probe',
      version: '0.0.0',
      core: '*',
      hooks: {
        vcpuDestroy: (v) => {
          log.push(`vcpu-destroy:${v.id}`);
        },
      },
    });
    const fx = vmWithVcpus([probe, ...(kit.spec.plugins ?? []), kit.spec.plugin], vcpus, { vmType: kit.spec.vmType });
    this.host = fx.host;
    this.offs.push(
      fx.host.on((e) => {
        if (e.kind === 'vm-bugged') {
          const err = e.error instanceof Error ? `${e.error.name}: ${e.error.message}` : String(e.error);
          this.bugs.push(`${e.where}: ${err}`);
          log.push('vm-bugged');
        } else if (e.kind === 'vm-freed') log.push('vm-freed');
        else log.push(`${e.kind}:${e.device.ops.name}`);
      }),
    );
    this.struct = fx.host.mem.alloc(24);
    this.buf = fx.host.mem.alloc(64);
    this.ctx = { ...fx, type: kit.typeFor(fx.host), devFd: -1 };
    kit.spec.setup?.(this.ctx);
  }

  dispose(): void {
    for (const o of this.offs) o();
  }

  /** Creates the device (must succeed). */
  create(): number {
    const r = createDevice(this.host, this.ctx.vmFd, this.ctx.type, 0);
    if (r.ret < 0) throw new RuleFailure(`KVM_CREATE_DEVICE failed with ${en(r.errno)} in a fresh VM`);
    this.ctx.devFd = r.fd;
    this.kit.spec.afterCreate?.(this.ctx);
    return r.fd;
  }

  get device(): KvmDevice {
    return this.host.deviceOf(this.ctx.devFd);
  }

  /** One attr ioctl on `fd` through the facade; returns 0/positive or -errno. Never throws. */
  call(op: Op, group: number, attr: number | bigint, addr: number, fd = this.ctx.devFd, flags = 0): number {
    const a = typeof attr === 'bigint' ? BigInt.asUintN(64, attr) : BigInt(attr);
    kvm_device_attr.write(this.host.mem, this.struct, {
      flags,
      group: group >>> 0,
      attr: a,
      addr: BigInt(Math.max(addr, 0)),
    });
    let ret: number;
    try {
      ret = this.host.ioctl(fd, REQ[op], this.struct);
    } catch (e) {
      throw new RuleFailure(`the syscall facade threw on ${op} group ${group} attr ${hex(attr)}: ${String(e)}`);
    }
    return ret < 0 ? -this.host.errno : ret;
  }

  /** The sample's payload (a value function runs now, in this context, for vCPU `vcpuId`). */
  resolve(s: AttrSample, vcpuId = 0): Payload {
    return typeof s.value === 'function' ? s.value(this.ctx, vcpuId) : (s.value ?? 0);
  }

  /** Applies the first `n` valid SET samples (default all), in order; returns their results. */
  applySets(n = Number.POSITIVE_INFINITY): number[] {
    const sets = this.kit.spec.samples.set ?? [];
    const out: number[] = [];
    for (let i = 0; i < sets.length && i < n; i++) out.push(this.setSample(sets[i]!));
    return out;
  }

  /** A fresh device in the state an invalid sample asks for (`after`). */
  prepare(after: 'samples' | 'create'): void {
    this.create();
    if (after === 'samples') this.applySets();
  }

  setSample(s: AttrSample, fd = this.ctx.devFd, v: Payload = this.resolve(s)): number {
    const size = this.kit.sizeOf(s);
    this.host.mem.fill(this.buf, 64, 0);
    if (size > 0 || v instanceof Uint8Array) writePayload(this.host, this.buf, size, v);
    return this.call('set', s.group, s.attr, this.buf, fd);
  }

  getSample(s: AttrSample, fd = this.ctx.devFd): { ret: number; value: number | bigint } {
    this.host.mem.fill(this.buf, 64, 0);
    const ret = this.call('get', s.group, s.attr, this.buf, fd);
    return { ret, value: readPayload(this.host, this.buf, this.kit.sizeOf(s)) };
  }

  /** An address for a bad-pointer case. `end` allocates a buffer at the top of memory and points one byte in. */
  badAddr(kind: 'null' | 'unmapped' | 'end', size: number): number {
    if (kind === 'null') return 0;
    if (kind === 'unmapped') return UNMAPPED;
    const a = this.host.mem.alloc(Math.max(size, 1));
    return a + Math.max(size, 1) - size + 1;
  }

  /** GET of every readable state attribute, the GET samples and the spec's fingerprint, as a string. */
  fingerprint(fd = this.ctx.devFd): string {
    const out: unknown[] = [];
    if (fd >= 0 && this.kit.ops.getAttr) {
      for (const s of this.kit.stateAttrs()) out.push(this.getSample(s, fd));
    }
    const vm = this.ctx.kvm;
    out.push({ irqchip: vm.irqchip?.name ?? null, users: vm.usersCount, devices: vm.devices.length, maxVcpus: vm.maxVcpus });
    if (this.kit.spec.fingerprint && this.ctx.devFd >= 0) out.push(this.kit.spec.fingerprint(this.ctx));
    return JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  }

  closeAllButDevice(): void {
    for (const fd of this.ctx.vcpuFds) this.host.close(fd);
    this.host.close(this.ctx.vmFd);
  }
}

/** The kit for one spec. */
class Kit {
  readonly violations: Violation[] = [];
  readonly ops: KvmDevice['ops'];
  readonly table: AttrTable;
  readonly key: string;
  readonly errnos: Set<number>;

  constructor(readonly spec: DeviceConformanceSpec) {
    const devs = spec.plugin.devices ?? [];
    const reg =
      spec.deviceKey !== undefined
        ? devs.find((d) => d.key === spec.deviceKey)
        : spec.type !== undefined
          ? (devs.find((d) => d.type === spec.type) ?? devs[0])
          : devs[0];
    if (!reg) throw new Error(`@kvmdev/testing: plugin ${spec.plugin.name} registers no device ${spec.deviceKey ?? spec.type ?? ''}`);
    this.ops = reg.ops as KvmDevice['ops'];
    this.key = reg.key;
    this.table = spec.attrs ?? reg.attrs ?? [];
    this.errnos = new Set(spec.errnos ?? DEFAULT_ERRNOS);
  }

  typeFor(host: Host): number {
    return this.spec.type ?? host.deviceType(this.key);
  }

  report(rule: RuleId, msg: string): void {
    this.violations.push({ rule, message: `[${rule}] ${msg}` });
  }

  decl(group: number): AttrDecl | undefined {
    return this.table.find((d) => d.group === group);
  }

  sizeOf(s: { group: number; attr: number | bigint; size?: PayloadSize }): PayloadSize {
    if (s.size !== undefined) return s.size;
    const d = this.decl(s.group);
    if (!d) return 4;
    if (typeof d.attrs !== 'string') {
      const a = d.attrs.find((x) => BigInt(x.attr) === BigInt(s.attr));
      if (a?.size !== undefined) return a.size;
    }
    return d.size;
  }

  access(group: number, attr: number | bigint): AttrAccess | undefined {
    const d = this.decl(group);
    if (!d) return undefined;
    if (typeof d.attrs !== 'string') {
      const a = d.attrs.find((x) => BigInt(x.attr) === BigInt(attr));
      if (a?.access) return a.access;
    }
    return d.access;
  }

  /** Explicitly listed (group, attr) pairs of the table. */
  listed(): AttrSample[] {
    const out: AttrSample[] = [];
    for (const d of this.table) {
      if (typeof d.attrs === 'string') continue;
      for (const a of d.attrs) out.push({ group: d.group, attr: a.attr, size: a.size ?? d.size, name: `${d.name}/${a.name}` });
    }
    return out;
  }

  stateAttrs(): AttrSample[] {
    const out: AttrSample[] = [];
    for (const d of this.table) {
      if (!d.state || typeof d.attrs === 'string') continue;
      for (const a of d.attrs) if (canRead(a.access ?? d.access)) out.push({ group: d.group, attr: a.attr, size: a.size ?? d.size });
    }
    for (const s of this.spec.samples.get ?? []) out.push(s);
    // what the valid SETs write, where the table says it can be read back (every vCPU's copy)
    for (const s of this.spec.samples.set ?? []) {
      const acc = this.access(s.group, s.attr);
      if (acc && canRead(acc) && this.decl(s.group)?.state !== false) out.push(...this.perVcpuCopies(s));
    }
    return out;
  }

  /** The fixture's vCPU ids. */
  vcpuIds(): number[] {
    return Array.from({ length: this.spec.vcpus ?? 0 }, (_, i) => i);
  }

  /** A per-vCPU sample addressed to each vCPU (the sample itself when it is not per-vCPU). */
  perVcpuCopies(s: AttrSample): AttrSample[] {
    const pv = s.perVcpu;
    if (!pv) return [s];
    return this.vcpuIds().map((id) => ({ ...s, attr: pv.attr(id), name: `${s.name ?? 'sample'} vCPU ${id}` }));
  }

  /** Every (group, attr) the kit knows to be valid. */
  known(): AttrSample[] {
    return [...this.listed(), ...(this.spec.samples.set ?? []).flatMap((s) => this.perVcpuCopies(s)), ...(this.spec.samples.get ?? [])];
  }

  /** Groups whose `attrs` is a string, with the spec's probe (undefined: the spec gives none). */
  encodedGroups(): { decl: AttrDecl; probe: AttrEncodingProbe | undefined }[] {
    return this.table.filter((d) => typeof d.attrs === 'string').map((decl) => ({ decl, probe: this.spec.encodings?.[decl.group] }));
  }

  /** Why `rule` does not apply to this spec (it is then reported as skipped), or undefined. */
  notApplicable(rule: RuleId): string | undefined {
    const sm = this.spec.samples;
    const sets = sm.set ?? [];
    const invalid = sm.invalid ?? [];
    switch (rule) {
      case 'create-error':
        return this.spec.singleton === undefined && !this.spec.createErrors?.length ? 'the spec declares no singleton errno and no createErrors' : undefined;
      case 'has-ignores-addr':
        return this.ops.hasAttr ? undefined : 'the device has no hasAttr (HAS is EPERM from the core)';
      case 'efault':
        return [...sets, ...(sm.get ?? [])].some((x) => this.sizeOf(x) > 0) ? undefined : 'no SET or GET sample carries a payload';
      case 'set-rejected-no-change':
        return invalid.some((x) => x.op === 'set') || sets.length
          ? undefined
          : 'no SET sample and no invalid SET sample (enxio-unknown and fuzz still check rejected SETs)';
      case 'errno-samples':
        return invalid.length ? undefined : 'the spec gives no invalid samples';
      case 'set-once':
        return sets.some((x) => x.once !== undefined) ? undefined : 'no SET sample declares `once` (a set-once attribute)';
      case 'per-vcpu':
        if (!sets.some((x) => x.perVcpu)) return 'no SET sample declares `perVcpu` (a per-vCPU attribute)';
        return (this.spec.vcpus ?? 0) >= 2 ? undefined : 'per-vCPU samples need vcpus >= 2 in the spec';
      default:
        return undefined;
    }
  }

  knownGroups(): number[] {
    return [...new Set([...this.table.map((d) => d.group), ...this.known().map((s) => s.group)])];
  }

  accessorFor(op: Op): boolean {
    return (op === 'set' ? this.ops.setAttr : op === 'get' ? this.ops.getAttr : this.ops.hasAttr) !== undefined;
  }
}

function label(s: AttrSample): string {
  return `${s.name ? `${s.name} ` : ''}(group ${s.group}, attr ${hex(s.attr)})`;
}

type RuleFn = (kit: Kit, b: () => Bench) => void;

const rules: Record<RuleId, RuleFn> = {
  'static-ops'(kit) {
    const o = kit.ops;
    if (o.release && o.destroy)
      kit.report('static-ops', `${o.name} registers both release and destroy: each create must be paired with exactly one`);
    else if (kit.spec.lifetime === 'release' && !o.release)
      kit.report('static-ops', `${o.name} is declared release-style but has no release (it would live until VM teardown)`);
    else if (kit.spec.lifetime === 'destroy' && !o.destroy)
      kit.report('static-ops', `${o.name} is declared destroy-style but has no destroy`);
    for (const d of kit.table) {
      if (canRead(d.access) && !o.getAttr) kit.report('static-ops', `group ${d.name} (${d.group}) is declared readable but ops.getAttr is missing (GET would be EPERM)`);
      if (canWrite(d.access) && !o.setAttr) kit.report('static-ops', `group ${d.name} (${d.group}) is declared writable but ops.setAttr is missing (SET would be EPERM)`);
    }
  },

  'create-test'(kit, bench) {
    const b = bench();
    const vm = b.ctx.kvm;
    const before = { users: vm.usersCount, devices: vm.devices.length, fds: b.host.files.openCount, irqchip: vm.irqchip, log: b.log.length };
    const r = createDevice(b.host, b.ctx.vmFd, b.ctx.type, KVM_CREATE_DEVICE_TEST, 0xabad1dea);
    if (r.ret !== 0) kit.report('create-test', `TEST create returned ${r.ret} (${en(r.errno)}), expected 0`);
    if (r.fd !== 0xabad1dea) kit.report('create-test', `TEST create wrote ${hex(r.fd)} into the fd field, which must stay untouched`);
    if (b.log.length !== before.log) kit.report('create-test', `TEST create caused events: ${b.log.slice(before.log).join(', ')}`);
    if (vm.usersCount !== before.users) kit.report('create-test', `TEST create changed the VM usersCount ${before.users} -> ${vm.usersCount}`);
    if (vm.devices.length !== before.devices) kit.report('create-test', 'TEST create added a device to the VM');
    if (b.host.files.openCount !== before.fds) kit.report('create-test', 'TEST create installed a file descriptor');
    if (vm.irqchip !== before.irqchip) kit.report('create-test', 'TEST create changed vm.irqchip');
  },

  'create-error'(kit, bench) {
    const cases: CreateErrorCase[] = [...(kit.spec.createErrors ?? [])];
    if (kit.spec.singleton !== undefined) {
      const errno = kit.spec.singleton;
      cases.unshift({
        name: 'second create in the same VM',
        errno,
        setup: (ctx) => {
          const r = createDevice(ctx.host, ctx.vmFd, ctx.type, 0);
          if (r.ret < 0) throw new RuleFailure(`the first create failed with ${en(r.errno)}`);
        },
      });
    }
    for (const c of cases) {
      const b = bench();
      c.setup(b.ctx);
      const vm = b.ctx.kvm;
      const before = { users: vm.usersCount, devices: [...vm.devices], fds: b.host.files.openCount, irqchip: vm.irqchip, maxVcpus: vm.maxVcpus, log: b.log.length };
      const r = createDevice(b.host, b.ctx.vmFd, b.ctx.type, 0);
      const what = `${c.name}:`;
      if (r.ret >= 0) {
        kit.report('create-error', `${what} create succeeded, expected ${en(c.errno)}`);
        continue;
      }
      if (r.errno !== c.errno) kit.report('create-error', `${what} create failed with ${en(r.errno)}, expected ${en(c.errno)}`);
      const ev = b.log.slice(before.log);
      if (ev.length) kit.report('create-error', `${what} a failed create caused events: ${ev.join(', ')}`);
      if (vm.usersCount !== before.users) kit.report('create-error', `${what} a failed create changed the VM usersCount ${before.users} -> ${vm.usersCount}`);
      if (vm.devices.length !== before.devices.length || vm.devices.some((d, i) => d !== before.devices[i]))
        kit.report('create-error', `${what} a failed create left a device on the VM's list`);
      if (b.host.files.openCount !== before.fds) kit.report('create-error', `${what} a failed create installed a file descriptor`);
      if (vm.irqchip !== before.irqchip) kit.report('create-error', `${what} a failed create changed vm.irqchip (side effect before failing)`);
      if (vm.maxVcpus !== before.maxVcpus) kit.report('create-error', `${what} a failed create changed vm.maxVcpus ${before.maxVcpus} -> ${vm.maxVcpus}`);
      // teardown: a failed create gets neither release nor destroy
      const live = vm.devices.length;
      for (const [fd, f] of b.host.files.entries()) if (f.target.kind !== 'system' && fd > 2) b.host.close(fd);
      const freed = b.log.filter((e) => e.startsWith('device-released') || e.startsWith('device-destroyed')).length;
      const expected = kit.spec.lifetime === 'release' ? b.log.filter((e) => e.startsWith('device-created')).length : live;
      if (freed !== expected) kit.report('create-error', `${what} ${freed} release/destroy calls for ${expected} live devices (a failed create must get neither)`);
      b.dispose();
    }
  },

  samples(kit, bench) {
    const b = bench();
    b.create();
    for (const s of kit.spec.samples.set ?? []) {
      const r = b.setSample(s);
      if (r < 0 && r !== -ENXIO) kit.report('samples', `SET ${label(s)} failed with ${en(-r)}`);
    }
    for (const s of kit.spec.samples.get ?? []) {
      const r = b.getSample(s).ret;
      if (r < 0 && r !== -ENXIO) kit.report('samples', `GET ${label(s)} failed with ${en(-r)}`);
    }
  },

  'has-get-set'(kit, bench) {
    const b = bench();
    b.create();
    if (!kit.ops.hasAttr && (kit.ops.getAttr || kit.ops.setAttr))
      kit.report('has-get-set', 'ops.hasAttr is missing (HAS gives EPERM) while GET/SET exist: userspace cannot probe the attributes');
    for (const s of kit.listed()) {
      const h = b.call('has', s.group, s.attr, 0);
      if (h !== 0) kit.report('has-get-set', `HAS ${label(s)} returned ${en(-h)} but the attribute table lists it`);
    }
    for (const s of kit.spec.samples.set ?? []) {
      const h = b.call('has', s.group, s.attr, 0);
      const r = b.setSample(s);
      if (h !== 0 && r >= 0) kit.report('has-get-set', `HAS ${label(s)} says ${en(-h)} but SET succeeds`);
      if (h === 0 && r === -ENXIO) kit.report('has-get-set', `HAS ${label(s)} says implemented but SET returns ENXIO`);
    }
    for (const s of kit.spec.samples.get ?? []) {
      const h = b.call('has', s.group, s.attr, 0);
      const r = b.getSample(s).ret;
      if (h !== 0 && r >= 0) kit.report('has-get-set', `HAS ${label(s)} says ${en(-h)} but GET succeeds`);
      if (h === 0 && r === -ENXIO) kit.report('has-get-set', `HAS ${label(s)} says implemented but GET returns ENXIO`);
    }
    for (const s of kit.spec.samples.invalid ?? []) {
      if (s.op !== 'has' || s.errno !== ENXIO) continue;
      const g = b.getSample(s).ret;
      if (g >= 0) kit.report('has-get-set', `HAS ${label(s)} rejects it but GET succeeds`);
      const v = b.resolve(s);
      const fp = b.fingerprint();
      const r = b.setSample(s, undefined, v);
      if (r >= 0) kit.report('has-get-set', `HAS ${label(s)} rejects it but SET succeeds`);
      else if (b.fingerprint() !== fp) kit.report('set-rejected-no-change', `SET ${label(s)} failed with ${en(-r)} but changed state`);
    }
  },

  'has-ignores-addr'(kit, bench) {
    if (!kit.ops.hasAttr) return;
    const b = bench();
    b.create();
    const probes = [...kit.known(), ...unknownProbes(kit)];
    for (const s of probes) {
      const base = b.call('has', s.group, s.attr, 0);
      for (const [name, addr] of [
        ['a valid buffer', b.buf],
        ['an unmapped address', UNMAPPED],
      ] as const) {
        const r = b.call('has', s.group, s.attr, addr);
        if (r !== base) kit.report('has-ignores-addr', `HAS ${label(s)} returns ${en(-base)} with addr NULL but ${en(-r)} with ${name}`);
      }
    }
  },

  'eperm-accessor'(kit, bench) {
    const b = bench();
    b.create();
    for (const op of ['set', 'get', 'has'] as const) {
      if (kit.accessorFor(op)) continue;
      // the core answers EPERM before copying the struct: a NULL struct pointer still gives EPERM
      const ret = b.host.ioctl(b.ctx.devFd, REQ[op], 0);
      const errno = ret < 0 ? b.host.errno : 0;
      if (errno !== EPERM) kit.report('eperm-accessor', `${op.toUpperCase()} without an accessor returned ${en(errno)}, expected EPERM before the struct copy`);
      const samples = op === 'set' ? kit.spec.samples.set : op === 'get' ? kit.spec.samples.get : undefined;
      for (const s of samples ?? []) kit.report('eperm-accessor', `${op.toUpperCase()} sample ${label(s)} is declared valid but the device has no ${op}Attr (always EPERM)`);
      for (const d of kit.table) {
        if ((op === 'get' && canRead(d.access)) || (op === 'set' && canWrite(d.access)))
          kit.report('eperm-accessor', `group ${d.name} declares access '${d.access}' but the device has no ${op}Attr (always EPERM)`);
      }
    }
  },

  'enxio-unknown'(kit, bench) {
    for (const { decl, probe } of kit.encodedGroups()) {
      if (probe) continue;
      kit.report(
        'enxio-unknown',
        `group ${decl.name} (${decl.group}) describes its attribute ids as a string ('${decl.attrs as string}'), so the kit cannot tell which ids do not exist: give encodings: { ${decl.group}: { unknown: [ids that must give ENXIO] } }, or { anyAttr: 'why every id is valid' } when the device ignores attr`,
      );
    }
    const b = bench();
    b.create();
    for (const s of unknownProbes(kit)) {
      for (const op of ['has', 'get', 'set'] as const) {
        const expected = kit.accessorFor(op) ? (s.expect?.[op] ?? ENXIO) : EPERM;
        const fp = op === 'set' ? b.fingerprint() : '';
        b.host.mem.fill(b.buf, 64, 0);
        const r = b.call(op, s.group, s.attr, b.buf);
        if (r !== -expected) kit.report('enxio-unknown', `${op.toUpperCase()} ${label(s)} returned ${en(r < 0 ? -r : 0)}, expected ${en(expected)}`);
        if (op === 'set' && r < 0 && b.fingerprint() !== fp) kit.report('set-rejected-no-change', `SET ${label(s)} failed with ${en(-r)} but changed state`);
      }
    }
  },

  efault(kit, bench) {
    const b = bench();
    b.create();
    const kinds = ['null', 'unmapped', 'end'] as const;
    for (const s of kit.spec.samples.get ?? []) {
      const size = kit.sizeOf(s);
      if (size === 0 || b.getSample(s).ret < 0) continue; // a sample that fails anyway is the samples rule's
      for (const k of kinds) {
        const r = b.call('get', s.group, s.attr, b.badAddr(k, size));
        if (r !== -EFAULT) kit.report('efault', `GET ${label(s)} with a ${k} address returned ${en(r < 0 ? -r : 0)}, expected EFAULT`);
      }
    }
    // each SET sample on a fresh device in the state the valid SET meets (the samples before it
    // applied): a bad address must give EFAULT, change nothing and not use the attribute up
    const sets = kit.spec.samples.set ?? [];
    for (let i = 0; i < sets.length; i++) {
      const s = sets[i]!;
      const size = kit.sizeOf(s);
      if (size === 0) continue;
      const f = bench();
      f.create();
      f.applySets(i);
      for (const k of kinds) {
        const fp = f.fingerprint();
        const r = f.call('set', s.group, s.attr, f.badAddr(k, size));
        if (r !== -EFAULT) kit.report('efault', `SET ${label(s)} with a ${k} address returned ${en(r < 0 ? -r : 0)}, expected EFAULT`);
        if (f.fingerprint() !== fp) kit.report('set-rejected-no-change', `SET ${label(s)} with a ${k} address changed state`);
      }
      const ok = f.setSample(s);
      if (ok < 0 && b.setSample(s) >= 0) kit.report('efault', `SET ${label(s)} fails with ${en(-ok)} after SETs with bad addresses: a rejected SET used it up`);
      f.dispose();
    }
  },

  'set-rejected-no-change'(kit, bench) {
    // every invalid SET on a device of its own, in both known states: freshly created (no valid
    // sample has touched it, so a set-once attribute is still unset) and after the valid samples
    const states = [
      ['create', 'on a freshly created device'],
      ['samples', 'after the valid SET samples'],
    ] as const;
    for (const s of kit.spec.samples.invalid ?? []) {
      if (s.op !== 'set') continue;
      for (const [after, where] of states) {
        const b = bench();
        b.prepare(after);
        const v = b.resolve(s);
        const fp = b.fingerprint();
        const r = b.setSample(s, undefined, v);
        if (r < 0 && b.fingerprint() !== fp) kit.report('set-rejected-no-change', `SET ${label(s)} failed with ${en(-r)} ${where} but changed state`);
        b.dispose();
      }
    }
    // a rejected SET of a valid sample's attribute (the invalid samples on it) must leave it settable
    const sets = kit.spec.samples.set ?? [];
    for (let i = 0; i < sets.length; i++) {
      const s = sets[i]!;
      const bad = (kit.spec.samples.invalid ?? []).filter((x) => x.op === 'set' && x.group === s.group && BigInt(x.attr) === BigInt(s.attr));
      if (!bad.length) continue;
      const b = bench();
      b.create();
      b.applySets(i);
      const rejected = bad.filter((x) => b.setSample(x) < 0);
      const r = b.setSample(s);
      if (rejected.length && r < 0) {
        const ref = bench();
        ref.create();
        ref.applySets(i);
        if (ref.setSample(s) >= 0)
          kit.report('set-rejected-no-change', `SET ${label(s)} fails with ${en(-r)} after the rejected ${rejected.map(label).join(', ')}: a rejected SET changed what the valid one meets`);
        ref.dispose();
      }
      b.dispose();
    }
  },

  'errno-samples'(kit, bench) {
    for (const s of kit.spec.samples.invalid ?? []) {
      const b = bench();
      b.prepare(s.after ?? 'samples');
      const r = s.op === 'set' ? b.setSample(s) : s.op === 'get' ? b.getSample(s).ret : b.call('has', s.group, s.attr, 0);
      const where = s.after === 'create' ? ' on a freshly created device' : '';
      if (r !== -s.errno) kit.report('errno-samples', `${s.op.toUpperCase()} ${label(s)}${where} returned ${en(r < 0 ? -r : 0)}, expected ${en(s.errno)}`);
      b.dispose();
    }
  },

  'set-once'(kit, bench) {
    const sets = kit.spec.samples.set ?? [];
    for (let i = 0; i < sets.length; i++) {
      const s = sets[i]!;
      if (s.once === undefined) continue;
      const copies = kit.perVcpuCopies(s);
      for (let k = 0; k < copies.length; k++) {
        const c = copies[k]!;
        const id = s.perVcpu ? kit.vcpuIds()[k]! : 0;
        const b = bench();
        b.create();
        b.applySets(i);
        // the invalid SETs of this attribute first: rejected, they must not use it up
        const bad = (kit.spec.samples.invalid ?? []).filter((x) => x.op === 'set' && x.group === c.group && BigInt(x.attr) === BigInt(c.attr));
        const rejected = bad.filter((x) => b.setSample(x) < 0);
        const v = b.resolve(s, id);
        const first = b.setSample(c, undefined, v);
        if (first === -s.once && rejected.length) {
          kit.report('set-once', `SET ${label(c)} fails with ${en(s.once)} after only rejected SETs (${rejected.map(label).join(', ')}): a rejected SET used the set-once attribute up`);
          b.dispose();
          continue;
        }
        if (first < 0) {
          kit.report('set-once', `the first SET of ${label(c)} failed with ${en(-first)} (the samples rule names the cause)`);
          b.dispose();
          continue;
        }
        const fp = b.fingerprint();
        const again = b.setSample(c, undefined, b.resolve(s, id));
        if (again !== -s.once) kit.report('set-once', `a second SET of the set-once ${label(c)} returned ${en(again < 0 ? -again : 0)}, expected ${en(s.once)}`);
        if (b.fingerprint() !== fp) kit.report('set-once', `a second SET of the set-once ${label(c)} changed state`);
        const h = b.call('has', c.group, c.attr, 0);
        if (kit.ops.hasAttr && h !== 0) kit.report('set-once', `HAS ${label(c)} says ${en(-h)} once the attribute is set (HAS does not depend on state)`);
        b.dispose();
      }
    }
  },

  'per-vcpu'(kit, bench) {
    const ids = kit.vcpuIds();
    const sets = kit.spec.samples.set ?? [];
    for (let i = 0; i < sets.length; i++) {
      const s = sets[i]!;
      const pv = s.perVcpu;
      if (!pv) continue;
      const readable = canRead(kit.access(s.group, s.attr) ?? 'w');
      for (const id of ids) {
        const b = bench();
        b.create();
        b.applySets(i);
        const copies = kit.perVcpuCopies(s);
        const others = () => copies.filter((_, j) => j !== id).map((o) => JSON.stringify(b.getSample(o), (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));
        const before = readable ? others() : [];
        const c = copies[id]!;
        const r = b.setSample(c, undefined, b.resolve(s, id));
        if (r < 0) kit.report('per-vcpu', `SET ${label(c)} failed with ${en(-r)}`);
        else if (readable && others().join() !== before.join()) kit.report('per-vcpu', `SET ${label(c)} changed another vCPU's copy of the attribute`);
        if (s.once !== undefined && r >= 0) {
          for (const o of copies) {
            if (o === c) continue;
            const ro = b.setSample(o, undefined, b.resolve(s, ids[copies.indexOf(o)]!));
            if (ro < 0) kit.report('per-vcpu', `after SET ${label(c)}, SET ${label(o)} fails with ${en(-ro)}: set-once is per vCPU`);
            break;
          }
        }
        b.dispose();
      }
      if (pv.missing !== undefined) {
        const b = bench();
        b.create();
        b.applySets(i);
        const m: AttrSample = { ...s, attr: pv.attr(ids.length), name: `${s.name ?? 'sample'} for vCPU id ${ids.length} (no such vCPU)` };
        const v = b.resolve(s, 0);
        const fp = b.fingerprint();
        const r = b.setSample(m, undefined, v);
        if (r !== -pv.missing) kit.report('per-vcpu', `SET ${label(m)} returned ${en(r < 0 ? -r : 0)}, expected ${en(pv.missing)}`);
        if (b.fingerprint() !== fp) kit.report('set-rejected-no-change', `SET ${label(m)} failed with ${en(r < 0 ? -r : 0)} but changed state`);
        if (readable) {
          const g = b.getSample(m).ret;
          if (g !== -pv.missing) kit.report('per-vcpu', `GET ${label(m)} returned ${en(g < 0 ? -g : 0)}, expected ${en(pv.missing)}`);
        }
        b.dispose();
      }
    }
  },

  lifetime(kit, bench) {
    const b = bench();
    const fd = b.create();
    for (const s of kit.spec.samples.set ?? []) b.setSample(s);
    const dev = b.device;
    const vm = b.ctx.kvm;
    const name = dev.ops.name;
    const count = (k: string) => b.log.filter((e) => e === `${k}:${name}`).length;
    const dup = b.host.dup(fd);
    const fp = b.fingerprint(dup);
    b.host.close(fd);
    b.ctx.devFd = dup;
    if (count('device-released') || count('device-destroyed')) kit.report('lifetime', 'the device was freed on the first close although a dup of its fd is still open');
    else if (b.fingerprint(dup) !== fp) kit.report('lifetime', 'closing one of two fds changed the device (it freed or reset state on the first close despite the dup)');
    if (dev.dead) kit.report('lifetime', 'the device is dead after the first close of a dup-ed fd');
    b.host.close(dup);
    b.ctx.devFd = -1;
    if (kit.spec.lifetime === 'release') {
      if (count('device-released') !== 1) kit.report('lifetime', `release ran ${count('device-released')} times on the last close, expected once`);
      if (vm.devices.includes(dev)) kit.report('lifetime', 'a release-style device is still on the VM list after its last fd closed');
      if (kit.spec.singleton !== undefined && !vm.freed) {
        const again = createDevice(b.host, b.ctx.vmFd, b.ctx.type, 0);
        if (again.ret < 0) kit.report('lifetime', `re-creating the one-per-VM device right after closing it failed with ${en(again.errno)} (release must fully unlink first)`);
        else b.host.close(again.fd);
      }
      b.closeAllButDevice();
      if (count('device-destroyed') > 0 && count('device-released') + count('device-destroyed') > (kit.spec.singleton !== undefined ? 2 : 1))
        kit.report('lifetime', 'a released device was destroyed again at VM teardown');
    } else {
      if (count('device-released') || count('device-destroyed')) kit.report('lifetime', 'a destroy-style device was freed when its fd closed; it must live until VM teardown');
      else if (!vm.devices.includes(dev)) kit.report('lifetime', 'a destroy-style device left the VM list when its fd closed');
      b.closeAllButDevice();
      if (count('device-destroyed') !== 1) kit.report('lifetime', `destroy ran ${count('device-destroyed')} times at VM teardown, expected once`);
      const di = b.log.indexOf(`device-destroyed:${name}`);
      const lastVcpu = b.log.reduce((acc, e, i) => (e.startsWith('vcpu-destroy') ? i : acc), -1);
      if (di >= 0 && lastVcpu > di) kit.report('lifetime', 'destroy ran before the vCPUs were destroyed');
      const vf = b.log.indexOf('vm-freed');
      if (di >= 0 && vf >= 0 && vf < di) kit.report('lifetime', 'destroy ran after the VM was freed');
    }
  },

  'vm-refs'(kit, bench) {
    for (const order of ['device-last', 'vm-last'] as const) {
      const b = bench();
      const vm = b.ctx.kvm;
      const u0 = vm.usersCount;
      const fd = b.create();
      if (vm.usersCount !== u0 + 1) kit.report('vm-refs', `create moved usersCount ${u0} -> ${vm.usersCount}, expected +1 (one reference per device fd)`);
      const dup = b.host.dup(fd);
      const others = [...b.ctx.vcpuFds, b.ctx.vmFd];
      const closes = order === 'device-last' ? [...others, fd, dup] : [fd, dup, ...others];
      for (let i = 0; i < closes.length; i++) {
        b.host.close(closes[i]!);
        const last = i === closes.length - 1;
        if (!last && vm.freed) {
          kit.report('vm-refs', `the VM was freed early (${order}: after ${i + 1} of ${closes.length} closes)`);
          break;
        }
        if (order === 'vm-last' && closes[i] === dup && kit.spec.lifetime === 'release' && vm.usersCount !== u0)
          kit.report('vm-refs', `after the device's last fd closed usersCount is ${vm.usersCount}, expected ${u0}`);
      }
      if (!vm.freed) kit.report('vm-refs', `the VM was kept alive after every fd closed (${order}, usersCount ${vm.usersCount})`);
      else if (b.log.filter((e) => e === 'vm-freed').length !== 1) kit.report('vm-refs', 'vm-freed fired more than once');
      if (b.host.liveVms.has(vm) === vm.freed) kit.report('vm-refs', 'host.liveVms disagrees with the VM state');
      b.dispose();
    }
  },

  fuzz(kit, bench) {
    fuzz(kit, bench);
  },

  'no-throw'() {
    // reported by runConformance from every rule's vm-bugged events
  },
};

/** An id the table says does not exist, with the errnos the spec documents for it (default ENXIO). */
interface UnknownProbe extends AttrSample {
  readonly expect?: OpErrnos;
}

/** (group, attr) pairs the table says do not exist. */
function unknownProbes(kit: Kit): UnknownProbe[] {
  const groups = kit.knownGroups();
  const out: UnknownProbe[] = [];
  const max = groups.length ? Math.max(...groups) : 0;
  for (const g of [max + 1, 0xffff, 0x7fffffff, 0xffffffff]) if (!groups.includes(g)) out.push({ group: g, attr: 0, name: 'unknown group' });
  for (const d of kit.table) {
    if (typeof d.attrs === 'string') {
      const probe = kit.spec.encodings?.[d.group];
      if (probe && 'unknown' in probe)
        for (const a of probe.unknown) out.push({ group: d.group, attr: a, name: `unknown attr of ${d.name}`, ...(probe.errno ? { expect: probe.errno } : {}) });
      continue;
    }
    const ids = d.attrs.map((a) => BigInt(a.attr));
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max would throw)
    const top = ids.reduce((m, x) => (x > m ? x : m), 0n);
    for (const a of [top + 1n, 0xffffffffn, (1n << 32n) | (ids[0] ?? 0n)]) {
      if (!ids.includes(a)) out.push({ group: d.group, attr: a, name: `unknown attr of ${d.name}` });
    }
  }
  return out;
}

function envInt(name: string): number | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function envStr(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name] || undefined;
}

interface Cmd {
  op: Op | 'sample';
  group: number;
  attr: bigint;
  addr: 'valid' | 'null' | 'unmapped' | 'end';
  bytes: Uint8Array;
  flags: number;
  sample: number;
}

function fuzz(kit: Kit, bench: () => Bench): void {
  const opts = kit.spec.fuzz ?? {};
  // the environment wins, so CI can turn the runs up and a failure can be replayed without editing the spec
  const runs = Math.max(envInt('KVMDEV_FC_RUNS') ?? 0, opts.runs ?? 50); // the environment raises, never lowers
  const seed = envInt('KVMDEV_FC_SEED') ?? opts.seed ?? 0x6b766d;
  const path = envStr('KVMDEV_FC_PATH') ?? opts.path;
  const steps = opts.steps ?? 24;
  const known = kit.known();
  const groups = kit.knownGroups();
  const sets = kit.spec.samples.set ?? [];
  const pair = known.length
    ? fc.constantFrom(...known.map((s) => [s.group, BigInt(s.attr)] as const))
    : fc.constant([0, 0n] as const);
  const cmd: fc.Arbitrary<Cmd> = fc.record({
    op: fc.constantFrom<Cmd['op']>('set', 'get', 'has', 'sample'),
    group: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, groups.length ? fc.constantFrom(...groups) : fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
    attr: fc.oneof({ weight: 3, arbitrary: fc.constant(-1n) }, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 0xffffn })),
    addr: fc.constantFrom<Cmd['addr']>('valid', 'valid', 'valid', 'null', 'unmapped', 'end'),
    bytes: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    flags: fc.constantFrom(0, 0, 0, 1, 0xffffffff),
    sample: fc.nat({ max: 1000 }),
  });
  const prop = fc.property(fc.tuple(fc.array(cmd, { minLength: 1, maxLength: steps }), pair), ([cmds]) => {
    const b = bench();
    try {
      b.create();
      const pairs = known.map((s) => [s.group, BigInt(s.attr)] as const);
      for (const c of cmds) {
        let op: Op;
        let group: number;
        let attr: bigint;
        let r: number;
        if (c.op === 'sample' && sets.length) {
          const s = sets[c.sample % sets.length]!;
          op = 'set';
          group = s.group;
          attr = BigInt(s.attr);
          const v = b.resolve(s);
          const fp = b.fingerprint();
          r = b.setSample(s, undefined, v);
          if (r < 0 && b.fingerprint() !== fp) throw new Error(`SET ${label(s)} failed with ${en(-r)} but changed state`);
        } else {
          op = c.op === 'sample' ? 'get' : c.op;
          const p = pairs.length ? pairs[c.sample % pairs.length]! : ([0, 0n] as const);
          group = c.group === -1 ? p[0] : c.group;
          attr = c.attr === -1n ? p[1] : c.attr;
          const size = kit.sizeOf({ group, attr });
          let addr: number;
          if (c.addr === 'valid') {
            b.host.mem.write(b.buf, c.bytes);
            addr = b.buf;
          } else addr = b.badAddr(c.addr, size || 8);
          const fp = op === 'set' ? b.fingerprint() : '';
          r = b.call(op, group, attr, addr, b.ctx.devFd, c.flags);
          if (op === 'set' && r < 0 && b.fingerprint() !== fp)
            throw new Error(`SET group ${group} attr ${hex(attr)} failed with ${en(-r)} but changed state`);
        }
        const where = `${op.toUpperCase()} group ${group} attr ${hex(attr)}`;
        if (b.bugs.length) throw new Error(`${where}: the plugin threw (${b.bugs[0]})`);
        if (r < 0 && !kit.errnos.has(-r)) throw new Error(`${where} returned ${en(-r)}, not a documented errno`);
        if (r > 0 && op !== 'get') throw new Error(`${where} returned a positive value ${r}`);
        if (r >= 0 && op !== 'has' && kit.ops.hasAttr && !kit.spec.hasRejectsButAccessible?.(group, BigInt(attr))) {
          const h = b.call('has', group, attr, 0);
          if (h !== 0) throw new Error(`${where} succeeded but HAS says ${en(-h)} (has-get-set)`);
        }
      }
      return true;
    } finally {
      b.dispose();
    }
  });
  const res = fc.check(prop, { numRuns: runs, seed, ...(path ? { path } : {}), endOnFailure: true });
  if (res.failed) {
    const err = res.errorInstance instanceof Error ? res.errorInstance.message : String(res.errorInstance);
    kit.report(
      'fuzz',
      `${err} — after ${res.numRuns} runs; replay with KVMDEV_FC_SEED=${res.seed} KVMDEV_FC_PATH=${res.counterexamplePath ?? ''} (KVMDEV_FC_RUNS=${runs})`,
    );
  }
}

/** Options of {@link runConformance}. */
export interface RunOptions {
  /** Run only these rules (overrides `spec.rules`). */
  readonly rules?: readonly RuleId[];
}

/**
 * Runs the conformance rules against `spec` and returns every violation (it never throws for a
 * broken plugin). Each rule runs in fresh hosts, so rules are independent.
 */
export function runConformance(spec: DeviceConformanceSpec, options: RunOptions = {}): ConformanceReport {
  const kit = new Kit(spec);
  const wanted = options.rules ?? spec.rules ?? RULE_IDS;
  const checked: RuleId[] = [];
  const skipped: SkippedRule[] = [];
  const bugSeen = new Set<string>();
  const noThrow = wanted.includes('no-throw') && skipReason(spec, 'no-throw') === undefined;
  for (const id of RULE_IDS) {
    if (!wanted.includes(id)) continue;
    const why = skipReason(spec, id) ?? kit.notApplicable(id);
    if (why !== undefined) {
      skipped.push({ rule: id, reason: why });
      continue;
    }
    checked.push(id);
    const benches: Bench[] = [];
    const bench = () => {
      const b = new Bench(kit, spec.vcpus ?? 0);
      benches.push(b);
      return b;
    };
    try {
      rules[id](kit, bench);
    } catch (e) {
      if (e instanceof RuleFailure) kit.report(id, e.message);
      else kit.report(id, `the rule could not run: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    for (const b of benches) {
      if (id !== 'fuzz' && noThrow) {
        for (const bug of b.bugs) {
          const m = `plugin code threw during rule ${id} (${bug}); the VM is bugged and the call failed with EIO`;
          if (!bugSeen.has(bug)) kit.report('no-throw', m);
          bugSeen.add(bug);
        }
      }
      b.dispose();
    }
  }
  return { device: spec.name ?? kit.key, ok: kit.violations.length === 0, violations: kit.violations, checked, skipped };
}

/**
 * Why each rule would be skipped for `spec` (skipped by the spec, or not applicable to the
 * device), without running anything. `describeDeviceConformance` registers these as skipped tests.
 */
export function skippedRules(spec: DeviceConformanceSpec): SkippedRule[] {
  const kit = new Kit(spec);
  const out: SkippedRule[] = [];
  for (const id of RULE_IDS) {
    const why = skipReason(spec, id) ?? kit.notApplicable(id);
    if (why !== undefined) out.push({ rule: id, reason: why });
  }
  return out;
}

/** Formats a report's violations, one per line, and the skipped rules with their reasons. */
export function formatReport(r: ConformanceReport): string {
  const skipped = r.skipped.length ? `\n${r.skipped.map((x) => `  skipped ${x.rule}: ${x.reason}`).join('\n')}` : '';
  if (r.ok) return `${r.device}: conforms (${r.checked.length} rules)${skipped}`;
  return `${r.device}: ${r.violations.length} violation(s)\n${r.violations.map((v) => `  ${v.message}`).join('\n')}${skipped}`;
}

