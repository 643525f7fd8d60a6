/**
 * Introspection at scale: a GICv3 with 512 vCPUs and nr_irqs 992 (960 SPIs), read through its
 * plugin's introspection spec the way a tool does. Opening a view, one screen of rows (50 SPIs;
 * the 16 PPIs of 30 vCPUs; 30 vCPU interfaces: what a virtualised inspector page shows at once),
 * and every row of the device (960 SPIs + 512 x 32 private interrupts, what `kvmdev inspect --all`
 * reads). The view's rows are objects by design (a tool keeps them), so allocation is reported,
 * not judged.
 * @packageDocumentation
 */
import { composeVm, createHost, presets } from '@kvmdev/core';
import { armVgic } from '@kvmdev/arm-vgic';
import { Bench } from 'tinybench';
import { type Figure, QUICK, consume, judge, measure, rate } from './harness.js';

const G = 'introspect';

function bigGic() {
  const host = createHost({ plugins: [armVgic] });
  const base = presets.qemuVirtArm64({ vcpus: 512, gic: 'v3' });
  const c = composeVm(host, { ...base, devices: [{ ...base.devices[0]!, settings: { ...base.devices[0]!.settings, nrIrqs: 992 } }] });
  const target = { vm: c.vm, device: c.devices[0]!.handle, vcpus: c.vcpus };
  return { c, target, spec: armVgic.devices.find((d) => d.key === 'KVM_DEV_TYPE_ARM_VGIC_V3')!.introspect! };
}

async function figures(): Promise<Figure[]> {
  const { c, target, spec } = bigGic();
  const g0 = c.vcpus[0]!.guest;
  // some state to show: every SPI enabled, routed round-robin
  for (let w = 1; w < 992 / 32; w++) g0.mmioWrite32(0x08000000 + 0x100 + 4 * w, 4, 0xffffffff);
  for (let n = 32; n < 992; n++) g0.mmioWrite32(0x08000000 + 0x6000 + 8 * n, 4, n % 512);
  const view = spec.open(target);
  const iv = view.interrupts!;
  const out: Figure[] = [];
  out.push(judge(await measure(G, 'GICv3 512 vCPUs x 960 SPIs: open a view', (n) => {
    for (let i = 0; i < n; i++) consume(spec.open(target).interrupts ? 1 : 0);
  }, {}, 10_000), 'reads nothing (no attribute call: arm-vgic test/introspect.test.ts counts them)', undefined));
  const screenName = 'GICv3 512 vCPUs x 960 SPIs: one screen (50 SPI rows, 30 x 16 PPI rows, 30 vCPU interfaces)';
  const allName = `GICv3 512 vCPUs x 960 SPIs: every row (${(960 + 512 * 32).toLocaleString('en')} rows, inspect --all)`;
  const bench = new Bench({ time: QUICK ? 150 : 800, iterations: QUICK ? 3 : 10, warmupIterations: 2, warmupTime: 0 });
  bench.add(screenName, () => {
    consume(iv.read(480, 50).length);
    for (let v = 100; v < 130; v++) {
      consume(iv.read(16, 16, v).length);
      consume(iv.cpu(v).vcpu);
    }
  });
  bench.add(allName, () => {
    consume(iv.read(32, 960).length);
    for (const v of c.vcpus) consume(iv.read(0, 32, v.id).length);
  });
  await bench.run();
  const ms = new Map<string, number>();
  for (const t of bench.tasks) {
    if (t.result.state === 'completed') ms.set(t.name, t.result.latency.p50);
    else if (t.result.state === 'errored') throw t.result.error;
  }
  const fig = (name: string, target: string, limitMs: number): Figure => {
    const f = rate(G, name, ms.get(name)! * 1e6, { note: 'tinybench p50' });
    f.value = `${ms.get(name)!.toFixed(2)} ms`;
    return judge(f, target, ms.get(name)! < limitMs);
  };
  out.push(fig(screenName, 'one 60 Hz frame: < 16 ms', 16), fig(allName, 'under a second', 1000));
  return out;
}

/** The introspection figures, one unit. */
export const introspectUnits: Record<string, () => Promise<Figure[]>> = {
  'introspect:gicv3': figures,
};
