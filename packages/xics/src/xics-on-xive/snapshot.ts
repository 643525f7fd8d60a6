/**
 * The snapshot description of KVM_DEV_TYPE_XICS on a XIVE host: every valid source through
 * GRP_SOURCES (one GET round: exactly as many GETs as valid sources, so the state is one
 * consistent scan) and every presenter's ICP state through ONE_REG; restored in QEMU's order
 * (sources, then ICPs: an ICP naming a source already restored re-triggers it).
 * @packageDocumentation
 */
import type { DeviceSnapshotSpec, DeviceStateIo, KvmDevice, StateEntry } from '@kvmdev/core/plugin';
import { describeIcp, describeSource } from '../snapshot.js';
import { KVM_DEV_XICS_GRP_SOURCES, KVM_REG_PPC_ICP_STATE, KVMPPC_XICS_IRQ_PER_ICS } from '../uapi.js';
import { XS_VALID, type XicsOnXive } from './state.js';

/** Numbers of every valid source, ascending. */
export function validSources(x: XicsOnXive): number[] {
  const out: number[] = [];
  for (let id = 0; id < x.blocks.length; id++) {
    const b = x.blocks[id];
    if (!b) continue;
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) if (b.flags[i]! & XS_VALID) out.push((id << 10) | i);
  }
  return out;
}

/** vCPU ids with a presenter, in the snapshot's vCPU order, with their server numbers. */
function presenters(x: XicsOnXive, io: DeviceStateIo): [number, number][] {
  const byVcpu = new Map<number, number>();
  for (const p of x.presenters) byVcpu.set(p.vcpu.id, p.server);
  const out: [number, number][] = [];
  for (const id of io.vcpuIds) {
    const s = byVcpu.get(id);
    if (s !== undefined) out.push([id, s]);
  }
  return out;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/** The snapshot spec of KVM_DEV_TYPE_XICS served by XICS-on-XIVE. */
export const xicsOnXiveSnapshot: DeviceSnapshotSpec<XicsOnXive> = {
  params(dev: KvmDevice<XicsOnXive>, io: DeviceStateIo) {
    return {
      vcpus: io.vcpuIds.length,
      sources: validSources(dev.state).length,
      servers: presenters(dev.state, io)
        .map(([v, s]) => `${v}:${s}`)
        .join(','),
    };
  },
  save(dev: KvmDevice<XicsOnXive>, io: DeviceStateIo): StateEntry[] {
    const out: StateEntry[] = [];
    for (const n of validSources(dev.state)) {
      const attr = BigInt(n);
      out.push({ key: `source.${hex(n)}`, group: KVM_DEV_XICS_GRP_SOURCES, attr, size: 8, value: io.getAttr(KVM_DEV_XICS_GRP_SOURCES, attr, 8) });
    }
    for (const [v] of presenters(dev.state, io))
      out.push({ key: `icp.${v}`, group: -1, attr: KVM_REG_PPC_ICP_STATE, size: 8, vcpu: v, value: io.getOneReg(v, KVM_REG_PPC_ICP_STATE) });
    return out;
  },
  restore(_dev: KvmDevice<XicsOnXive>, io: DeviceStateIo, entries: readonly StateEntry[]): void {
    for (const e of entries) if (e.group === KVM_DEV_XICS_GRP_SOURCES) io.setAttr(e.group, e.attr, 8, e.value);
    for (const e of entries) if (e.group === -1 && e.vcpu !== undefined) io.setOneReg(e.vcpu, e.attr, e.value);
  },
  describe(entry: StateEntry, before: bigint, after: bigint): string[] {
    if (entry.group === KVM_DEV_XICS_GRP_SOURCES) return describeSource(Number(entry.attr), before, after);
    return describeIcp(entry.vcpu ?? -1, before, after);
  },
};
