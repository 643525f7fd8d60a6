import { KVM_MSI_VALID_DEVID, KVM_ARM_VCPU_INIT, createHost } from '@kvmdev/core';
import { armVgic } from '@kvmdev/arm-vgic';
import { ItsGuestDriver as D } from '../../arm-vgic/src/internal.js';
const host = createHost({ plugins: [armVgic] });
const vm = host.createVm();
const n = 4;
const vcpus = []; for (let i = 0; i < n; i++) vcpus.push(vm.createVcpu(i));
const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
const DIST = 0x3fff0000, redist = DIST - n * 0x20000, itsBase = redist - 0x20000;
gic.setAttr(0, 2, BigInt(DIST)); gic.setAttr(0, 3, BigInt(redist));
const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS'); its.setAttr(0, 4, BigInt(itsBase));
gic.setAttr(3, 0, 128); gic.setAttr(4, 0);
const hva = host.mem.mmap(8 << 20);
vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0x80000000, memorySize: 8 << 20, userspaceAddr: hva });
const init = host.mem.alloc(32); host.mem.setU32(init, 5);
for (const v of vcpus) { v.ioctl(KVM_ARM_VCPU_INIT, init); v.run(); }
const guests = vcpus.map((v) => v.guest);
const d = new D({ ram: { gpa: 0x80000000, size: 8 << 20, hva, mem: host.mem }, cpus: guests, its: itsBase, redist });
d.enableDefaults();
let t = performance.now();
for (let c = 0; c < 4; c++) d.queue(D.mapc(c, c));
let lpi = 8192;
for (let dev = 0; dev < 256; dev++) { d.queue(D.mapd(dev, d.alloc(32 * 8), 5)); for (let ev = 0; ev < 32; ev++) { d.setConfig(lpi, 0xa3); d.queue(D.mapti(dev, ev, lpi++, (dev + ev) % 4)); if (((dev * 32 + ev) & 255) === 255) d.publish(); } }
d.publish();
console.log('map', performance.now() - t); t = performance.now();
const m = { addressLo: itsBase + 0x10040, data: 0, flags: KVM_MSI_VALID_DEVID, devid: 0 };
for (let dev = 0; dev < 256; dev++) for (let ev = 0; ev < 32; ev++) { m.devid = dev; m.data = ev; vm.signalMsi(m); }
console.log('msi', performance.now() - t); t = performance.now();
for (let r = 0; r < 10; r++) for (let dev = 0; dev < 256; dev++) for (let ev = 0; ev < 32; ev++) { m.devid = dev; m.data = ev; vm.signalMsi(m); }
console.log('msi cached x10', performance.now() - t); t = performance.now();
