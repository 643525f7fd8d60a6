import {
  createHost,
  EEXIST,
  EFAULT,
  EINVAL,
  EMFILE,
  ENOENT,
  ENXIO,
  EBUSY,
  KVM_CAP_DEVICE_CTRL,
  KVM_CAP_IRQ_MPIC,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_GET_API_VERSION,
  KVM_GET_ONE_REG,
  KVM_GET_VCPU_MMAP_SIZE,
  KVM_IRQ_LINE,
  KVM_IRQ_LINE_STATUS,
  KVM_LINE_EXTERNAL,
  KVM_RUN,
  KVM_SET_GSI_ROUTING,
  KVM_SET_ONE_REG,
  KVM_SIGNAL_MSI,
  kvm_enable_cap,
  kvm_irq_routing,
  kvm_msi,
  type KvmIrqRoutingEntry,
} from '@kvmdev/core';
import {
  definePlugin,
  defineSlot,
  KVM_HOOK_PASS,
  type IrqChip,
  type Vm,
} from '@kvmdev/core/plugin';
import { ioctlErr, openVm } from './fixtures/sys.js';

describe('/dev/kvm', () => {
  test('open, API version, CHECK_EXTENSION(DEVICE_CTRL) on the system and VM fds', () => {
    const host = createHost();
    expect(host.open('/dev/nope')).toBe(-1);
    expect(host.errno).toBe(ENOENT);
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, KVM_GET_API_VERSION)).toBe(12);
    expect(host.ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)).toBe(1);
    const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
    expect(host.ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)).toBe(1);
    expect(host.ioctl(vm, KVM_CHECK_EXTENSION, 99999)).toBe(0);
  });

  test('KVM_GET_VCPU_MMAP_SIZE: x86 default 3 pages, an arch plugin answers for its own, a nonzero arg is EINVAL', () => {
    const bare = createHost();
    const k0 = bare.open('/dev/kvm');
    expect(bare.ioctl(k0, KVM_GET_VCPU_MMAP_SIZE)).toBe(3 * 4096);
    expect(ioctlErr(bare, k0, KVM_GET_VCPU_MMAP_SIZE, 1)).toBe(-EINVAL);
    const pass = definePlugin({ name: 'pass', version: '1.0.0', core: '*', hooks: { vcpuMmapSize: () => KVM_HOOK_PASS } });
    const arch = definePlugin({ name: 'arch', version: '1.0.0', core: '*', hooks: { vcpuMmapSize: () => 2 * 4096 } });
    const host = createHost({ plugins: [pass, arch] });
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE)).toBe(8192);
    expect(ioctlErr(host, kvm, KVM_GET_VCPU_MMAP_SIZE, 1)).toBe(-EINVAL);
  });

  test('KVM_CREATE_VM: a machine type no plugin accepts is EINVAL; EMFILE when the table is full', () => {
    const host = createHost({ fdLimit: 5 });
    const kvm = host.open('/dev/kvm');
    expect(ioctlErr(host, kvm, KVM_CREATE_VM, 7)).toBe(-EINVAL);
    const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
    expect(vm).toBe(4);
    expect(ioctlErr(host, kvm, KVM_CREATE_VM, 0)).toBe(-EMFILE);
    expect(host.liveVms.size).toBe(1); // the VM of the failed create was freed
    expect(host.open('/dev/kvm')).toBe(-1);
    expect(host.errno).toBe(EMFILE);
  });
});

describe('KVM_CREATE_VCPU', () => {
  test('ids, duplicates and limits', () => {
    const host = createHost({ maxVcpus: 2, maxVcpuIds: 8 });
    const { vm } = openVm(host);
    expect(ioctlErr(host, vm, KVM_CREATE_VCPU, 8)).toBe(-EINVAL);
    expect(host.ioctl(vm, KVM_CREATE_VCPU, 3)).toBeGreaterThan(0);
    expect(ioctlErr(host, vm, KVM_CREATE_VCPU, 3)).toBe(-EEXIST);
    expect(host.ioctl(vm, KVM_CREATE_VCPU, 5)).toBeGreaterThan(0);
    expect(ioctlErr(host, vm, KVM_CREATE_VCPU, 6)).toBe(-EINVAL); // max_vcpus reached
    const v = host.vmOf(vm);
    expect(v.vcpus.map((c) => [c.id, c.index])).toEqual([
      [3, 0],
      [5, 1],
    ]);
  });

  test('precreate hooks can refuse (EBUSY) and fd failure rolls the vCPU back', () => {
    let busy = false;
    const host = createHost({
      fdLimit: 6,
      plugins: [definePlugin({ name: 'p', version: '1', core: '*', hooks: { vcpuPrecreate: () => (busy ? -EBUSY : 0) } })],
    });
    const { vm } = openVm(host);
    busy = true;
    expect(ioctlErr(host, vm, KVM_CREATE_VCPU, 0)).toBe(-EBUSY);
    busy = false;
    expect(host.ioctl(vm, KVM_CREATE_VCPU, 0)).toBe(5);
    expect(ioctlErr(host, vm, KVM_CREATE_VCPU, 1)).toBe(-EMFILE);
    const v = host.vmOf(vm);
    expect(v.vcpus).toHaveLength(1);
    expect(v.createdVcpus).toBe(1);
    expect(v.usersCount).toBe(2);
  });
});

describe('vCPU ioctls', () => {
  const plugin = definePlugin({
    name: 'arch',
    version: '1',
    core: '*',
    hooks: {
      vcpuRun: (v) => (v.slots.get(READY) ? 0 : -8),
      vcpuEnableCap: (v, cap, args) => {
        if (cap !== KVM_CAP_IRQ_MPIC) return KVM_HOOK_PASS;
        v.irqConnection = `mpic:${args[1]}`;
        return 0;
      },
      getOneReg: (v, id, addr) => {
        if (id !== 0x1030_0000_0000_008cn) return KVM_HOOK_PASS;
        v.vm.host.mem.setU64(addr, 0xff00_0000_ffff_0000n);
        return 0;
      },
    },
  });
  const READY = defineSlot<boolean>('ready');

  test('KVM_RUN runs the plugin checks; arg must be 0', () => {
    const host = createHost({ plugins: [plugin] });
    const { vm } = openVm(host);
    const c = host.ioctl(vm, KVM_CREATE_VCPU, 0);
    expect(ioctlErr(host, c, KVM_RUN, 0)).toBe(-8);
    host.vcpuOf(c).slots.set(READY, true);
    expect(ioctlErr(host, c, KVM_RUN, 1)).toBe(-EINVAL);
    expect(host.ioctl(c, KVM_RUN, 0)).toBe(0);
    expect(host.vcpuOf(c).hasRun).toBe(true);
  });

  test('KVM_ENABLE_CAP: flags must be 0, unknown caps EINVAL, EFAULT', () => {
    const host = createHost({ plugins: [plugin] });
    const { vm } = openVm(host);
    const c = host.ioctl(vm, KVM_CREATE_VCPU, 0);
    const a = host.mem.alloc(104);
    kvm_enable_cap.write(host.mem, a, { cap: KVM_CAP_IRQ_MPIC, flags: 1, args: [5n, 2n, 0n, 0n] });
    expect(ioctlErr(host, c, KVM_ENABLE_CAP, a)).toBe(-EINVAL);
    kvm_enable_cap.write(host.mem, a, { cap: 12345, flags: 0, args: [0n, 0n, 0n, 0n] });
    expect(ioctlErr(host, c, KVM_ENABLE_CAP, a)).toBe(-EINVAL);
    kvm_enable_cap.write(host.mem, a, { cap: KVM_CAP_IRQ_MPIC, flags: 0, args: [5n, 2n, 0n, 0n] });
    expect(host.ioctl(c, KVM_ENABLE_CAP, a)).toBe(0);
    expect(host.vcpuOf(c).irqConnection).toBe('mpic:2');
    expect(ioctlErr(host, c, KVM_ENABLE_CAP, 0)).toBe(-EFAULT);
  });

  test('ONE_REG: served by a plugin, unknown ids EINVAL, EFAULT', () => {
    const host = createHost({ plugins: [plugin] });
    const { vm } = openVm(host);
    const c = host.ioctl(vm, KVM_CREATE_VCPU, 0);
    const r = host.mem.alloc(16);
    const val = host.mem.alloc(8);
    host.mem.setU64(r, 0x1030_0000_0000_008cn);
    host.mem.setU64(r + 8, BigInt(val));
    expect(host.ioctl(c, KVM_GET_ONE_REG, r)).toBe(0);
    expect(host.mem.getU64(val)).toBe(0xff00_0000_ffff_0000n);
    expect(ioctlErr(host, c, KVM_SET_ONE_REG, r)).toBe(-EINVAL);
    host.mem.setU64(r, 1n);
    expect(ioctlErr(host, c, KVM_GET_ONE_REG, r)).toBe(-EINVAL);
    host.mem.setU64(r, 0x1030_0000_0000_008cn);
    host.mem.setU64(r + 8, 0n);
    expect(ioctlErr(host, c, KVM_GET_ONE_REG, r)).toBe(-EFAULT);
  });
});

describe('KVM_IRQ_LINE, GSI routing, KVM_SIGNAL_MSI', () => {
  function withChip(chip: Partial<IrqChip> = {}) {
    const fired: string[] = [];
    const host = createHost();
    const { vm } = openVm(host);
    const v: Vm = host.vmOf(vm);
    v.irqchip = {
      name: 'test-chip',
      numPins: 16,
      msi: true,
      setPin: (ic, pin, level) => (fired.push(`pin ${ic}:${pin}=${level}`), 1),
      setMsi: (lo, hi, data) => (fired.push(`msi ${lo.toString(16)}:${hi}:${data.toString(16)}`), 1),
      ...chip,
    };
    return { host, vm, v, fired };
  }
  function routes(host: ReturnType<typeof createHost>, entries: KvmIrqRoutingEntry[], flags = 0) {
    const a = host.mem.alloc(kvm_irq_routing.sizeOf(entries.length));
    kvm_irq_routing.write(host.mem, a, entries, flags);
    return a;
  }
  function line(host: ReturnType<typeof createHost>, irq: number, level: number) {
    const a = host.mem.alloc(8);
    host.mem.setU32(a, irq);
    host.mem.setU32(a + 4, level);
    return a;
  }

  test('no in-kernel irqchip: KVM_IRQ_LINE is ENXIO, routing with entries EINVAL, MSI EINVAL', () => {
    const host = createHost();
    const { vm } = openVm(host);
    expect(ioctlErr(host, vm, KVM_IRQ_LINE, line(host, 1, 1))).toBe(-ENXIO);
    expect(ioctlErr(host, vm, KVM_SET_GSI_ROUTING, routes(host, [{ gsi: 0, type: 1, flags: 0, irqchip: 0, pin: 0 }]))).toBe(-EINVAL);
    expect(host.ioctl(vm, KVM_SET_GSI_ROUTING, routes(host, []))).toBe(0);
    const m = host.mem.alloc(32);
    expect(ioctlErr(host, vm, KVM_SIGNAL_MSI, m)).toBe(-EINVAL);
  });

  test('routes fire on KVM_IRQ_LINE; an unrouted GSI does nothing; IRQ_LINE_STATUS writes the status', () => {
    const { host, vm, fired } = withChip();
    expect(host.ioctl(vm, KVM_SET_GSI_ROUTING, routes(host, [
      { gsi: 3, type: 1, flags: 0, irqchip: 0, pin: 7 },
      { gsi: 4, type: 2, flags: 0, addressLo: 0xfe00, addressHi: 0, data: 0x21, devid: 0 },
    ]))).toBe(0);
    expect(host.ioctl(vm, KVM_IRQ_LINE, line(host, 3, 1))).toBe(0);
    expect(host.ioctl(vm, KVM_IRQ_LINE, line(host, 4, 1))).toBe(0);
    expect(host.ioctl(vm, KVM_IRQ_LINE, line(host, 4, 0))).toBe(0); // MSI: rising edge only
    expect(host.ioctl(vm, KVM_IRQ_LINE, line(host, 5, 1))).toBe(0);
    expect(fired).toEqual(['pin 0:7=1', 'msi fe00:0:21']);
    const st = line(host, 3, 0);
    expect(host.ioctl(vm, KVM_IRQ_LINE_STATUS, st)).toBe(0);
    expect(host.mem.getU32(st)).toBe(1);
  });

  test('routing validation: flags, nr, gsi, pin, irqchip, duplicate pins, unknown type; a failed set keeps the old table', () => {
    const { host, vm, v } = withChip({ msiDevid: false });
    host.ioctl(vm, KVM_SET_GSI_ROUTING, routes(host, [{ gsi: 1, type: 1, flags: 0, irqchip: 0, pin: 1 }]));
    const bad: KvmIrqRoutingEntry[][] = [
      [{ gsi: 4096, type: 1, flags: 0, irqchip: 0, pin: 0 }],
      [{ gsi: 0, type: 1, flags: 0, irqchip: 0, pin: 16 }],
      [{ gsi: 0, type: 1, flags: 0, irqchip: 1, pin: 0 }],
      [{ gsi: 0, type: 1, flags: 1, irqchip: 0, pin: 0 }],
      [{ gsi: 0, type: 2, flags: 1, addressLo: 0, addressHi: 0, data: 0, devid: 1 }],
      [{ gsi: 0, type: 9, flags: 0, raw: [0, 0, 0, 0, 0, 0, 0, 0] }],
      [
        { gsi: 0, type: 1, flags: 0, irqchip: 0, pin: 0 },
        { gsi: 0, type: 1, flags: 0, irqchip: 0, pin: 2 },
      ],
    ];
    for (const b of bad) expect(ioctlErr(host, vm, KVM_SET_GSI_ROUTING, routes(host, b))).toBe(-EINVAL);
    expect(ioctlErr(host, vm, KVM_SET_GSI_ROUTING, routes(host, [], 1))).toBe(-EINVAL);
    const huge = host.mem.alloc(8);
    host.mem.setU32(huge, 4097);
    expect(ioctlErr(host, vm, KVM_SET_GSI_ROUTING, huge)).toBe(-EINVAL);
    host.mem.setU32(huge, 4000); // entries not mapped
    expect(ioctlErr(host, vm, KVM_SET_GSI_ROUTING, huge)).toBe(-EFAULT);
    expect(v.routing.size).toBe(1);
    expect(v.routing.has(1)).toBe(true);
  });

  test('KVM_SIGNAL_MSI goes to the irqchip; flags other than VALID_DEVID are EINVAL', () => {
    const { host, vm, fired } = withChip();
    const m = host.mem.alloc(32);
    kvm_msi.write(host.mem, m, { addressLo: 0xfee0, addressHi: 0, data: 0x7, flags: 0, devid: 0 });
    expect(host.ioctl(vm, KVM_SIGNAL_MSI, m)).toBe(1);
    expect(fired).toEqual(['msi fee0:0:7']);
    kvm_msi.write(host.mem, m, { addressLo: 0, addressHi: 0, data: 0, flags: 2, devid: 0 });
    expect(ioctlErr(host, vm, KVM_SIGNAL_MSI, m)).toBe(-EINVAL);
    kvm_msi.write(host.mem, m, { addressLo: 0, addressHi: 0, data: 0, flags: 1, devid: 3 });
    expect(ioctlErr(host, vm, KVM_SIGNAL_MSI, m)).toBe(-EINVAL); // chip has no devid support
  });

  test('an arch irqLine on the chip bypasses routing', () => {
    const { host, vm } = withChip({ irqLine: (irq, level) => (irq === 40 && level === 1 ? 0 : -EINVAL) });
    expect(host.ioctl(vm, KVM_IRQ_LINE, line(host, 40, 1))).toBe(0);
    expect(ioctlErr(host, vm, KVM_IRQ_LINE, line(host, 20, 1))).toBe(-EINVAL);
  });
});

describe('vCPU output lines', () => {
  test('change events fire only on a change', () => {
    const host = createHost();
    const vmh = host.createVm();
    const c = vmh.createVcpu(0);
    const seen: string[] = [];
    const off = c.vcpu.onLine((_v, l, lvl) => seen.push(`${l}=${lvl}`));
    c.vcpu.setLine(KVM_LINE_EXTERNAL, 1);
    c.vcpu.setLine(KVM_LINE_EXTERNAL, 1);
    expect(c.line('external')).toBe(1);
    expect(c.guest.line('external')).toBe(1);
    c.vcpu.setLine(KVM_LINE_EXTERNAL, 0);
    off();
    c.vcpu.setLine(KVM_LINE_EXTERNAL, 1);
    expect(seen).toEqual(['2=1', '2=0']);
    expect(c.line('irq')).toBe(0);
  });
});

describe('irqchip variants', () => {
  test('a chip without GSI routing: KVM_SET_GSI_ROUTING and KVM_SIGNAL_MSI are ENOTTY, caps report 0', () => {
    const host = createHost();
    const { vm } = openVm(host);
    host.vmOf(vm).irqchip = { name: 'no-routing', numPins: 0, msi: false, routing: false, irqLine: () => 0 };
    expect(ioctlErr(host, vm, KVM_SET_GSI_ROUTING, host.mem.alloc(8))).toBe(-25);
    expect(ioctlErr(host, vm, KVM_SIGNAL_MSI, host.mem.alloc(32))).toBe(-25);
    expect(host.ioctl(vm, KVM_CHECK_EXTENSION, 25)).toBe(0);
    expect(host.ioctl(vm, KVM_CHECK_EXTENSION, 77)).toBe(0);
  });

  test('a chip can report a negative status while the ioctl succeeds (KVM_IRQ_LINE_STATUS)', () => {
    const host = createHost();
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    v.irqchip = { name: 'ppc', numPins: 0, msi: false, irqLine: () => ((v.irqLineStatus = -EINVAL), 0) };
    const a = host.mem.alloc(8);
    host.mem.setU32(a, 5);
    host.mem.setU32(a + 4, 1);
    expect(host.ioctl(vm, KVM_IRQ_LINE_STATUS, a)).toBe(0);
    expect(host.mem.getI32(a)).toBe(-EINVAL);
    expect(host.ioctl(vm, KVM_IRQ_LINE, a)).toBe(0);
  });
});
