/**
 * The device fd's mmap (kvmppc_xive_native_mmap and its fault handlers), as functions: which
 * mappings the kernel accepts and what each page of them is. The oracle's probe cannot map the
 * device fd, so this is modelled from the kernel's code only, not checked against a kernel; core
 * has no mmap of device fds, so nothing calls it but a caller that wants the answers.
 * @packageDocumentation
 */
import { EINVAL } from '@kvmdev/core';
import { XSRC_VALID, type XiveNativeState } from './state.js';
import { KVMPPC_XIVE_NR_IRQS, KVM_XIVE_ESB_PAGE_OFFSET, KVM_XIVE_TIMA_PAGE_OFFSET } from './uapi.js';

/**
 * mmap(2) of the device fd: only at page offset KVM_XIVE_TIMA_PAGE_OFFSET (at most 4 pages) or
 * KVM_XIVE_ESB_PAGE_OFFSET (at most 2 pages per source, 2^21); anything else is EINVAL.
 */
export function xiveMmapCheck(pgoff: number, pages: number): number {
  if (pgoff === KVM_XIVE_TIMA_PAGE_OFFSET) return pages > 4 ? -EINVAL : 0;
  if (pgoff === KVM_XIVE_ESB_PAGE_OFFSET) return pages > KVMPPC_XIVE_NR_IRQS * 2 ? -EINVAL : 0;
  return -EINVAL;
}

/** What a page of a mapping is when touched: a SIGBUS, or the page the kernel inserts. */
export type XiveMappedPage =
  | { readonly kind: 'sigbus' }
  | { readonly kind: 'tima-os' }
  | { readonly kind: 'esb-trigger' | 'esb-eoi'; readonly source: number };

/**
 * The fault of page `index` (from the start of the mapping) of a TIMA or ESB mapping: the TIMA's
 * page 2 is the OS ring's, 0 (HW), 1 (HV) and 3 (user) SIGBUS; in the ESB mapping source n has
 * its trigger page at 2n and its EOI/management page at 2n + 1, a source without a block, or
 * never set, SIGBUS.
 */
export function xiveMmapFault(x: XiveNativeState, pgoff: number, index: number): XiveMappedPage {
  if (pgoff === KVM_XIVE_TIMA_PAGE_OFFSET) return index === 2 ? { kind: 'tima-os' } : { kind: 'sigbus' };
  const source = Math.floor(index / 2);
  const b = x.findBlock(source);
  if (b === null || source >= KVMPPC_XIVE_NR_IRQS || !(b.flags[source & 0x3ff]! & XSRC_VALID)) return { kind: 'sigbus' };
  return { kind: index % 2 ? 'esb-eoi' : 'esb-trigger', source };
}
