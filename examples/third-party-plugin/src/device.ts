/**
 * The KVM-VFIO pseudo-device, following the kernel's virt/kvm/vfio.c (6.x): release-style
 * (freed when its fd closes), one per VM (a second create is EBUSY), one write-only group
 * KVM_DEV_VFIO_FILE. There is no get_attr: GET is EPERM (core).
 * @packageDocumentation
 */
import {
  EBADF,
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  ENOENT,
  ENXIO,
} from '@kvmdev/core';
import type {
  AttrTable,
  DeviceOps,
  KFile,
  KvmDevice,
  KvmDeviceAttr,
} from '@kvmdev/core/plugin';
import { tceTableVm, vfioFileInfo } from './files.js';
import {
  KVM_DEV_VFIO_FILE,
  KVM_DEV_VFIO_FILE_ADD,
  KVM_DEV_VFIO_FILE_DEL,
  KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
  KVM_VFIO_NAME,
  SIZEOF_KVM_VFIO_SPAPR_TCE,
} from './uapi.js';

/** One tracked file (struct kvm_vfio_file). */
export interface KvmVfioFile {
  readonly file: KFile;
  /** The TCE table attached by SET_SPAPR_TCE, if any. */
  tceTable: KFile | null;
}

/** `struct kvm_vfio`. */
export interface KvmVfio {
  /** Tracked files, in add order (list_add_tail). */
  readonly files: KvmVfioFile[];
  /** Whether the VM was told about non-coherent DMA (kvm_arch_register_noncoherent_dma). */
  noncoherent: boolean;
}

/** Options of {@link createVfioOps}. */
export interface VfioOptions {
  /** CONFIG_SPAPR_TCE_IOMMU (ppc64 hosts): KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE exists. Default true. */
  spaprTce?: boolean;
}

/** The attribute table of the device (for the kit, the typed API and snapshots). */
export function vfioAttrTable(options: VfioOptions = {}): AttrTable {
  const spapr = options.spaprTce ?? true;
  return [
    {
      group: KVM_DEV_VFIO_FILE,
      name: 'KVM_DEV_VFIO_FILE',
      size: 4,
      access: 'w',
      // the tracked files are fds of this process: not state a snapshot can move
      state: false,
      attrs: [
        { attr: KVM_DEV_VFIO_FILE_ADD, name: 'KVM_DEV_VFIO_FILE_ADD' },
        { attr: KVM_DEV_VFIO_FILE_DEL, name: 'KVM_DEV_VFIO_FILE_DEL' },
        ...(spapr ? [{ attr: KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, name: 'KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE', size: SIZEOF_KVM_VFIO_SPAPR_TCE as 8 }] : []),
      ],
      doc: 'VFIO files (groups or device cdevs) the VM uses; addr points to an int32 fd',
    },
  ];
}

/** The device's state (for tests and tools), or null when `dev` is not a live KVM-VFIO device. */
export function kvmVfioState(dev: KvmDevice): KvmVfio | null {
  return dev.ops.name === KVM_VFIO_NAME && !dev.dead ? (dev.private as KvmVfio | null) : null;
}

/** kvm_vfio_update_coherency: any non-coherent file makes the VM do non-coherent DMA. */
function updateCoherency(kv: KvmVfio): void {
  kv.noncoherent = kv.files.some((f) => !vfioFileInfo(f.file)?.coherent);
}

/** Builds a `kvm_device_ops` (each call is a distinct ops table, as the one-per-VM check compares ops). */
export function createVfioOps(options: VfioOptions = {}): DeviceOps<KvmVfio> {
  const spapr = options.spaprTce ?? true;

  function fileAdd(dev: KvmDevice<KvmVfio>, fd: number): number {
    const kv = dev.state;
    const filp = dev.kvm.host.files.get(fd);
    if (filp === null) return -EBADF;
    const info = vfioFileInfo(filp);
    if (!info) return -EINVAL; // not a VFIO file
    if (kv.files.some((f) => f.file === filp)) return -EEXIST;
    filp.refs++; // get_file()
    kv.files.push({ file: filp, tceTable: null });
    info.kvm = dev.kvm; // kvm_vfio_file_set_kvm
    updateCoherency(kv);
    return 0;
  }

  function fileDel(dev: KvmDevice<KvmVfio>, fd: number): number {
    const kv = dev.state;
    const filp = dev.kvm.host.files.get(fd);
    if (filp === null) return -EBADF;
    let ret = -ENOENT;
    const i = kv.files.findIndex((f) => f.file === filp);
    if (i >= 0) {
      const [kvf] = kv.files.splice(i, 1);
      const info = vfioFileInfo(kvf!.file);
      if (info) info.kvm = null;
      kvf!.file.put(); // fput()
      ret = 0;
    }
    updateCoherency(kv);
    return ret;
  }

  function setSpaprTce(dev: KvmDevice<KvmVfio>, addr: number): number {
    const kv = dev.state;
    const mem = dev.kvm.host.mem;
    if (!mem.ok(addr, SIZEOF_KVM_VFIO_SPAPR_TCE)) return -EFAULT; // copy_from_user of the whole struct
    const groupfd = mem.getI32(addr);
    const tablefd = mem.getI32(addr + 4);
    const files = dev.kvm.host.files;
    const filp = files.get(groupfd);
    if (filp === null) return -EBADF;
    const kvf = kv.files.find((f) => f.file === filp);
    if (!kvf) return -ENOENT;
    // kvm_spapr_tce_attach_iommu_group
    const table = files.get(tablefd);
    if (table === null) return -EBADF;
    if (tceTableVm(table) !== dev.kvm) return -EINVAL;
    kvf.tceTable = table;
    return 0;
  }

  const ops: DeviceOps<KvmVfio> = {
    name: KVM_VFIO_NAME,
    create(dev) {
      // Only one VFIO "device" per VM (the list is walked under kvm->lock)
      for (const d of dev.kvm.devices) if (d.ops === ops) return -EBUSY;
      dev.private = { files: [], noncoherent: false };
      return 0;
    },
    setAttr(dev, attr: KvmDeviceAttr) {
      if (attr.group !== KVM_DEV_VFIO_FILE) return -ENXIO;
      if (attr.attrHi !== 0) return -ENXIO; // switch on the whole (long) attr
      const mem = dev.kvm.host.mem;
      switch (attr.attrLo) {
        case KVM_DEV_VFIO_FILE_ADD:
          return fileAdd(dev, mem.getI32(attr.addr)); // get_user: EFAULT on a bad address
        case KVM_DEV_VFIO_FILE_DEL:
          return fileDel(dev, mem.getI32(attr.addr));
        case KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE:
          if (spapr) return setSpaprTce(dev, attr.addr);
      }
      return -ENXIO;
    },
    hasAttr(_dev, attr) {
      if (attr.group !== KVM_DEV_VFIO_FILE || attr.attrHi !== 0) return -ENXIO;
      switch (attr.attrLo) {
        case KVM_DEV_VFIO_FILE_ADD:
        case KVM_DEV_VFIO_FILE_DEL:
          return 0;
        case KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE:
          if (spapr) return 0;
      }
      return -ENXIO;
    },
    release(dev) {
      const kv = dev.state;
      for (const kvf of kv.files.splice(0)) {
        const info = vfioFileInfo(kvf.file);
        if (info) info.kvm = null;
        kvf.file.put();
      }
      updateCoherency(kv);
      dev.private = null;
    },
  };
  return ops;
}
