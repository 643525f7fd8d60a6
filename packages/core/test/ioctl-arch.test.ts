/**
 * Issue 13 item 13: a ppc64 host speaks ppc64's ioctl numbers. powerpc's _IOC encoding
 * (arch/powerpc/include/uapi/asm/ioctl.h) has _IOC_NONE 1, _IOC_READ 2, _IOC_WRITE 4 in three
 * direction bits at bit 29 and 13 size bits, so every KVM request has another number there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EEXIST,
  EINVAL,
  ENOTTY,
  IOC_LAYOUTS,
  KVM_API_VERSION,
  KVM_CREATE_VM,
  KVM_GET_API_VERSION,
  KVM_IOCTLS,
  KVM_SET_DEVICE_ATTR,
  PluginError,
  _IOC_READ,
  _IOC_WRITE,
  createHost,
  iocEncode,
  ioctlFor,
  kvmIoctls,
  type KvmIoctls,
  type KvmPlugin,
} from '@kvmdev/core';
import * as core from '@kvmdev/core';
import { FAKE_TYPE, fakePlugin, type CallLog } from './fixtures/fake-device.js';

const HEADERS = JSON.parse(readFileSync(join(__dirname, 'fixtures/ppc64el-ioctls.json'), 'utf8')) as {
  requests: Record<string, string>;
};

const ppc64Arch: KvmPlugin = { name: 'test-ppc64-host', version: '1.0.0', core: '*', hostArch: { name: 'ppc64', ioctlEncoding: 'powerpc' } };

describe('ioctl encodings', () => {
  test('powerpc layout: NONE 1, READ 2, WRITE 4, 13 size bits at 16, direction at 29', () => {
    expect(IOC_LAYOUTS.powerpc).toEqual({ none: 1, write: 4, read: 2, sizeBits: 13, dirShift: 29 });
    expect(iocEncode('powerpc', _IOC_WRITE, 0xae, 0xe1, 24)).toBe(0x8018aee1);
    expect(iocEncode('powerpc', _IOC_READ | _IOC_WRITE, 0xae, 0xe0, 12)).toBe(0xc00caee0);
    expect(iocEncode('generic', _IOC_WRITE, 0xae, 0xe1, 24)).toBe(KVM_SET_DEVICE_ATTR);
    expect(ioctlFor('powerpc', KVM_SET_DEVICE_ATTR)).toBe(0x8018aee1);
    expect(ioctlFor('generic', KVM_SET_DEVICE_ATTR)).toBe(KVM_SET_DEVICE_ATTR);
  });

  test('the generic table is the exported KVM_* constants (x86, arm64 names keep working)', () => {
    const exported = core as unknown as Record<string, number>;
    for (const [name, n] of Object.entries(KVM_IOCTLS.generic)) expect([name, n]).toEqual([name, exported[name]]);
    expect(kvmIoctls('generic')).toBe(KVM_IOCTLS.generic);
  });

  test('every powerpc number equals the ppc64el kernel header value', () => {
    const mine = KVM_IOCTLS.powerpc as unknown as Record<string, number>;
    expect(Object.keys(mine).sort()).toEqual(Object.keys(HEADERS.requests).sort());
    for (const [name, hex] of Object.entries(HEADERS.requests)) expect([name, `0x${mine[name]!.toString(16).padStart(8, '0')}`]).toEqual([name, hex]);
    expect(kvmIoctls('powerpc').KVM_SET_DEVICE_ATTR).toBe(0x8018aee1);
    expect(() => kvmIoctls('mips' as never)).toThrow(TypeError);
  });

  // the recording's vocabulary: the numbers the ppc64 probe was compiled with (Debian linux-libc-dev 7.3.4)
  test('every powerpc number the ppc64-pseries probe was built with agrees', () => {
    const vocab = JSON.parse(
      readFileSync(join(__dirname, '../../oracle-suite/recordings/ppc64-pseries/_vocab.json'), 'utf8'),
    ) as { requests: Record<string, string> };
    const mine = KVM_IOCTLS.powerpc as unknown as Record<string, number>;
    let compared = 0;
    for (const [name, hex] of Object.entries(vocab.requests)) {
      if (!(name in mine)) continue;
      expect([name, mine[name]]).toEqual([name, Number(hex)]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  const cc = (() => {
    try {
      execFileSync('powerpc64le-linux-gnu-gcc', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (cc ? test : test.skip)('compiled against the installed ppc64el headers (powerpc64le-linux-gnu-gcc)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvmdev-ioc-'));
    try {
      const names = Object.keys(KVM_IOCTLS.powerpc) as (keyof KvmIoctls)[];
      const src = [
        '#include <linux/kvm.h>',
        'struct vi { unsigned int target; unsigned int features[7]; };',
        '#ifndef KVM_SET_USER_MEMORY_REGION2',
        '#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, char[160])',
        '#endif',
        '#undef KVM_ARM_VCPU_INIT',
        '#undef KVM_ARM_PREFERRED_TARGET',
        '#define KVM_ARM_VCPU_INIT _IOW(KVMIO, 0xae, struct vi)',
        '#define KVM_ARM_PREFERRED_TARGET _IOR(KVMIO, 0xaf, struct vi)',
        ...names.map((n) => `unsigned int v_${n} = ${n};`),
      ].join('\n');
      writeFileSync(join(dir, 'r.c'), src);
      execFileSync('powerpc64le-linux-gnu-gcc', ['-S', '-o', join(dir, 'r.s'), join(dir, 'r.c')]);
      const asm = readFileSync(join(dir, 'r.s'), 'utf8');
      for (const n of names) {
        const m = new RegExp(`^v_${n}:\\s*\\n\\s*\\.long\\s+(-?\\d+)`, 'm').exec(asm);
        expect([n, m ? Number(m[1]) >>> 0 : null]).toEqual([n, KVM_IOCTLS.powerpc[n]]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a host created for ppc64 answers the ppc64 numbers', () => {
  const P = KVM_IOCTLS.powerpc;

  test('a recorded ppc64 call sequence replays as it is', () => {
    const log: CallLog = { calls: [] };
    const host = createHost({ plugins: [ppc64Arch, fakePlugin(log)] });
    expect(host.ioctls).toBe(P);
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, 0x2000ae00, 0)).toBe(KVM_API_VERSION);
    expect(host.ioctl(kvm, 0x20006601, 0)).toBe(0); // FIOCLEX, powerpc's asm/ioctls.h number
    const vm = host.ioctl(kvm, 0x2000ae01, 0);
    expect(vm).toBeGreaterThan(0);
    expect(host.ioctl(vm, 0x2000ae41, 0)).toBeGreaterThan(0); // KVM_CREATE_VCPU
    const cd = host.mem.alloc(12);
    host.mem.setU32(cd, FAKE_TYPE);
    expect(host.ioctl(vm, 0xc00caee0, cd)).toBe(0); // KVM_CREATE_DEVICE
    const dev = host.mem.getU32(cd + 4);
    const a = host.mem.alloc(24);
    const v = host.mem.alloc(8);
    host.mem.setU32(a + 4, 1);
    host.mem.setU64(a + 16, BigInt(v));
    host.mem.setU32(v, 0x1234);
    expect(host.ioctl(dev, 0x8018aee1, a)).toBe(0); // KVM_SET_DEVICE_ATTR
    host.mem.setU32(v, 0);
    expect(host.ioctl(dev, 0x8018aee2, a)).toBe(0); // KVM_GET_DEVICE_ATTR
    expect(host.mem.getU32(v)).toBe(0x1234);
    expect(host.ioctl(dev, 0x8018aee3, a)).toBe(0); // KVM_HAS_DEVICE_ATTR
    expect(log.calls).toContain(`create:${FAKE_TYPE}`);
  });

  test('the generic numbers are unknown requests there (as on a ppc64 kernel)', () => {
    const host = createHost({ plugins: [ppc64Arch] });
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, KVM_GET_API_VERSION, 0)).toBe(-1); // 0xae00: kvm_dev_ioctl's default
    expect(host.errno).toBe(EINVAL);
    expect(host.ioctl(kvm, KVM_CREATE_VM, 0)).toBe(-1);
    expect(host.errno).toBe(EINVAL);
    const vm = host.ioctl(kvm, P.KVM_CREATE_VM, 0);
    expect(host.ioctl(vm, KVM_SET_DEVICE_ATTR, 0)).toBe(-1);
    expect(host.errno).toBe(ENOTTY);
    expect(host.kvm().apiVersion()).toBe(KVM_API_VERSION); // the typed API speaks the host's numbers
  });

  test('a host without a declared architecture keeps the generic numbers', () => {
    const host = createHost();
    expect(host.ioctls).toBe(KVM_IOCTLS.generic);
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, 0x2000ae00, 0)).toBe(-1);
    expect(host.ioctl(kvm, KVM_GET_API_VERSION, 0)).toBe(KVM_API_VERSION);
  });

  test('one host, one architecture: a second one is refused; unregistering restores the default', () => {
    const host = createHost({ plugins: [ppc64Arch] });
    const arm: KvmPlugin = { name: 'test-arm64-host', version: '1.0.0', core: '*', hostArch: { name: 'arm64', ioctlEncoding: 'generic' } };
    expect(() => host.use(arm)).toThrow(PluginError);
    try {
      host.use(arm);
    } catch (e) {
      expect((e as PluginError).errno).toBe(EEXIST);
    }
    expect(host.registry.hasPlugin('test-arm64-host')).toBe(false);
    host.use({ name: 'another-ppc64', version: '1.0.0', core: '*', hostArch: { name: 'ppc64', ioctlEncoding: 'powerpc' } });
    expect(host.ioctls).toBe(P);
    const bad: KvmPlugin = { name: 'bad', version: '1.0.0', core: '*', hostArch: { name: 'x', ioctlEncoding: 'vax' as never } };
    expect(() => createHost({ plugins: [bad] })).toThrow(/unknown ioctl encoding/);
    host.registry.unregister('test-ppc64-host');
    expect(host.ioctls).toBe(P); // another-ppc64 still declares it
    host.registry.unregister('another-ppc64');
    expect(host.ioctls).toBe(KVM_IOCTLS.generic);
  });
});

describe('a kernel without GSI routing or MSIs (HostArch.irqRouting / msi false: book3s powerpc)', () => {
  // kvm_vm_ioctl has KVM_SET_GSI_ROUTING only with CONFIG_HAVE_KVM_IRQ_ROUTING and KVM_SIGNAL_MSI
  // only with CONFIG_HAVE_KVM_MSI; without them the request reaches kvm_arch_vm_ioctl, whose
  // default is ENOTTY, before any copy_from_user. kvm_vm_ioctl_check_extension_generic answers
  // KVM_CAP_IRQ_ROUTING and KVM_CAP_SIGNAL_MSI under the same ifdefs (0 otherwise).
  const noRouting: KvmPlugin = {
    name: 'test-book3s-host',
    version: '1.0.0',
    core: '*',
    hostArch: { name: 'ppc64', ioctlEncoding: 'powerpc', irqRouting: false, msi: false },
  };
  const P = KVM_IOCTLS.powerpc;

  test('KVM_SET_GSI_ROUTING and KVM_SIGNAL_MSI are ENOTTY on a VM without any irqchip, the struct unread', () => {
    const host = createHost({ plugins: [noRouting] });
    const kvm = host.open('/dev/kvm');
    const vm = host.ioctl(kvm, P.KVM_CREATE_VM, 0);
    for (const req of [P.KVM_SET_GSI_ROUTING, P.KVM_SIGNAL_MSI]) {
      expect(host.ioctl(vm, req, 0)).toBe(-1); // NULL: no EFAULT, the arch answers first
      expect(host.errno).toBe(ENOTTY);
    }
    const v = host.vmOf(vm);
    expect(host.setGsiRouting(v, [])).toBe(-ENOTTY);
    expect(host.signalMsi(v, 0, 0, 0, 0, 0)).toBe(-ENOTTY);
  });

  test('KVM_CAP_IRQ_ROUTING and KVM_CAP_SIGNAL_MSI are 0 on /dev/kvm and on a VM', () => {
    const host = createHost({ plugins: [noRouting] });
    const kvm = host.open('/dev/kvm');
    const vm = host.ioctl(kvm, P.KVM_CREATE_VM, 0);
    for (const fd of [kvm, vm])
      for (const cap of [core.KVM_CAP_IRQ_ROUTING, core.KVM_CAP_SIGNAL_MSI]) expect([fd, cap, host.ioctl(fd, P.KVM_CHECK_EXTENSION, cap)]).toEqual([fd, cap, 0]);
  });

  test('the default (and a ppc64 arch that does not say) keeps both', () => {
    const host = createHost({ plugins: [ppc64Arch] });
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, P.KVM_CHECK_EXTENSION, core.KVM_CAP_IRQ_ROUTING)).toBe(core.KVM_MAX_IRQ_ROUTES);
    const vm = host.ioctl(kvm, P.KVM_CREATE_VM, 0);
    expect(host.ioctl(vm, P.KVM_SIGNAL_MSI, 0)).toBe(-1);
    expect(host.errno).toBe(core.EFAULT);
  });

  test('hostArch.irqRouting must be a boolean; a second plugin with other flags is another architecture', () => {
    const bad = { name: 'bad-arch', version: '1.0.0', core: '*', hostArch: { name: 'ppc64', ioctlEncoding: 'powerpc', irqRouting: 'no' } } as unknown as KvmPlugin;
    expect(() => createHost({ plugins: [bad] })).toThrow(PluginError);
    const host = createHost({ plugins: [noRouting] });
    expect(() => host.use(ppc64Arch)).toThrow(PluginError);
  });
});
