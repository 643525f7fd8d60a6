/**
 * The ICP state (KVM_REG_PPC_ICP_STATE) of a vCPU connected to an XICS-on-XIVE: the presenter
 * keeps only CPPR and MFRR, so GET reads XISR 0 and PPRI 0xff (kvmppc_xive_get_icp), and SET
 * validates nothing (kvmppc_xive_set_icp): it stores CPPR and MFRR, signals the VP's IPI when
 * MFRR < CPPR, and re-triggers the source named in XISR, or keeps that number for the SET of
 * the source that is still to come (a "delayed" interrupt, restored as PENDING).
 * @packageDocumentation
 */
import { EFAULT, ENXIO } from '@kvmdev/core';
import type { Vcpu } from '@kvmdev/core/plugin';
import { KVMPPC_XICS_IRQ_PER_ICS, MASKED, XICS_IPI } from '../uapi.js';
import { esbTrigger, timaUpdate, vpIpiTrigger } from './esb.js';
import { XS_VALID, type XicsOnXive, type XicsOnXivePresenter, xicsOnXiveOf, xicsOnXivePresenterOf } from './state.js';

/** The ONE_REG value's two u32 halves [lo, hi]: CPPR << 56 | MFRR << 24 | 0xff << 16. */
export function xiveIcpWords(p: XicsOnXivePresenter, out: number[]): void {
  out[0] = ((p.mfrr << 24) | (MASKED << 16)) >>> 0;
  out[1] = (p.cppr << 24) >>> 0;
}

const words = [0, 0];

/** KVM_GET_ONE_REG(KVM_REG_PPC_ICP_STATE): ENXIO without a presenter, then EFAULT. */
export function getXiveIcpReg(vcpu: Vcpu, addr: number): number {
  const p = xicsOnXivePresenterOf(vcpu);
  if (p === undefined) return -ENXIO;
  const mem = vcpu.vm.host.mem;
  if (!mem.ok(addr, 8)) return -EFAULT;
  xiveIcpWords(p, words);
  mem.setU64Parts(addr, words[0]!, words[1]!);
  return 0;
}

/** xive_restore_pending_irq: a valid source's IPI is triggered; false when the source is not (yet) valid. */
function restorePendingIrq(x: XicsOnXive, irq: number): boolean {
  const b = x.findBlock(irq);
  if (b === null) return false;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  if (!(b.flags[idx]! & XS_VALID)) return false;
  esbTrigger(x, b, idx);
  return true;
}

/** kvmppc_xive_set_icp on the two halves of the value: always 0. */
export function setXiveIcp(x: XicsOnXive, p: XicsOnXivePresenter, lo: number, hi: number): number {
  const cppr = hi >>> 24;
  const xisr = hi & 0xffffff;
  const mfrr = lo >>> 24;
  p.cppr = cppr;
  p.hwCppr = cppr;
  p.mfrr = mfrr;
  timaUpdate(p);
  if (mfrr < cppr) vpIpiTrigger(x, p);
  if (xisr > XICS_IPI && !restorePendingIrq(x, xisr)) {
    // a later delayed number replaces the earlier one, but each is counted
    p.delayedIrq = xisr;
    x.delayedIrqs++;
  }
  return 0;
}

/** KVM_SET_ONE_REG(KVM_REG_PPC_ICP_STATE): EFAULT (the copy comes first), ENXIO without a presenter. */
export function setXiveIcpReg(vcpu: Vcpu, addr: number): number {
  const mem = vcpu.vm.host.mem;
  if (!mem.ok(addr, 8)) return -EFAULT;
  const lo = mem.getU64Lo(addr);
  const hi = mem.getU64Hi(addr);
  const p = xicsOnXivePresenterOf(vcpu);
  const x = xicsOnXiveOf(vcpu.vm);
  if (p === undefined || x === undefined) return -ENXIO;
  return setXiveIcp(x, p, lo, hi);
}
