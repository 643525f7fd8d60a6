/** GICv2 guest interface through the guest port: GICD_SGIR, GICC IAR/EOIR/DIR/RPR/HPPIR/aliases. */
import * as U from '../src/uapi.js';
import { v2Guest } from './helpers.js';

const SPI = 1 << 24;

function setup(n = 8) {
  const w = v2Guest(n);
  const { guests, dist, cpu } = w;
  guests[0]!.mmioWrite32(dist + U.GIC_DIST_CTRL, 4, 1);
  for (const g of guests) {
    g.mmioWrite32(cpu + U.GIC_CPU_PRIMASK, 4, 0xff);
    g.mmioWrite32(cpu + U.GIC_CPU_CTRL, 4, U.GIC_CPU_CTRL_EnableGrp0);
  }
  const lines = () => guests.map((g) => g.line('irq')).join('');
  const iar = (i: number) => guests[i]!.mmioRead(cpu + U.GIC_CPU_INTACK, 4);
  const eoi = (i: number, v: number) => guests[i]!.mmioWrite32(cpu + U.GIC_CPU_EOI, 4, v);
  const sgir = (from: number, v: number) => guests[from]!.mmioWrite32(dist + U.GIC_DIST_SOFTINT, 4, v);
  return { ...w, lines, iar, eoi, sgir };
}

describe('GICv2 SGIs (GICD_SGIR) with 8 vCPUs', () => {
  test('to self (filter 2), with the source CPU in IAR', () => {
    const { lines, iar, eoi, sgir, guests, cpu } = setup();
    sgir(3, (2 << 24) | 4);
    expect(lines()).toBe('00010000');
    expect(guests[3]!.mmioRead(cpu + U.GIC_CPU_HIGHPRI, 4)).toBe(4 | (3 << 10));
    expect(iar(3)).toBe(4 | (3 << 10));
    expect(lines()).toBe('00000000');
    expect(guests[3]!.mmioRead(cpu + U.GIC_CPU_RUNNINGPRI, 4)).toBe(0);
    eoi(3, 4 | (3 << 10));
    expect(guests[3]!.mmioRead(cpu + U.GIC_CPU_RUNNINGPRI, 4)).toBe(0xff);
    expect(iar(3)).toBe(1023);
  });
  test('to a target list (filter 0) and from two sources', () => {
    const { lines, iar, sgir, guests, dist } = setup();
    sgir(0, (0 << 24) | (0b10100100 << 16) | 1);
    expect(lines()).toBe('00100101');
    sgir(6, (0 << 24) | (1 << 2 << 16) | 1);
    expect(guests[2]!.mmioRead(dist + U.GIC_DIST_SGI_PENDING_SET, 4)).toBe((1 << 0 | 1 << 6) << 8);
    expect(iar(2)).toBe(1 | (0 << 10));
    // the second source stays pending but the SGI is active: not signalled until deactivated
    expect(guests[2]!.line('irq')).toBe(0);
    expect(guests[2]!.mmioRead(dist + U.GIC_DIST_SGI_PENDING_SET, 1)).toBe(0);
    expect(guests[2]!.mmioRead(dist + U.GIC_DIST_SGI_PENDING_SET + 1, 1)).toBe(1 << 6);
  });
  test('broadcast (filter 1) reaches all but self; filter 3 is ignored', () => {
    const { lines, sgir } = setup();
    sgir(5, (3 << 24) | (0xff << 16) | 2);
    expect(lines()).toBe('00000000');
    sgir(5, (1 << 24) | 2);
    expect(lines()).toBe('11111011');
  });
  test('guest ISPENDR/ICPENDR writes to SGI bits are ignored; CPENDSGIR clears sources', () => {
    const { lines, sgir, guests, dist } = setup(2);
    guests[0]!.mmioWrite32(dist + U.GIC_DIST_PENDING_SET, 4, 1);
    expect(lines()).toBe('00');
    sgir(1, (0 << 24) | (1 << 16) | 0);
    expect(lines()).toBe('10');
    guests[0]!.mmioWrite32(dist + U.GIC_DIST_PENDING_CLEAR, 4, 1);
    expect(lines()).toBe('10');
    guests[0]!.mmioWrite32(dist + U.GIC_DIST_SGI_PENDING_CLEAR, 1, 0xff);
    expect(lines()).toBe('00');
  });
});

describe('GICv2 SPIs and the CPU interface', () => {
  test('ITARGETSR picks one vCPU (lowest set bit); ICACTIVER clears active', () => {
    const { lines, iar, eoi, guests, dist, vm } = setup();
    guests[0]!.mmioWrite32(dist + U.GIC_DIST_ENABLE_SET + 4, 4, 1 << 8);
    expect(guests[0]!.mmioRead(dist + U.GIC_DIST_TARGET + 40, 1)).toBe(0);
    vm.irqLine(SPI | 40, 1);
    expect(lines()).toBe('10000000'); // KVM: targets 0 → vCPU 0
    guests[0]!.mmioWrite32(dist + U.GIC_DIST_TARGET + 40, 1, 0b01010000);
    expect(lines()).toBe('00001000');
    expect(iar(4)).toBe(40);
    vm.irqLine(SPI | 40, 1);
    expect(lines()).toBe('00000000');
    guests[1]!.mmioWrite32(dist + U.GIC_DIST_ACTIVE_CLEAR + 4, 4, 1 << 8);
    expect(guests[1]!.mmioRead(dist + U.GIC_DIST_ACTIVE_SET + 4, 4)).toBe(0);
    eoi(4, 40); // priority drop
    expect(lines()).toBe('00001000');
  });
  test('PMR masks, RPR/HPPIR, preemption by BPR', () => {
    const { iar, eoi, guests, dist, cpu, vm } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(dist + U.GIC_DIST_ENABLE_SET + 4, 4, 0b11 << 8);
    g.mmioWrite32(dist + U.GIC_DIST_PRI + 40, 4, 0x8890);
    g.mmioWrite32(cpu + U.GIC_CPU_PRIMASK, 4, 0x90);
    vm.irqLine(SPI | 40, 1);
    expect(g.line('irq')).toBe(0);
    expect(g.mmioRead(cpu + U.GIC_CPU_HIGHPRI, 4)).toBe(1023);
    g.mmioWrite32(cpu + U.GIC_CPU_PRIMASK, 4, 0xf0);
    expect(g.mmioRead(cpu + U.GIC_CPU_PRIMASK, 4)).toBe(0xf0);
    expect(g.line('irq')).toBe(1);
    g.mmioWrite32(cpu + U.GIC_CPU_BINPOINT, 4, 4); // group priority [7:5]
    expect(iar(0)).toBe(40);
    expect(g.mmioRead(cpu + U.GIC_CPU_RUNNINGPRI, 4)).toBe(0x80);
    vm.irqLine(SPI | 41, 1);
    expect(g.line('irq')).toBe(0);
    eoi(0, 40);
    g.mmioWrite32(cpu + U.GIC_CPU_BINPOINT, 4, 2);
    expect(iar(0)).toBe(41);
    vm.irqLine(SPI | 40, 1);
    expect(g.line('irq')).toBe(0); // 0x90 cannot preempt 0x88
    eoi(0, 41);
    expect(iar(0)).toBe(40);
    expect(g.mmioRead(cpu + U.GIC_CPU_ACTIVEPRIO, 4)).toBe(1 << (0x90 >> 3));
  });
  test('EOImode split: EOIR then DIR', () => {
    const { iar, eoi, guests, dist, cpu, vm } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(cpu + U.GIC_CPU_CTRL, 4, U.GIC_CPU_CTRL_EnableGrp0 | U.GIC_CPU_CTRL_EOImodeNS);
    g.mmioWrite32(dist + U.GIC_DIST_ENABLE_SET + 4, 4, 1 << 8);
    vm.irqLine(SPI | 40, 1);
    expect(iar(0)).toBe(40);
    eoi(0, 40);
    expect(g.mmioRead(cpu + U.GIC_CPU_RUNNINGPRI, 4)).toBe(0xff);
    expect(g.mmioRead(dist + U.GIC_DIST_ACTIVE_SET + 4, 4)).toBe(1 << 8);
    vm.irqLine(SPI | 40, 1);
    expect(g.line('irq')).toBe(0);
    g.mmioWrite32(cpu + U.GIC_CPU_DEACTIVATE, 4, 40);
    expect(g.mmioRead(dist + U.GIC_DIST_ACTIVE_SET + 4, 4)).toBe(0);
    expect(g.line('irq')).toBe(1);
  });
  test('level vs edge; Group 1 needs AckCtl for GICC_IAR, AIAR takes it', () => {
    const { iar, eoi, guests, dist, cpu, vm } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(dist + U.GIC_DIST_ENABLE_SET + 4, 4, 0b11 << 8);
    g.mmioWrite32(dist + U.GIC_DIST_CONFIG + 8, 4, 0xaaaaaaaa & ~(2 << 18)); // SPI 41 level
    vm.irqLine(SPI | 41, 1);
    expect(iar(0)).toBe(41);
    eoi(0, 41);
    expect(g.line('irq')).toBe(1); // still high
    vm.irqLine(SPI | 41, 0);
    expect(g.line('irq')).toBe(0);
    vm.irqLine(SPI | 40, 1);
    vm.irqLine(SPI | 40, 0);
    expect(g.line('irq')).toBe(1);
    expect(iar(0)).toBe(40);
    eoi(0, 40);
    // SPI 40 in Group 1
    g.mmioWrite32(dist + U.GIC_DIST_IGROUP + 4, 4, 1 << 8);
    g.mmioWrite32(cpu + U.GIC_CPU_CTRL, 4, 3);
    vm.irqLine(SPI | 40, 1);
    expect(g.line('irq')).toBe(1);
    expect(iar(0)).toBe(1022);
    expect(g.mmioRead(cpu + U.GIC_CPU_AHPPIR, 4)).toBe(40);
    expect(g.mmioRead(cpu + U.GIC_CPU_AIAR, 4)).toBe(40);
    g.mmioWrite32(cpu + U.GIC_CPU_AEOIR, 4, 40);
    expect(g.mmioRead(cpu + U.GIC_CPU_RUNNINGPRI, 4)).toBe(0xff);
  });
  test('Group 0 with FIQEn signals FIQ', () => {
    const { guests, dist, cpu, vm } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(cpu + U.GIC_CPU_CTRL, 4, U.GIC_CPU_CTRL_EnableGrp0 | U.GIC_CPU_CTRL_FIQEn);
    g.mmioWrite32(dist + U.GIC_DIST_ENABLE_SET + 4, 4, 1 << 8);
    vm.irqLine(SPI | 40, 1);
    expect(g.line('fiq')).toBe(1);
    expect(g.line('irq')).toBe(0);
  });
  test('guest GICC_IIDR and GICD registers', () => {
    const { guests, dist, cpu } = setup(2);
    expect(guests[0]!.mmioRead(cpu + U.GIC_CPU_IDENT, 4)).toBe(0x04b2043b);
    expect(guests[0]!.mmioRead(dist + U.GIC_DIST_CTR, 4)).toBe(0x23);
    expect(guests[1]!.mmioRead(dist + U.GIC_DIST_TARGET, 4)).toBe(0x02020202);
    expect(guests[0]!.mmioRead(dist + 0xfe8, 4)).toBe(0);
    expect(guests[0]!.mmioRead(dist + 0x1000, 4)).toBeNull(); // outside the 4 KiB frame
  });
});
