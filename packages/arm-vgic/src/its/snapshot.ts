/**
 * The snapshot spec of KVM_DEV_TYPE_ARM_VGIC_ITS, in QEMU's order (hw/intc/arm_gicv3_its_kvm.c;
 * Firecracker's is the same for the ITS):
 * - prepare (the VM stops): KVM_DEV_ARM_ITS_SAVE_TABLES writes the device table, the ITTs and the
 *   collection table into guest memory (ABI rev 0), which the snapshot's memory image then holds;
 * - save: GITS_BASER0..7, GITS_CTLR, GITS_CBASER, GITS_CREADR, GITS_CWRITER, GITS_IIDR through
 *   KVM_DEV_ARM_VGIC_GRP_ITS_REGS (u64 payloads);
 * - restore, after the guest memory and the GICv3 (restore phase 1, arm-vgic-its.rst "ITS Restore
 *   Sequence"): KVM_DEV_ARM_ITS_CTRL_RESET (the destination's reset before an incoming
 *   migration), GITS_IIDR (the ABI revision: EINVAL for one the kernel does not know), GITS_CBASER
 *   before GITS_CREADR (a CBASER write resets CREADR), GITS_CWRITER, GITS_BASER0..7, then
 *   KVM_DEV_ARM_ITS_RESTORE_TABLES (EINVAL for inconsistent tables, EFAULT outside guest memory),
 *   then GITS_CTLR last.
 * The frame address is a shape parameter (it must match: MSIs name it), not state.
 * @packageDocumentation
 */
import type { DeviceSnapshotSpec, DeviceStateIo, StateEntry } from '@kvmdev/core/plugin';
import * as U from '../uapi.js';
import type { ItsDeviceState } from './device.js';
import { GITS_BASER, GITS_CBASER, GITS_CREADR, GITS_CTLR, GITS_CWRITER, GITS_IIDR } from './defs.js';

const REGS = U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS;
const CTRL = U.KVM_DEV_ARM_VGIC_GRP_CTRL;
const BASERS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => GITS_BASER + 8 * n);
/** QEMU's kvm_arm_its_pre_save order. */
const SAVE_ORDER: readonly number[] = [...BASERS, GITS_CTLR, GITS_CBASER, GITS_CREADR, GITS_CWRITER, GITS_IIDR];

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const NAMES: Record<number, string> = {
  [GITS_CTLR]: 'GITS_CTLR',
  [GITS_IIDR]: 'GITS_IIDR',
  [GITS_CBASER]: 'GITS_CBASER',
  [GITS_CWRITER]: 'GITS_CWRITER',
  [GITS_CREADR]: 'GITS_CREADR',
  ...Object.fromEntries(BASERS.map((o, n) => [o, `GITS_BASER${n}`])),
};

/** The frame base, or null while KVM_VGIC_ITS_ADDR_TYPE is unset (it reads all-ones then). */
function baseOf(io: DeviceStateIo): bigint | null {
  const b = io.getAttr(U.KVM_DEV_ARM_VGIC_GRP_ADDR, BigInt(U.KVM_VGIC_ITS_ADDR_TYPE), 8);
  return b === 0xffffffffffffffffn ? null : b;
}

function save(io: DeviceStateIo): StateEntry[] {
  // without a frame address every ITS_REGS access is ENXIO: nothing can have been programmed
  if (baseOf(io) === null) return [];
  return SAVE_ORDER.map((o) => ({ key: `its.${hex(o)}`, group: REGS, attr: BigInt(o), size: 8, value: io.getAttr(REGS, BigInt(o), 8) }));
}

function restore(io: DeviceStateIo, entries: readonly StateEntry[]): void {
  if (baseOf(io) === null) return;
  const by = new Map(entries.map((e) => [e.key, e]));
  const put = (o: number): void => {
    const e = by.get(`its.${hex(o)}`);
    if (e) io.setAttr(REGS, BigInt(o), 8, e.value);
  };
  io.setAttr(CTRL, BigInt(U.KVM_DEV_ARM_ITS_CTRL_RESET), 0, 0n);
  put(GITS_IIDR); // the table ABI revision, before RESTORE_TABLES
  put(GITS_CBASER); // before CREADR: a CBASER write resets CREADR
  put(GITS_CREADR);
  put(GITS_CWRITER); // the ITS is disabled: stored, not processed
  for (const o of BASERS) put(o);
  io.setAttr(CTRL, BigInt(U.KVM_DEV_ARM_ITS_RESTORE_TABLES), 0, 0n);
  put(GITS_CTLR); // last: it enables the ITS
}

function describe(e: StateEntry, before: bigint, after: bigint): string[] {
  if (before === after) return [];
  const name = NAMES[Number(e.attr)] ?? `GITS ${hex(e.attr)}`;
  if (Number(e.attr) === GITS_CTLR) {
    const en = (v: bigint): string => ((v & 1n) === 1n ? 'enabled' : 'disabled');
    if ((before & 1n) !== (after & 1n)) return [`ITS: ${en(before)} -> ${en(after)}`];
  }
  return [`ITS ${name}: ${hex(before)} -> ${hex(after)}`];
}

/** Snapshot spec of KVM_DEV_TYPE_ARM_VGIC_ITS. */
export const vgicItsSnapshot: DeviceSnapshotSpec<ItsDeviceState> = {
  params: (_dev, io) => {
    const b = baseOf(io);
    return { model: 'its', base: b === null ? 'unset' : hex(b) };
  },
  prepare: (_dev, io) => {
    if (baseOf(io) !== null) io.setAttr(CTRL, BigInt(U.KVM_DEV_ARM_ITS_SAVE_TABLES), 0, 0n);
  },
  restorePhase: 1,
  save: (_dev, io) => save(io),
  restore: (_dev, io, entries) => restore(io, entries),
  describe,
};
