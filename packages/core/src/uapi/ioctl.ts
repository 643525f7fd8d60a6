/**
 * The generic Linux ioctl request encoding (x86, arm64, riscv, s390, loongarch):
 * `dir << 30 | size << 16 | type << 8 | nr`, all unsigned 32-bit.
 * @packageDocumentation
 */

/** Direction bits of the generic encoding. */
export const _IOC_NONE = 0;
export const _IOC_WRITE = 1;
export const _IOC_READ = 2;

export const _IOC_NRBITS = 8;
export const _IOC_TYPEBITS = 8;
export const _IOC_SIZEBITS = 14;
export const _IOC_DIRBITS = 2;
export const _IOC_NRSHIFT = 0;
export const _IOC_TYPESHIFT = 8;
export const _IOC_SIZESHIFT = 16;
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

/** Field extractors. */
export const _IOC_DIR = (req: number): number => (req >>> _IOC_DIRSHIFT) & 0x3;
export const _IOC_TYPE = (req: number): number => (req >>> _IOC_TYPESHIFT) & 0xff;
export const _IOC_NR = (req: number): number => (req >>> _IOC_NRSHIFT) & 0xff;
export const _IOC_SIZE = (req: number): number => (req >>> _IOC_SIZESHIFT) & 0x3fff;
