/**
 * The interrupt output lines of a vCPU (the inputs of the CPU's exception logic) by number and
 * name, shared by the vCPU object and its guest port.
 * @packageDocumentation
 */

/** Interrupt output lines of a vCPU: the IRQ line (ARM IRQ). */
export const KVM_LINE_IRQ = 0;
/** ARM FIQ line. */
export const KVM_LINE_FIQ = 1;
/** PowerPC external interrupt (MPIC INT output, XICS EE). */
export const KVM_LINE_EXTERNAL = 2;
/** PowerPC critical interrupt. */
export const KVM_LINE_CRITICAL = 3;
/** PowerPC machine check. */
export const KVM_LINE_MCHECK = 4;
/** Line names by line number. */
export const LINE_NAMES = ['irq', 'fiq', 'external', 'critical', 'mcheck'] as const;
/** The name of an output line. */
export type LineName = (typeof LINE_NAMES)[number];
/** Line number from its name, or -1. */
export function lineIndex(name: string): number {
  return (LINE_NAMES as readonly string[]).indexOf(name);
}
