/**
 * The KVM-VFIO uapi (include/uapi/linux/kvm.h), with the kernel's names.
 * @packageDocumentation
 */

/** Attribute group of the KVM-VFIO device (was KVM_DEV_VFIO_GROUP, same number). */
export const KVM_DEV_VFIO_FILE = 1;
/** Add a VFIO file (group or device cdev) to the device's tracking; addr → int32 fd. */
export const KVM_DEV_VFIO_FILE_ADD = 1;
/** Remove a VFIO file; addr → int32 fd. */
export const KVM_DEV_VFIO_FILE_DEL = 2;
/** sPAPR only: attach a TCE table; addr → struct kvm_vfio_spapr_tce { s32 groupfd; s32 tablefd; }. */
export const KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE = 3;

/** Legacy names (before the 6.5 rename to FILE). */
export const KVM_DEV_VFIO_GROUP = KVM_DEV_VFIO_FILE;
export const KVM_DEV_VFIO_GROUP_ADD = KVM_DEV_VFIO_FILE_ADD;
export const KVM_DEV_VFIO_GROUP_DEL = KVM_DEV_VFIO_FILE_DEL;

/** sizeof(struct kvm_vfio_spapr_tce). */
export const SIZEOF_KVM_VFIO_SPAPR_TCE = 8;

/** The namespaced device key this package registers (under the kernel's number, KVM_DEV_TYPE_VFIO). */
export const VFIO_DEVICE_KEY = '@acme/kvmdev-vfio:vfio';

/** Anon-inode name of the device fd, as in the kernel. */
export const KVM_VFIO_NAME = 'kvm-vfio';
