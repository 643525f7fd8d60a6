/**
 * A tiny stand-in for the VFIO side: files that `kvm_vfio_file_is_valid()` accepts (a VFIO group
 * or device cdev), and sPAPR TCE table files (KVM_CREATE_SPAPR_TCE). They are ordinary open
 * files in the host's fd table; the device holds a reference on each file it tracks (get_file),
 * like the kernel.
 * @packageDocumentation
 */
import { type Host, KvmError } from '@kvmdev/core';
import { type Kernel, KFile, type Vm } from '@kvmdev/core/plugin';

/** What VFIO knows about one of its files. */
export interface VfioFileInfo {
  /** 'vfio-group' (/dev/vfio/N) or 'vfio-device' (/dev/vfio/devices/vfioX). */
  readonly kind: 'vfio-group' | 'vfio-device';
  /** Whether DMA through this file is cache-coherent (vfio_file_enforced_coherent). */
  readonly coherent: boolean;
  /** The VM set by kvm_vfio_file_set_kvm (null when not attached to a KVM-VFIO device). */
  kvm: Vm | null;
  /** Set once the last reference to the file went. */
  released: boolean;
}

const vfioFiles = new WeakMap<KFile, VfioFileInfo>();
const tceTables = new WeakMap<KFile, Vm>();

/** Options of {@link openVfioGroup}. */
export interface OpenVfioOptions {
  /** Default true. A non-coherent file makes the VM register non-coherent DMA. */
  coherent?: boolean;
  /** Default 'vfio-group'. */
  kind?: 'vfio-group' | 'vfio-device';
}

/** Opens a fake VFIO group (or device cdev) in `host` (a `Host`, or a device's kernel) and returns its fd (throws EMFILE). */
export function openVfioGroup(host: Kernel, options: OpenVfioOptions = {}): number {
  const kind = options.kind ?? 'vfio-group';
  const info: VfioFileInfo = { kind, coherent: options.coherent ?? true, kvm: null, released: false };
  const file = new KFile(host, kind, { kind: 'other', name: kind }, () => {
    info.released = true;
  });
  vfioFiles.set(file, info);
  const fd = host.files.install(file);
  if (fd < 0) throw new KvmError(-fd, `open ${kind}`);
  return fd;
}

/** Creates a fake sPAPR TCE table of the VM behind `vmFd` (KVM_CREATE_SPAPR_TCE) and returns its fd. */
export function openSpaprTceTable(host: Host, vmFd: number): number {
  const vm = host.vmOf(vmFd);
  vm.get(); // the table holds its VM, as the kernel's does
  const file = new KFile(host, 'kvm-spapr-tce', { kind: 'other', name: 'kvm-spapr-tce' }, () => vm.put());
  tceTables.set(file, vm);
  const fd = host.files.install(file);
  if (fd < 0) {
    vm.put();
    throw new KvmError(-fd, 'KVM_CREATE_SPAPR_TCE');
  }
  return fd;
}

/** vfio_file_is_valid(): the VFIO state of a file, or undefined when it is not a VFIO file. */
export function vfioFileInfo(file: KFile | null): VfioFileInfo | undefined {
  return file ? vfioFiles.get(file) : undefined;
}

/** The VFIO state behind an fd of `host` (for tests), or undefined. */
export function vfioFileOf(host: Host, fd: number): VfioFileInfo | undefined {
  return vfioFileInfo(host.files.get(fd));
}

/** The VM a TCE table file belongs to, or undefined. */
export function tceTableVm(file: KFile | null): Vm | undefined {
  return file ? tceTables.get(file) : undefined;
}
