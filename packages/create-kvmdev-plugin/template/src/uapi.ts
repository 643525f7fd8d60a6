/**
 * The device's uapi: its registration key and attribute numbers (what a C header would hold).
 * @packageDocumentation
 */

/** The registration key: namespaced by the package name, so it never collides with another vendor's. */
export const DEVICE_KEY = '__DEVICE_KEY__';

/** Group: the scratch registers (u32 payload; attr = register index). */
export const GRP_REGS = 1;
/** Group: control (no payload). */
export const GRP_CTRL = 2;
/** GRP_CTRL attr: freeze the registers. Set once: a second one is EBUSY. */
export const CTRL_INIT = 0;
/** Number of scratch registers. */
export const NR_REGS = 4;
