/**
 * Issue 15 item 5: composition presets for the VMMs that create an ITS next to their GICv3, each
 * making the set-up calls in that VMM's order (../shared/reference/arm-vgic.md section 8 for
 * Firecracker; Cloud Hypervisor's `KvmGicV3Its::init_device_attributes`, the same; QEMU's
 * `kvm_arm_gicv3_realize`, `kvm_arm_its_realize` and `kvm_arm_machine_init_done`, which sets the
 * addresses last, most recently registered first, and `kvm_arm_its_reset_hold`). A VM composed
 * from each preset takes MSIs through its ITS, and a snapshot of it with mapped LPIs restores onto
 * a second VM composed from the same preset with the same delivery afterwards.
 */
import {
  KVM_ARM_PREFERRED_TARGET,
  KVM_ARM_VCPU_INIT,
  KVM_MSI_VALID_DEVID,
  type VmConfig,
  composeVm,
  createHost,
  presets,
  restoreSnapshot,
  saveSnapshot,
  setupSteps,
  validateVmConfig,
} from '@kvmdev/core';
import { ItsGuestDriver as D, LPI_PROP_DEFAULT, armVgic, itsSetup } from '../src/internal.js';
import * as U from '../src/uapi.js';

const GROUP: Record<number, string> = { 0: 'ADDR', 3: 'NR_IRQS', 4: 'CTRL' };
const OP = ['set', 'get', 'has'];

/** Composes `config`, recording the calls in device terms: `create its`, `gic set ADDR 2 = 0x...`, `VCPU_INIT`. */
function composeRecorded(config: VmConfig, host = createHost({ plugins: [armVgic] })) {
  const calls: string[] = [];
  const names = new Map<number, string>();
  const probe = host.createVm();
  const vmProto = Object.getPrototypeOf(probe) as { createDevice(...a: unknown[]): { fd: number } };
  probe.close();
  const origCreate = vmProto.createDevice;
  const origAttr = host.deviceAttrCall.bind(host);
  const origRouting = host.setGsiRouting.bind(host);
  const origIoctl = host.ioctl.bind(host);
  const spies = [
    jest.spyOn(vmProto, 'createDevice').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const h = origCreate.apply(this, args);
      const name = config.devices[names.size]!.name!;
      names.set(h.fd, name);
      calls.push(`create ${name}`);
      return h;
    }),
    jest.spyOn(host, 'deviceAttrCall').mockImplementation((fd, op, group, lo, hi, addr) => {
      const r = origAttr(fd, op, group, lo, hi, addr);
      const value = op === 0 && group === 0 ? ` = 0x${host.mem.getU64(addr).toString(16)}` : op === 0 && group === 3 ? ` = ${host.mem.getU32(addr)}` : '';
      calls.push(`${names.get(fd)} ${OP[op]} ${GROUP[group] ?? group} ${lo}${value}`);
      return r;
    }),
    jest.spyOn(host, 'setGsiRouting').mockImplementation((vm, entries, flags) => {
      calls.push(`KVM_SET_GSI_ROUTING ${entries.length} routes`);
      return origRouting(vm, entries, flags);
    }),
    jest.spyOn(host, 'ioctl').mockImplementation((fd, request, arg) => {
      if (request === KVM_ARM_VCPU_INIT) calls.push('VCPU_INIT');
      if (request === KVM_ARM_PREFERRED_TARGET) calls.push('PREFERRED_TARGET');
      return origIoctl(fd, request, arg);
    }),
  ];
  try {
    return { host, vm: composeVm(host, config), calls };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

const vcpuInits = (n: number) => ['PREFERRED_TARGET', ...Array<string>(n).fill('VCPU_INIT')];

describe('the presets make their VMM\'s calls in its order', () => {
  test('Firecracker from v1.13.0, every GICv3 VM (reference section 8; gicv3/mod.rs GICv3::create): GIC addresses, then the ITS, then NR_IRQS and CTRL_INIT', () => {
    const { vm, calls } = composeRecorded(presets.firecrackerArm64Pci({ vcpus: 2 }));
    // dist 0x3fff0000, redist = dist - 2 x 0x20000, ITS = redist - 0x20000
    expect(calls).toEqual([
      'create gic',
      'gic set ADDR 2 = 0x3fff0000',
      'gic set ADDR 3 = 0x3ffb0000',
      'create its',
      'its set ADDR 4 = 0x3ff90000',
      'its set CTRL 0',
      'gic set NR_IRQS 0 = 128',
      'gic set CTRL 0',
      ...vcpuInits(2),
    ]);
    vm.close();
  });

  test('Cloud Hypervisor (KvmGicV3Its, Gic::new, Vm::boot): the same order, then the 32 legacy routes, then the vCPUs; its layout below 0x09000000 and 256 IRQs', () => {
    const { host, vm, calls } = composeRecorded(presets.cloudHypervisorArm64({ vcpus: 4 }));
    expect(calls).toEqual([
      'create gic',
      'gic set ADDR 2 = 0x8ff0000',
      'gic set ADDR 3 = 0x8f70000',
      'create its',
      'its set ADDR 4 = 0x8f50000',
      'its set CTRL 0',
      'gic set NR_IRQS 0 = 256',
      'gic set CTRL 0',
      'KVM_SET_GSI_ROUTING 32 routes',
      ...vcpuInits(4),
    ]);
    // GSI 32 + k -> pin k (INTID 32 + k): an irqfd on GSI 40 pends INTID 40 (the kernel's default
    // table would send it to INTID 72); GSI 8 is not in the table any more
    for (const v of vm.vcpus) v.run();
    const ispendr1 = () => vm.vcpus[0]!.guest.mmioRead(0x8ff0000 + 0x204, 4);
    const unrouted = host.createEventFd();
    vm.vm.irqfd({ fd: unrouted, gsi: 8 });
    unrouted.signal();
    expect(ispendr1()).toBe(0);
    const ev = host.createEventFd();
    vm.vm.irqfd({ fd: ev, gsi: 40 });
    ev.signal();
    expect(ispendr1()).toBe(1 << 8);
    vm.close();
  });

  test('QEMU virt: vCPUs first, GICv3 NR_IRQS/CTRL_INIT/routing, ITS CTRL_INIT, then the addresses most recent first, then the ITS reset', () => {
    const { vm, calls } = composeRecorded(presets.qemuVirtArm64Its({ vcpus: 2 }));
    expect(calls).toEqual([
      ...vcpuInits(2),
      'create gic',
      'gic set NR_IRQS 0 = 288',
      'gic set CTRL 0',
      'KVM_SET_GSI_ROUTING 256 routes',
      'create its',
      'its set CTRL 0',
      'its set ADDR 4 = 0x8080000',
      // REDIST_REGION 0: count 2 << 52 | 0x080a0000 | index 0
      'gic set ADDR 5 = 0x200000080a0000',
      'gic set ADDR 2 = 0x8000000',
      'its has CTRL 4',
      'its set CTRL 4',
    ]);
    vm.close();
  });

  test('QEMU virt beyond 123 vCPUs: a second redistributor region at VIRT_HIGH_GIC_REDIST2', () => {
    const { vm, calls } = composeRecorded(presets.qemuVirtArm64Its({ vcpus: 130 }));
    expect(calls.filter((c) => c.startsWith('gic set ADDR 5'))).toEqual(['gic set ADDR 5 = 0x7b00000080a0000', 'gic set ADDR 5 = 0x70004000000001']);
    vm.vcpus[129]!.run(); // the redistributors cover every vCPU: the first run maps them
    vm.close();
  });
});

describe('the presets without an ITS make their VMM\'s calls in its order', () => {
  test('Firecracker GICv3 up to v1.12 and GICv2 (GICv3::create, GICv2::create): create, the addresses, NR_IRQS, CTRL_INIT, then the vCPUs', () => {
    const v3 = composeRecorded(presets.firecrackerArm64({ vcpus: 2 }));
    expect(v3.calls).toEqual(['create gic', 'gic set ADDR 2 = 0x3fff0000', 'gic set ADDR 3 = 0x3ffb0000', 'gic set NR_IRQS 0 = 128', 'gic set CTRL 0', ...vcpuInits(2)]);
    v3.vm.close();
    const v2 = composeRecorded(presets.firecrackerArm64({ vcpus: 2, gic: 'v2' }));
    expect(v2.calls).toEqual(['create gic', 'gic set ADDR 0 = 0x3ffff000', 'gic set ADDR 1 = 0x3fffd000', 'gic set NR_IRQS 0 = 128', 'gic set CTRL 0', ...vcpuInits(2)]);
    v2.vm.close();
  });

  test('QEMU virt its=off: vCPUs first, realize (NR_IRQS, CTRL_INIT, identity routing), then the addresses most recent first', () => {
    // kvm_arm_gicv3_realize / kvm_arm_gic_realize register DIST then REDIST (CPU); machine-init-done
    // walks the list from its head, so the redistributors (CPU interface) come before the distributor
    const v3 = composeRecorded(presets.qemuVirtArm64({ vcpus: 2 }));
    expect(v3.calls).toEqual([
      ...vcpuInits(2),
      'create gic',
      'gic set NR_IRQS 0 = 288',
      'gic set CTRL 0',
      'KVM_SET_GSI_ROUTING 256 routes',
      'gic set ADDR 3 = 0x80a0000',
      'gic set ADDR 2 = 0x8000000',
    ]);
    v3.vm.close();
    const v2 = composeRecorded(presets.qemuVirtArm64({ vcpus: 2, gic: 'v2' }));
    expect(v2.calls).toEqual([
      ...vcpuInits(2),
      'create gic',
      'gic set NR_IRQS 0 = 288',
      'gic set CTRL 0',
      'KVM_SET_GSI_ROUTING 256 routes',
      'gic set ADDR 1 = 0x8010000',
      'gic set ADDR 0 = 0x8000000',
    ]);
    for (const v of v2.vm.vcpus) v.run(); // the frames map at the first run
    v2.vm.close();
  });

  test("routing is 'identity', 'none' or { firstGsi, count } within KVM_MAX_IRQ_ROUTES and the GIC's SPIs", () => {
    const host = createHost({ plugins: [armVgic] });
    const c = presets.cloudHypervisorArm64({ vcpus: 1 });
    const withRouting = (routing: unknown) => ({ ...c, order: undefined, devices: [{ ...c.devices[0]!, settings: { ...c.devices[0]!.settings, routing } }, c.devices[1]!] });
    expect(validateVmConfig(host, withRouting({ firstGsi: 32, count: 32 }))).toEqual([]);
    expect(validateVmConfig(host, withRouting({ firstGsi: -1, count: 0, pin: 3 }))).toEqual([
      { path: 'devices[0].settings.routing.pin', message: 'unknown key; routing has firstGsi, count' },
      { path: 'devices[0].settings.routing.firstGsi', message: 'expected an integer from 0 to 4095, got -1' },
      { path: 'devices[0].settings.routing.count', message: "expected an integer from 1 to 224 (pins 0.. are the GIC's SPIs), got 0" },
    ]);
    expect(validateVmConfig(host, withRouting({ firstGsi: 4000, count: 200 }))).toEqual([
      { path: 'devices[0].settings.routing', message: 'GSIs 4000..4199 pass KVM_MAX_IRQ_ROUTES (4096)' },
    ]);
    expect(validateVmConfig(host, withRouting([1]))).toEqual([
      { path: 'devices[0].settings.routing', message: "expected 'identity', 'none' or { firstGsi, count }, got [1]" },
    ]);
  });

  test("a GICv2's routing setting is 'identity' or 'none'", () => {
    const host = createHost({ plugins: [armVgic] });
    const c = presets.qemuVirtArm64({ vcpus: 1, gic: 'v2' });
    const bad = { ...c, devices: [{ ...c.devices[0]!, settings: { ...c.devices[0]!.settings, routing: 'all' } }] };
    expect(validateVmConfig(host, { ...bad, order: undefined })).toEqual([{ path: 'devices[0].settings.routing', message: "expected 'identity', 'none' or { firstGsi, count }, got \"all\"" }]);
  });
});

/** The guest side of a composed VM with RAM at 2 GiB: GICD_CTLR, PMR, IGRPEN1, an ITS driver. */
function guestOf(host: ReturnType<typeof createHost>, vm: ReturnType<typeof composeVm>, dist: number, redist: number, its: number) {
  const ram = 16 << 20;
  const hva = host.mem.mmap(ram);
  vm.vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0x8000_0000, memorySize: ram, userspaceAddr: hva });
  for (const v of vm.vcpus) v.run();
  const guests = vm.vcpus.map((v) => v.guest);
  guests[0]!.mmioWrite32(dist, 4, 2);
  for (const g of guests) {
    g.sysregWrite(U.ICC_PMR_EL1, 0xff);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
  }
  const drv = new D({ ram: { gpa: 0x8000_0000, size: ram, hva, mem: host.mem }, cpus: guests, its, redist });
  const take = (): string[] =>
    guests.flatMap((g, i) => {
      const got: string[] = [];
      for (let k = 0; k < 100 && g.line('irq'); k++) {
        const intid = Number(g.sysregRead(U.ICC_IAR1_EL1));
        got.push(`${i}:${intid}`);
        g.sysregWrite(U.ICC_EOIR1_EL1, intid);
      }
      return got;
    });
  const msi = (devid: number, data: number) => vm.vm.signalMsi({ addressLo: its + 0x10040, data, flags: KVM_MSI_VALID_DEVID, devid });
  return { drv, take, msi };
}

const LAYOUTS: [string, () => VmConfig, number, number, number][] = [
  ['firecrackerArm64Pci', () => presets.firecrackerArm64Pci({ vcpus: 2 }), 0x3fff0000, 0x3ffb0000, 0x3ff90000],
  ['cloudHypervisorArm64', () => presets.cloudHypervisorArm64({ vcpus: 2 }), 0x08ff0000, 0x08fb0000, 0x08f90000],
  ['qemuVirtArm64Its', () => presets.qemuVirtArm64Its({ vcpus: 2 }), 0x08000000, 0x080a0000, 0x08080000],
];

describe.each(LAYOUTS)('%s', (_name, make, dist, redist, its) => {
  test('the composed VM has an ITS: LPIs in GICD_TYPER, MSIs delivered, and a snapshot with mapped LPIs restores onto a second VM of the preset', () => {
    const host = createHost({ plugins: [armVgic] });
    const a = composeVm(host, make());
    expect(a.devices.map((d) => `${d.name}:${d.key}`)).toEqual(['gic:KVM_DEV_TYPE_ARM_VGIC_V3', 'its:KVM_DEV_TYPE_ARM_VGIC_ITS']);
    expect((a.devices[0]!.handle.getAttr(1 as never, 4 as never) as number) & (1 << 17)).toBe(1 << 17); // GICD_TYPER.LPIS
    const ga = guestOf(host, a, dist, redist, its);
    ga.drv.enableDefaults();
    ga.drv.send(D.mapc(0, 0));
    ga.drv.send(D.mapc(1, 1));
    ga.drv.send(D.mapd(9, ga.drv.alloc(8 * 4), 2));
    for (let ev = 0; ev < 4; ev++) {
      ga.drv.setConfig(8192 + ev, LPI_PROP_DEFAULT);
      ga.drv.send(D.mapti(9, ev, 8192 + ev, ev % 2));
    }
    ga.drv.send(D.invall(0));
    ga.drv.send(D.invall(1));
    expect(ga.msi(9, 1)).toBe(1);
    expect(ga.take()).toEqual(['1:8193']);
    expect(ga.msi(9, 3)).toBe(1); // left pending across the snapshot
    const snap = saveSnapshot(host, a.vm.fd);

    const host2 = createHost({ plugins: [armVgic] });
    const b = composeVm(host2, make());
    const gb = guestOf(host2, b, dist, redist, its);
    restoreSnapshot(host2, b.vm.fd, snap);
    expect(gb.take()).toEqual(['1:8195']);
    expect([0, 1, 2, 3, 4].map((ev) => `${gb.msi(9, ev)}:${gb.take().join(',')}`)).toEqual(['1:0:8192', '1:1:8193', '1:0:8194', '1:1:8195', '0:']);
    a.close();
    b.close();
  });
});

describe('the ITS setup spec and order validation', () => {
  const host = createHost({ plugins: [armVgic] });
  test('the ITS settings are validated before anything is created', () => {
    const cfg: VmConfig = { arch: 'arm64', vcpus: 1, devices: [{ type: 'KVM_DEV_TYPE_ARM_VGIC_ITS', name: 'its', settings: { addr: '0x3ffc8000', reset: 'yes' } }] };
    expect(validateVmConfig(host, cfg)).toEqual([
      { path: 'devices[0].settings.addr', message: '0x3ffc8000 is not 64 KiB aligned' },
      { path: 'devices[0].settings.reset', message: 'expected true or false' },
    ]);
    expect(validateVmConfig(host, { ...cfg, devices: [{ type: 'KVM_DEV_TYPE_ARM_VGIC_ITS' }] })).toEqual([
      { path: 'devices[0].settings.addr', message: 'required: a guest physical address such as 0x08000000' },
    ]);
  });
  test("the ITS's steps: addr, init, and reset only when asked", () => {
    expect(setupSteps(itsSetup, { addr: '0x08080000' }).map((s) => s.name)).toEqual(['addr', 'init']);
    expect(setupSteps(itsSetup, { addr: '0x08080000', reset: true }).map((s) => s.name)).toEqual(['addr', 'init', 'reset']);
  });
  test('redistRegions: every vCPU held, no overlap, not with redist', () => {
    const gic = (settings: Record<string, unknown>, vcpus = 4): VmConfig => ({ arch: 'arm64', vcpus, devices: [{ type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: '0x08000000', ...settings } }] });
    expect(validateVmConfig(host, gic({ redistRegions: [{ base: '0x080a0000', count: 3 }] }))).toEqual([
      { path: 'devices[0].settings.redistRegions', message: 'the regions hold 3 redistributors, the VM has 4 vCPUs' },
    ]);
    expect(validateVmConfig(host, gic({ redistRegions: [{ base: '0x07ff0000', count: 4 }] }))).toEqual([
      { path: 'devices[0].settings.redistRegions[0]', message: '0x7ff0000..0x8070000 overlaps dist (0x8000000..0x8010000)' },
    ]);
    expect(validateVmConfig(host, gic({ redist: '0x080a0000', redistRegions: [{ base: '0x080a1000', count: 0 }] })).map((i) => i.path)).toEqual([
      'devices[0].settings.redistRegions',
      'devices[0].settings.redistRegions[0].count',
      'devices[0].settings.redistRegions',
    ]);
    // a bigint (a parsed integer beyond 2^53) is reported, not a TypeError from JSON.stringify
    expect(validateVmConfig(host, gic({ redistRegions: [{ base: '0x080a0000', count: 2n ** 53n }] }))).toContainEqual({
      path: 'devices[0].settings.redistRegions[0].count',
      message: 'expected an integer from 1 to 4095 (the 12-bit count field), got 9007199254740992',
    });
    expect(validateVmConfig(host, gic({ redist: 'below-dist', routing: 2n ** 53n }))).toEqual([
      { path: 'devices[0].settings.routing', message: "expected 'identity', 'none' or { firstGsi, count }, got 9007199254740992" },
    ]);
  });
  test('an order that misses a step, repeats one or sets a device up before creating it is refused, nothing created', () => {
    const good = presets.firecrackerArm64Pci({ vcpus: 1 });
    const bad = (order: string[]) => validateVmConfig(host, { ...good, order });
    expect(bad(['gic', 'gic.dist', 'its.addr', 'its', 'its.init', 'gic.nrIrqs', 'gic.init', 'finalize', 'gic.dist'])).toEqual([
      { path: 'order[2]', message: 'its.addr comes before its is created' },
      { path: 'order[8]', message: 'gic.dist is listed twice' },
      { path: 'order', message: 'missing gic.redist (every device, each of its set-up steps and finalize appear once)' },
    ]);
    expect(bad(['its', 'gic', 'gic.dist', 'gic.redist', 'its.addr', 'its.init', 'gic.nrIrqs', 'gic.init', 'finalize', 'gic.routing'])).toEqual([
      { path: 'order[0]', message: 'its is created before gic: devices are created in the order of devices' },
      { path: 'order[1]', message: 'gic is created before its: devices are created in the order of devices' },
      { path: 'order[9]', message: 'unknown step "gic.routing"; this VM\'s are gic, gic.dist, gic.redist, gic.nrIrqs, gic.init, its, its.addr, its.init, finalize' },
    ]);
    expect(host.liveVms.size).toBe(0);
  });
});
