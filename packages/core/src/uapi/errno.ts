/**
 * Linux errno names and numbers (asm-generic/errno-base.h and errno.h).
 * Internally every kernel-side operation returns `0`/positive for success or `-errno`.
 * @packageDocumentation
 */
/** errno 1: Operation not permitted. */
export const EPERM = 1;
/** errno 2: No such file or directory. */
export const ENOENT = 2;
/** errno 3: No such process. */
export const ESRCH = 3;
/** errno 4: Interrupted system call. */
export const EINTR = 4;
/** errno 5: I/O error. */
export const EIO = 5;
/** errno 6: No such device or address. */
export const ENXIO = 6;
/** errno 7: Argument list too long. */
export const E2BIG = 7;
/** errno 8: Exec format error. */
export const ENOEXEC = 8;
/** errno 9: Bad file number. */
export const EBADF = 9;
/** errno 10: No child processes. */
export const ECHILD = 10;
/** errno 11: Try again. */
export const EAGAIN = 11;
/** errno 12: Out of memory. */
export const ENOMEM = 12;
/** errno 13: Permission denied. */
export const EACCES = 13;
/** errno 14: Bad address. */
export const EFAULT = 14;
/** errno 16: Device or resource busy. */
export const EBUSY = 16;
/** errno 17: File exists. */
export const EEXIST = 17;
/** errno 18: Cross-device link. */
export const EXDEV = 18;
/** errno 19: No such device. */
export const ENODEV = 19;
/** errno 20: Not a directory. */
export const ENOTDIR = 20;
/** errno 21: Is a directory. */
export const EISDIR = 21;
/** errno 22: Invalid argument. */
export const EINVAL = 22;
/** errno 23: File table overflow. */
export const ENFILE = 23;
/** errno 24: Too many open files. */
export const EMFILE = 24;
/** errno 25: Not a typewriter (inappropriate ioctl for device). */
export const ENOTTY = 25;
/** errno 27: File too large. */
export const EFBIG = 27;
/** errno 28: No space left on device. */
export const ENOSPC = 28;
/** errno 29: Illegal seek. */
export const ESPIPE = 29;
/** errno 30: Read-only file system. */
export const EROFS = 30;
/** errno 34: Math result not representable. */
export const ERANGE = 34;
/** errno 38: Invalid system call number. */
export const ENOSYS = 38;
/** errno 61: No data available. */
export const ENODATA = 61;
/** errno 75: Value too large for defined data type. */
export const EOVERFLOW = 75;
/** errno 95: Operation not supported on transport endpoint. */
export const EOPNOTSUPP = 95;
/** Kernel-internal "ioctl not handled here, try the next handler"; never returned to userspace. */
export const ENOIOCTLCMD = 515;

/** errno number → name, for the errno values above. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [ESRCH]: 'ESRCH',
  [EINTR]: 'EINTR',
  [EIO]: 'EIO',
  [ENXIO]: 'ENXIO',
  [E2BIG]: 'E2BIG',
  [ENOEXEC]: 'ENOEXEC',
  [EBADF]: 'EBADF',
  [ECHILD]: 'ECHILD',
  [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM',
  [EACCES]: 'EACCES',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [EXDEV]: 'EXDEV',
  [ENODEV]: 'ENODEV',
  [ENOTDIR]: 'ENOTDIR',
  [EISDIR]: 'EISDIR',
  [EINVAL]: 'EINVAL',
  [ENFILE]: 'ENFILE',
  [EMFILE]: 'EMFILE',
  [ENOTTY]: 'ENOTTY',
  [EFBIG]: 'EFBIG',
  [ENOSPC]: 'ENOSPC',
  [ESPIPE]: 'ESPIPE',
  [EROFS]: 'EROFS',
  [ERANGE]: 'ERANGE',
  [ENOSYS]: 'ENOSYS',
  [ENODATA]: 'ENODATA',
  [EOVERFLOW]: 'EOVERFLOW',
  [EOPNOTSUPP]: 'EOPNOTSUPP',
  [ENOIOCTLCMD]: 'ENOIOCTLCMD',
});

/** The name of an errno number (`'E?'` + number when unknown). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E?${errno}`;
}
