/**
 * The VFS's own ioctl requests (`do_vfs_ioctl` in fs/ioctl.c answers them on every fd before the
 * driver sees anything) and the file status flags they change. The FIO* numbers are not `_IO`
 * numbers on x86 and arm64 (asm-generic/ioctls.h), and powerpc has its own (asm/ioctls.h), so
 * both sets are here; the core's exported names are the generic ones.
 * @packageDocumentation
 */

/** Set close-on-exec on the fd (generic number). */
export const FIOCLEX = 0x5451;
/** Clear close-on-exec on the fd (generic number). */
export const FIONCLEX = 0x5450;
/** Set or clear O_NONBLOCK on the open file; the argument points to an int (generic number). */
export const FIONBIO = 0x5421;
/** Set or clear FASYNC on the open file; the argument points to an int (generic number). */
export const FIOASYNC = 0x5452;
/** The bytes a directory, regular file or symlink uses, as a loff_t (generic number). */
export const FIOQSIZE = 0x5460;
/** The bytes readable now, as an int (a regular file's, or the driver's request: generic number). */
export const FIONREAD = 0x541b;
/** `_IO(0x00, 2)`: the filesystem's block size, as an int. */
export const FIGETBSZ = 0x2;
/** `_IOWR('X', 119, int)`: freeze the filesystem. */
export const FIFREEZE = 0xc0045877;
/** `_IOWR('X', 120, int)`: thaw the filesystem. */
export const FITHAW = 0xc0045878;
/** `_IOWR('f', 11, struct fiemap)`: the file's extent map. */
export const FS_IOC_FIEMAP = 0xc020660b;
/** `_IOW(0x94, 9, int)`: clone a whole file (the argument is the source fd). */
export const FICLONE = 0x40049409;
/** `_IOW(0x94, 13, struct file_clone_range)`: clone a range. */
export const FICLONERANGE = 0x4020940d;
/** `_IOWR(0x94, 54, struct file_dedupe_range)`: deduplicate ranges. */
export const FIDEDUPERANGE = 0xc0189436;

/** The request numbers of the VFS ioctls for one architecture's ioctl encoding. */
export interface VfsIoctlNumbers {
  /** FIOCLEX. */
  readonly FIOCLEX: number;
  /** FIONCLEX. */
  readonly FIONCLEX: number;
  /** FIONBIO. */
  readonly FIONBIO: number;
  /** FIOASYNC. */
  readonly FIOASYNC: number;
  /** FIOQSIZE. */
  readonly FIOQSIZE: number;
  /** FIGETBSZ. */
  readonly FIGETBSZ: number;
  /** FIFREEZE. */
  readonly FIFREEZE: number;
  /** FITHAW. */
  readonly FITHAW: number;
  /** FS_IOC_FIEMAP. */
  readonly FS_IOC_FIEMAP: number;
  /** FICLONE. */
  readonly FICLONE: number;
  /** FICLONERANGE. */
  readonly FICLONERANGE: number;
  /** FIDEDUPERANGE. */
  readonly FIDEDUPERANGE: number;
}

/** The VFS requests of x86, arm64 and the other architectures with the generic encoding. */
export const VFS_IOCTLS_GENERIC: VfsIoctlNumbers = Object.freeze({
  FIOCLEX,
  FIONCLEX,
  FIONBIO,
  FIOASYNC,
  FIOQSIZE,
  FIGETBSZ,
  FIFREEZE,
  FITHAW,
  FS_IOC_FIEMAP,
  FICLONE,
  FICLONERANGE,
  FIDEDUPERANGE,
});

/**
 * The VFS requests of powerpc: FIO* are `_IO('f', ...)`-style numbers of arch/powerpc's
 * asm/ioctls.h, and the others use powerpc's `_IOC` encoding (NONE 1, READ 2, WRITE 4 at bit 29).
 */
export const VFS_IOCTLS_POWERPC: VfsIoctlNumbers = Object.freeze({
  FIOCLEX: 0x20006601,
  FIONCLEX: 0x20006602,
  FIONBIO: 0x8004667e,
  FIOASYNC: 0x8004667d,
  FIOQSIZE: 0x40086680,
  FIGETBSZ: 0x20000002,
  FIFREEZE: 0xc0045877,
  FITHAW: 0xc0045878,
  FS_IOC_FIEMAP: 0xc020660b,
  FICLONE: 0x80049409,
  FICLONERANGE: 0x8020940d,
  FIDEDUPERANGE: 0xc0189436,
});

/** O_NONBLOCK in `f_flags` (the same octal 04000 on x86, arm64 and powerpc). */
export const O_NONBLOCK = 0o4000;
/** FASYNC in `f_flags` (octal 020000 on x86, arm64 and powerpc). */
export const FASYNC = 0o20000;
/** FD_CLOEXEC, the fd flag FIOCLEX sets (fcntl F_GETFD). */
export const FD_CLOEXEC = 1;
