/**
 * Typed helpers for VMM code and tests: encode/decode the GRP_SOURCES and ICP_STATE values, and
 * build the RTAS structs (`kvm_rtas_token_args` for the ioctl, the guest's big-endian
 * `rtas_args`) in user memory.
 * @packageDocumentation
 */
import type { UserMemory } from '@kvmdev/core';
import {
  KVM_RTAS_TOKEN_NAME_LEN,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_QUEUED,
  RTAS_ARGS_MAX,
  SIZEOF_KVM_RTAS_TOKEN_ARGS,
  SIZEOF_RTAS_ARGS,
} from './uapi.js';

/** The fields of a GRP_SOURCES value. */
export interface XicsSourceFields {
  /** The destination field: the interrupt server (vCPU server number) the source is routed to. */
  server: number;
  /** The priority field (the saved priority when masked). */
  priority: number;
  /** KVM_XICS_LEVEL_SENSITIVE: a level-sensitive (LSI) source. */
  levelSensitive: boolean;
  /** KVM_XICS_MASKED: the source is masked. */
  masked: boolean;
  /** KVM_XICS_PENDING: the source is pending. */
  pending: boolean;
  /** KVM_XICS_PRESENTED: the P bit. */
  presented: boolean;
  /** KVM_XICS_QUEUED: the Q bit. */
  queued: boolean;
}

/** Builds a GRP_SOURCES value. Omitted fields are 0/false. */
export function encodeSource(f: Partial<XicsSourceFields>): bigint {
  let v = BigInt((f.server ?? 0) >>> 0) | (BigInt((f.priority ?? 0) & 0xff) << 32n);
  if (f.levelSensitive) v |= KVM_XICS_LEVEL_SENSITIVE;
  if (f.masked) v |= KVM_XICS_MASKED;
  if (f.pending) v |= KVM_XICS_PENDING;
  if (f.presented) v |= KVM_XICS_PRESENTED;
  if (f.queued) v |= KVM_XICS_QUEUED;
  return v;
}

/** Splits a GRP_SOURCES value into its fields. */
export function decodeSource(v: bigint): XicsSourceFields {
  return {
    server: Number(v & 0xffffffffn),
    priority: Number((v >> 32n) & 0xffn),
    levelSensitive: (v & KVM_XICS_LEVEL_SENSITIVE) !== 0n,
    masked: (v & KVM_XICS_MASKED) !== 0n,
    pending: (v & KVM_XICS_PENDING) !== 0n,
    presented: (v & KVM_XICS_PRESENTED) !== 0n,
    queued: (v & KVM_XICS_QUEUED) !== 0n,
  };
}

/** The fields of a KVM_REG_PPC_ICP_STATE value. */
export interface IcpStateFields {
  /** CPPR: the Current Processor Priority Register of the ICP. */
  cppr: number;
  /** XISR: the External Interrupt Source Register (source number presented; 0 = none, 2 = IPI). */
  xisr: number;
  /** MFRR: the Most Favoured Request Register (IPI priority; 0xff = no IPI). */
  mfrr: number;
  /** PPRI: priority of the pending interrupt (0xff = nothing pending). */
  ppri: number;
}

/** Builds a KVM_REG_PPC_ICP_STATE value. */
export function encodeIcpState(f: IcpStateFields): bigint {
  return (
    (BigInt(f.cppr & 0xff) << 56n) |
    (BigInt(f.xisr & 0xffffff) << 32n) |
    (BigInt(f.mfrr & 0xff) << 24n) |
    (BigInt(f.ppri & 0xff) << 16n)
  );
}

/** Splits a KVM_REG_PPC_ICP_STATE value into its fields. */
export function decodeIcpState(v: bigint): IcpStateFields {
  return {
    cppr: Number((v >> 56n) & 0xffn),
    xisr: Number((v >> 32n) & 0xffffffn),
    mfrr: Number((v >> 24n) & 0xffn),
    ppri: Number((v >> 16n) & 0xffn),
  };
}

/** Writes a `struct kvm_rtas_token_args` (128 bytes) at `addr`. */
export function writeRtasTokenArgs(mem: UserMemory, addr: number, name: string, token: bigint | number): void {
  mem.fill(addr, SIZEOF_KVM_RTAS_TOKEN_ARGS, 0);
  const n = Math.min(name.length, KVM_RTAS_TOKEN_NAME_LEN);
  for (let i = 0; i < n; i++) mem.setU8(addr + i, name.charCodeAt(i) & 0xff);
  mem.setU64(addr + KVM_RTAS_TOKEN_NAME_LEN, BigInt.asUintN(64, BigInt(token)));
}

function setBe32(mem: UserMemory, addr: number, v: number): void {
  const x = v >>> 0;
  mem.setU8(addr, x >>> 24);
  mem.setU8(addr + 1, (x >>> 16) & 0xff);
  mem.setU8(addr + 2, (x >>> 8) & 0xff);
  mem.setU8(addr + 3, x & 0xff);
}

/** Reads a big-endian u32 from user (guest) memory. */
export function readBe32(mem: UserMemory, addr: number): number {
  return ((mem.getU8(addr) << 24) | (mem.getU8(addr + 1) << 16) | (mem.getU8(addr + 2) << 8) | mem.getU8(addr + 3)) >>> 0;
}

/** Writes a guest `struct rtas_args` (88 bytes, big-endian) at `addr`: token, nargs, nret, args. */
export function writeRtasArgs(mem: UserMemory, addr: number, token: number, args: readonly number[], nret: number): void {
  mem.fill(addr, SIZEOF_RTAS_ARGS, 0);
  setBe32(mem, addr, token);
  setBe32(mem, addr + 4, args.length);
  setBe32(mem, addr + 8, nret);
  for (let i = 0; i < args.length && i < RTAS_ARGS_MAX; i++) setBe32(mem, addr + 12 + 4 * i, args[i]!);
}

/** Reads the `nret` return words (signed) of a guest `struct rtas_args` with `nargs` arguments. */
export function readRtasRets(mem: UserMemory, addr: number, nargs: number, nret: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < nret; i++) out.push(readBe32(mem, addr + 12 + 4 * (nargs + i)) | 0);
  return out;
}
