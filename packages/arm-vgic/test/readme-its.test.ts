/** The README's ITS example, as written (imports pointed at the source). */
import { createHost, KVM_ARM_VCPU_INIT, KVM_MSI_VALID_DEVID } from '@kvmdev/core';
import {
  armVgic, ICC_IAR1_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1, GITS_BASER, GITS_CBASER, GITS_CTLR, GITS_CWRITER,
  GITS_CMD_MAPC, GITS_CMD_MAPD, GITS_CMD_MAPTI, GITS_TRANSLATER,
} from '../src/index.js';

test('README ITS example', () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});

  const host = createHost({ plugins: [armVgic] });
  const vm = host.createVm();
  const cpu = vm.createVcpu(0);
  const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
  gic.setAttr(0, 2, 0x3fff0000n);                                        // DIST
  gic.setAttr(0, 3, 0x3ffd0000n);                                        // REDIST (one vCPU)
  const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
  its.setAttr(0, 4, 0x3ffb0000n);                                        // KVM_VGIC_ITS_ADDR_TYPE: the 128 KiB frame
  its.setAttr(4, 0);                                                     // CTRL_INIT (does nothing)
  gic.setAttr(4, 0);                                                     // the GICv3's CTRL_INIT
  const ram = host.mem.mmap(1 << 20);                                    // 1 MiB of guest RAM at 2 GiB
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0x8000_0000, memorySize: 1 << 20, userspaceAddr: ram });
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5);
  cpu.ioctl(KVM_ARM_VCPU_INIT, init);
  cpu.run();

  // the guest: LPI tables, EnableLPIs, the ITS's tables and command queue, the ITS on
  const g = cpu.guest;
  const gpa = (off: number) => 0x8000_0000 + off;
  const rd = 0x3ffd0000;
  const itsb = 0x3ffb0000;
  g.mmioWrite32(0x3fff0000, 4, 2);                                       // GICD_CTLR.EnableGrp1
  g.sysregWrite(ICC_PMR_EL1, 0xff);
  g.sysregWrite(ICC_IGRPEN1_EL1, 1);
  host.mem.setU8(ram + 0x1000, 0xa3);                                    // LPI 8192's property byte: priority 0xa0, enabled
  g.mmioWrite(rd + 0x70, 8, BigInt(gpa(0x1000)) | 0x78dn);               // GICR_PROPBASER: 14 INTID bits
  g.mmioWrite(rd + 0x78, 8, BigInt(gpa(0x10000)));                       // GICR_PENDBASER
  g.mmioWrite32(rd, 4, 1);                                               // GICR_CTLR.EnableLPIs
  g.mmioWrite(itsb + GITS_BASER, 8, g.mmioRead(itsb + GITS_BASER, 8)! | BigInt(gpa(0x20000)) | (1n << 63n));
  g.mmioWrite(itsb + GITS_BASER + 8, 8, g.mmioRead(itsb + GITS_BASER + 8, 8)! | BigInt(gpa(0x30000)) | (1n << 63n));
  g.mmioWrite(itsb + GITS_CBASER, 8, BigInt(gpa(0x40000)) | (1n << 63n)); // one 4 KiB page of commands
  g.mmioWrite32(itsb + GITS_CTLR, 4, 1);                                 // GITS_CTLR.Enabled
  const cmd = (i: number, w: number[]) => w.forEach((x, k) => host.mem.setU32(ram + 0x40000 + 32 * i + 4 * k, x));
  cmd(0, [GITS_CMD_MAPD, 5, 4, 0, gpa(0x50000), 0x8000_0000]);           // device 5: ITT, 5 EventID bits, valid
  cmd(1, [GITS_CMD_MAPC, 0, 0, 0, 0, 0x8000_0000]);                       // collection 0 → vCPU 0
  cmd(2, [GITS_CMD_MAPTI, 5, 3, 8192, 0]);                                // (device 5, event 3) → LPI 8192
  g.mmioWrite(itsb + GITS_CWRITER, 8, 96n);                               // the ITS runs the three commands

  // the device's MSI, from the VMM: KVM_SIGNAL_MSI with its DeviceID (or an irqfd on an MSI route)
  console.log(vm.signalMsi({ addressLo: itsb + GITS_TRANSLATER, data: 3, flags: KVM_MSI_VALID_DEVID, devid: 5 })); // 1
  console.log(g.sysregRead(ICC_IAR1_EL1));                                // 8192n

  expect(log.mock.calls).toEqual([[1], [8192n]]);
  log.mockRestore();
});
