/**
 * eventfd(2) uapi (include/uapi/linux/eventfd.h): the flags of `eventfd2`, and the size of the
 * counter that read(2) and write(2) move.
 * @packageDocumentation
 */

/** Read returns 1 and decrements the counter (semaphore semantics). */
export const EFD_SEMAPHORE = 1;
/** O_CLOEXEC (asm-generic/fcntl.h). */
export const EFD_CLOEXEC = 0o2000000;
/** O_NONBLOCK (asm-generic/fcntl.h): read of a zero counter and an overflowing write give EAGAIN. */
export const EFD_NONBLOCK = 0o4000;
/** Every flag eventfd2 accepts (EFD_SHARED_FCNTL_FLAGS | EFD_SEMAPHORE). */
export const EFD_FLAGS_SET = EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE;
/** Bytes read(2) and write(2) move on an eventfd: one u64 counter. */
export const EVENTFD_COUNTER_SIZE = 8;
