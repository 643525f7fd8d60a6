/**
 * Linux ioctl request encodings. The `_IO*` helpers and `_IOC_*` constants here are the generic
 * encoding (x86, arm64, riscv, s390, loongarch): `dir << 30 | size << 16 | type << 8 | nr`, all
 * unsigned 32-bit. powerpc encodes differently ({@link IOC_LAYOUTS}, {@link iocEncode},
 * {@link ioctlFor}); a host speaks the encoding of its architecture (`KVM_IOCTLS`).
 * @packageDocumentation
 */

/** Direction bits of the generic encoding (see {@link IOC_LAYOUTS} for powerpc's): `_IO`, no argument struct. */
export const _IOC_NONE = 0;
/** Direction bit of the generic encoding: userspace writes the struct, the kernel reads it (`_IOW`). */
export const _IOC_WRITE = 1;
/** Direction bit of the generic encoding: the kernel writes the struct back to userspace (`_IOR`). */
export const _IOC_READ = 2;

/** Width of the command-number field (the `nr` of `_IOC`), 8 bits in every encoding. */
export const _IOC_NRBITS = 8;
/** Width of the type field (the ioctl's "magic", `KVMIO` 0xae for KVM), 8 bits in every encoding. */
export const _IOC_TYPEBITS = 8;
/** Width of the argument-size field in the generic encoding (14 bits; powerpc's is 13). */
export const _IOC_SIZEBITS = 14;
/** Width of the direction field in the generic encoding (2 bits; powerpc's is 3). */
export const _IOC_DIRBITS = 2;
/** Bit position of the command-number field (0). */
export const _IOC_NRSHIFT = 0;
/** Bit position of the type field (8). */
export const _IOC_TYPESHIFT = 8;
/** Bit position of the argument-size field (16). */
export const _IOC_SIZESHIFT = 16;
/** Bit position of the direction field in the generic encoding (30; powerpc's is 29). */
export const _IOC_DIRSHIFT = 30;

/** Builds an ioctl request number; the result is an unsigned 32-bit number. */
export function _IOC(dir: number, type: number, nr: number, size: number): number {
  return (
    ((dir << _IOC_DIRSHIFT) |
      ((size & 0x3fff) << _IOC_SIZESHIFT) |
      ((type & 0xff) << _IOC_TYPESHIFT) |
      ((nr & 0xff) << _IOC_NRSHIFT)) >>>
    0
  );
}
/** `_IO(type, nr)`: no argument struct. */
export const _IO = (type: number, nr: number): number => _IOC(_IOC_NONE, type, nr, 0);
/** `_IOR(type, nr, size)`: the kernel writes the struct to userspace. */
export const _IOR = (type: number, nr: number, size: number): number => _IOC(_IOC_READ, type, nr, size);
/** `_IOW(type, nr, size)`: the kernel reads the struct from userspace. */
export const _IOW = (type: number, nr: number, size: number): number => _IOC(_IOC_WRITE, type, nr, size);
/** `_IOWR(type, nr, size)`: both directions. */
export const _IOWR = (type: number, nr: number, size: number): number =>
  _IOC(_IOC_READ | _IOC_WRITE, type, nr, size);

/** The direction field of a generic-encoded request ({@link _IOC_NONE}, {@link _IOC_WRITE}, {@link _IOC_READ} or both). */
export const _IOC_DIR = (req: number): number => (req >>> _IOC_DIRSHIFT) & 0x3;
/** The type field of a request (0xae, `KVMIO`, for KVM's). */
export const _IOC_TYPE = (req: number): number => (req >>> _IOC_TYPESHIFT) & 0xff;
/** The command-number field of a request. */
export const _IOC_NR = (req: number): number => (req >>> _IOC_NRSHIFT) & 0xff;
/** The argument-size field of a generic-encoded request: the size of the struct the argument points at. */
export const _IOC_SIZE = (req: number): number => (req >>> _IOC_SIZESHIFT) & 0x3fff;

/**
 * How an architecture encodes ioctl request numbers: `'generic'` (asm-generic/ioctl.h: x86, arm64,
 * riscv, s390, loongarch) or `'powerpc'` (arch/powerpc/include/uapi/asm/ioctl.h: 3 direction
 * bits at bit 29 with _IOC_NONE 1, _IOC_READ 2, _IOC_WRITE 4, and 13 size bits).
 */
export type IoctlEncoding = 'generic' | 'powerpc';

/** The field layout of one ioctl encoding. */
export interface IocLayout {
  /** The direction value of `_IO` (no argument). */
  readonly none: number;
  /** The direction bit of `_IOW` (userspace writes, the kernel reads). */
  readonly write: number;
  /** The direction bit of `_IOR` (the kernel writes to userspace). */
  readonly read: number;
  /** Width of the size field (`_IOC_SIZEBITS`). */
  readonly sizeBits: number;
  /** Where the direction field starts (`_IOC_DIRSHIFT`). */
  readonly dirShift: number;
}

/** The layout of each encoding (the type and number fields are alike: 8 bits each at bits 8 and 0). */
export const IOC_LAYOUTS: Readonly<Record<IoctlEncoding, IocLayout>> = Object.freeze({
  generic: Object.freeze({ none: _IOC_NONE, write: _IOC_WRITE, read: _IOC_READ, sizeBits: _IOC_SIZEBITS, dirShift: _IOC_DIRSHIFT }),
  powerpc: Object.freeze({ none: 1, write: 4, read: 2, sizeBits: 13, dirShift: 29 }),
});

/**
 * `_IOC(dir, type, nr, size)` in `encoding`. `dir` is a combination of the generic direction bits
 * ({@link _IOC_NONE}, {@link _IOC_WRITE}, {@link _IOC_READ}); it is translated to the encoding's
 * own bits, so `iocEncode('powerpc', _IOC_WRITE, KVMIO, 0xe1, 24)` is 0x8018aee1.
 */
export function iocEncode(encoding: IoctlEncoding, dir: number, type: number, nr: number, size: number): number {
  const l = IOC_LAYOUTS[encoding];
  const d = dir === _IOC_NONE ? l.none : (dir & _IOC_WRITE ? l.write : 0) | (dir & _IOC_READ ? l.read : 0);
  const sizeMask = (1 << l.sizeBits) - 1;
  return ((d << l.dirShift) | ((size & sizeMask) << _IOC_SIZESHIFT) | ((type & 0xff) << _IOC_TYPESHIFT) | (nr & 0xff)) >>> 0;
}

/**
 * The number of a generic-encoded `_IOC` request (the `KVM_*` request constants of this package,
 * which are the x86/arm64 numbers) in `encoding`: its direction, type, number and size re-encoded.
 */
export function ioctlFor(encoding: IoctlEncoding, genericRequest: number): number {
  if (encoding === 'generic') return genericRequest >>> 0;
  return iocEncode(encoding, _IOC_DIR(genericRequest), _IOC_TYPE(genericRequest), _IOC_NR(genericRequest), _IOC_SIZE(genericRequest));
}
