/**
 * Churn and memory. Churn: VMs created with a device and destroyed, per second, through the
 * facade (KVM_CREATE_VM, KVM_CREATE_DEVICE, close the device fd, close the VM fd).
 * Memory: heap bytes per idle VM, over 10,000 VMs kept alive in an array, with forced GC before
 * and after: GICv3 (8 vCPUs, 256 IRQs, initialized), MPIC (4 CPUs connected, window mapped),
 * XICS (4 servers, 1024 sources). Heap = V8 heapUsed plus ArrayBuffer backing stores (typed
 * arrays bigger than 64 bytes live outside the V8 heap but are the VM's memory all the same).
 * @packageDocumentation
 */
import { type Host, KVM_CAP_IRQ_MPIC, KVM_CAP_IRQ_XICS, KVM_CREATE_DEVICE, KVM_CREATE_VM, type KvmPlugin, createHost } from '@kvmdev/core';
import { KVM_DEV_MPIC_GRP_MISC, mpic } from '@kvmdev/mpic';
import { KVM_DEV_XICS_GRP_SOURCES, xics } from '@kvmdev/xics';
import { FacadeVm, GICV3_DIST, GICV3_REDIST, loadVgic, vgicMissing } from './families.js';
import { fakePlugin } from './fake-device.js';
import { type Figure, QUICK, forceGc, judge, measure, skipped } from './harness.js';

const TWO32 = 4294967296;

function host(p: KvmPlugin): Host {
  return createHost({ plugins: [p], fdLimit: 1 << 22, maxVcpus: 4096, maxVcpuIds: 8192 });
}

/**
 * A lean builder: one set of structs per host (user memory does not grow per VM, so it does
 * not count as VM memory), VMs built through the facade.
 */
class Builder {
  readonly f: FacadeVm;
  constructor(readonly host: Host) {
    this.f = new FacadeVm(host);
  }
  vm(): FacadeVm {
    return new FacadeVm(this.host, this.f);
  }
}

// ------------------------------------------------------------------ churn

async function churn(label: string, p: KvmPlugin | null, type: (h: Host) => number): Promise<Figure[]> {
  const name = `${label}: create VM + device, close both`;
  if (p === null) return [skipped('churn', name, vgicMissing(), 'VM churn >= 50,000/s')];
  const h = host(p);
  const b = new Builder(h);
  const t = type(h);
  const f = b.f;
  const mem = h.mem;
  const kvmFd = f.kvmFd;
  const buf = f.buf;
  const one = (): void => {
    const vmFd = h.ioctl(kvmFd, KVM_CREATE_VM, 0);
    mem.setU32(buf, t);
    mem.setU32(buf + 8, 0);
    h.ioctl(vmFd, KVM_CREATE_DEVICE, buf);
    h.close(mem.getU32(buf + 4));
    h.close(vmFd);
  };
  const live0 = h.liveVms.size;
  one();
  if (h.liveVms.size !== live0) throw new Error(`${label}: a churned VM was not freed`);
  const fig = await measure(
    'churn',
    name,
    (n) => {
      for (let i = 0; i < n; i++) one();
    },
    { real: 'create_close' },
    QUICK ? 5000 : 20_000,
  );
  fig.note = `${h.liveVms.size - live0} churned VMs alive at the end (all freed); B/call is the garbage of one VM lifetime; vs real: one real device create + close (the model's op also creates and closes the VM)`;
  judge(fig, 'VM churn >= 50,000/s', fig.opsPerSec! >= 50_000);
  return [fig];
}

// ------------------------------------------------------------------ memory

const COUNT = QUICK ? 1000 : 10_000;

interface MemPlan {
  label: string;
  plugin: KvmPlugin | null;
  build(b: Builder): unknown;
  target?: { bytes: number; text: string };
}

async function memory(plan: MemPlan): Promise<Figure[]> {
  const name = `${plan.label}: heap per idle VM (${COUNT.toLocaleString('en')} VMs)`;
  if (plan.plugin === null) return [skipped('memory', name, vgicMissing(), plan.target?.text)];
  const b = new Builder(host(plan.plugin));
  // warm the builder and the code paths
  const warm: unknown[] = [];
  for (let i = 0; i < 20; i++) warm.push(plan.build(b));
  forceGc();
  const m0 = process.memoryUsage();
  const keep: unknown[] = [];
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) keep.push(plan.build(b));
  const dt = performance.now() - t0;
  forceGc();
  const m1 = process.memoryUsage();
  const heap = (m1.heapUsed - m0.heapUsed) / COUNT;
  const ab = (m1.arrayBuffers - m0.arrayBuffers) / COUNT;
  const total = heap + ab;
  const fig: Figure = {
    group: 'memory',
    name,
    value: `${(total / 1024).toFixed(1)} KiB/VM`,
    note: `V8 heap ${(heap / 1024).toFixed(1)} KiB + ArrayBuffer backing stores ${(ab / 1024).toFixed(1)} KiB per VM; built at ${((dt * 1000) / COUNT).toFixed(1)} us/VM; ${keep.length + warm.length} VMs kept alive`,
  };
  if (plan.target) judge(fig, plan.target.text, total < plan.target.bytes);
  return [fig];
}

function gicV3Build(b: Builder): unknown {
  const f = b.vm();
  f.createVcpus(8);
  const dev = f.createDevice(7);
  f.setAttr64(dev, 0, 2, 0, GICV3_DIST, 0);
  f.setAttr64(dev, 0, 3, 0, GICV3_REDIST, 0);
  f.setAttr32(dev, 3, 0, 0, 256);
  f.setAttrNone(dev, 4, 0);
  return f.vmFd;
}

const MPIC_BASE = 0xfe0040000;
function mpicBuild(b: Builder): unknown {
  const f = b.vm();
  f.createVcpus(4);
  const dev = f.createDevice(1);
  for (let i = 0; i < 4; i++) f.enableCap(i, KVM_CAP_IRQ_MPIC, dev, i);
  f.setAttr64(dev, KVM_DEV_MPIC_GRP_MISC, 0, 0, MPIC_BASE % TWO32, Math.floor(MPIC_BASE / TWO32));
  return f.vmFd;
}

function xicsBuild(b: Builder): unknown {
  const f = b.vm();
  f.createVcpus(4);
  const dev = f.createDevice(3);
  for (let i = 0; i < 4; i++) f.enableCap(i, KVM_CAP_IRQ_XICS, dev, i);
  // 1024 sources 0x1000..0x13ff (QEMU pseries), masked (priority 0xff), server 0
  for (let s = 0x1000; s < 0x1400; s++) f.setAttr64(dev, KVM_DEV_XICS_GRP_SOURCES, s, 0, 0, 0xff | (1 << 9));
  return f.vmFd;
}

function coreBuild(b: Builder): unknown {
  const f = b.vm();
  f.createVcpus(8);
  return f.vmFd;
}

function gicV3NoInitBuild(b: Builder): unknown {
  const f = b.vm();
  f.createVcpus(8);
  f.createDevice(7);
  return f.vmFd;
}

/** One process per family (a clean heap for each memory figure). */
export const churnUnits: Record<string, () => Promise<Figure[]>> = {
  'churn:fake': () => churn('fake (core floor)', fakePlugin, (h) => h.deviceType('@kvmdev/bench:fake')),
  'churn:gicv3': async () => churn('GICv3', await loadVgic(), () => 7),
  'churn:mpic': () => churn('MPIC', mpic, () => 1),
  'churn:xics': () => churn('XICS', xics, () => 3),
  'memory:gicv3': async () =>
    memory({ label: 'GICv3, 8 vCPUs, 256 IRQs', plugin: await loadVgic(), build: gicV3Build, target: { bytes: 64 * 1024, text: '< 64 KiB per idle GICv3 VM' } }),
  'memory:core': () => memory({ label: 'core only: VM + 8 vCPUs, no device (attribution)', plugin: fakePlugin, build: coreBuild }),
  'memory:gicv3-noinit': async () =>
    memory({ label: 'GICv3 created, 8 vCPUs, before NR_IRQS/CTRL_INIT (attribution)', plugin: await loadVgic(), build: gicV3NoInitBuild }),
  'memory:mpic': () => memory({ label: 'MPIC, 4 CPUs', plugin: mpic, build: mpicBuild }),
  'memory:xics': () => memory({ label: 'XICS, 4 servers, 1024 sources', plugin: xics, build: xicsBuild }),
};
