/**
 * `struct kvm_run` exit reasons (linux/kvm.h `KVM_EXIT_*`) that the guest port reports.
 * @packageDocumentation
 */

/** `KVM_EXIT_UNKNOWN`: no exit reason recorded (the guest port's run record before any exit). */
export const KVM_EXIT_UNKNOWN = 0;
/** `KVM_EXIT_MMIO`: a guest load or store no in-kernel device claims; `run.mmio` holds it for the VMM. */
export const KVM_EXIT_MMIO = 6;
/** `KVM_EXIT_INTERNAL_ERROR`: KVM cannot run the vCPU (e.g. book3s-HV's KVM_RUN of a vCPU not in PAPR mode, with EINVAL). */
export const KVM_EXIT_INTERNAL_ERROR = 17;
/** `KVM_EXIT_PAPR_HCALL`: a PAPR hypercall the kernel does not handle; `run.papr_hcall` holds it for the VMM. */
export const KVM_EXIT_PAPR_HCALL = 19;
