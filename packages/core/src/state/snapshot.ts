/**
 * Snapshots: save the state of every device of a VM (and the per-vCPU state the devices own)
 * through the attribute operations a VMM would use, driven by each plugin's
 * {@link DeviceSnapshotSpec}; restore it onto a VM built from the same composition; diff two
 * snapshots in device terms. The format is versioned, self-describing JSON; 64-bit values are
 * hex strings so nothing loses precision.
 * @packageDocumentation
 */
import { ATTR_HAS, type KvmDevice } from '../kernel/device.js';
import { KvmError, showValue } from '../uapi/errors.js';
import type { Host } from '../faces/host.js';
import type { DeviceSnapshotSpec, DeviceStateIo, StateEntry, StateLayout, StateValues } from '../plugins/snapshot-spec.js';
import type { KvmDeviceAttr } from '../kernel/attr.js';
import { EBADF, EINVAL, EIO, ENXIO, EPERM } from '../uapi/errno.js';
import { KVM_UAPI_VERSION } from '../uapi/kvm.js';
import type { Vm } from '../kernel/vm.js';
import { CORE_VERSION } from '../plugins/version.js';
import {
  MemoryImageError,
  type ParsedMemory,
  type SnapshotMemory,
  captureGuestMemory,
  checkGuestMemory,
  diffGuestMemory,
  encodeGuestMemory,
  hasGuestMemory,
  loadGuestMemory,
  parseGuestMemory,
} from './memory-image.js';

export type { SnapshotMemory, SnapshotMemoryRun, SnapshotMemorySlot } from './memory-image.js';

/** The snapshot format identifier and version. */
export const SNAPSHOT_FORMAT = 'kvmdev-snapshot';
/** The snapshot format version this kvmdev writes and reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** One saved state value, as JSON. */
export interface SnapshotEntry {
  /** The entry's key, stable and unique within the device (`'dist.0x104'`, `'icp.2'`). */
  key: string;
  /** The attribute group it is read and written through, or -1 for a vCPU ONE_REG. */
  group: number;
  /** attr (or ONE_REG id) as a hex string */
  attr: string;
  /** Payload size in bytes. */
  size: 4 | 8;
  /** The vCPU id, for a per-vCPU value. */
  vcpu?: number;
  /** value as a hex string */
  value: string;
}

/** One device in a snapshot. */
export interface SnapshotDevice {
  /** KVM_DEV_TYPE number on the saving host. */
  type: number;
  /** Registry key (stable across hosts, unlike vendor type numbers). */
  key: string;
  /** Name of the plugin that registered the device. */
  plugin: string;
  /** Creation parameters the device's setup spec needs to re-create it (checked on restore). */
  params: Record<string, number | string | boolean>;
  /** The saved values, in save order. */
  state: SnapshotEntry[];
}

/** A VM snapshot (JSON-serialisable). */
export interface Snapshot {
  /** Always `kvmdev-snapshot`. */
  format: typeof SNAPSHOT_FORMAT;
  /** The format version ({@link SNAPSHOT_FORMAT_VERSION}). */
  formatVersion: number;
  /** Version of @kvmdev/core that wrote the snapshot. */
  kvmdevVersion: string;
  /** The kernel uapi the model follows (`KVM_UAPI_VERSION`, e.g. `'linux-7.0'`). */
  uapiVersion: string;
  /** The VM: its KVM_CREATE_VM type and its vCPU ids in creation order. */
  vm: { type: number; vcpus: number[] };
  /** Devices in creation order. */
  devices: SnapshotDevice[];
  /**
   * The guest memory image (every memory slot and its nonzero pages), taken after the devices
   * put their in-memory state there (ITS tables, LPI pending bits); absent when the VM has no
   * memory slot. A restore checks that the VM has the same slots and loads it before any device.
   */
  memory?: SnapshotMemory;
}

/** A snapshot that cannot be restored here; `path` names the field, `message` what differs. */
export class SnapshotError extends KvmError {
  /** Where in the snapshot the problem is (a JSON path such as `$.devices[0].state[3]`). */
  readonly path: string;
  constructor(path: string, message: string) {
    super(EINVAL, `${path}: ${message}`);
    this.name = 'SnapshotError';
    this.path = path;
  }
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
/** `0x…` of the u64 whose halves are `lo` and `hi`: the same text as `hex` of its bigint. */
function hex2(lo: number, hi: number): string {
  if (hi === 0) return lo === 0 ? '0x0' : `0x${lo.toString(16)}`;
  return `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
}
const TWO32 = 4294967296;
/** The bigint of a u64 given as u32 halves (below 2^53 through one exact Number). */
const big2 = (lo: number, hi: number): bigint => (hi < 0x200000 ? BigInt(hi * TWO32 + lo) : (BigInt(hi) << 32n) | BigInt(lo));
/** 2^53: every bigint up to it converts to a Number exactly. */
const MAX_EXACT = 9007199254740992n;

/**
 * The DeviceStateIo of one device, over the host's attribute and ONE_REG operations. The fd and
 * VM checks of the attr ioctls run once, when the io is made (a snapshot is one operation); each
 * access then calls the device's accessor as the ioctl would, with its errno unchanged.
 */
export function deviceStateIo(host: Host, dev: KvmDevice): DeviceStateIo {
  return engineIo(host, dev);
}

/** The engine's io: it always has the numeric members. */
type EngineIo = DeviceStateIo & Required<Pick<DeviceStateIo, 'readAttr' | 'writeAttr'>>;

function engineIo(host: Host, dev: KvmDevice): EngineIo {
  const fd = deviceFd(host, dev);
  const probe = host.deviceAttrCall(fd, ATTR_HAS, 0, 0, 0, 0);
  if (probe === -EIO || probe === -EBADF) throw new KvmError(-probe, `device ${dev.ops.name} cannot be accessed`);
  const vm = dev.kvm;
  const buf = host.scratch();
  const mem = host.mem;
  const ops = dev.ops;
  const call = (fn: typeof ops.getAttr, op: string, group: number, attr: bigint, addr: number): number => {
    if (fn === undefined) return -EPERM;
    if (vm.bugged) throw new KvmError(EIO, `${op}: the VM is bugged`);
    // the attr's two u32 halves; below 2^53 through one exact Number (no intermediate bigint)
    let lo: number;
    let hi: number;
    if (attr >= 0n && attr <= MAX_EXACT) {
      const n = Number(attr);
      lo = n % TWO32;
      hi = (n - lo) / TWO32;
    } else {
      lo = Number(BigInt.asUintN(32, attr));
      hi = Number(BigInt.asUintN(32, attr >> 32n));
    }
    return host.callAccessor(dev, fn as (d: KvmDevice, a: KvmDeviceAttr) => number, group, lo, hi, addr);
  };
  const call2 = (fn: typeof ops.getAttr, op: string, group: number, lo: number, hi: number, addr: number): number => {
    if (fn === undefined) return -EPERM;
    if (vm.bugged) throw new KvmError(EIO, `${op}: the VM is bugged`);
    return host.callAccessor(dev, fn as (d: KvmDevice, a: KvmDeviceAttr) => number, group, lo, hi, addr);
  };
  const vcpu = (id: number) => {
    const v = vm.vcpuById(id);
    if (!v) throw new KvmError(EINVAL, `no vCPU ${id}`);
    return v;
  };
  return {
    vcpuIds: vm.vcpus.map((v) => v.id),
    getAttr(group, attr, size) {
      const r = call(ops.getAttr, 'GET', group, attr, buf);
      if (r < 0) throw new KvmError(-r, `GET group ${group} attr ${hex(attr)}`);
      return size === 8 ? mem.getU64(buf) : BigInt(mem.getU32(buf));
    },
    setAttr(group, attr, size, value) {
      if (size === 8) mem.setU64(buf, value);
      else if (size === 4) mem.setU32(buf, value >= 0n && value <= 0xffffffffn ? Number(value) : Number(BigInt.asUintN(32, value)));
      const r = call(ops.setAttr, 'SET', group, attr, buf);
      if (r < 0) throw new KvmError(-r, `SET group ${group} attr ${hex(attr)} = ${hex(value)}`);
    },
    hasAttr(group, attr) {
      return call(ops.hasAttr, 'HAS', group, attr, 0) === 0;
    },
    readAttr(group, attrLo, attrHi, size, out, index) {
      const r = call2(ops.getAttr, 'GET', group, attrLo, attrHi, buf);
      if (r < 0) throw new KvmError(-r, `GET group ${group} attr ${hex2(attrLo, attrHi)}`);
      if (size === 8) {
        out.lo[index] = mem.getU64Lo(buf);
        out.hi[index] = mem.getU64Hi(buf);
      } else {
        out.lo[index] = mem.getU32(buf);
        out.hi[index] = 0;
      }
    },
    writeAttr(group, attrLo, attrHi, size, lo, hi) {
      if (size === 8) mem.setU64Parts(buf, lo, hi);
      else mem.setU32(buf, lo);
      const r = call2(ops.setAttr, 'SET', group, attrLo, attrHi, buf);
      if (r < 0) throw new KvmError(-r, `SET group ${group} attr ${hex2(attrLo, attrHi)} = ${hex2(lo >>> 0, size === 8 ? hi >>> 0 : 0)}`);
    },
    getOneReg(vcpuId, id) {
      const r = host.getOneReg(vcpu(vcpuId), id, buf);
      if (r < 0) throw new KvmError(-r, `KVM_GET_ONE_REG ${hex(id)} on vCPU ${vcpuId}`);
      return mem.getU64(buf);
    },
    setOneReg(vcpuId, id, value) {
      mem.setU64(buf, value);
      const r = host.setOneReg(vcpu(vcpuId), id, buf);
      if (r < 0) throw new KvmError(-r, `KVM_SET_ONE_REG ${hex(id)} on vCPU ${vcpuId}`);
    },
  };
}

/** An fd of this process on the device (the snapshot engine opens none of its own). */
function deviceFd(host: Host, dev: KvmDevice): number {
  for (const [fd, f] of host.files.entries()) if (f.target.kind === 'device' && f.target.device === dev) return fd;
  throw new KvmError(ENXIO, `device ${dev.ops.name} has no open fd in this process (a closed destroy-style device cannot be saved through the attribute API)`);
}

function devicesInOrder(vm: Vm): KvmDevice[] {
  return [...vm.devices].reverse();
}

/** A spec with the layout path ({@link DeviceSnapshotSpec.layout} and `restoreValues`). */
type LayoutSpec = DeviceSnapshotSpec & Required<Pick<DeviceSnapshotSpec, 'layout' | 'restoreValues'>>;

const hasLayout = (spec: DeviceSnapshotSpec): spec is LayoutSpec => spec.layout !== undefined && spec.restoreValues !== undefined;

/** Values for `n` entries. */
const valuesOf = (n: number): StateValues => ({ lo: new Uint32Array(n), hi: new Uint32Array(n) });

/** Every value of a layout, read on the device (the spec's `saveValues`, else entry by entry). */
function readLayout(spec: LayoutSpec, dev: KvmDevice, io: EngineIo, l: StateLayout): StateValues {
  const out = valuesOf(l.keys.length);
  if (spec.saveValues) {
    spec.saveValues(dev, io, l, out);
    return out;
  }
  const { groups, attrLo, attrHi, sizes, vcpus } = l;
  for (let k = 0; k < groups.length; k++) {
    const g = groups[k]!;
    if (g >= 0) io.readAttr(g, attrLo[k]!, attrHi[k]!, sizes[k] as 4 | 8, out, k);
    else {
      const v = io.getOneReg(vcpus[k]!, big2(attrLo[k]!, attrHi[k]!));
      out.lo[k] = Number(BigInt.asUintN(32, v));
      out.hi[k] = Number(BigInt.asUintN(32, v >> 32n));
    }
  }
  return out;
}

/** What the engine derives from a layout, made once per layout object. */
interface LayoutInfo {
  /** `attr` of each entry as the snapshot writes it, made on first use. */
  attrs: readonly string[] | null;
  /** Index by key, made on first use (a snapshot whose order differs). */
  index: Map<string, number> | null;
}
const layoutInfo = new WeakMap<StateLayout, LayoutInfo>();
/** The key list of the last layout of each length seen here (when its keys are unique). */
const knownKeys = new Map<number, WeakRef<readonly string[]>>();

function infoOf(l: StateLayout): LayoutInfo {
  let i = layoutInfo.get(l);
  if (i === undefined) {
    i = { attrs: null, index: null };
    layoutInfo.set(l, i);
  }
  return i;
}

/** A spec's layout: its info, and its keys remembered for the parse's duplicate check (once per layout). */
function specLayout(l: StateLayout): StateLayout {
  if (!layoutInfo.has(l)) {
    infoOf(l);
    if (new Set(l.keys).size === l.keys.length) {
      if (knownKeys.size >= 64) knownKeys.clear();
      knownKeys.set(l.keys.length, new WeakRef(l.keys));
    }
  }
  return l;
}

function attrsOf(info: LayoutInfo, l: StateLayout): readonly string[] {
  if (info.attrs === null) {
    const attrs: string[] = [];
    for (let k = 0; k < l.keys.length; k++) attrs.push(hex2(l.attrLo[k]!, l.attrHi[k]!));
    info.attrs = attrs;
  }
  return info.attrs;
}

function indexOf(info: LayoutInfo, l: StateLayout): Map<string, number> {
  if (info.index === null) {
    info.index = new Map();
    for (let k = 0; k < l.keys.length; k++) info.index.set(l.keys[k]!, k);
  }
  return info.index;
}

/** The JSON entries of a layout's values (the same text `toJson` writes for the same entries). */
function layoutJson(l: StateLayout, v: StateValues): SnapshotEntry[] {
  const attrs = attrsOf(infoOf(l), l);
  const { keys, groups, sizes, vcpus } = l;
  const out: SnapshotEntry[] = new Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    const o: SnapshotEntry = { key: keys[k]!, group: groups[k]!, attr: attrs[k]!, size: sizes[k] as 4 | 8, value: hex2(v.lo[k]!, v.hi[k]!) };
    const c = vcpus[k]!;
    if (c >= 0) o.vcpu = c;
    out[k] = o;
  }
  return out;
}

/** The layout of a list of entries (for a spec without one). */
function entriesLayout(list: readonly StateEntry[]): StateLayout {
  const n = list.length;
  const layout = { keys: list.map((e) => e.key), groups: new Int32Array(n), attrLo: new Uint32Array(n), attrHi: new Uint32Array(n), sizes: new Uint8Array(n), vcpus: new Int32Array(n) };
  for (let k = 0; k < n; k++) {
    const e = list[k]!;
    const a = e.attr;
    layout.groups[k] = e.group;
    if (a >= 0n && a <= 0xffffffffn) layout.attrLo[k] = Number(a);
    else {
      layout.attrLo[k] = Number(BigInt.asUintN(32, a));
      layout.attrHi[k] = Number(BigInt.asUintN(32, a >> 32n));
    }
    layout.sizes[k] = e.size;
    layout.vcpus[k] = e.vcpu ?? -1;
  }
  return layout;
}

/** Saves every device of the VM behind `vmFd`. */
export function saveSnapshot(host: Host, vmFd: number): Snapshot {
  const vm = host.vmOf(vmFd);
  const devs = devicesInOrder(vm).map((dev) => {
    const info = host.registry.typeInfo(dev.type);
    const spec = info?.snapshot;
    if (!info || !spec) throw new KvmError(ENXIO, `device ${dev.ops.name} (type ${dev.type}) has no snapshot support`);
    return { dev, info, spec, io: engineIo(host, dev) };
  });
  // the VM stops: devices flush what they keep in guest memory, before anything is read
  for (const d of devs) d.spec.prepare?.(d.dev, d.io);
  const devices: SnapshotDevice[] = devs.map(({ dev, info, spec, io }) => {
    const params = spec.params(dev, io);
    let state: SnapshotEntry[];
    if (hasLayout(spec)) {
      const l = specLayout(spec.layout(dev, io));
      state = layoutJson(l, readLayout(spec, dev, io, l));
    } else state = spec.save(dev, io).map(toJson);
    return { type: dev.type, key: info.key, plugin: info.plugin, params, state };
  });
  const snap: Snapshot = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    kvmdevVersion: CORE_VERSION,
    uapiVersion: KVM_UAPI_VERSION,
    vm: { type: vm.type, vcpus: vm.vcpus.map((v) => v.id) },
    devices,
  };
  if (hasGuestMemory(vm)) snap.memory = encodeGuestMemory(captureGuestMemory(vm, host.mem));
  return snap;
}

function toJson(e: StateEntry): SnapshotEntry {
  const o: SnapshotEntry = { key: e.key, group: e.group, attr: hex(e.attr), size: e.size, value: hex(e.value) };
  if (e.vcpu !== undefined) o.vcpu = e.vcpu;
  return o;
}

function badHex(p: string, j: number, field: string, s: unknown): SnapshotError {
  return new SnapshotError(`${p}.state[${j}].${field}`, `expected a hex string like "0x1f", got ${showValue(s)}`);
}

/** The halves of the last hexParts. */
let hexLo = 0;
let hexHi = 0;

/**
 * Parses `s` as /^0x[0-9a-f]+$/i (digit by digit) into hexLo / hexHi; a value past 64 bits (or 32
 * bits when `wide` is false) does not fit the field.
 */
function hexParts(p: string, j: number, field: string, s: unknown, wide: boolean): void {
  if (typeof s !== 'string' || s.length < 3 || s.charCodeAt(0) !== 48 || (s.charCodeAt(1) | 0x20) !== 120) throw badHex(p, j, field, s);
  let lo = 0;
  let hi = 0;
  let over = false;
  for (let k = 2; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const l = c | 0x20;
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (l >= 97 && l <= 102) d = l - 87;
    else throw badHex(p, j, field, s);
    if (!over) {
      hi = hi * 16 + (lo >>> 28);
      lo = ((lo << 4) | d) >>> 0;
      if (hi > 0xffffffff) over = true;
    }
  }
  if (over || (!wide && hi !== 0)) throw new SnapshotError(`${p}.state[${j}].${field}`, `${s} does not fit the field`);
  hexLo = lo;
  hexHi = hi;
}

/** A device's entries as parsed: the columns of a layout and their values (no bigint, no StateEntry). */
interface ParsedState extends StateLayout, StateValues {}

/** Checks the shape of a parsed snapshot and returns it typed; throws SnapshotError naming the field. */
export function parseSnapshot(data: unknown): Snapshot {
  return parseWithEntries(data).snap;
}

/** parseSnapshot, also returning every device's entries decoded (as columns). */
function parseWithEntries(data: unknown): { snap: Snapshot; entries: ParsedState[]; memory: ParsedMemory | null } {
  const all: ParsedState[] = [];
  const o = data as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SnapshotError('$', 'a snapshot is a JSON object');
  if (o.format !== SNAPSHOT_FORMAT) throw new SnapshotError('$.format', `expected "${SNAPSHOT_FORMAT}", got ${showValue(o.format)}`);
  if (o.formatVersion !== SNAPSHOT_FORMAT_VERSION)
    throw new SnapshotError('$.formatVersion', `unknown version ${showValue(o.formatVersion)} (this kvmdev reads ${SNAPSHOT_FORMAT_VERSION})`);
  if (typeof o.kvmdevVersion !== 'string') throw new SnapshotError('$.kvmdevVersion', 'missing');
  if (typeof o.uapiVersion !== 'string') throw new SnapshotError('$.uapiVersion', 'missing');
  const vmo = o.vm as Record<string, unknown> | undefined;
  if (typeof vmo !== 'object' || vmo === null) throw new SnapshotError('$.vm', 'missing');
  if (!Number.isInteger(vmo.type) || (vmo.type as number) < 0) throw new SnapshotError('$.vm.type', 'expected a non-negative integer');
  if (!Array.isArray(vmo.vcpus) || !vmo.vcpus.every((x) => Number.isInteger(x) && x >= 0))
    throw new SnapshotError('$.vm.vcpus', 'expected an array of vCPU ids');
  if (!Array.isArray(o.devices)) throw new SnapshotError('$.devices', 'expected an array');
  o.devices.forEach((d: unknown, i: number) => {
    const p = `$.devices[${i}]`;
    const dd = d as Record<string, unknown>;
    if (typeof d !== 'object' || d === null) throw new SnapshotError(p, 'expected an object');
    if (!Number.isInteger(dd.type)) throw new SnapshotError(`${p}.type`, 'expected an integer');
    if (typeof dd.key !== 'string') throw new SnapshotError(`${p}.key`, 'expected a string');
    if (typeof dd.plugin !== 'string') throw new SnapshotError(`${p}.plugin`, 'expected a string');
    if (typeof dd.params !== 'object' || dd.params === null) throw new SnapshotError(`${p}.params`, 'expected an object');
    if (!Array.isArray(dd.state)) throw new SnapshotError(`${p}.state`, 'expected an array');
    const state = dd.state as unknown[];
    const len = state.length;
    // the keys of a layout used here before, while the entries have them (by index): no duplicate
    // possible, no Set made; from the first other key on, a Set of the keys so far
    let known = knownKeys.get(len)?.deref();
    let seen: Set<string> | null = null;
    const list: string[] = [];
    const ps: ParsedState = {
      keys: list,
      groups: new Int32Array(len),
      attrLo: new Uint32Array(len),
      attrHi: new Uint32Array(len),
      sizes: new Uint8Array(len),
      vcpus: new Int32Array(len),
      lo: new Uint32Array(len),
      hi: new Uint32Array(len),
    };
    let n = 0;
    for (let j = 0; j < len; j++) {
      const e = state[j];
      if (e === undefined && !(j in state)) continue; // a hole (not JSON): skipped, as forEach does
      const ee = e as Record<string, unknown>;
      if (typeof e !== 'object' || e === null) throw new SnapshotError(`${p}.state[${j}]`, 'expected an object');
      const key = ee.key;
      if (typeof key !== 'string') throw new SnapshotError(`${p}.state[${j}].key`, 'expected a string');
      if (known === undefined || known[n] !== key) {
        known = undefined;
        seen ??= new Set(list);
        if (seen.has(key)) throw new SnapshotError(`${p}.state[${j}].key`, `duplicate key ${key}`);
        seen.add(key);
      }
      const group = ee.group;
      if (!Number.isInteger(group) || (group as number) < -1) throw new SnapshotError(`${p}.state[${j}].group`, 'expected an integer >= -1');
      const size = ee.size;
      if (size !== 4 && size !== 8) throw new SnapshotError(`${p}.state[${j}].size`, 'expected 4 or 8');
      hexParts(p, j, 'attr', ee.attr, true);
      ps.attrLo[n] = hexLo;
      ps.attrHi[n] = hexHi;
      hexParts(p, j, 'value', ee.value, size === 8);
      ps.lo[n] = hexLo;
      ps.hi[n] = hexHi;
      const vcpu = ee.vcpu;
      if (vcpu !== undefined && !(Number.isInteger(vcpu) && (vcpu as number) >= 0)) throw new SnapshotError(`${p}.state[${j}].vcpu`, 'expected a vCPU id');
      list.push(key);
      ps.groups[n] = group as number;
      ps.sizes[n] = size;
      ps.vcpus[n] = vcpu === undefined ? -1 : (vcpu as number);
      n++;
    }
    all.push(n === len ? ps : trimmed(ps, n));
  });
  let memory: ParsedMemory | null = null;
  if (o.memory !== undefined) {
    try {
      memory = parseGuestMemory(o.memory);
    } catch (e) {
      if (e instanceof MemoryImageError) throw new SnapshotError(e.path, e.detail);
      throw e;
    }
  }
  return { snap: data as Snapshot, entries: all, memory };
}

/** The first `n` rows of a parsed state. */
function trimmed(ps: ParsedState, n: number): ParsedState {
  return {
    keys: ps.keys,
    groups: ps.groups.slice(0, n),
    attrLo: ps.attrLo.slice(0, n),
    attrHi: ps.attrHi.slice(0, n),
    sizes: ps.sizes.slice(0, n),
    vcpus: ps.vcpus.slice(0, n),
    lo: ps.lo.slice(0, n),
    hi: ps.hi.slice(0, n),
  };
}

/** The StateEntry objects of parsed rows (for a spec restored through `restore`). */
function parsedEntries(ps: ParsedState): StateEntry[] {
  const out: StateEntry[] = [];
  for (let j = 0; j < ps.keys.length; j++) {
    const key = ps.keys[j]!;
    const group = ps.groups[j]!;
    const attr = big2(ps.attrLo[j]!, ps.attrHi[j]!);
    const size = ps.sizes[j] as 4 | 8;
    const value = big2(ps.lo[j]!, ps.hi[j]!);
    const vcpu = ps.vcpus[j]!;
    out.push(vcpu < 0 ? { key, group, attr, size, value } : { key, group, attr, size, vcpu, value });
  }
  return out;
}

/** The StateEntry of one JSON entry (checked by the parse). */
function entryOf(e: SnapshotEntry): StateEntry {
  const s: StateEntry = { key: e.key, group: e.group, attr: BigInt(e.attr), size: e.size, value: BigInt(e.value) };
  return e.vcpu === undefined ? s : { ...s, vcpu: e.vcpu };
}

/**
 * Restores a snapshot onto the VM behind `vmFd`. Everything is checked first (format, version,
 * device list, vCPU ids, each device's params, the memory image and this VM's memory slots); a
 * mismatch throws a SnapshotError naming what differs, with the VM untouched. Then the guest
 * memory image is loaded, then the devices restore (by restore phase, then creation order). If a
 * device rejects a value during the restore (a KvmError with the device's errno: e.g. EINVAL for
 * inconsistent ITS tables), the VM's previous guest memory and device state are written back
 * before the error is thrown.
 */
export function restoreSnapshot(host: Host, vmFd: number, data: unknown): void {
  const { snap, entries: parsed, memory } = parseWithEntries(data);
  const vm = host.vmOf(vmFd);
  const devs = devicesInOrder(vm);
  const ids = vm.vcpus.map((v) => v.id);
  if (snap.vm.vcpus.length !== ids.length)
    throw new SnapshotError('$.vm.vcpus', `the snapshot has ${snap.vm.vcpus.length} vCPUs, this VM has ${ids.length}`);
  snap.vm.vcpus.forEach((id, i) => {
    if (ids[i] !== id) throw new SnapshotError(`$.vm.vcpus[${i}]`, `vCPU id ${id} in the snapshot, ${ids[i]} here`);
  });
  if (snap.vm.type !== vm.type) throw new SnapshotError('$.vm.type', `machine type ${snap.vm.type} in the snapshot, ${vm.type} here`);
  if (snap.devices.length !== devs.length) {
    const have = devs.map((d) => host.registry.typeInfo(d.type)?.key ?? d.type).join(', ') || 'none';
    const want = snap.devices.map((d) => d.key).join(', ') || 'none';
    throw new SnapshotError('$.devices', `the snapshot has devices [${want}], this VM has [${have}]`);
  }
  const plan = snap.devices.map((sd, i) => {
    const dev = devs[i]!;
    const info = host.registry.typeInfo(dev.type);
    if (!info || info.key !== sd.key) throw new SnapshotError(`$.devices[${i}].key`, `${sd.key} in the snapshot, ${info?.key ?? `type ${dev.type}`} here`);
    const spec = info.snapshot;
    if (!spec) throw new SnapshotError(`$.devices[${i}]`, `${sd.key} has no snapshot support on this host`);
    const io = engineIo(host, dev);
    const here = spec.params(dev, io);
    for (const k of new Set([...Object.keys(here), ...Object.keys(sd.params)])) {
      if (here[k] !== sd.params[k])
        throw new SnapshotError(`$.devices[${i}].params.${k}`, `${showValue(sd.params[k])} in the snapshot, ${showValue(here[k])} here`);
    }
    return { dev, spec, io, entries: parsed[i]!, i };
  });
  if (memory !== null) {
    try {
      checkGuestMemory(vm, host.mem, memory);
    } catch (e) {
      if (e instanceof MemoryImageError) throw new SnapshotError(e.path, e.detail);
      throw e;
    }
  }
  // What a rollback needs: this VM's memory as it is, and (after its devices flushed their
  // in-memory state, which writes guest memory) the memory and device state to restore from.
  const guard = hasGuestMemory(vm) && (memory !== null || plan.some((p) => p.spec.prepare !== undefined));
  const memBefore = guard ? captureGuestMemory(vm, host.mem) : null;
  for (const p of plan) p.spec.prepare?.(p.dev, p.io);
  const memPrepared = guard ? captureGuestMemory(vm, host.mem) : null;
  // this VM's own state, as a layout and its values: what the entries are checked against, and what
  // a rollback writes back (through restoreValues, or restore of the entries saved here)
  const before = plan.map((p) => {
    if (hasLayout(p.spec)) {
      const layout = specLayout(p.spec.layout(p.dev, p.io));
      return { layout, values: readLayout(p.spec, p.dev, p.io, layout), entries: null };
    }
    const entries = p.spec.save(p.dev, p.io);
    return { layout: entriesLayout(entries), values: null, entries };
  });
  // every entry must describe the same attribute here as in the snapshot, and be implemented;
  // what each device is then given: the values by its layout's index, or StateEntry objects
  const inputs = plan.map((p, i) => {
    const l = before[i]!.layout;
    const info = infoOf(l);
    const e = p.entries;
    const n = e.keys.length;
    const at = new Int32Array(n); // the layout index of each entry, or -1
    let identity = n === l.keys.length;
    let unknown = false;
    let vcpuOk = -1;
    for (let j = 0; j < n; j++) {
      // this VM's entry under the same key: where a snapshot of the same composition has it
      // (the same index), else looked up (keys are unique within a device)
      const key = e.keys[j]!;
      let k = j < l.keys.length && l.keys[j] === key ? j : -1;
      if (k < 0) {
        identity = false;
        k = indexOf(info, l).get(key) ?? -1;
      }
      at[j] = k;
      if (k >= 0 && (l.groups[k] !== e.groups[j] || l.attrLo[k] !== e.attrLo[j] || l.attrHi[k] !== e.attrHi[j] || l.sizes[k] !== e.sizes[j] || l.vcpus[k] !== e.vcpus[j]))
        throw new SnapshotError(
          `$.devices[${p.i}].state[${j}]`,
          `${key} is group ${e.groups[j]} attr ${hex2(e.attrLo[j]!, e.attrHi[j]!)} size ${e.sizes[j]} in the snapshot, group ${l.groups[k]} attr ${attrsOf(info, l)[k]} size ${l.sizes[k]} here`,
        );
      const c = e.vcpus[j]!;
      if (c >= 0 && c !== vcpuOk) {
        if (!vm.vcpuById(c)) throw new SnapshotError(`$.devices[${p.i}].state[${j}].vcpu`, `no vCPU ${c} here`);
        vcpuOk = c;
      }
      // an entry the device itself saves here is implemented; ask HAS only about the others
      if (k < 0) {
        unknown = true;
        const g = e.groups[j]!;
        if (g >= 0 && !p.io.hasAttr(g, big2(e.attrLo[j]!, e.attrHi[j]!)))
          throw new SnapshotError(`$.devices[${p.i}].state[${j}]`, `${key}: group ${g} attr ${hex2(e.attrLo[j]!, e.attrHi[j]!)} is not implemented by this device`);
      }
    }
    if (!hasLayout(p.spec) || unknown) return { entries: parsedEntries(e), values: null, present: null };
    if (identity) return { entries: null, values: e as StateValues, present: null };
    const values = valuesOf(l.keys.length);
    const present = new Uint8Array(l.keys.length);
    for (let j = 0; j < n; j++) {
      const k = at[j]!;
      values.lo[k] = e.lo[j]!;
      values.hi[k] = e.hi[j]!;
      present[k] = 1;
    }
    return { entries: null, values, present };
  });
  // restore phases (the ITS after the GICv3), creation order within a phase
  const order = plan.map((p, i) => ({ p, i })).sort((a, b) => (a.p.spec.restorePhase ?? 0) - (b.p.spec.restorePhase ?? 0) || a.i - b.i);
  try {
    if (memory !== null) loadGuestMemory(vm, host.mem, memory); // guest memory before every device
    for (const { p, i } of order) {
      const input = inputs[i]!;
      if (input.values !== null) (p.spec as LayoutSpec).restoreValues(p.dev, p.io, before[i]!.layout, input.values, input.present);
      else p.spec.restore(p.dev, p.io, input.entries);
    }
  } catch (e) {
    if (memPrepared !== null) loadGuestMemory(vm, host.mem, memPrepared);
    for (const { p, i } of order) {
      const b = before[i]!;
      if (b.entries !== null) p.spec.restore(p.dev, p.io, b.entries);
      else (p.spec as LayoutSpec).restoreValues(p.dev, p.io, b.layout, b.values!, null);
    }
    if (memBefore !== null) loadGuestMemory(vm, host.mem, memBefore);
    throw e;
  }
}

/** What changed between two snapshots of the same composition, in device terms. */
export function diffSnapshots(host: Host, a: unknown, b: unknown): string[] {
  const pa = parseWithEntries(a);
  const pb = parseWithEntries(b);
  const sa = pa.snap;
  const sb = pb.snap;
  const out: string[] = [];
  if (sa.vm.vcpus.join(',') !== sb.vm.vcpus.join(',')) out.push(`vCPUs: [${sa.vm.vcpus}] -> [${sb.vm.vcpus}]`);
  const n = Math.max(sa.devices.length, sb.devices.length);
  for (let i = 0; i < n; i++) {
    const da = sa.devices[i];
    const db = sb.devices[i];
    if (!da || !db || da.key !== db.key) {
      out.push(`device ${i}: ${da?.key ?? 'none'} -> ${db?.key ?? 'none'}`);
      continue;
    }
    for (const k of new Set([...Object.keys(da.params), ...Object.keys(db.params)]))
      if (da.params[k] !== db.params[k]) out.push(`${da.key} ${k}: ${String(da.params[k])} -> ${String(db.params[k])}`);
    const spec = host.registry.typeInfo(da.key)?.snapshot;
    const mb = new Map(db.state.map((e) => [e.key, e]));
    for (const ea of da.state) {
      const eb = mb.get(ea.key);
      mb.delete(ea.key);
      if (!eb) {
        out.push(`${da.key} ${ea.key}: removed`);
        continue;
      }
      if (ea.value === eb.value) continue;
      const entry = entryOf(ea);
      const lines = spec ? spec.describe(entry, BigInt(ea.value), BigInt(eb.value)) : [];
      if (lines.length) out.push(...lines);
      else out.push(`${da.key} ${ea.key}: ${ea.value} -> ${eb.value}`);
    }
    for (const eb of mb.values()) out.push(`${db.key} ${eb.key}: added (${eb.value})`);
  }
  const ma = pa.memory;
  const mbm = pb.memory;
  if (ma !== null && mbm !== null) out.push(...diffGuestMemory(ma, mbm));
  else if (ma !== null || mbm !== null) out.push(`memory: ${ma === null ? 'none' : 'image'} -> ${mbm === null ? 'none' : 'image'}`);
  return out;
}
