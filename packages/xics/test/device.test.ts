/** Device lifetime (release-style), create, the irqchip it installs, and the attr edge cases. */
import {
  createHost,
  EEXIST,
  EFAULT,
  EINVAL,
  ENOENT,
  ENOTTY,
  ENXIO,
  KVM_CAP_SIGNAL_MSI,
  KVM_CREATE_DEVICE,
  KVM_CREATE_DEVICE_TEST,
  KVM_CREATE_VM,
  KVM_IRQ_LINE,
  KVM_GET_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  kvm_create_device,
  kvm_device_attr,
  kvm_irq_level,
  type KvmError,
} from '@kvmdev/core';
import {
  createXicsPlugin,
  H_CPPR,
  H_XIRR,
  icpOf,
  KVM_CAP_IRQ_XICS,
  KVM_CAP_PPC_RTAS,
  KVM_DEV_TYPE_XICS,
  KVM_INTERRUPT_SET,
  xics,
  xicsOf,
} from '../src/internal.js';
import { FACES, hcall, P5, setupT, typedFace } from './harness.js';

describe.each(FACES)('release-style lifetime (%s)', (_n, make) => {
  test('a dup keeps the XICS; the last close frees every ICP and ICS; re-create and reconnect work', () => {
    const f = setupT(make);
    expect(f.createVcpu(1)).toBe(1);
    expect(f.connect(1, 7)).toBe(0);
    f.setAttr(1, 0x1000, P5);
    const vm = f.vcpu(0).vm;
    const dup = f.dupXics();
    expect(dup).toBeGreaterThan(0);
    expect(f.closeXics()).toBe(0);
    // still alive through the dup
    expect(f.getIcp(0)).toBe(0x00000000ffff0000n);
    expect(xicsOf(vm)).toBeDefined();
    expect(vm.irqchip?.name).toBe('xics');
    expect(f.host.close(dup)).toBe(0);
    // freed
    expect(xicsOf(vm)).toBeUndefined();
    expect(vm.irqchip).toBeNull();
    expect(icpOf(f.vcpu(0))).toBeUndefined();
    expect(f.vcpu(0).irqConnection).toBeNull();
    expect(f.vcpu(1).irqConnection).toBeNull();
    expect(f.getIcp(0)).toBe(-ENXIO);
    expect(f.getIcp(1)).toBe(-ENXIO);
    expect(f.irqLine(0x1000, KVM_INTERRUPT_SET)).toBe(-ENXIO);
    expect(f.guest(0).hypercall(H_XIRR).kind).toBe('exit'); // exits to userspace (KVM_EXIT_PAPR_HCALL)
    // a new XICS can be created and connected (QEMU's broken-disconnect probe reports false)
    expect(f.createXics()).toBeGreaterThanOrEqual(0);
    expect(f.connect(0, 0)).toBe(0);
    expect(f.connect(1, 7)).toBe(0);
    expect(f.getIcp(0)).toBe(0x00000000ffff0000n);
    expect(f.getAttr(1, 0x1000)).toBe(-ENOENT); // the old sources are gone
    expect(xicsOf(vm)!.icsCount).toBe(0);
  });

  test('the EE line stays as it was when the XICS is released (kvmppc_xics_free_icp does not dequeue)', () => {
    const f = setupT(make);
    f.setAttr(1, 0x1000, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(0x1000, KVM_INTERRUPT_SET);
    expect(f.guest(0).line('external')).toBe(1);
    f.closeXics();
    expect(f.guest(0).line('external')).toBe(1);
  });
});

describe('create and irqchip', () => {
  test('KVM_CREATE_DEVICE_TEST creates nothing; no XICS means KVM_IRQ_LINE ENXIO', () => {
    const host = createHost({ plugins: [xics] });
    const kvm = host.open('/dev/kvm');
    const vmfd = host.ioctl(kvm, KVM_CREATE_VM, 0);
    const buf = host.mem.alloc(64);
    kvm_create_device.write(host.mem, buf, { type: KVM_DEV_TYPE_XICS, fd: 0, flags: KVM_CREATE_DEVICE_TEST });
    expect(host.ioctl(vmfd, KVM_CREATE_DEVICE, buf)).toBe(0);
    expect(xicsOf(host.vmOf(vmfd))).toBeUndefined();
    kvm_irq_level.write(host.mem, buf, { irq: 0x1000, level: 1 });
    expect(host.ioctl(vmfd, KVM_IRQ_LINE, buf)).toBe(-1);
    expect(host.errno).toBe(ENXIO);
    kvm_create_device.write(host.mem, buf, { type: KVM_DEV_TYPE_XICS, fd: 0, flags: 0 });
    expect(host.ioctl(vmfd, KVM_CREATE_DEVICE, buf)).toBe(0);
    expect(host.ioctl(vmfd, KVM_CREATE_DEVICE, buf)).toBe(-1);
    expect(host.errno).toBe(EEXIST);
  });

  test('capabilities', () => {
    const f = setupT(typedFace);
    const kvm = f.host.kvm();
    expect(kvm.checkExtension(KVM_CAP_IRQ_XICS)).toBe(1);
    expect(kvm.checkExtension(KVM_CAP_PPC_RTAS)).toBe(1);
    expect(f.host.checkExtension(f.vcpu(0).vm, KVM_CAP_SIGNAL_MSI)).toBe(0); // no HAVE_KVM_MSI
    expect(f.host.checkExtension(f.vcpu(0).vm, 25)).toBe(0); // KVM_CAP_IRQ_ROUTING: no HAVE_KVM_IRQ_ROUTING
    const ext = setupT(typedFace, [createXicsPlugin({ msi: true })]);
    expect(ext.host.checkExtension(ext.vcpu(0).vm, KVM_CAP_SIGNAL_MSI)).toBe(1);
  });

  test('as the kernel: KVM_SIGNAL_MSI and KVM_SET_GSI_ROUTING are ENOTTY (no HAVE_KVM_MSI / IRQ_ROUTING)', () => {
    const f = setupT(typedFace);
    const vm = f.vcpu(0).vm;
    expect(f.host.signalMsi(vm, 0, 0, 0x1000, 0, 0)).toBe(-ENOTTY);
    expect(f.host.setGsiRouting(vm, [{ gsi: 1, type: 1, flags: 0, irqchip: 0, pin: 1 }])).toBe(-ENOTTY);
  });

  test('the msi: true extension: KVM_SIGNAL_MSI delivers source `data`; GSI routing tables are refused', () => {
    const f = setupT(typedFace, [createXicsPlugin({ msi: true })]);
    const vm = f.vcpu(0).vm;
    f.setAttr(1, 0x1000, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(f.host.signalMsi(vm, 0, 0, 0x1000, 0, 0)).toBe(1);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(f.host.signalMsi(vm, 0, 0, 0x1000, 0, 0)).toBe(0); // coalesced (PQ 11)
    expect(f.host.signalMsi(vm, 0, 0, 0x3000, 0, 0)).toBe(-EINVAL);
    expect(f.host.setGsiRouting(vm, [{ gsi: 1, type: 1, flags: 0, irqchip: 0, pin: 1 }])).toBe(-EINVAL);
  });
});

describe.each(FACES)('GRP_SOURCES edge cases (%s)', (_n, make) => {
  test('GET takes the attr as a u32; SET and HAS need the high half to be 0', () => {
    const f = setupT(make);
    f.setAttr(1, 0x1000, P5);
    expect(f.getAttr(1, 0x1_0000_1000n)).toBe(0x0000000500000000n);
    expect(f.setAttr(1, 0x1_0000_1000n, P5)).toBe(-ENOENT);
    expect(f.setAttr(1, 0xffff_ffff_0000_1000n, P5)).toBe(-ENOENT);
    expect(f.hasAttr(1, 0x1_0000_0010n)).toBe(-ENXIO);
  });

  test('unused payload bits are ignored on SET and read back as 0', () => {
    const f = setupT(make);
    expect(f.setAttr(1, 0x1000, P5 | (0x7ffffn << 45n))).toBe(0);
    expect(f.getAttr(1, 0x1000)).toBe(0x0000000500000000n);
  });
});

describe('GRP_SOURCES user pointers (facade)', () => {
  test('EFAULT after the range check and the block creation; GET: ENOENT before EFAULT', () => {
    const f = setupT(FACES[0]![1]);
    const host = f.host;
    const a = host.mem.alloc(24);
    const set = (attr: number, addr: bigint): number => {
      kvm_device_attr.write(host.mem, a, { flags: 0, group: 1, attr: BigInt(attr), addr });
      return host.ioctl(f.xicsFd, KVM_SET_DEVICE_ATTR, a) < 0 ? -host.errno : 0;
    };
    expect(set(15, 8n)).toBe(-ENOENT);
    expect(set(0x2000, 8n)).toBe(-EFAULT);
    const x = xicsOf(f.vcpu(0).vm)!;
    expect(x.findIcs(0x2000)).not.toBeNull(); // the block persists
    expect(f.getAttr(1, 0x2000)).toBe(-ENOENT);
    f.setAttr(1, 0x2001, P5);
    kvm_device_attr.write(host.mem, a, { flags: 0, group: 1, attr: 0x2001n, addr: 8n });
    expect(host.ioctl(f.xicsFd, KVM_GET_DEVICE_ATTR, a)).toBe(-1);
    expect(host.errno).toBe(EFAULT);
    kvm_device_attr.write(host.mem, a, { flags: 0, group: 1, attr: 0x3001n, addr: 8n });
    expect(host.ioctl(f.xicsFd, KVM_GET_DEVICE_ATTR, a)).toBe(-1);
    expect(host.errno).toBe(ENOENT);
  });
});

test('KvmError codes on the typed API', () => {
  const f = setupT(typedFace);
  const vm = f.vcpu(0).vm;
  expect(vm.devices.length).toBe(1);
  const host = f.host;
  const h = host.createVm();
  h.createDevice('KVM_DEV_TYPE_XICS');
  try {
    h.createDevice('KVM_DEV_TYPE_XICS');
    throw new Error('no throw');
  } catch (e) {
    expect((e as KvmError).code).toBe('EEXIST');
    expect((e as KvmError).errno).toBe(EEXIST);
  }
});

describe('KVM_IRQ_LINE_STATUS', () => {
  test('an unknown source: the ioctl succeeds with status -EINVAL (ics_deliver_irq)', () => {
    const f = setupT(typedFace);
    const host = f.host;
    const vmFd = [...host.files.entries()].find(([, file]) => file.target.kind === 'vm')![0];
    const a = host.mem.alloc(8);
    host.mem.setU32(a, 0x5000);
    host.mem.setU32(a + 4, 1);
    expect(host.ioctl(vmFd, 0xc008ae67, a)).toBe(0);
    expect(host.mem.getI32(a)).toBe(-EINVAL);
    f.setAttr(1, 0x1000, P5);
    host.mem.setU32(a, 0x1000);
    expect(host.ioctl(vmFd, 0xc008ae67, a)).toBe(0);
    expect(host.mem.getI32(a)).toBeGreaterThanOrEqual(0);
  });
});
