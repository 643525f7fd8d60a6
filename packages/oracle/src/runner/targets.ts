/**
 * The kernel targets: where a scenario's calls are answered by a real Linux KVM.
 *
 * - `host`: this machine's own `/dev/kvm` (when it exists and is usable).
 * - `arm64-gicv3` / `arm64-gicv2`: Debian's arm64 cloud kernel (CONFIG_KVM=y) under
 *   `qemu-system-aarch64 -M virt,virtualization=on` (the guest starts at EL2 and brings up KVM),
 *   one boot with gic-version=3 (GICv3 and the ITS), one with gic-version=2 (GICv2).
 * - `ppc64-pseries`: Debian's ppc64el kernel under `qemu-system-ppc64 -M pseries,cap-nested-hv=on`
 *   with kvm.ko and kvm-hv.ko loaded by the probe (nested KVM-HV; the plain XICS emulation).
 * - `ppc64-powernv9`: the same kernel on a bare-metal POWER9 (`-M powernv9`), where the XICS device
 *   is XICS-on-XIVE and KVM_DEV_TYPE_XIVE exists (reported apart).
 * @packageDocumentation
 */
import type { DebPackage } from './apt.js';
import type { IoctlEncoding } from '../vocab/requests.js';

/** Target architectures, as the compilers name them. */
export type TargetArch = 'x86_64' | 'aarch64' | 'powerpc64le';

/** A target whose kernel is the one running this process. */
export interface NativeTarget {
  /** Runs on the kernel of this machine (needs /dev/kvm). */
  readonly kind: 'native';
  /** Target name (`host`). */
  readonly name: string;
  /** One line on what the target is. */
  readonly doc: string;
}

/** A target booted under QEMU TCG with the probe as the initramfs's /init. */
export interface QemuTarget {
  /** Boots a Debian kernel under QEMU TCG. */
  readonly kind: 'qemu';
  /** Target name (`arm64-gicv3`, `ppc64-pseries`, ...). */
  readonly name: string;
  /** One line on what the target is. */
  readonly doc: string;
  /** The guest architecture. */
  readonly arch: TargetArch;
  /** The Debian package holding the kernel image (and modules). */
  readonly kernelPackage: DebPackage;
  /** The kernel image inside the unpacked package. */
  readonly image: string;
  /** Modules to load, in order, inside the unpacked package (`.ko.xz` are decompressed first). */
  readonly modules: readonly string[];
  /** The QEMU system emulator binary (`qemu-system-aarch64`, `qemu-system-ppc64`). */
  readonly qemu: string;
  /** QEMU arguments before -kernel/-initrd/-append/-serial. */
  readonly qemuArgs: readonly string[];
  /** The kernel command line (-append). */
  readonly append: string;
  /** What `machine` says in a recording. */
  readonly machine: string;
}

/** Any kernel target. */
export type KernelTarget = NativeTarget | QemuTarget;

/** The uapi headers the probe is compiled against (all architectures in one package). */
export const HEADERS_PACKAGE: DebPackage = {
  name: 'linux-libc-dev',
  version: '7.3.4-1~bpo13+1',
  arch: 'all',
  suite: 'trixie-backports',
};

const ARM64_KERNEL: DebPackage = {
  name: 'linux-binary-7.3.4+deb13-cloud-arm64',
  version: '7.3.4-1~bpo13+1',
  arch: 'arm64',
  suite: 'trixie-backports',
};
const PPC64_KERNEL: DebPackage = {
  name: 'linux-image-6.12.107+deb13-powerpc64le',
  version: '6.12.107-1',
  arch: 'ppc64el',
  suite: 'trixie',
};
const PPC64_MODULES = [
  'usr/lib/modules/6.12.107+deb13-powerpc64le/kernel/arch/powerpc/kvm/kvm.ko.xz',
  'usr/lib/modules/6.12.107+deb13-powerpc64le/kernel/arch/powerpc/kvm/kvm-hv.ko.xz',
];
const COMMON = ['-display', 'none', '-monitor', 'none', '-net', 'none', '-no-reboot'];

function arm64(gic: 2 | 3): QemuTarget {
  return {
    kind: 'qemu',
    name: `arm64-gicv${gic}`,
    doc: `Linux 7.3.4 arm64 (Debian cloud kernel) under QEMU TCG, virt with gic-version=${gic}`,
    arch: 'aarch64',
    kernelPackage: ARM64_KERNEL,
    image: 'usr/lib/modules/7.3.4+deb13-cloud-arm64/vmlinuz',
    modules: [],
    qemu: 'qemu-system-aarch64',
    qemuArgs: [
      '-M',
      `virt,virtualization=on,gic-version=${gic}`,
      '-cpu',
      'max,pauth-impdef=on',
      '-smp',
      '2',
      '-m',
      '1024',
      ...COMMON,
    ],
    append: 'console=ttyAMA0 rdinit=/init panic=-1 loglevel=3',
    machine: `qemu-system-aarch64 -M virt,virtualization=on,gic-version=${gic} -cpu max -smp 2 (TCG)`,
  };
}

/** Every target the runner knows, by name. */
export const KERNEL_TARGETS: Readonly<Record<string, KernelTarget>> = {
  host: { kind: 'native', name: 'host', doc: "this machine's /dev/kvm" },
  'arm64-gicv3': arm64(3),
  'arm64-gicv2': arm64(2),
  'ppc64-pseries': {
    kind: 'qemu',
    name: 'ppc64-pseries',
    doc: 'Linux 6.12.107 ppc64le (Debian) under QEMU TCG, pseries POWER9 with nested KVM-HV (plain XICS)',
    arch: 'powerpc64le',
    kernelPackage: PPC64_KERNEL,
    image: 'boot/vmlinux-6.12.107+deb13-powerpc64le',
    modules: PPC64_MODULES,
    qemu: 'qemu-system-ppc64',
    qemuArgs: [
      '-M',
      'pseries,cap-nested-hv=on,x-vof=on',
      '-cpu',
      'POWER9',
      '-smp',
      '2',
      '-m',
      '1024',
      '-nodefaults',
      '-vga',
      'none',
      ...COMMON,
    ],
    append: 'console=hvc0 rdinit=/init panic=-1 loglevel=3',
    machine:
      'qemu-system-ppc64 -M pseries,cap-nested-hv=on -cpu POWER9 -smp 2 (TCG, nested KVM-HV)',
  },
  'ppc64-powernv9': {
    kind: 'qemu',
    name: 'ppc64-powernv9',
    doc: 'Linux 6.12.107 ppc64le (Debian) under QEMU TCG, powernv9 bare metal (XICS-on-XIVE, XIVE)',
    arch: 'powerpc64le',
    kernelPackage: PPC64_KERNEL,
    image: 'boot/vmlinux-6.12.107+deb13-powerpc64le',
    modules: PPC64_MODULES,
    qemu: 'qemu-system-ppc64',
    qemuArgs: [
      '-M',
      'powernv9',
      '-smp',
      '1',
      '-m',
      '2048',
      '-nodefaults',
      '-vga',
      'none',
      '-device',
      'ipmi-bmc-sim,id=bmc0',
      '-device',
      'isa-ipmi-bt,bmc=bmc0,irq=10',
      ...COMMON,
    ],
    append: 'console=hvc0 rdinit=/init panic=-1 loglevel=3',
    machine: 'qemu-system-ppc64 -M powernv9 -smp 1 (TCG, bare-metal KVM-HV on XIVE)',
  },
};

/** The ioctl encoding of a target's architecture. */
export function targetEncoding(t: KernelTarget): IoctlEncoding {
  return t.kind === 'qemu' && t.arch === 'powerpc64le' ? 'powerpc' : 'generic';
}
