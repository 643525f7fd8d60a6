/**
 * KVM_IRQ_LINE on an XICS-on-XIVE (kvmppc_xive_set_irq): the GSI is the source number; a source
 * never set is -EINVAL in the line status. Level 1 on an LSI or KVM_INTERRUPT_SET_LEVEL on any
 * source asserts the line and triggers; 0 and KVM_INTERRUPT_UNSET deassert and stop; every other
 * value (1 on an MSI, KVM_INTERRUPT_SET, 2, ...) triggers. A trigger goes to the ESB of the
 * source's backing IPI.
 * @packageDocumentation
 */
import { EINVAL } from '@kvmdev/core';
import { KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET, KVMPPC_XICS_IRQ_PER_ICS } from '../uapi.js';
import { esbTrigger } from './esb.js';
import { XS_ASSERTED, XS_LSI, XS_VALID, type XicsOnXive } from './state.js';

/** The trigger itself: 0, or -EINVAL for a source that is not valid. `level` is the u32 of the int. */
export function xiveSetIrq(x: XicsOnXive, irq: number, level: number): number {
  const b = x.findBlock(irq);
  if (b === null) return -EINVAL;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  const f = b.flags[idx]!;
  if (!(f & XS_VALID)) return -EINVAL;
  const lv = level >>> 0;
  if ((lv === 1 && f & XS_LSI) || lv === KVM_INTERRUPT_SET_LEVEL >>> 0) b.flags[idx] = f | XS_ASSERTED;
  else if (lv === 0 || lv === KVM_INTERRUPT_UNSET >>> 0) {
    b.flags[idx] = f & ~XS_ASSERTED;
    return 0;
  }
  esbTrigger(x, b, idx);
  return 0;
}
