/**
 * The GICv3 redistributor SGI_base frame (second 64 KiB): the banked SGI/PPI registers, and the
 * whole redistributor table (RD + SGI frames) used by guest MMIO and REDIST_REGS.
 * @packageDocumentation
 */
import * as U from '../uapi.js';
import {
  ACC_32,
  ACC_8,
  type Reg,
  RegTable,
  lenReg,
  raz,
  readActive,
  readConfig,
  readEnable,
  readGroup,
  readPending,
  readPriority,
  ureadPending,
  uwi,
  uwriteCActive,
  uwriteSActive,
  uwriteSPending,
  wi,
  writeCActive,
  writeCEnable,
  writeConfig,
  writeCPending,
  writeGroup,
  writePriority,
  writeSActive,
  writeSEnable,
  writeSPending,
} from './common.js';
import { GICV3_RD_REGS } from './gicv3-redist-rd.js';

/** SGI_base registers (offsets include the +64 KiB). */
export const GICV3_SGI_REGS: readonly Reg[] = [
  lenReg('GICR_IGROUPR0', U.GICR_IGROUPR0, 4, ACC_32, readGroup, writeGroup, { bpi: 1 }),
  lenReg('GICR_ISENABLER0', U.GICR_ISENABLER0, 4, ACC_32, readEnable, writeSEnable, { bpi: 1 }),
  lenReg('GICR_ICENABLER0', U.GICR_ICENABLER0, 4, ACC_32, readEnable, writeCEnable, { bpi: 1 }),
  lenReg('GICR_ISPENDR0', U.GICR_ISPENDR0, 4, ACC_32, readPending, writeSPending, {
    bpi: 1,
    uread: ureadPending,
    uwrite: uwriteSPending,
  }),
  lenReg('GICR_ICPENDR0', U.GICR_ICPENDR0, 4, ACC_32, readPending, writeCPending, { bpi: 1, uread: raz, uwrite: uwi }),
  lenReg('GICR_ISACTIVER0', U.GICR_ISACTIVER0, 4, ACC_32, readActive, writeSActive, { bpi: 1, uwrite: uwriteSActive }),
  lenReg('GICR_ICACTIVER0', U.GICR_ICACTIVER0, 4, ACC_32, readActive, writeCActive, { bpi: 1, uwrite: uwriteCActive }),
  lenReg('GICR_IPRIORITYR0', U.GICR_IPRIORITYR0, 32, ACC_32 | ACC_8, readPriority, writePriority, { bpi: 8 }),
  lenReg('GICR_ICFGR0', U.GICR_ICFGR0, 8, ACC_32, readConfig, writeConfig, { bpi: 2 }),
  lenReg('GICR_IGRPMODR0', U.GICR_IGRPMODR0, 4, ACC_32, raz, wi),
  lenReg('GICR_NSACR', U.GICR_NSACR, 4, ACC_32, raz, wi),
];

/**
 * The redistributor register table (vgic_v3_rd_registers): RD_base then SGI_base, in the
 * kernel's array order. That array lists GICR_STATUSR (0x10) between GICR_CTLR (0x0) and
 * GICR_IIDR (0x4), so the kernel's binary search never finds it: HAS_ATTR of 0x10 is ENXIO, and
 * a GET or a guest read of it gives 0 (an access to no register), a write is ignored.
 */
export const GICV3_REDIST = new RegTable([...GICV3_RD_REGS, ...GICV3_SGI_REGS], { kernelOrder: true });
