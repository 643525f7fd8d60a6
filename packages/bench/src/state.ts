/**
 * State: full save and restore of a VM's interrupt controller. GICv3 with 512 vCPUs and 992
 * IRQs, both through the plugin's snapshot spec driven by core's saveSnapshot/restoreSnapshot
 * (what a kvmdev VMM calls) and through a hand-written attribute loop in QEMU's order
 * (arm_gicv3_kvm.c get/put: one KVM_GET/SET_DEVICE_ATTR ioctl per 32-bit register, redistributor
 * and ICC state per vCPU, clear-then-set for enable/pending/active, config before pending);
 * XICS with 256 servers and 4096 sources and MPIC with 32 CPUs through their specs. Timed with
 * tinybench 6.2.4 (ms-scale operations), median (p50) latency reported.
 * @packageDocumentation
 */
import { type Host, KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR, restoreSnapshot, saveSnapshot } from '@kvmdev/core';
import { Bench } from 'tinybench';
import { type Rig, affOf, gicv3Rig, mpicRig, vgicMissing, xicsRig } from './families.js';
import { type Figure, QUICK, judge, rate, skipped } from './harness.js';

const G = 'state';

async function tiny(tasks: [string, () => void][]): Promise<Map<string, number>> {
  const bench = new Bench({ time: QUICK ? 150 : 800, iterations: QUICK ? 3 : 10, warmupIterations: 2, warmupTime: 0 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  const out = new Map<string, number>();
  for (const t of bench.tasks) {
    const r = t.result;
    if (r.state === 'completed') out.set(t.name, r.latency.p50 * 1e6);
    else if (r.state === 'errored') throw r.error;
  }
  return out;
}

/** The snapshot-spec figures of a rig (save, restore, entry count). */
async function specFigures(label: string, rig: Rig, target?: { ms: number; text: string }): Promise<Figure[]> {
  const host = rig.f.host;
  const vmFd = rig.f.vmFd;
  const info = host.registry.typeInfo(rig.dev.device.type);
  if (!info?.snapshot) return [skipped(G, `${label}: snapshot spec`, `${info?.key ?? 'the device'} has no snapshot spec`)];
  const snap = saveSnapshot(host, vmFd);
  restoreSnapshot(host, vmFd, snap); // fails loudly here rather than inside the timing
  const entries = snap.devices.reduce((s, d) => s + d.state.length, 0);
  const json = JSON.stringify(snap).length;
  const saveName = `${label}: saveSnapshot (plugin spec)`;
  const restName = `${label}: restoreSnapshot (plugin spec)`;
  const r = await tiny([
    [saveName, () => void saveSnapshot(host, vmFd)],
    [restName, () => restoreSnapshot(host, vmFd, snap)],
  ]);
  const note = `${entries.toLocaleString('en')} state entries, ${(json / 1024).toFixed(0)} KiB JSON; tinybench p50`;
  const out = [rate(G, saveName, r.get(saveName)!, { note }), rate(G, restName, r.get(restName)!, { note: `${note}; restore validates, re-reads the current state for rollback, HAS-checks every entry` })];
  for (const f of out) {
    f.real = 'has_attr';
    f.realCount = entries;
    f.value = `${(f.nsPerOp! / 1e6).toFixed(2)} ms`;
    if (target) judge(f, target.text, f.nsPerOp! / 1e6 < target.ms);
  }
  return out;
}

// ------------------------------------------------------------------ QEMU-order attribute loop (GICv3)

const DIST = 1;
const REDIST = 5;
const SYSREGS = 6;
const LEVEL = 7;

interface Access {
  g: number;
  lo: number;
  hi: number;
  size: 4 | 8;
  /** restore: index of the saved value to write, or -1 to write all-ones (the clear half) */
  src: number;
}

/** The save list and the restore list, in QEMU's orders. */
function qemuPlan(vcpuIds: readonly number[], nrIrqs: number): { save: Access[]; restore: Access[] } {
  const save: Access[] = [];
  const index = new Map<string, number>();
  const key = (g: number, lo: number, hi: number): string => `${g}:${hi}:${lo}`;
  const get = (g: number, lo: number, hi = 0, size: 4 | 8 = 4): void => {
    index.set(key(g, lo, hi), save.length);
    save.push({ g, lo, hi, size, src: -1 });
  };
  const restore: Access[] = [];
  const put = (g: number, lo: number, hi = 0, size: 4 | 8 = 4): void => {
    const i = index.get(key(g, lo, hi));
    if (i === undefined) throw new Error(`restore of an unsaved register ${key(g, lo, hi)}`);
    restore.push({ g, lo, hi, size, src: i });
  };
  const clear = (g: number, lo: number, hi = 0): void => {
    restore.push({ g, lo, hi, size: 4, src: -1 });
  };
  const words = nrIrqs >>> 5;
  const ICC = [0xc664, 0xc666, 0xc667, 0xc230, 0xc643, 0xc663, 0xc644, 0xc648, 0xc665]; // CTLR IGRPEN0/1 PMR BPR0/1 AP0R0 AP1R0 SRE
  // ---- get (save)
  get(DIST, 0x0); // GICD_CTLR
  for (const id of vcpuIds) {
    const a = affOf(id);
    for (const off of [0x0, 0x70, 0x74, 0x78, 0x7c, 0x10080, 0x10100, 0x10c04]) get(REDIST, off, a);
    get(LEVEL, 0, a);
    for (const off of [0x10200, 0x10300]) get(REDIST, off, a);
    for (let k = 0; k < 8; k++) get(REDIST, 0x10400 + 4 * k, a);
  }
  for (let w = 1; w < words; w++) get(DIST, 0x80 + 4 * w); // IGROUPR
  for (let k = 2; k < nrIrqs >>> 4; k++) get(DIST, 0xc00 + 4 * k); // ICFGR
  for (let w = 1; w < words; w++) get(LEVEL, 32 * w);
  for (const base of [0x200, 0x300, 0x100]) for (let w = 1; w < words; w++) get(DIST, base + 4 * w); // ISPENDR ISACTIVER ISENABLER
  for (let k = 8; k < nrIrqs >>> 2; k++) get(DIST, 0x400 + 4 * k); // IPRIORITYR
  for (let irq = 32; irq < nrIrqs; irq++) {
    get(DIST, 0x6000 + 8 * irq);
    get(DIST, 0x6000 + 8 * irq + 4);
  }
  for (const id of vcpuIds) for (const r of ICC) get(SYSREGS, r, affOf(id), 8);
  // ---- put (restore)
  put(DIST, 0x0);
  for (const id of vcpuIds) {
    const a = affOf(id);
    for (const off of [0x70, 0x74, 0x78, 0x7c, 0x0, 0x10080]) put(REDIST, off, a);
    clear(REDIST, 0x10180, a);
    put(REDIST, 0x10100, a);
    put(REDIST, 0x10c04, a); // config before pending
    put(LEVEL, 0, a);
    clear(REDIST, 0x10280, a);
    put(REDIST, 0x10200, a);
    clear(REDIST, 0x10380, a);
    put(REDIST, 0x10300, a);
    for (let k = 0; k < 8; k++) put(REDIST, 0x10400 + 4 * k, a);
  }
  for (let w = 1; w < words; w++) put(DIST, 0x80 + 4 * w);
  for (let k = 2; k < nrIrqs >>> 4; k++) put(DIST, 0xc00 + 4 * k);
  for (let w = 1; w < words; w++) put(LEVEL, 32 * w);
  for (const [c, s] of [
    [0x280, 0x200],
    [0x380, 0x300],
    [0x180, 0x100],
  ] as const) {
    for (let w = 1; w < words; w++) {
      clear(DIST, c + 4 * w);
      put(DIST, s + 4 * w);
    }
  }
  for (let k = 8; k < nrIrqs >>> 2; k++) put(DIST, 0x400 + 4 * k);
  for (let irq = 32; irq < nrIrqs; irq++) {
    put(DIST, 0x6000 + 8 * irq);
    put(DIST, 0x6000 + 8 * irq + 4);
  }
  for (const id of vcpuIds) for (const r of [0xc665, 0xc664, 0xc230, 0xc643, 0xc663, 0xc644, 0xc648, 0xc666, 0xc667]) put(SYSREGS, r, affOf(id), 8);
  return { save, restore };
}

/** Runs a list of accesses through the facade; returns the number of failed ioctls and the first failure. */
function runList(host: Host, devFd: number, attr: number, list: readonly Access[], saved: Uint32Array, restore: boolean, errs: { n: number; first: string }): void {
  const mem = host.mem;
  const payload = attr + 24;
  const req = restore ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR;
  errs.n = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    mem.setU32(attr + 4, e.g);
    mem.setU32(attr + 8, e.lo);
    mem.setU32(attr + 12, e.hi);
    if (restore) {
      if (e.src < 0) mem.setU64Parts(payload, 0xffffffff, 0);
      else mem.setU64Parts(payload, saved[2 * e.src]!, saved[2 * e.src + 1]!);
    }
    if (host.ioctl(devFd, req, attr) < 0) {
      if (errs.n++ === 0) errs.first = `${restore ? 'SET' : 'GET'} group ${e.g} attr 0x${e.hi.toString(16)}:${e.lo.toString(16)} errno ${host.errno}`;
      continue;
    }
    if (!restore) {
      saved[2 * i] = mem.getU32(payload);
      saved[2 * i + 1] = e.size === 8 ? mem.getU32(payload + 4) : 0;
    }
  }
}

async function gicv3State(): Promise<Figure[]> {
  const label = 'GICv3, 512 vCPUs, 992 IRQs';
  let rig: Rig;
  try {
    rig = await gicv3Rig({ vcpus: 512, nrIrqs: 992 });
  } catch (e) {
    return [skipped(G, label, vgicMissing() || (e as Error).message, 'save and restore each < 20 ms')];
  }
  const target = { ms: 20, text: 'GICv3 512-vCPU save and restore each < 20 ms' };
  const out = await specFigures(label, rig, target);
  // the hand-written QEMU-order loop
  const host = rig.f.host;
  const ids = host.vmOf(rig.f.vmFd).vcpus.map((v) => v.id);
  const plan = qemuPlan(ids, 992);
  const attr = rig.f.attr;
  host.mem.setU32(attr, 0);
  host.mem.setU64Parts(attr + 16, attr + 24, 0);
  const saved = new Uint32Array(2 * plan.save.length);
  const errs = { n: 0, first: '' };
  runList(host, rig.devFd, attr, plan.save, saved, false, errs);
  const saveErr = { ...errs };
  runList(host, rig.devFd, attr, plan.restore, saved, true, errs);
  const restErr = { ...errs };
  const saveName = `${label}: save, hand-written QEMU-order attr loop (facade)`;
  const restName = `${label}: restore, hand-written QEMU-order attr loop (facade)`;
  const r = await tiny([
    [saveName, () => runList(host, rig.devFd, attr, plan.save, saved, false, errs)],
    [restName, () => runList(host, rig.devFd, attr, plan.restore, saved, true, errs)],
  ]);
  const mk = (name: string, n: number, e: { n: number; first: string }): Figure => {
    const f = rate(G, name, r.get(name)!, {
      value: `${(r.get(name)! / 1e6).toFixed(2)} ms`,
      real: 'has_attr',
      realCount: n,
      note: `${n.toLocaleString('en')} ioctls (${((r.get(name)! / n) | 0)} ns each)${e.n ? `; ${e.n} failed, first: ${e.first}` : '; all succeeded'}; tinybench p50`,
    });
    return judge(f, target.text, f.nsPerOp! / 1e6 < target.ms);
  };
  out.push(mk(saveName, plan.save.length, saveErr), mk(restName, plan.restore.length, restErr));
  return out;
}

/** One process per family. */
export const stateUnits: Record<string, () => Promise<Figure[]>> = {
  'state:gicv3': gicv3State,
  'state:xics': () => {
    const sources: number[] = [];
    for (let s = 0x1000; s < 0x2000; s++) sources.push(s);
    return specFigures('XICS, 256 servers, 4096 sources', xicsRig({ servers: 256, sources }));
  },
  'state:mpic': () => specFigures('MPIC, 32 CPUs', mpicRig({ cpus: 32 })),
};
