/**
 * ioctl requests by name. A scenario names a request (`KVM_SET_DEVICE_ATTR`); each side encodes
 * it for its target: the probe takes the number from the target's kernel headers, the model side
 * encodes it here with the encoding its target configuration asks for.
 *
 * Two encodings exist among the targets: the generic one (x86, arm64: 2 direction bits at 30, 14
 * size bits) and the powerpc one (3 direction bits at 29 with NONE 1, READ 2, WRITE 4; 13 size
 * bits). The VFS requests (FIOCLEX and friends) are not `_IO` numbers on x86 and arm64, so they
 * carry both numbers explicitly. Values from the Linux 7.3.4 uapi headers.
 * @packageDocumentation
 */

import type { IoctlEncoding } from '@kvmdev/core';

/** How an architecture encodes ioctl request numbers: `@kvmdev/core`'s type, re-exported. */
export type { IoctlEncoding };

/** Direction of an `_IOC` request, as the uapi macro names it. */
export type IocDir = 'none' | 'r' | 'w' | 'rw';

/** One request: an `_IOC(dir, type, nr, size)` triple, or explicit numbers per encoding. */
export type RequestDef =
  | {
      readonly dir: IocDir;
      readonly type: number;
      readonly nr: number;
      readonly size: number;
      readonly arch?: string;
    }
  | { readonly numbers: Readonly<Record<IoctlEncoding, number>> };

const KVMIO = 0xae;
const io = (nr: number): RequestDef => ({ dir: 'none', type: KVMIO, nr, size: 0 });
const ior = (nr: number, size: number, arch?: string): RequestDef => ({
  dir: 'r',
  type: KVMIO,
  nr,
  size,
  ...(arch ? { arch } : {}),
});
const iow = (nr: number, size: number, arch?: string): RequestDef => ({
  dir: 'w',
  type: KVMIO,
  nr,
  size,
  ...(arch ? { arch } : {}),
});
const iowr = (nr: number, size: number): RequestDef => ({ dir: 'rw', type: KVMIO, nr, size });

/**
 * Every request name a scenario may use. `arch` marks a request whose argument struct only the
 * named architecture's headers define (the probe builds the number from `_IOC` elsewhere).
 */
export const REQUESTS: Readonly<Record<string, RequestDef>> = Object.freeze({
  KVM_GET_API_VERSION: io(0x00),
  KVM_CREATE_VM: io(0x01),
  KVM_CHECK_EXTENSION: io(0x03),
  KVM_GET_VCPU_MMAP_SIZE: io(0x04),
  KVM_CREATE_VCPU: io(0x41),
  KVM_SET_USER_MEMORY_REGION: iow(0x46, 32),
  KVM_CREATE_IRQCHIP: io(0x60),
  KVM_IRQ_LINE: iow(0x61, 8),
  KVM_IRQ_LINE_STATUS: iowr(0x67, 8),
  KVM_SET_GSI_ROUTING: iow(0x6a, 8),
  KVM_IRQFD: iow(0x76, 32),
  KVM_IOEVENTFD: iow(0x79, 64),
  KVM_RUN: io(0x80),
  KVM_INTERRUPT: iow(0x86, 4),
  KVM_SET_SIGNAL_MASK: iow(0x8b, 4),
  KVM_GET_MP_STATE: ior(0x98, 4),
  KVM_SET_MP_STATE: iow(0x99, 4),
  KVM_ENABLE_CAP: iow(0xa3, 104),
  KVM_SIGNAL_MSI: iow(0xa5, 32),
  KVM_PPC_GET_SMMU_INFO: ior(0xa6, 0x250, 'powerpc'),
  KVM_ARM_SET_DEVICE_ADDR: iow(0xab, 16),
  KVM_GET_ONE_REG: iow(0xab, 16),
  KVM_SET_ONE_REG: iow(0xac, 16),
  KVM_PPC_RTAS_DEFINE_TOKEN: iow(0xac, 128, 'powerpc'),
  KVM_ARM_VCPU_INIT: iow(0xae, 32, 'arm64'),
  KVM_ARM_PREFERRED_TARGET: ior(0xaf, 32, 'arm64'),
  KVM_GET_REG_LIST: iowr(0xb0, 8),
  KVM_ARM_VCPU_FINALIZE: iow(0xc2, 4, 'arm64'),
  KVM_CREATE_DEVICE: iowr(0xe0, 12),
  KVM_SET_DEVICE_ATTR: iow(0xe1, 24),
  KVM_GET_DEVICE_ATTR: iow(0xe2, 24),
  KVM_HAS_DEVICE_ATTR: iow(0xe3, 24),
  FIONREAD: { numbers: { generic: 0x541b, powerpc: 0x4004667f } },
  FIONBIO: { numbers: { generic: 0x5421, powerpc: 0x8004667e } },
  FIONCLEX: { numbers: { generic: 0x5450, powerpc: 0x20006602 } },
  FIOCLEX: { numbers: { generic: 0x5451, powerpc: 0x20006601 } },
  FIOASYNC: { numbers: { generic: 0x5452, powerpc: 0x8004667d } },
  FIOQSIZE: { numbers: { generic: 0x5460, powerpc: 0x40086680 } },
});

const DIR_BITS: Readonly<Record<IoctlEncoding, Readonly<Record<IocDir, number>>>> = {
  generic: { none: 0, w: 1, r: 2, rw: 3 },
  powerpc: { none: 1, r: 2, w: 4, rw: 6 },
};

/** The request number of `name` in `encoding`, or undefined when the language does not know it. */
export function encodeRequest(name: string, encoding: IoctlEncoding): number | undefined {
  const d = REQUESTS[name];
  if (d === undefined) return undefined;
  if ('numbers' in d) return d.numbers[encoding];
  const dir = DIR_BITS[encoding][d.dir];
  if (encoding === 'generic')
    return ((dir << 30) | ((d.size & 0x3fff) << 16) | (d.type << 8) | d.nr) >>> 0;
  return ((dir << 29) | ((d.size & 0x1fff) << 16) | (d.type << 8) | d.nr) >>> 0;
}
