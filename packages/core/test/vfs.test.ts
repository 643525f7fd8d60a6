/**
 * The VFS's own ioctls (fs/ioctl.c do_vfs_ioctl) answered before the driver on every fd, and the
 * generic KVM answers of issue 13 items 8-10 (kvm_main.c): the TEST copy-back, the generic
 * capabilities, VM-fd KVM_ENABLE_CAP, the vCPU fd's default, the device-attr ioctls on VM and
 * vCPU fds per architecture. Expected values were measured on Linux 6.18 (x86_64) with a small
 * C program and read from the kernel source.
 */
import {
  createHost,
  EBADF,
  EFAULT,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EINVAL,
  EIO,
  ENOMEM,
  ENOTTY,
  ENXIO,
  EOPNOTSUPP,
  EPERM,
  EXDEV,
  FASYNC,
  FICLONE,
  FICLONERANGE,
  FIDEDUPERANGE,
  FIFREEZE,
  FIGETBSZ,
  FIOASYNC,
  FIOCLEX,
  FIONBIO,
  FIONCLEX,
  FIONREAD,
  FIOQSIZE,
  FITHAW,
  FS_IOC_FIEMAP,
  KVM_CAP_ENABLE_CAP,
  KVM_CAP_ENABLE_CAP_VM,
  KVM_CAP_HALT_POLL,
  KVM_CAP_IRQFD,
  KVM_CAP_SIGNAL_MSI,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  KVM_CREATE_DEVICE_TEST,
  KVM_CREATE_VCPU,
  KVM_ENABLE_CAP,
  KVM_GET_API_VERSION,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  O_NONBLOCK,
  VFS_IOCTLS_POWERPC,
  type Host,
} from '@kvmdev/core';
import { definePlugin, KVM_HOOK_PASS, type KvmHooks } from '@kvmdev/core/plugin';
import { FAKE_TYPE, fakePlugin, type CallLog } from './fixtures/fake-device.js';
import { attr, createDevice, ioctlErr, openVm } from './fixtures/sys.js';

function host(): Host {
  return createHost({ plugins: [fakePlugin({ calls: [] } as CallLog)] });
}

/** /dev/kvm, a VM, a vCPU, a device and an eventfd of one process. */
function fds(h: Host) {
  const { kvm, vm } = openVm(h);
  const cpu = h.ioctl(vm, KVM_CREATE_VCPU, 0);
  const dev = createDevice(h, vm, FAKE_TYPE).fd;
  const ev = h.eventfd(0, 0);
  return { kvm, vm, cpu, dev, ev };
}

function int(h: Host, v: number): number {
  const p = h.mem.alloc(8);
  h.mem.setU32(p, v);
  return p;
}

describe('VFS ioctls (do_vfs_ioctl) on every fd', () => {
  test('FIOCLEX / FIONCLEX set and clear the fd flag on /dev/kvm, VM, vCPU, device and eventfd fds', () => {
    const h = host();
    for (const fd of Object.values(fds(h))) {
      expect(h.files.closeOnExec(fd)).toBe(false);
      expect(ioctlErr(h, fd, FIOCLEX)).toBe(0);
      expect(h.files.closeOnExec(fd)).toBe(true);
      expect(ioctlErr(h, fd, FIONCLEX)).toBe(0);
      expect(h.files.closeOnExec(fd)).toBe(false);
    }
  });

  test('close-on-exec is the fd\'s: a dup of the fd does not have it', () => {
    const h = host();
    const { vm } = openVm(h);
    expect(ioctlErr(h, vm, FIOCLEX)).toBe(0);
    const d = h.dup(vm);
    expect(h.files.closeOnExec(vm)).toBe(true);
    expect(h.files.closeOnExec(d)).toBe(false);
  });

  test('FIONBIO reads its int (EFAULT for NULL, nothing changed) and sets O_NONBLOCK on the open file', () => {
    const h = host();
    const { kvm, vm, dev } = fds(h);
    for (const fd of [kvm, vm, dev]) {
      const file = h.files.get(fd)!;
      expect(ioctlErr(h, fd, FIONBIO, int(h, 7))).toBe(0);
      expect(file.statusFlags & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(ioctlErr(h, fd, FIONBIO, 0)).toBe(-EFAULT);
      expect(file.statusFlags & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(ioctlErr(h, fd, FIONBIO, int(h, 0))).toBe(0);
      expect(file.statusFlags & O_NONBLOCK).toBe(0);
    }
    // the flag is the file's: a dup sees it
    expect(ioctlErr(h, vm, FIONBIO, int(h, 1))).toBe(0);
    expect(h.files.get(h.dup(vm))!.statusFlags & O_NONBLOCK).toBe(O_NONBLOCK);
  });

  test('FIOASYNC: EFAULT for NULL, 0 without a change, ENOTTY to turn it on (no fasync operation)', () => {
    const h = host();
    for (const fd of Object.values(fds(h))) {
      expect(ioctlErr(h, fd, FIOASYNC, 0)).toBe(-EFAULT);
      expect(ioctlErr(h, fd, FIOASYNC, int(h, 0))).toBe(0);
      expect(ioctlErr(h, fd, FIOASYNC, int(h, 1))).toBe(-ENOTTY);
      expect(h.files.get(fd)!.statusFlags & FASYNC).toBe(0);
    }
  });

  test('FIOQSIZE is ENOTTY, FIGETBSZ writes PAGE_SIZE (EFAULT for NULL), FIEMAP EOPNOTSUPP', () => {
    const h = host();
    for (const fd of Object.values(fds(h))) {
      expect(ioctlErr(h, fd, FIOQSIZE, h.mem.alloc(8))).toBe(-ENOTTY);
      const b = int(h, 0x2222);
      expect(ioctlErr(h, fd, FIGETBSZ, b)).toBe(0);
      expect(h.mem.getU32(b)).toBe(4096);
      expect(ioctlErr(h, fd, FIGETBSZ, 0)).toBe(-EFAULT);
      expect(ioctlErr(h, fd, FS_IOC_FIEMAP, 0)).toBe(-EOPNOTSUPP);
    }
  });

  test('FIFREEZE / FITHAW: EOPNOTSUPP / EINVAL with CAP_SYS_ADMIN, EPERM without', () => {
    const h = host();
    const { vm } = openVm(h);
    expect(ioctlErr(h, vm, FIFREEZE)).toBe(-EOPNOTSUPP);
    expect(ioctlErr(h, vm, FITHAW)).toBe(-EINVAL);
    const u = createHost({ capSysAdmin: false });
    const kvm = u.open('/dev/kvm');
    expect(ioctlErr(u, kvm, FIFREEZE)).toBe(-EPERM);
    expect(ioctlErr(u, kvm, FITHAW)).toBe(-EPERM);
  });

  test('FICLONE / FICLONERANGE / FIDEDUPERANGE: EBADF, EXDEV across mounts, EINVAL, EFAULT, ENOMEM', () => {
    const h = host();
    const { kvm, vm, cpu, dev, ev } = fds(h);
    expect(ioctlErr(h, vm, FICLONE, 999)).toBe(-EBADF);
    expect(ioctlErr(h, vm, FICLONE, cpu)).toBe(-EINVAL); // both on anon_inodefs
    expect(ioctlErr(h, dev, FICLONE, ev)).toBe(-EINVAL);
    expect(ioctlErr(h, vm, FICLONE, 2 ** 32 + vm)).toBe(-EINVAL); // the fd is an unsigned int
    expect(ioctlErr(h, kvm, FICLONE, kvm)).toBe(-EINVAL); // devtmpfs and devtmpfs
    expect(ioctlErr(h, kvm, FICLONE, vm)).toBe(-EXDEV);
    expect(ioctlErr(h, vm, FICLONE, 0)).toBe(-EXDEV); // a tty
    expect(ioctlErr(h, vm, FICLONERANGE, 0)).toBe(-EFAULT);
    const cr = h.mem.alloc(32);
    h.mem.setU32(cr, vm);
    expect(ioctlErr(h, vm, FICLONERANGE, cr)).toBe(-EINVAL);
    h.mem.setU32(cr, 999);
    expect(ioctlErr(h, vm, FICLONERANGE, cr)).toBe(-EBADF);
    expect(ioctlErr(h, vm, FIDEDUPERANGE, 0)).toBe(-EFAULT);
    const dd = h.mem.alloc(8192);
    expect(ioctlErr(h, vm, FIDEDUPERANGE, dd)).toBe(-EINVAL);
    h.mem.setU16(dd + 16, 200); // 24 + 200 * 32 > PAGE_SIZE
    expect(ioctlErr(h, vm, FIDEDUPERANGE, dd)).toBe(-ENOMEM);
    h.mem.setU16(dd + 16, 127);
    expect(ioctlErr(h, vm, FIDEDUPERANGE, dd)).toBe(-EINVAL);
  });

  test('the VFS answers before KVM: from a second process too (no EIO), and before EINVAL/ENOTTY', () => {
    const h = host();
    const { vm, dev, cpu } = fds(h);
    const child = createHost({ plugins: [fakePlugin({ calls: [] } as CallLog)] });
    const cdev = child.receiveFd(h, dev);
    expect(ioctlErr(child, cdev, FIOCLEX)).toBe(0);
    expect(ioctlErr(child, cdev, KVM_GET_DEVICE_ATTR, 0)).toBe(-EIO); // KVM's own requests still see the mm check
    // requests the VFS does not own still reach the driver
    expect(ioctlErr(h, vm, FIONREAD, int(h, 0))).toBe(-ENOTTY);
    expect(ioctlErr(h, cpu, FIONREAD, int(h, 0))).toBe(-EINVAL);
  });

  test('an eventfd created with EFD_CLOEXEC / EFD_NONBLOCK has the fd flag / O_NONBLOCK', () => {
    const h = host();
    const ev = h.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    expect(h.files.closeOnExec(ev)).toBe(true);
    expect(h.files.get(ev)!.statusFlags & O_NONBLOCK).toBe(O_NONBLOCK);
  });

  test('the powerpc numbers are answered once the host speaks them, the generic ones are then the driver\'s', () => {
    const h = host();
    h.vfsIoctls = VFS_IOCTLS_POWERPC;
    const { kvm } = openVm(h);
    expect(ioctlErr(h, kvm, VFS_IOCTLS_POWERPC.FIOCLEX)).toBe(0);
    expect(h.files.closeOnExec(kvm)).toBe(true);
    expect(ioctlErr(h, kvm, FIOCLEX)).toBe(-EINVAL); // /dev/kvm's default
  });
});

describe('generic KVM answers (kvm_main.c)', () => {
  test('KVM_CREATE_DEVICE with TEST copies the struct back: EFAULT on a read-only struct, nothing created', () => {
    const h = host();
    const { vm } = openVm(h);
    const cd = h.mem.alloc(12);
    h.mem.setU32(cd, FAKE_TYPE);
    h.mem.setU32(cd + 4, 0x1234);
    h.mem.setU32(cd + 8, KVM_CREATE_DEVICE_TEST);
    h.mem.protect(cd, 12);
    const open = h.files.openCount;
    expect(ioctlErr(h, vm, KVM_CREATE_DEVICE, cd)).toBe(-EFAULT);
    expect(h.files.openCount).toBe(open);
    expect(h.mem.getU32(cd + 4)).toBe(0x1234);
    h.mem.unprotectAll();
    expect(ioctlErr(h, vm, KVM_CREATE_DEVICE, cd)).toBe(0);
    expect(h.mem.getU32(cd + 4)).toBe(0x1234); // TEST leaves fd as it was
  });

  test('KVM_CAP_ENABLE_CAP is 54; ENABLE_CAP_VM, SIGNAL_MSI, IRQFD and HALT_POLL are 1 on /dev/kvm and a VM without an irqchip', () => {
    expect(KVM_CAP_ENABLE_CAP).toBe(54);
    const h = createHost();
    const { kvm, vm } = openVm(h);
    for (const fd of [kvm, vm])
      for (const cap of [KVM_CAP_ENABLE_CAP_VM, KVM_CAP_SIGNAL_MSI, KVM_CAP_IRQFD, KVM_CAP_HALT_POLL])
        expect([cap, ioctlErr(h, fd, KVM_CHECK_EXTENSION, cap)]).toEqual([cap, 1]);
  });

  test('KVM_ENABLE_CAP on a VM fd: EFAULT, flags EINVAL, HALT_POLL takes a u32, unknown caps EINVAL, arch hook', () => {
    const seen: number[] = [];
    const hooks: KvmHooks = {
      vmEnableCap: (_vm, cap) => {
        seen.push(cap);
        return cap === 0x7777 ? 0 : KVM_HOOK_PASS;
      },
    };
    const h = createHost({ plugins: [definePlugin({ name: 'arch', version: '1.0.0', core: '*', hooks })] });
    const { vm } = openVm(h);
    const c = h.mem.alloc(104);
    expect(ioctlErr(h, vm, KVM_ENABLE_CAP, 0)).toBe(-EFAULT);
    h.mem.setU32(c, KVM_CAP_HALT_POLL);
    h.mem.setU64(c + 8, 200000n);
    expect(ioctlErr(h, vm, KVM_ENABLE_CAP, c)).toBe(0);
    expect(h.vmOf(vm).maxHaltPollNs).toBe(200000);
    h.mem.setU64(c + 8, 1n << 32n);
    expect(ioctlErr(h, vm, KVM_ENABLE_CAP, c)).toBe(-EINVAL);
    expect(h.vmOf(vm).maxHaltPollNs).toBe(200000);
    h.mem.setU32(c, 0x7777);
    h.mem.setU32(c + 4, 1);
    expect(ioctlErr(h, vm, KVM_ENABLE_CAP, c)).toBe(-EINVAL); // flags, before the arch
    expect(seen).toEqual([]);
    h.mem.setU32(c + 4, 0);
    expect(ioctlErr(h, vm, KVM_ENABLE_CAP, c)).toBe(0);
    h.mem.setU32(c, 0x7778);
    expect(ioctlErr(h, vm, KVM_ENABLE_CAP, c)).toBe(-EINVAL);
  });

  test('an unknown vCPU request is EINVAL (kvm_vcpu_ioctl: not KVMIO; kvm_arch_vcpu_ioctl default)', () => {
    const h = host();
    const { vm, cpu } = fds(h);
    expect(ioctlErr(h, cpu, 0xdeadbeef)).toBe(-EINVAL);
    expect(ioctlErr(h, cpu, KVM_GET_API_VERSION)).toBe(-EINVAL);
    expect(ioctlErr(h, cpu, KVM_CREATE_DEVICE, 0)).toBe(-EINVAL);
    expect(ioctlErr(h, vm, 0xdeadbeef)).toBe(-ENOTTY); // the VM fd's x86 default stays ENOTTY
  });
});

describe('device-attr ioctls on VM and vCPU fds, per architecture', () => {
  const reqs = [KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR];

  test('no arch VM attributes (x86): ENOTTY before the struct is read', () => {
    const h = createHost();
    const { vm } = openVm(h);
    const { s } = attr(h, 0x7fff, 0);
    for (const r of reqs) {
      expect(ioctlErr(h, vm, r, 0)).toBe(-ENOTTY);
      expect(ioctlErr(h, vm, r, s)).toBe(-ENOTTY);
    }
  });

  test('an arch that serves HAS/SET but not GET (arm64): EFAULT / ENXIO after the copy, GET EINVAL before it', () => {
    const hooks: KvmHooks = { vmAttrIoctl: (_vm, req) => (req === KVM_GET_DEVICE_ATTR ? -EINVAL : 0) };
    const h = createHost({ plugins: [definePlugin({ name: 'arm', version: '1.0.0', core: '*', hooks })] });
    const { vm } = openVm(h);
    const { s } = attr(h, 0x7fff, 0);
    expect(ioctlErr(h, vm, KVM_HAS_DEVICE_ATTR, 0)).toBe(-EFAULT);
    expect(ioctlErr(h, vm, KVM_SET_DEVICE_ATTR, 0)).toBe(-EFAULT);
    expect(ioctlErr(h, vm, KVM_GET_DEVICE_ATTR, 0)).toBe(-EINVAL);
    expect(ioctlErr(h, vm, KVM_HAS_DEVICE_ATTR, s)).toBe(-ENXIO);
    expect(ioctlErr(h, vm, KVM_GET_DEVICE_ATTR, s)).toBe(-EINVAL);
  });

  test('vCPU fds: served by default (EFAULT, then ENXIO); an arch without vCPU attributes (ppc) EINVAL before the copy', () => {
    const h = createHost();
    const { vm } = openVm(h);
    const cpu = h.ioctl(vm, KVM_CREATE_VCPU, 0);
    const { s } = attr(h, 0x7fff, 0);
    expect(ioctlErr(h, cpu, KVM_HAS_DEVICE_ATTR, 0)).toBe(-EFAULT);
    expect(ioctlErr(h, cpu, KVM_HAS_DEVICE_ATTR, s)).toBe(-ENXIO);
    const hooks: KvmHooks = { vcpuAttrIoctl: () => -EINVAL };
    const p = createHost({ plugins: [definePlugin({ name: 'ppc', version: '1.0.0', core: '*', hooks })] });
    const pvm = openVm(p).vm;
    const pcpu = p.ioctl(pvm, KVM_CREATE_VCPU, 0);
    for (const r of reqs) expect(ioctlErr(p, pcpu, r, 0)).toBe(-EINVAL);
  });
});
