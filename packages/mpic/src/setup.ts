/**
 * Composition support for the Freescale MPIC (`@kvmdev/mpic`): the device setup spec of
 * KVM_DEV_TYPE_FSL_MPIC_20 / _42 and the `ppc-e500` architecture profile.
 *
 * It imports only `@kvmdev/core`; the plugin attaches it to its device registrations
 * (`setup`) and its profiles (`profiles`).
 *
 * The setup follows QEMU's `hw/intc/openpic_kvm.c` + `hw/ppc/e500.c`: KVM_DEV_MPIC_BASE_ADDR,
 * the identity GSI routes 0..255 (`kvm_irqchip_add_irq_route(s, i, 0, i)`), one
 * KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC, fd, cpu) per vCPU, then the reset (GCR = 0x80000000 through
 * KVM_DEV_MPIC_GRP_REGISTER offset 0x1020).
 * @packageDocumentation
 */
import { KVM_CAP_IRQ_MPIC, type KvmIrqRoutingEntry } from '@kvmdev/core';
import { type SetupDevice, showValue } from '@kvmdev/core/plugin';
import {
  type ArchProfile,
  type ComposeContext,
  type ConfigIssue,
  type DeviceSetupSpec,
  parseAddress,
} from '@kvmdev/core/plugin';

const GRP_MISC = 1;
const BASE_ADDR = 0;
const GRP_REGISTER = 2;
const GCR = 0x1020;
const GCR_RESET = 0x80000000;
const WINDOW = 0x40000;
const PINS = 256;
const MAX_CPU = 32;

function setAttr(dev: SetupDevice, group: number, attr: number, size: 4 | 8, value: bigint): void {
  const host = dev.host;
  const buf = host.scratch();
  if (size === 8) host.mem.setU64(buf, value);
  else host.mem.setU32(buf, Number(value & 0xffffffffn));
  dev.attrRaw('set', group, attr, buf);
}

/** The settings of an MPIC (names as in `presets.qemuE500`). */
export const MPIC_SETTINGS: Readonly<Record<string, string>> = {
  base: 'register window base (KVM_DEV_MPIC_BASE_ADDR), 256 KiB aligned, e.g. 0xfe0040000',
  routing: "'identity' (GSI n -> pin n for 0..255, as QEMU) or 'none' (default identity)",
  connect: 'KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC) on every vCPU (default true)',
  reset: 'write GCR.RESET (0x80000000) through GRP_REGISTER 0x1020 (default true)',
};

/** The MPIC setup spec. */
export const mpicSetup: DeviceSetupSpec = {
  settings: MPIC_SETTINGS,
  validate(s, vm): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (s.base === undefined) issues.push({ path: 'base', message: 'required: the register window address, e.g. 0xfe0040000' });
    else {
      const b = parseAddress(s.base);
      if (b === null) issues.push({ path: 'base', message: `not an address: ${showValue(s.base)}` });
      else if (b % BigInt(WINDOW) !== 0n) issues.push({ path: 'base', message: `0x${b.toString(16)} is not 256 KiB (0x40000) aligned` });
      else if (b + BigInt(WINDOW) > 1n << 64n) issues.push({ path: 'base', message: 'the window does not fit below 2^64' });
    }
    if (s.routing !== undefined && s.routing !== 'identity' && s.routing !== 'none')
      issues.push({ path: 'routing', message: `expected 'identity' or 'none', got ${showValue(s.routing)}` });
    for (const k of ['connect', 'reset'])
      if (s[k] !== undefined && typeof s[k] !== 'boolean') issues.push({ path: k, message: 'expected true or false' });
    if (vm.vcpus > MAX_CPU) issues.push({ path: 'connect', message: `an MPIC serves at most ${MAX_CPU} CPUs, the VM has ${vm.vcpus}` });
    return issues;
  },
  apply(ctx: ComposeContext, dev, s): void {
    const base = parseAddress(s.base);
    if (base !== null) setAttr(dev, GRP_MISC, BASE_ADDR, 8, base);
    if ((s.routing ?? 'identity') === 'identity') {
      const routes: KvmIrqRoutingEntry[] = [];
      for (let i = 0; i < PINS; i++) routes.push({ gsi: i, type: 1, flags: 0, irqchip: 0, pin: i });
      ctx.vm.setGsiRouting(routes);
    }
    if (s.connect ?? true) for (const v of ctx.vcpus) v.enableCap(KVM_CAP_IRQ_MPIC, dev.fd, v.id);
    if (s.reset ?? true) setAttr(dev, GRP_REGISTER, GCR, 4, BigInt(GCR_RESET));
  },
};

/** QEMU's ppce500 machine: an e500 VM with an MPIC (v2.0 or v4.2). */
export const ppcE500Profile: ArchProfile = {
  name: 'ppc-e500',
  doc: 'PowerPC e500 (BookE) with a Freescale MPIC, as QEMU ppce500',
  devices: ['KVM_DEV_TYPE_FSL_MPIC_20', 'KVM_DEV_TYPE_FSL_MPIC_42'],
  maxVcpus: MAX_CPU,
};

/** Setup specs by device key. */
export const MPIC_SETUPS: Readonly<Record<string, DeviceSetupSpec>> = {
  KVM_DEV_TYPE_FSL_MPIC_20: mpicSetup,
  KVM_DEV_TYPE_FSL_MPIC_42: mpicSetup,
};
/** Profiles contributed by the MPIC plugin. */
export const MPIC_PROFILES: readonly ArchProfile[] = [ppcE500Profile];
