/**
 * The VFS's part of ioctl(2): `do_vfs_ioctl` (fs/ioctl.c) answers its own requests on every fd
 * (/dev/kvm, VM, vCPU, device fds, eventfds) before the driver's `unlocked_ioctl` sees anything,
 * so they work from any process that holds the fd and never reach KVM's mm check.
 *
 * What the model's files are, as the VFS sees them: /dev/kvm is a character device on devtmpfs;
 * VM, vCPU, device and eventfd files share the anon-inode filesystem's inode, which is neither a
 * directory, a regular file nor a symlink; the standard streams are ttys on devpts. None has a
 * `fasync` file operation, a `fiemap` inode operation or freeze support. Both filesystems' block
 * size is PAGE_SIZE.
 * @packageDocumentation
 */
import { EBADF, EFAULT, EINVAL, ENOMEM, ENOTTY, EOPNOTSUPP, EPERM, EXDEV } from '../uapi/errno.js';
import { FASYNC, O_NONBLOCK, type VfsIoctlNumbers } from '../uapi/vfs.js';
import type { KFile } from './files.js';
import type { Kernel } from './kernel.js';
import { KVM_HOOK_PASS } from './ops.js';

/** The `_IOC_TYPE` of KVM's requests: none of the VFS requests has it. */
const KVMIO = 0xae;
/** sizeof(struct file_clone_range). */
const SIZEOF_FILE_CLONE_RANGE = 32;
/** offsetof(struct file_dedupe_range, dest_count), its header size and one info entry's size. */
const DEDUPE_DEST_COUNT = 16;
const DEDUPE_HEADER = 24;
const DEDUPE_INFO = 32;

/** The mount a file lives on (what FICLONE compares). */
function mountOf(f: KFile): number {
  switch (f.target.kind) {
    case 'system':
      return 1; // devtmpfs
    case 'other':
      return 2; // devpts
    default:
      return 3; // anon_inodefs
  }
}

/**
 * `do_vfs_ioctl` before `vfs_ioctl`: the result of a VFS request on the file `f` behind `fd`,
 * or KVM_HOOK_PASS when `req` is the driver's. No allocation.
 */
export function vfsIoctl(k: Kernel, fd: number, f: KFile, req: number, arg: number): number {
  if (((req >>> 8) & 0xff) === KVMIO) return KVM_HOOK_PASS;
  const n: VfsIoctlNumbers = k.vfsIoctls;
  const mem = k.mem;
  switch (req) {
    case n.FIOCLEX:
      return k.files.setCloseOnExec(fd, true);
    case n.FIONCLEX:
      return k.files.setCloseOnExec(fd, false);
    case n.FIONBIO: {
      if (!mem.ok(arg, 4)) return -EFAULT; // get_user(int)
      if (mem.getU32(arg) !== 0) f.statusFlags |= O_NONBLOCK;
      else f.statusFlags &= ~O_NONBLOCK;
      return 0;
    }
    case n.FIOASYNC: {
      if (!mem.ok(arg, 4)) return -EFAULT;
      const flag = mem.getU32(arg) !== 0 ? FASYNC : 0;
      // a change needs the file's fasync operation, which no file of the model has
      return (flag ^ f.statusFlags) & FASYNC ? -ENOTTY : 0;
    }
    case n.FIOQSIZE:
      return -ENOTTY; // not a directory, regular file or symlink
    case n.FIFREEZE:
      return k.capSysAdmin ? -EOPNOTSUPP : -EPERM;
    case n.FITHAW:
      return k.capSysAdmin ? -EINVAL : -EPERM; // thaw_super of a filesystem that is not frozen
    case n.FS_IOC_FIEMAP:
      return -EOPNOTSUPP; // no fiemap inode operation, before the struct is read
    case n.FIGETBSZ: {
      if (!mem.okWrite(arg, 4)) return -EFAULT;
      mem.setU32(arg, k.pageSize());
      return 0;
    }
    case n.FICLONE:
      return cloneFrom(k, f, arg % 4294967296);
    case n.FICLONERANGE: {
      if (!mem.ok(arg, SIZEOF_FILE_CLONE_RANGE)) return -EFAULT;
      return cloneFrom(k, f, mem.getU32(arg)); // src_fd: the fd is its low 32 bits
    }
    case n.FIDEDUPERANGE: {
      if (!mem.ok(arg + DEDUPE_DEST_COUNT, 2)) return -EFAULT;
      const size = DEDUPE_HEADER + DEDUPE_INFO * mem.getU16(arg + DEDUPE_DEST_COUNT);
      if (size > k.pageSize()) return -ENOMEM;
      if (!mem.ok(arg, size)) return -EFAULT;
      return -EINVAL; // reserved fields, then: the source is not a regular file
    }
    default:
      return KVM_HOOK_PASS;
  }
}

/** ioctl_file_clone: EBADF, EXDEV across mounts, else EINVAL (none of the files is a regular file). */
function cloneFrom(k: Kernel, dst: KFile, srcFd: number): number {
  const src = k.files.get(srcFd | 0);
  if (src === null) return -EBADF;
  return mountOf(src) !== mountOf(dst) ? -EXDEV : -EINVAL;
}
