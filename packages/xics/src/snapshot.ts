/**
 * The XICS snapshot description: every existing source through GRP_SOURCES and every ICP
 * through ONE_REG, restored in QEMU's xics_kvm order (the ICS first, then the ICPs: a pending
 * source restored first is refused by the still-reset ICP and waits in resend, and the ICP
 * restore carries that need_resend over).
 * @packageDocumentation
 */
import type { DeviceSnapshotSpec, DeviceStateIo, KvmDevice, StateEntry } from '@kvmdev/core/plugin';
import { SRC_EXISTS, type XicsState } from './state.js';
import { KVM_DEV_XICS_GRP_SOURCES, KVM_REG_PPC_ICP_STATE } from './uapi.js';

/** Numbers of every existing source, ascending. */
export function existingSources(xics: XicsState): number[] {
  const out: number[] = [];
  for (let id = 0; id <= xics.maxIcsid; id++) {
    const ics = xics.ics[id];
    if (!ics) continue;
    for (let i = 0; i < 1024; i++) if (ics.flags[i]! & SRC_EXISTS) out.push((id << 10) | i);
  }
  return out;
}

/** Compact ranges: '0x1000-0x10ff,0x2000'. */
function ranges(ns: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ns.length) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    const a = `0x${ns[i]!.toString(16)}`;
    parts.push(j === i ? a : `${a}-0x${ns[j]!.toString(16)}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** vCPU ids with an ICP, in creation order, with their server numbers. */
function icps(xics: XicsState, io: DeviceStateIo): [number, number][] {
  const byVcpu = new Map<number, number>();
  for (const icp of xics.servers.values()) byVcpu.set(icp.vcpu.id, icp.server);
  const out: [number, number][] = [];
  for (const id of io.vcpuIds) {
    const s = byVcpu.get(id);
    if (s !== undefined) out.push([id, s]);
  }
  return out;
}

const hex2 = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;
const hex = (v: number): string => `0x${v.toString(16)}`;

function diffField(out: string[], prefix: string, name: string, a: number, b: number, fmt: (v: number) => string): void {
  if (a !== b) out.push(`${prefix} ${name} ${fmt(a)} -> ${fmt(b)}`);
}

const SOURCE_BITS: readonly [string, bigint][] = [
  ['level', 1n << 40n],
  ['masked', 1n << 41n],
  ['pending', 1n << 42n],
  ['presented', 1n << 43n],
  ['queued', 1n << 44n],
];

/** One source value's change in device terms. */
export function describeSource(irq: number, before: bigint, after: bigint): string[] {
  const out: string[] = [];
  const p = `source ${hex(irq)}:`;
  diffField(out, p, 'server', Number(before & 0xffffffffn), Number(after & 0xffffffffn), String);
  diffField(out, p, 'priority', Number((before >> 32n) & 0xffn), Number((after >> 32n) & 0xffn), hex2);
  for (const [name, bit] of SOURCE_BITS) diffField(out, p, name, before & bit ? 1 : 0, after & bit ? 1 : 0, String);
  return out;
}

/** One ICP value's change in device terms. */
export function describeIcp(vcpu: number, before: bigint, after: bigint): string[] {
  const out: string[] = [];
  const p = `vCPU ${vcpu} ICP`;
  const f = (v: bigint, shift: bigint, mask: bigint): number => Number((v >> shift) & mask);
  diffField(out, p, 'CPPR', f(before, 56n, 0xffn), f(after, 56n, 0xffn), hex2);
  diffField(out, p, 'XISR', f(before, 32n, 0xffffffn), f(after, 32n, 0xffffffn), hex);
  diffField(out, p, 'MFRR', f(before, 24n, 0xffn), f(after, 24n, 0xffn), hex2);
  diffField(out, p, 'PPRI', f(before, 16n, 0xffn), f(after, 16n, 0xffn), hex2);
  return out;
}

/** The snapshot spec of KVM_DEV_TYPE_XICS. */
export const xicsSnapshot: DeviceSnapshotSpec<XicsState> = {
  params(dev: KvmDevice<XicsState>, io: DeviceStateIo) {
    const x = dev.state;
    return {
      vcpus: io.vcpuIds.length,
      sources: ranges(existingSources(x)),
      servers: icps(x, io)
        .map(([v, s]) => `${v}:${s}`)
        .join(','),
    };
  },
  save(dev: KvmDevice<XicsState>, io: DeviceStateIo): StateEntry[] {
    const x = dev.state;
    const out: StateEntry[] = [];
    for (const n of existingSources(x)) {
      const attr = BigInt(n);
      out.push({ key: `source.${hex(n)}`, group: KVM_DEV_XICS_GRP_SOURCES, attr, size: 8, value: io.getAttr(KVM_DEV_XICS_GRP_SOURCES, attr, 8) });
    }
    for (const [v] of icps(x, io)) {
      out.push({ key: `icp.${v}`, group: -1, attr: KVM_REG_PPC_ICP_STATE, size: 8, vcpu: v, value: io.getOneReg(v, KVM_REG_PPC_ICP_STATE) });
    }
    return out;
  },
  restore(_dev: KvmDevice<XicsState>, io: DeviceStateIo, entries: readonly StateEntry[]): void {
    for (const e of entries) if (e.group === KVM_DEV_XICS_GRP_SOURCES) io.setAttr(e.group, e.attr, 8, e.value);
    for (const e of entries) if (e.group === -1 && e.vcpu !== undefined) io.setOneReg(e.vcpu, e.attr, e.value);
  },
  describe(entry: StateEntry, before: bigint, after: bigint): string[] {
    if (entry.group === KVM_DEV_XICS_GRP_SOURCES) return describeSource(Number(entry.attr), before, after);
    return describeIcp(entry.vcpu ?? -1, before, after);
  },
};
