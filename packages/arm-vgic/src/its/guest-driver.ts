/**
 * A guest's ITS driver, as kvm-unit-tests' lib/arm64/gic-v3-its.c and Linux's irq-gic-v3-its.c
 * program it: LPI property and pending tables, GICR_PROPBASER/PENDBASER, EnableLPIs, a flat
 * device and collection table (BASER0/1), the command queue (CBASER), commands written into
 * guest memory through the VMM's mapping and published by a guest store to GITS_CWRITER. For the
 * package's tests and benchmarks (not a kernel object: it plays the guest).
 * @packageDocumentation
 */
import type { GuestPort } from '@kvmdev/core';
import {
  GITS_BASER,
  GITS_CBASER,
  GITS_CMD_CLEAR,
  GITS_CMD_DISCARD,
  GITS_CMD_INT,
  GITS_CMD_INV,
  GITS_CMD_INVALL,
  GITS_CMD_MAPC,
  GITS_CMD_MAPD,
  GITS_CMD_MAPI,
  GITS_CMD_MAPTI,
  GITS_CMD_MOVALL,
  GITS_CMD_MOVI,
  GITS_CMD_SYNC,
  GITS_CREADR,
  GITS_CTLR,
  GITS_CWRITER,
  GIC_LPI_OFFSET,
} from './defs.js';

/** Guest RAM as the guest driver sees it: a guest-physical base and the VMM's mapping of it. */
export interface GuestRam {
  readonly gpa: number;
  readonly size: number;
  /** The VMM's user address of guest-physical `gpa`. */
  readonly hva: number;
  /** The user memory holding the mapping. */
  readonly mem: {
    setU32(addr: number, v: number): void;
    getU32(addr: number): number;
    setU8(addr: number, v: number): void;
    getU8(addr: number): number;
    fill(addr: number, len: number, byte: number): void;
  };
}

/** LPI_PROP_DEFAULT of kvm-unit-tests: priority 0xa0, group 1, enabled. */
export const LPI_PROP_DEFAULT = 0xa3;

/** The driver's layout of guest memory and its cursor. */
export class ItsGuestDriver {
  readonly ram: GuestRam;
  /** The guest ports of the vCPUs (index = RDbase). */
  readonly cpus: readonly GuestPort[];
  readonly its: number;
  readonly redist: number;
  /** INTID bits of the property table (IDbits + 1). */
  readonly idBits: number;
  private brk: number;
  readonly propTable: number;
  readonly pendTables: number[] = [];
  readonly deviceTable: number;
  /** 64 KiB pages of the (flat) device table. */
  readonly deviceTablePages: number;
  readonly collTable: number;
  readonly cmdQueue: number;
  readonly cmdQueueSize = 0x10000;
  private cwriter = 0;

  constructor(opts: { ram: GuestRam; cpus: readonly GuestPort[]; its: number; redist: number; idBits?: number; tablePages?: number }) {
    this.ram = opts.ram;
    this.cpus = opts.cpus;
    this.its = opts.its;
    this.redist = opts.redist;
    this.idBits = opts.idBits ?? 16;
    this.brk = opts.ram.gpa;
    const lpis = 2 ** this.idBits;
    this.propTable = this.alloc(Math.max(lpis - GIC_LPI_OFFSET, 0x1000), 0x1000);
    for (let i = 0; i < this.cpus.length; i++) this.pendTables.push(this.alloc(lpis / 8, 0x10000));
    this.deviceTablePages = opts.tablePages ?? 1;
    this.deviceTable = this.alloc(this.deviceTablePages * 0x10000, 0x10000);
    this.collTable = this.alloc(0x10000, 0x10000);
    this.cmdQueue = this.alloc(this.cmdQueueSize, 0x10000);
  }

  /** Guest memory for the guest's own tables (ITTs), zero-filled, aligned. */
  alloc(size: number, align = 256): number {
    const a = Math.ceil(this.brk / align) * align;
    if (a + size > this.ram.gpa + this.ram.size) throw new Error('guest RAM exhausted');
    this.brk = a + size;
    return a;
  }

  private hva(gpa: number): number {
    return this.ram.hva + (gpa - this.ram.gpa);
  }

  private w64(port: GuestPort, gpa: number, v: number): void {
    port.mmioWrite(gpa, 8, BigInt(v));
  }

  /** gicv3_lpi_alloc_tables + gicv3_lpi_rdist_enable on every vCPU, then BASERs, CBASER, CWRITER and GITS_CTLR.Enable. */
  enableDefaults(opts: { enableLpis?: boolean; enableIts?: boolean } = {}): void {
    this.cpus.forEach((p, i) => {
      const rd = this.redist + i * 0x20000;
      this.w64(p, rd + 0x70, this.propTable + (this.idBits - 1) + 0x780); // GICR_PROPBASER: IDbits, RaWb, InnerShareable
      this.w64(p, rd + 0x78, this.pendTables[i]! + 0x780);
    });
    if (opts.enableLpis !== false) for (let i = 0; i < this.cpus.length; i++) this.rdistEnable(i, true);
    const p = this.cpus[0]!;
    const baser0 = Number(p.mmioRead(this.its + GITS_BASER, 8));
    const baser1 = Number(p.mmioRead(this.its + GITS_BASER + 8, 8));
    p.mmioWrite(this.its + GITS_BASER, 8, ((BigInt(baser0) | BigInt(this.deviceTable) | (1n << 63n)) & ~0xffn) | BigInt(this.deviceTablePages - 1));
    p.mmioWrite(this.its + GITS_BASER + 8, 8, BigInt(baser1) | BigInt(this.collTable) | (1n << 63n));
    p.mmioWrite(this.its + GITS_CBASER, 8, BigInt(this.cmdQueue) | BigInt(this.cmdQueueSize / 0x1000 - 1) | (1n << 63n));
    this.cwriter = 0;
    p.mmioWrite(this.its + GITS_CWRITER, 8, 0n);
    if (opts.enableIts !== false) p.mmioWrite32(this.its + GITS_CTLR, 4, 1);
  }

  /** GICR_CTLR.EnableLPIs of vCPU `i`. */
  rdistEnable(i: number, on: boolean): void {
    this.cpus[i]!.mmioWrite32(this.redist + i * 0x20000, 4, on ? 1 : 0);
  }

  /** gicv3_lpi_set_config: the property byte of an LPI (guest memory; needs an INV to be seen). */
  setConfig(intid: number, prop: number): void {
    this.ram.mem.setU8(this.hva(this.propTable + intid - GIC_LPI_OFFSET), prop);
  }

  getConfig(intid: number): number {
    return this.ram.mem.getU8(this.hva(this.propTable + intid - GIC_LPI_OFFSET));
  }

  /** gicv3_lpi_set_clr_pending: the LPI's bit in vCPU `i`'s pending table. */
  setPending(i: number, intid: number, on: boolean): void {
    const a = this.hva(this.pendTables[i]! + (intid >>> 3));
    const b = this.ram.mem.getU8(a);
    this.ram.mem.setU8(a, on ? b | (1 << (intid & 7)) : b & ~(1 << (intid & 7)));
  }

  pendingBit(i: number, intid: number): boolean {
    return ((this.ram.mem.getU8(this.hva(this.pendTables[i]! + (intid >>> 3))) >>> (intid & 7)) & 1) === 1;
  }

  /** Writes one command at CWRITER through the VMM's mapping (no publish). */
  queue(words: readonly number[]): void {
    const a = this.hva(this.cmdQueue + this.cwriter);
    for (let i = 0; i < 8; i++) this.ram.mem.setU32(a + 4 * i, (words[i] ?? 0) >>> 0);
    this.cwriter = (this.cwriter + 32) % this.cmdQueueSize;
  }

  /** Publishes the queued commands: a guest store to GITS_CWRITER. */
  publish(port: GuestPort = this.cpus[0]!): void {
    port.mmioWrite(this.its + GITS_CWRITER, 8, BigInt(this.cwriter));
  }

  /** Queues and publishes one command. */
  send(words: readonly number[]): void {
    this.queue(words);
    this.publish();
  }

  /** Continues the queue where the ITS's GITS_CWRITER is (a guest resuming after a restore). */
  resync(): void {
    this.cwriter = Number(this.cpus[0]!.mmioRead(this.its + GITS_CWRITER, 8));
  }

  /** GITS_CREADR as the guest reads it. */
  creadr(): number {
    return Number(this.cpus[0]!.mmioRead(this.its + GITS_CREADR, 8));
  }

  // commands (field layout of the GICv3 spec)
  static mapd(devid: number, itt: number, sizeBits: number, valid = true): number[] {
    return [GITS_CMD_MAPD, devid, (sizeBits - 1) & 0x1f, 0, (itt & 0xffffff00) >>> 0, (Math.floor(itt / 2 ** 32) & 0xfffff) | (valid ? 0x80000000 : 0), 0, 0];
  }
  static mapc(coll: number, rdbase: number, valid = true): number[] {
    return [GITS_CMD_MAPC, 0, 0, 0, ((rdbase << 16) | coll) >>> 0, ((rdbase >>> 16) & 0xffff) | (valid ? 0x80000000 : 0), 0, 0];
  }
  static mapti(devid: number, eventId: number, intid: number, coll: number): number[] {
    return [GITS_CMD_MAPTI, devid, eventId, intid, coll, 0, 0, 0];
  }
  static mapi(devid: number, eventId: number, coll: number): number[] {
    return [GITS_CMD_MAPI, devid, eventId, 0, coll, 0, 0, 0];
  }
  static movi(devid: number, eventId: number, coll: number): number[] {
    return [GITS_CMD_MOVI, devid, eventId, 0, coll, 0, 0, 0];
  }
  static discard(devid: number, eventId: number): number[] {
    return [GITS_CMD_DISCARD, devid, eventId, 0, 0, 0, 0, 0];
  }
  static int(devid: number, eventId: number): number[] {
    return [GITS_CMD_INT, devid, eventId, 0, 0, 0, 0, 0];
  }
  static clear(devid: number, eventId: number): number[] {
    return [GITS_CMD_CLEAR, devid, eventId, 0, 0, 0, 0, 0];
  }
  static inv(devid: number, eventId: number): number[] {
    return [GITS_CMD_INV, devid, eventId, 0, 0, 0, 0, 0];
  }
  static invall(coll: number): number[] {
    return [GITS_CMD_INVALL, 0, 0, 0, coll, 0, 0, 0];
  }
  static sync(rdbase: number): number[] {
    return [GITS_CMD_SYNC, 0, 0, 0, (rdbase << 16) >>> 0, rdbase >>> 16, 0, 0];
  }
  static movall(rd1: number, rd2: number): number[] {
    return [GITS_CMD_MOVALL, 0, 0, 0, (rd1 << 16) >>> 0, rd1 >>> 16, (rd2 << 16) >>> 0, rd2 >>> 16];
  }
}
