/**
 * XICS uapi (arch/powerpc/include/uapi/asm/kvm.h), the PAPR hcall numbers and return codes
 * (arch/powerpc/include/asm/hvcall.h) and the kernel-internal XICS limits (book3s_xics.h), with
 * the kernel's names and values.
 * @packageDocumentation
 */
import { KVM_REG_PPC, KVM_REG_SIZE_U128, KVM_REG_SIZE_U64 } from '@kvmdev/core';

export { KVM_CAP_IRQ_XICS, KVM_CAP_PPC_RTAS, KVM_DEV_TYPE_XICS, KVM_PPC_RTAS_DEFINE_TOKEN } from '@kvmdev/core';

// ---- device attribute groups ----
/** Group of the per-source state: attr = source number, 64-bit payload. */
export const KVM_DEV_XICS_GRP_SOURCES = 1;
/** Control group (only XICS-on-XIVE implements it; the emulated XICS answers ENXIO). */
export const KVM_DEV_XICS_GRP_CTRL = 2;
/** attr of GRP_CTRL: number of interrupt servers (u32, write-only, XICS-on-XIVE only). */
export const KVM_DEV_XICS_NR_SERVERS = 1;

// ---- the 64-bit source state (GRP_SOURCES payload) ----
/** Shift of the destination (server number) field of a GRP_SOURCES value. */
export const KVM_XICS_DESTINATION_SHIFT = 0;
/** Mask of the destination field: bits 31:0. */
export const KVM_XICS_DESTINATION_MASK = 0xffffffff;
/** Shift of the priority field of a GRP_SOURCES value. */
export const KVM_XICS_PRIORITY_SHIFT = 32;
/** Mask of the priority field: bits 39:32. */
export const KVM_XICS_PRIORITY_MASK = 0xff;
/** 1 << 40: level-sensitive (LSI) source. */
export const KVM_XICS_LEVEL_SENSITIVE = 1n << 40n;
/** 1 << 41: masked; the priority field holds the priority the source returns to. */
export const KVM_XICS_MASKED = 1n << 41n;
/** 1 << 42: pending (LSI: asserted; edge: masked-pending or waiting for a resend). */
export const KVM_XICS_PENDING = 1n << 42n;
/** 1 << 43: the P bit (presented). */
export const KVM_XICS_PRESENTED = 1n << 43n;
/** 1 << 44: the Q bit (queued). */
export const KVM_XICS_QUEUED = 1n << 44n;

/** The same flag bits as seen in the high 32-bit word of the payload (no bigint on hot paths). */
export const XICS_HI_LEVEL_SENSITIVE = 1 << 8;
/** KVM_XICS_MASKED (bit 41) as seen in the high word. */
export const XICS_HI_MASKED = 1 << 9;
/** KVM_XICS_PENDING (bit 42) as seen in the high word. */
export const XICS_HI_PENDING = 1 << 10;
/** KVM_XICS_PRESENTED (bit 43) as seen in the high word. */
export const XICS_HI_PRESENTED = 1 << 11;
/** KVM_XICS_QUEUED (bit 44) as seen in the high word. */
export const XICS_HI_QUEUED = 1 << 12;

// ---- ICP state through ONE_REG ----
/** KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8c. */
export const KVM_REG_PPC_ICP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8cn;
/** Shift of the CPPR field in KVM_REG_PPC_ICP_STATE (bits 63:56). */
export const KVM_REG_PPC_ICP_CPPR_SHIFT = 56;
/** Mask of the CPPR field (8 bits). */
export const KVM_REG_PPC_ICP_CPPR_MASK = 0xff;
/** Shift of the XISR field in KVM_REG_PPC_ICP_STATE (bits 55:32). */
export const KVM_REG_PPC_ICP_XISR_SHIFT = 32;
/** Mask of the XISR field (24 bits). */
export const KVM_REG_PPC_ICP_XISR_MASK = 0xffffff;
/** Shift of the MFRR field in KVM_REG_PPC_ICP_STATE (bits 31:24). */
export const KVM_REG_PPC_ICP_MFRR_SHIFT = 24;
/** Mask of the MFRR field (8 bits). */
export const KVM_REG_PPC_ICP_MFRR_MASK = 0xff;
/** Shift of the PPRI field in KVM_REG_PPC_ICP_STATE (bits 23:16). */
export const KVM_REG_PPC_ICP_PPRI_SHIFT = 16;
/** Mask of the PPRI field (8 bits). */
export const KVM_REG_PPC_ICP_PPRI_MASK = 0xff;

/**
 * KVM_REG_PPC | KVM_REG_SIZE_U128 | 0x8d: the XIVE presenter's VP state (XIVE native mode). On a
 * kernel with CONFIG_KVM_XIVE, GET and SET answer ENXIO on a vCPU without a XIVE presenter.
 */
export const KVM_REG_PPC_VP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U128 | 0x8dn;

// ---- powerpc capabilities and VM types (include/uapi/linux/kvm.h, asm/kvm.h) ----
/** KVM_INTERRUPT_UNSET dequeues the external interrupt (1 on every powerpc host). */
export const KVM_CAP_PPC_UNSET_IRQ = 53;
/** KVM_INTERRUPT_SET_LEVEL is understood (1 on every powerpc host). */
export const KVM_CAP_PPC_IRQ_LEVEL = 58;
/** book3s HV: the VM's SMT mode (threads per vcore); on /dev/kvm 1 on POWER9 and later. */
export const KVM_CAP_PPC_SMT = 64;
/** PAPR mode of a vCPU (KVM_ENABLE_CAP on the vCPU fd); book3s-HV runs only PAPR vCPUs. */
export const KVM_CAP_PPC_PAPR = 68;
/**
 * The host can run a guest in XIVE native mode (KVM_DEV_TYPE_XIVE): 1 on a bare-metal XIVE host
 * (xive_enabled(), HV mode, OPAL native support), 0 on a pseries guest or a POWER8.
 */
export const KVM_CAP_PPC_IRQ_XIVE = 169;
/** KVM_CREATE_VM type: a book3s HV VM (kvm-hv). */
export const KVM_VM_PPC_HV = 1;
/** KVM_CREATE_VM type: a book3s PR VM (kvm-pr). */
export const KVM_VM_PPC_PR = 2;

// ---- KVM_IRQ_LINE levels on PPC ----
/** (u32)-1: assert (edge). */
export const KVM_INTERRUPT_SET = 0xffffffff;
/** (u32)-2: deassert. */
export const KVM_INTERRUPT_UNSET = 0xfffffffe;
/** (u32)-3: assert (level). */
export const KVM_INTERRUPT_SET_LEVEL = 0xfffffffd;

// ---- PAPR hypercalls ----
/** H_EOI: end of interrupt (the guest writes back the XIRR it took). */
export const H_EOI = 0x64;
/** H_CPPR: set the Current Processor Priority. */
export const H_CPPR = 0x68;
/** H_IPI: set a server's MFRR (raise or cancel an IPI). */
export const H_IPI = 0x6c;
/** H_IPOLL: read a server's XIRR and MFRR without accepting the interrupt. */
export const H_IPOLL = 0x70;
/** H_XIRR: accept the highest-priority pending interrupt (returns XIRR = CPPR << 24 | XISR). */
export const H_XIRR = 0x74;
/** H_XIRR_X: H_XIRR that also returns the timebase. */
export const H_XIRR_X = 0x2fc;
/** KVM's private hcall for in-kernel RTAS (KVM_HCALL_BASE 0xf000 in the kernel's hvcall.h). */
export const H_RTAS = 0xf000;

// ---- PAPR hcall return codes ----
/** H_SUCCESS: the hcall succeeded. */
export const H_SUCCESS = 0;
/** H_HARDWARE: hardware error. */
export const H_HARDWARE = -1;
/** H_FUNCTION: the hcall is not supported. */
export const H_FUNCTION = -2;
/** H_PARAMETER: a bad parameter (e.g. an unknown server number). */
export const H_PARAMETER = -4;
/** Kernel-internal (real mode gives up); never returned to a guest. */
export const H_TOO_HARD = 9999;

// ---- book3s_xics.h ----
/** Largest ICS id: source numbers are ICS id << 10 | source index. */
export const KVMPPC_XICS_MAX_ICS_ID = 1023;
/** Bits of the source index inside an ICS. */
export const KVMPPC_XICS_ICS_SHIFT = 10;
/** Sources per ICS (1024). */
export const KVMPPC_XICS_IRQ_PER_ICS = 1 << KVMPPC_XICS_ICS_SHIFT;
/** Mask of the source index inside an ICS. */
export const KVMPPC_XICS_SRC_MASK = KVMPPC_XICS_IRQ_PER_ICS - 1;
/** Source numbers below 16 are reserved (0 = no interrupt, 2 = IPI). */
export const KVMPPC_XICS_FIRST_IRQ = 16;
/** 2^20: one past the largest source number. */
export const KVMPPC_XICS_NR_IRQS = (KVMPPC_XICS_MAX_ICS_ID + 1) * KVMPPC_XICS_IRQ_PER_ICS;
/** Priority that disables a source; also "no IPI" (MFRR) and "nothing pending" (PPRI). */
export const MASKED = 0xff;
/** The XISR value of an IPI. */
export const XICS_IPI = 2;

// ---- in-kernel RTAS ----
/** sizeof(struct kvm_rtas_token_args): char name[120]; __u64 token. */
export const SIZEOF_KVM_RTAS_TOKEN_ARGS = 128;
/** Length of kvm_rtas_token_args.name. */
export const KVM_RTAS_TOKEN_NAME_LEN = 120;
/** sizeof(struct rtas_args) as the kernel copies it from guest memory: be32 token, nargs, nret, args[16], then an 8-byte rets pointer. */
export const SIZEOF_RTAS_ARGS = 88;
/** Number of rtas_arg_t slots in struct rtas_args. */
export const RTAS_ARGS_MAX = 16;
/** The RTAS calls the kernel implements for XICS, in the order of its handler table. */
export const RTAS_IBM_SET_XIVE_NAME = 'ibm,set-xive';
/** RTAS `ibm,get-xive`: read a source's server and priority. */
export const RTAS_IBM_GET_XIVE_NAME = 'ibm,get-xive';
/** RTAS `ibm,int-off`: mask a source (its priority is saved). */
export const RTAS_IBM_INT_OFF_NAME = 'ibm,int-off';
/** RTAS `ibm,int-on`: unmask a source (restores its saved priority). */
export const RTAS_IBM_INT_ON_NAME = 'ibm,int-on';
/** The RTAS "parameter error" status the XICS calls return. */
export const RTAS_PARAMETER_ERROR = -3;
