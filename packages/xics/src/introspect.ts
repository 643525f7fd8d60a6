/**
 * The XICS introspection spec: its sources (`source 0x1000`) and each server's IPI by name,
 * source state through KVM_DEV_XICS_GRP_SOURCES, each vCPU's presenter through
 * KVM_REG_PPC_ICP_STATE (ONE_REG), acknowledge / EOI / IPI through the PAPR hypercalls
 * (H_XIRR, H_EOI, H_IPI), and raw hypercalls and attribute calls in device terms. Which source
 * numbers exist, and which server each vCPU's presenter has, come from the device's own state
 * (the ABI has no list of them).
 * @packageDocumentation
 */
import { EINVAL, EIO, ENXIO, type HypercallResult, KvmError, isKvmError } from '@kvmdev/core';
import type {
  AccessReading,
  CpuState,
  DeviceIntrospectSpec,
  DeviceView,
  GuestOps,
  InterruptRange,
  InterruptState,
  InterruptView,
  IntrospectTarget,
  IntrospectVcpu,
  RawAccess,
  StateSection,
} from '@kvmdev/core/plugin';
import { decodeIcpState, decodeSource } from './helpers.js';
import { existingSources } from './snapshot.js';
import { SRC_EXISTS, type XicsState, icpOf } from './state.js';
import {
  H_EOI,
  H_CPPR,
  H_FUNCTION,
  H_HARDWARE,
  H_IPI,
  H_IPOLL,
  H_PARAMETER,
  H_SUCCESS,
  H_XIRR,
  H_XIRR_X,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_REG_PPC_ICP_STATE,
  MASKED,
  XICS_IPI,
} from './uapi.js';

/** H_PRIVILEGE (arch/powerpc/include/asm/hvcall.h): the caller lacks the privilege. */
const H_PRIVILEGE = -3;

const hex = (v: number | bigint, pad = 0): string => `0x${(typeof v === 'bigint' ? v : v < 0 ? BigInt(v >>> 0) : BigInt(v)).toString(16).padStart(pad, '0')}`;

/** The PAPR interrupt hypercalls the XICS serves, and their return codes, by name. */
export const XICS_HCALL_NAMES: Readonly<Record<string, number>> = { H_EOI, H_CPPR, H_IPI, H_IPOLL, H_XIRR, H_XIRR_X };
/** PAPR hypercall return codes by name. */
export const XICS_HCALL_RETURNS: Readonly<Record<string, number>> = { H_SUCCESS, H_HARDWARE, H_FUNCTION, H_PRIVILEGE, H_PARAMETER };

/** `source 0x1000`, or `IPI` for the XISR value 2. */
export function xicsIrqName(n: number): string {
  return n === XICS_IPI ? 'IPI' : `source ${hex(n)}`;
}

function sourceRanges(ns: readonly number[]): InterruptRange[] {
  const out: InterruptRange[] = [];
  let i = 0;
  while (i < ns.length) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    out.push({ kind: 'source', first: ns[i]!, count: j - i + 1, banked: false });
    i = j + 1;
  }
  return out;
}

class XicsView implements DeviceView {
  readonly interrupts: InterruptView;
  readonly guest: GuestOps;
  private readonly t: IntrospectTarget;

  constructor(t: IntrospectTarget) {
    this.t = t;
    this.interrupts = {
      line: 'external',
      ranges: () => [{ kind: 'IPI', first: XICS_IPI, count: 1, banked: true }, ...sourceRanges(existingSources(this.xics))],
      name: (id) => (id === XICS_IPI || this.exists(id) ? xicsIrqName(id) : null),
      lookup: (name) => {
        if (/^\s*ipi\s*$/i.test(name)) return XICS_IPI;
        const m = /^\s*(?:source\s+)?(0x[0-9a-f]+|\d+)\s*$/i.exec(name);
        const id = m ? Number(m[1]) : null;
        return id !== null && this.exists(id) ? id : null;
      },
      read: (first, count, vcpu) => this.read(first, count, vcpu),
      cpu: (vcpu) => this.cpu(vcpu),
      raise: (id, level) => {
        if (!this.exists(id)) throw new KvmError(EINVAL, `${xicsIrqName(id)} does not exist`);
        return { status: t.vm.irqLine(id, level), via: `KVM_IRQ_LINE ${hex(id)}` };
      },
    };
    this.guest = {
      ack: (vcpu) => {
        const v = this.vcpu(vcpu);
        const r = inKernel(v.guest.hypercall(H_XIRR, []), 'H_XIRR');
        const xirr = r.out[0]! >>> 0;
        return { value: BigInt(xirr), reading: this.ackReading(v, xirr, r.ret, 'H_XIRR') };
      },
      eoi: (vcpu, token) => {
        const v = this.vcpu(vcpu);
        if (token === undefined) throw new KvmError(EINVAL, `H_EOI on vCPU ${vcpu} needs the XIRR being ended (the acknowledge's token)`);
        const xirr = Number(token & 0xffffffffn);
        const r = inKernel(v.guest.hypercall(H_EOI, [xirr]), 'H_EOI');
        if (r.ret !== H_SUCCESS) throw new KvmError(EINVAL, `H_EOI returned ${r.ret}`);
        return this.eoiReading(v, xirr);
      },
      ipi: (vcpu, targets, options = {}) => {
        const v = this.vcpu(vcpu);
        const mfrr = (options.priority ?? 5) & 0xff;
        return targets.map((id) => {
          const server = this.serverOf(this.vcpu(id));
          const r = inKernel(v.guest.hypercall(H_IPI, [server, mfrr]), 'H_IPI');
          if (r.ret !== H_SUCCESS) throw new KvmError(EINVAL, `H_IPI returned ${r.ret}`);
          return this.ipiReading(v, server, mfrr);
        });
      },
    };
  }

  private get xics(): XicsState {
    return this.t.device.device.private as XicsState;
  }
  private exists(id: number): boolean {
    const x = this.xics;
    const ics = x.ics[id >>> 10];
    return Number.isInteger(id) && id >= 0 && ics !== null && ics !== undefined && (ics.flags[id & 0x3ff]! & SRC_EXISTS) !== 0;
  }
  /** vCPUs by id, built once (a typed handle's `id` is an fd lookup). */
  private ids: Map<number, IntrospectVcpu> | null = null;
  private vcpu(id: number): IntrospectVcpu {
    this.ids ??= new Map(this.t.vcpus.map((x) => [x.id, x]));
    const v = this.ids.get(id);
    if (!v) throw new KvmError(EINVAL, `no vCPU ${id}`);
    return v;
  }
  /** The server number of the vCPU's presenter (its id when it has none). */
  private serverOf(v: IntrospectVcpu): number {
    return icpOf(v.vcpu)?.server ?? v.id;
  }
  private vcpuOfServer(server: number): number | null {
    return this.xics.servers.get(server >>> 0)?.vcpu.id ?? null;
  }
  private source(n: number): bigint | null {
    const host = this.t.device.host;
    const buf = host.scratch();
    try {
      this.t.device.attrRaw('get', KVM_DEV_XICS_GRP_SOURCES, n, buf);
    } catch (e) {
      if (isKvmError(e)) return null;
      throw e;
    }
    return host.mem.getU64(buf);
  }
  private icp(v: IntrospectVcpu): bigint | null {
    try {
      return v.getOneReg(KVM_REG_PPC_ICP_STATE);
    } catch (e) {
      if (isKvmError(e)) return null;
      throw e;
    }
  }

  private read(first: number, count: number, vcpu: number | undefined): InterruptState[] {
    const out: InterruptState[] = [];
    const end = first + count;
    if (first <= XICS_IPI && end > XICS_IPI) {
      if (vcpu === undefined) throw new RangeError('the IPI is banked (one per server): read it for a vCPU');
      const v = this.vcpu(vcpu);
      const s = this.icp(v);
      const f = s === null ? null : decodeIcpState(s);
      const server = this.serverOf(v);
      out.push({
        id: XICS_IPI,
        name: 'IPI',
        vcpu: v.id,
        enabled: true,
        // requested until the guest writes MFRR back to 0xff; the ICP keeps no in-service state for it
        pending: f === null ? null : f.mfrr !== MASKED,
        active: null,
        priority: f === null ? null : f.mfrr,
        targets: [v.id],
        target: `server ${server}`,
        group: null,
        config: 'edge',
        configured: f !== null && f.mfrr !== MASKED,
        ...(f === null ? {} : { extra: { presented: f.xisr === XICS_IPI } }),
      });
    }
    for (const n of existingSources(this.xics)) {
      if (n < first || n >= end) continue;
      const raw = this.source(n);
      const f = raw === null ? null : decodeSource(raw);
      const owner = f === null ? null : this.vcpuOfServer(f.server);
      out.push({
        id: n,
        name: xicsIrqName(n),
        vcpu: null,
        enabled: f === null ? null : f.priority !== MASKED && !f.masked,
        pending: f === null ? null : f.pending,
        active: f === null ? null : f.presented,
        priority: f === null ? null : f.priority,
        targets: owner === null ? (f === null ? null : []) : [owner],
        target: f === null ? '?' : `server ${f.server}`,
        group: null,
        config: f === null ? null : f.levelSensitive ? 'level' : 'edge',
        configured: f !== null && (f.priority !== MASKED || f.pending || f.presented || f.server !== 0),
        ...(f === null ? {} : { extra: { masked: f.masked, presented: f.presented, queued: f.queued } }),
      });
    }
    return out;
  }

  private cpu(id: number): CpuState {
    const v = this.vcpu(id);
    const s = this.icp(v);
    const f = s === null ? null : decodeIcpState(s);
    const line = v.line('external');
    const x = (y: number | undefined, p = 2) => (y === undefined ? '?' : hex(y, p));
    return {
      vcpu: v.id,
      lines: [{ name: 'external', level: line }],
      runningPriority: f?.cppr ?? null,
      priorityMask: f?.cppr ?? null,
      highestPending: f === null || f.xisr === 0 ? null : f.xisr,
      fields: [
        { name: 'server', value: this.serverOf(v), text: String(this.serverOf(v)) },
        { name: 'CPPR', value: f?.cppr ?? null, text: x(f?.cppr) },
        { name: 'XISR', value: f?.xisr ?? null, text: f === null ? '?' : f.xisr ? `${hex(f.xisr, 2)} (${xicsIrqName(f.xisr)})` : '0x00 (none)' },
        { name: 'MFRR', value: f?.mfrr ?? null, text: x(f?.mfrr) },
        { name: 'PPRI', value: f?.ppri ?? null, text: x(f?.ppri) },
      ],
      text: `vCPU ${v.id}: external line ${line}, ICP CPPR ${x(f?.cppr)} XISR ${x(f?.xisr)} MFRR ${x(f?.mfrr)} PPRI ${x(f?.ppri)}`,
    };
  }

  summary(): string {
    const n = existingSources(this.xics).length;
    return `XICS, ${n} sources, ${this.xics.servers.size} presenters (ICPs)`;
  }

  state(): StateSection[] {
    const ns = existingSources(this.xics);
    return [
      {
        title: 'sources',
        fields: sourceRanges(ns).map((r) => ({
          name: `${hex(r.first)}..${hex(r.first + r.count - 1)}`,
          value: r.count,
          text: `${r.count} source${r.count === 1 ? '' : 's'}`,
        })),
      },
      {
        title: 'presenters',
        fields: [...this.xics.servers.values()].map((icp) => ({ name: `server ${icp.server}`, value: icp.vcpu.id, text: `vCPU ${icp.vcpu.id}` })),
      },
    ];
  }

  // ------------------------------------------------------------ readings

  private ackReading(v: IntrospectVcpu, xirr: number, ret: number, call: string): AccessReading {
    const xisr = xirr & 0xffffff;
    const old = xirr >>> 24;
    if (ret !== H_SUCCESS) return { kind: 'ack', text: `vCPU ${v.id} ${call} fails (${ret})`, data: { ret } };
    if (xisr === 0) return { kind: 'ack', text: `vCPU ${v.id} ${call}: nothing pending (CPPR ${hex(old, 2)})`, data: { xirr, xisr: 0 } };
    const s = this.icp(v);
    const prio = s === null ? null : decodeIcpState(s).cppr;
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges ${xicsIrqName(xisr)}${prio === null ? '' : ` (priority ${hex(prio, 2)}, CPPR was ${hex(old, 2)})`}`,
      data: { xirr: xirr >>> 0, xisr, ...(prio === null ? {} : { priority: prio }), oldCppr: old },
      token: BigInt(xirr >>> 0),
    };
  }

  private eoiReading(v: IntrospectVcpu, xirr: number): AccessReading {
    return {
      kind: 'eoi',
      text: `vCPU ${v.id} EOIs ${xicsIrqName(xirr & 0xffffff)} (CPPR back to ${hex(xirr >>> 24, 2)})`,
      data: { xirr: xirr >>> 0, xisr: xirr & 0xffffff },
    };
  }

  private ipiReading(v: IntrospectVcpu, server: number, mfrr: number): AccessReading {
    return {
      kind: 'ipi',
      text: `vCPU ${v.id} ${mfrr === MASKED ? 'clears the IPI of' : `sends an IPI (MFRR ${hex(mfrr, 2)}) to`} server ${server}`,
      data: { server, mfrr },
    };
  }

  describe(a: RawAccess): AccessReading | null {
    if (a.kind === 'hcall') {
      const v = this.vcpu(a.vcpu);
      if (a.nr === H_XIRR || a.nr === H_XIRR_X) return this.ackReading(v, a.out[0]! >>> 0, a.ret, a.nr === H_XIRR ? 'H_XIRR' : 'H_XIRR_X');
      if (a.nr === H_EOI && a.ret === H_SUCCESS) return this.eoiReading(v, (a.args[0] ?? 0) >>> 0);
      if (a.nr === H_IPI && a.ret === H_SUCCESS) return this.ipiReading(v, a.args[0] ?? 0, (a.args[1] ?? 0) & 0xff);
      if (a.nr === H_IPOLL && a.ret === H_SUCCESS) {
        const xirr = a.out[0]! >>> 0;
        return { kind: 'access', text: `vCPU ${v.id} polls server ${a.args[0] ?? 0}: XIRR ${hex(xirr)}${xirr & 0xffffff ? ` (${xicsIrqName(xirr & 0xffffff)} pending)` : ''}, MFRR ${hex(a.out[1] ?? 0, 2)}`, data: { xirr } };
      }
      if (a.nr === H_CPPR && a.ret === H_SUCCESS) return { kind: 'access', text: `vCPU ${v.id} sets CPPR ${hex((a.args[0] ?? 0) & 0xff, 2)}`, data: { cppr: (a.args[0] ?? 0) & 0xff } };
      return null;
    }
    if (a.kind === 'attr' && a.group === KVM_DEV_XICS_GRP_SOURCES) {
      const n = Number(a.attr);
      if (a.value === null) return { kind: 'access', text: xicsIrqName(n), data: { source: n } };
      const f = decodeSource(a.value);
      const flags = [f.levelSensitive ? 'LSI' : 'MSI', ...(f.masked ? ['masked'] : []), ...(f.pending ? ['pending'] : []), ...(f.presented ? ['presented'] : []), ...(f.queued ? ['queued'] : [])];
      return { kind: 'access', text: `${xicsIrqName(n)}: server ${f.server}, priority ${hex(f.priority, 2)}${f.priority === MASKED ? ' (masked)' : ''}, ${flags.join(', ')}`, data: { source: n, server: f.server, priority: f.priority } };
    }
    return null;
  }
}

/** The XICS's introspection spec (`DeviceRegistration.introspect`). */
export const xicsIntrospect: DeviceIntrospectSpec = {
  names: { hypercalls: XICS_HCALL_NAMES, hypercallReturns: XICS_HCALL_RETURNS, irqLineLevels: { KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL } },
  open: (t) => new XicsView(t),
};

/**
 * The tool's guest operations need the kernel to answer the hcall: one that exits to userspace
 * (KVM_EXIT_PAPR_HCALL: no ICP on the vCPU) or bugged the VM is an error of the request.
 */
function inKernel(r: HypercallResult, name: string): HypercallResult {
  if (r.kind === 'exit') throw new KvmError(ENXIO, `${name} is not handled in the kernel (KVM_EXIT_PAPR_HCALL)`);
  if (r.kind !== 'done') throw new KvmError(EIO, `${name} failed; the VM is bugged`);
  return r;
}
