/**
 * Save and restore of an MPIC through the attribute paths a VMM has (GRP_MISC BASE_ADDR,
 * GRP_REGISTER, GRP_IRQ_ACTIVE). What the kernel ABI cannot observe is not saved: the
 * servicing queues (interrupts acknowledged but not EOI'd), the IPI destination masks, the
 * critical-output counters and the queues' cached priorities. Take a snapshot when no interrupt
 * is in service, and restore onto a freshly created MPIC with the same vCPUs connected.
 * @packageDocumentation
 */
import type { DeviceSnapshotSpec, DeviceStateIo, KvmDevice, StateEntry } from '@kvmdev/core/plugin';
import { MPIC_REGIONS, type MpicReg } from './regs/index.js';
import type { MpicState } from './state.js';
import {
  GCR_RESET,
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  MAX_MSI,
  MAX_SRC,
  MPIC_CPU_STRIDE,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_IRQ_MSI,
  MPIC_MSIIR,
  MPIC_MSIR0,
  MPIC_MSISR,
  MSIIR_IBS_SHIFT,
  MSIIR_SRS_SHIFT,
  OPENPIC_CPU_REG_START,
} from './uapi.js';

const REG = KVM_DEV_MPIC_GRP_REGISTER;

interface StateReg {
  readonly key: string;
  readonly reg: MpicReg;
  readonly readAt: number;
  readonly writeAt: number;
  /** restore phase: 0 config, 1 routing (IDR/ILR), 2 vector/priority, 3 per-CPU */
  readonly phase: number;
}

function stateRegs(v42: boolean, nbCpus: number): StateReg[] {
  const out: StateReg[] = [];
  for (const region of MPIC_REGIONS) {
    for (const reg of region.regs) {
      if (!reg.state || reg.name === 'MSIR' || reg.name === 'GCR') continue;
      if (reg.name === 'ILR' && !v42) continue;
      const perCpu = region.start === OPENPIC_CPU_REG_START;
      const count = perCpu ? nbCpus : reg.count;
      for (let i = 0; i < count; i++) {
        const writeAt = perCpu ? reg.offset + i * MPIC_CPU_STRIDE : reg.offset + i * reg.stride;
        const readAt = reg.readOffset ? reg.readOffset(i) : writeAt;
        const phase = perCpu
          ? 3
          : reg.name === 'IDR' || reg.name === 'ILR' || reg.name === 'TDR'
            ? 1
            : reg.name === 'IVPR' || reg.name === 'TVPR' || reg.name === 'IPI IVPR'
              ? 2
              : 0;
        out.push({ key: `${region.name}.${reg.name}.${i}`, reg, readAt, writeAt, phase });
      }
    }
  }
  return out;
}

function nbCpusOf(io: DeviceStateIo): number {
  const frr = Number(io.getAttr(REG, BigInt(MPIC_FRR), 4));
  return ((frr >>> 8) + 1) & 0xff;
}

function entry(key: string, group: number, attr: number, size: 4 | 8, value: bigint): StateEntry {
  return { key, group, attr: BigInt(attr), size, value };
}

function hex(v: bigint): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** The MPIC's snapshot description (both models). */
export const mpicSnapshot: DeviceSnapshotSpec<MpicState> = {
  params(dev: KvmDevice<MpicState>, io: DeviceStateIo) {
    return { type: dev.type, nbCpus: nbCpusOf(io) };
  },

  save(dev: KvmDevice<MpicState>, io: DeviceStateIo): StateEntry[] {
    const v42 = dev.type === 2;
    const nb = nbCpusOf(io);
    const out: StateEntry[] = [];
    out.push(entry('misc.BASE_ADDR', KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_BASE_ADDR, 8, io.getAttr(KVM_DEV_MPIC_GRP_MISC, 0n, 8)));
    out.push(entry('global.GCR.0', REG, MPIC_GCR, 4, io.getAttr(REG, BigInt(MPIC_GCR), 4)));
    for (const r of stateRegs(v42, nb)) out.push(entry(r.key, REG, r.readAt, 4, io.getAttr(REG, BigInt(r.readAt), 4)));
    // input lines (pending flags), read before the MSI banks are touched
    const active: bigint[] = [];
    for (let n = 0; n <= MAX_SRC; n++) active.push(io.getAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, BigInt(n), 4));
    // MSI banks: MSIR is clear-on-read, so read only non-empty banks and re-signal them here
    const msisr = Number(io.getAttr(REG, BigInt(MPIC_MSISR), 4));
    for (let srs = 0; srs < MAX_MSI; srs++) {
      let bits = 0n;
      if (msisr & (1 << srs)) {
        bits = io.getAttr(REG, BigInt(MPIC_MSIR0 + 0x10 * srs), 4);
        resignal(io, srs, Number(bits));
        const n = MPIC_IRQ_MSI + srs;
        if (io.getAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, BigInt(n), 4) !== active[n]) {
          io.setAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, BigInt(n), 4, active[n] !== 0n ? 1n : 0n);
        }
      }
      out.push(entry(`msi.MSIR.${srs}`, REG, MPIC_MSIR0 + 0x10 * srs, 4, bits));
    }
    for (let n = 0; n <= MAX_SRC; n++) out.push(entry(`irq.ACTIVE.${n}`, KVM_DEV_MPIC_GRP_IRQ_ACTIVE, n, 4, active[n]));
    return out;
  },

  restore(dev: KvmDevice<MpicState>, io: DeviceStateIo, entries: readonly StateEntry[]): void {
    const v42 = dev.type === 2;
    const nb = nbCpusOf(io);
    const byKey = new Map<string, bigint>();
    for (const e of entries) byKey.set(e.key, e.value);
    const regs = stateRegs(v42, nb);
    // 1. a full reset, so every register starts from the same place
    io.setAttr(REG, BigInt(MPIC_GCR), 4, BigInt(GCR_RESET));
    const base = byKey.get('misc.BASE_ADDR');
    if (base !== undefined) io.setAttr(KVM_DEV_MPIC_GRP_MISC, 0n, 8, base);
    const gcr = byKey.get('global.GCR.0');
    if (gcr !== undefined) io.setAttr(REG, BigInt(MPIC_GCR), 4, gcr & ~BigInt(GCR_RESET));
    // 2. configuration, then destinations, then vector/priority/mask
    for (let phase = 0; phase <= 2; phase++) {
      for (const r of regs) {
        if (r.phase !== phase) continue;
        const v = byKey.get(r.key);
        if (v !== undefined) io.setAttr(REG, BigInt(r.writeAt), 4, v);
      }
    }
    // 3. MSI bank bits, through MSIIR
    for (let srs = 0; srs < MAX_MSI; srs++) resignal(io, srs, Number(byKey.get(`msi.MSIR.${srs}`) ?? 0n));
    // 4. input lines: edges latch, levels follow; the queues are rebuilt by the delivery logic
    for (let n = 0; n <= MAX_SRC; n++) {
      const want = byKey.get(`irq.ACTIVE.${n}`);
      if (want === undefined) continue;
      const cur = io.getAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, BigInt(n), 4);
      if ((cur !== 0n) !== (want !== 0n)) io.setAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, BigInt(n), 4, want !== 0n ? 1n : 0n);
    }
    // 5. CTPR last: each write re-evaluates the CPU's output line
    for (const r of regs) {
      if (r.phase !== 3) continue;
      const v = byKey.get(r.key);
      if (v !== undefined) io.setAttr(REG, BigInt(r.writeAt), 4, v);
    }
  },

  describe(e: StateEntry, before: bigint, after: bigint): string[] {
    const [region, name, idx] = e.key.split('.');
    const what =
      region === 'sources'
        ? `source ${idx} ${name}`
        : region === 'per-cpu'
          ? `CPU ${idx} ${name}`
          : region === 'irq'
            ? `IRQ ${idx} input`
            : region === 'msi'
              ? `MSI bank ${idx} MSIR`
              : region === 'misc'
                ? 'BASE_ADDR'
                : Number(idx) > 0 || (name !== undefined && /^T|IPI/.test(name))
                  ? `${name} ${idx}`
                  : `${name}`;
    return [`${what}: ${hex(before)} -> ${hex(after)}`];
  },
};

function resignal(io: DeviceStateIo, srs: number, bits: number): void {
  for (let ibs = 0; ibs < 32; ibs++) {
    if ((bits >>> ibs) & 1) {
      io.setAttr(REG, BigInt(MPIC_MSIIR), 4, BigInt(((srs << MSIIR_SRS_SHIFT) | (ibs << MSIIR_IBS_SHIFT)) >>> 0));
    }
  }
}
