/**
 * The attribute table of KVM_DEV_TYPE_ARM_VGIC_ITS (for the kit, the typed API and tools).
 * @packageDocumentation
 */
import type { AttrTable } from '@kvmdev/core/plugin';
import * as U from '../uapi.js';
import { GITS_BASER, GITS_CBASER, GITS_CREADR, GITS_CTLR, GITS_CWRITER, GITS_IIDR, GITS_TYPER } from './defs.js';

/** Attribute table of the ITS device. */
export const VGIC_ITS_ATTRS: AttrTable = [
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_ADDR,
    name: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
    size: 8,
    access: 'rw',
    state: false,
    attrs: [{ attr: U.KVM_VGIC_ITS_ADDR_TYPE, name: 'KVM_VGIC_ITS_ADDR_TYPE' }],
    doc: 'guest physical base of the 128 KiB ITS frame, 64 KiB aligned, set once',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_CTRL,
    name: 'KVM_DEV_ARM_VGIC_GRP_CTRL',
    size: 0,
    access: 'w',
    state: false,
    attrs: [
      { attr: U.KVM_DEV_ARM_VGIC_CTRL_INIT, name: 'KVM_DEV_ARM_VGIC_CTRL_INIT' },
      { attr: U.KVM_DEV_ARM_ITS_SAVE_TABLES, name: 'KVM_DEV_ARM_ITS_SAVE_TABLES' },
      { attr: U.KVM_DEV_ARM_ITS_RESTORE_TABLES, name: 'KVM_DEV_ARM_ITS_RESTORE_TABLES' },
      { attr: U.KVM_DEV_ARM_ITS_CTRL_RESET, name: 'KVM_DEV_ARM_ITS_CTRL_RESET' },
    ],
    doc: 'INIT (no-op), save/restore the tables in guest RAM (ABI rev 0), reset',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_ITS_REGS',
    size: 8,
    access: 'rw',
    state: true,
    attrs: [
      { attr: GITS_CTLR, name: 'GITS_CTLR' },
      { attr: GITS_IIDR, name: 'GITS_IIDR' },
      { attr: GITS_TYPER, name: 'GITS_TYPER', access: 'r' },
      { attr: GITS_CBASER, name: 'GITS_CBASER' },
      { attr: GITS_CWRITER, name: 'GITS_CWRITER' },
      { attr: GITS_CREADR, name: 'GITS_CREADR' },
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => ({ attr: GITS_BASER + 8 * n, name: `GITS_BASER${n}` })),
    ],
    doc: 'ITS registers by frame offset; the payload is always a u64 (CWRITER writes process the queue)',
  },
];
