/**
 * A custom VM build: an arm64 VM in Firecracker's layout (GICv3, 2 vCPUs) composed from only the
 * plugin it needs. The guest takes an SPI injected by the host: line up, ICC_IAR1_EL1, EOI.
 * Bundled for the browser by build.ts; in Node: `pnpm --filter @kvmdev/example-custom-vm-build start`.
 */
import { composeVm, createHost, presets } from '@kvmdev/core';
import { armVgic, ICC_EOIR1_EL1, ICC_IAR1_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1 } from '@kvmdev/arm-vgic';

export function run(log: (line: string) => void): string[] {
  const out: string[] = [];
  const say = (s: string) => {
    out.push(s);
    log(s);
  };
  const host = createHost({ plugins: [armVgic] });
  const vm = composeVm(host, presets.firecrackerArm64({ vcpus: 2, gic: 'v3' }));
  const gic = vm.devices[0]!.handle;
  const cpu0 = vm.vcpus[0]!;
  const g = cpu0.guest;
  for (const v of vm.vcpus) v.run(); // the first KVM_RUN maps the GIC's MMIO frames (kvm_vgic_map_resources)
  // the guest enables its CPU interface and group 1, and SPI 40 at the distributor
  g.sysregWrite32(ICC_PMR_EL1, 0xf0);
  g.sysregWrite32(ICC_IGRPEN1_EL1, 1);
  const dist = 0x3fff0000;
  g.mmioWrite(dist + 0x0, 4, 0x12); // GICD_CTLR: ARE_NS | EnableGrp1A
  g.mmioWrite(dist + 0x84, 4, 1 << 8); // GICD_IGROUPR1: INTID 40 in group 1
  g.mmioWrite(dist + 0x104, 4, 1 << 8); // GICD_ISENABLER1: enable INTID 40
  say(`built ${vm.config.name}: ${vm.vcpus.length} vCPUs, ${gic.info?.key}`);
  vm.vm.irqLine((1 << 24) | 40, 1); // KVM_IRQ_LINE: SPI 40 high
  say(`after KVM_IRQ_LINE(SPI 40): vCPU 0 irq line = ${cpu0.line('irq')}`);
  const intid = g.sysregRead32(ICC_IAR1_EL1);
  say(`guest reads ICC_IAR1_EL1 = ${intid}; irq line = ${cpu0.line('irq')}`);
  vm.vm.irqLine((1 << 24) | 40, 0);
  g.sysregWrite32(ICC_EOIR1_EL1, intid);
  say(`guest writes ICC_EOIR1_EL1 = ${intid}; irq line = ${cpu0.line('irq')}`);
  vm.close();
  say(`live VMs after close: ${host.liveVms.size}`);
  return out;
}

const isMain = typeof process !== 'undefined' && Array.isArray(process.argv) && process.argv.length > 0;
if (isMain) {
  const lines = run((s) => {
    if (!process.argv.includes('--check')) console.log(s);
  });
  if (process.argv.includes('--check')) {
    const text = lines.join('\n');
    for (const want of ['vCPU 0 irq line = 1', 'ICC_IAR1_EL1 = 40', 'ICC_EOIR1_EL1 = 40; irq line = 0', 'live VMs after close: 0'])
      if (!text.includes(want)) throw new Error(`custom-vm-build check failed: missing "${want}"\n${text}`);
    console.log('custom-vm-build: 4 passed, 0 failed');
  }
}
