/**
 * Composition support for the XICS (`@kvmdev/xics`): the device setup spec of
 * KVM_DEV_TYPE_XICS and the `ppc-pseries` architecture profile.
 *
 * It imports only `@kvmdev/core`; the plugin attaches it to its device registrations
 * (`setup`) and its profiles (`profiles`).
 *
 * The setup follows QEMU's `hw/intc/xics_kvm.c`: KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS, fd, server)
 * on every vCPU (server = vCPU id, `kvmppc_set_xics_server`), then the sources' reset state
 * through KVM_DEV_XICS_GRP_SOURCES (`ics_set_kvm_state_one`): server 0, priority 0xff (masked),
 * LEVEL_SENSITIVE for LSIs.
 * @packageDocumentation
 */
import { KVM_CAP_IRQ_XICS } from '@kvmdev/core';
import { type ArchProfile, type ConfigIssue, type DeviceSetupSpec, type SetupDevice, showValue } from '@kvmdev/core/plugin';

const GRP_SOURCES = 1;
const PRIORITY_SHIFT = 32n;
const MASKED = 0xffn;
const LEVEL_SENSITIVE = 1n << 40n;
/** KVMPPC_XICS_FIRST_IRQ */
const FIRST_IRQ = 16;
/** KVMPPC_XICS_NR_IRQS */
const NR_IRQS = 1024 * 1024;

function setSource(dev: SetupDevice, irq: number, value: bigint): void {
  const host = dev.host;
  const buf = host.scratch();
  host.mem.setU64(buf, value);
  dev.attrRaw('set', GRP_SOURCES, irq, buf);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The settings of an XICS (names as in `presets.qemuPseries`). */
export const XICS_SETTINGS: Readonly<Record<string, string>> = {
  connect: 'KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS, fd, server = vCPU id) on every vCPU (default true)',
  firstSource: 'first source number (>= 16; QEMU uses XICS_IRQ_BASE 0x1000)',
  sources: 'number of sources to set up (server 0, priority 0xff) (default 0)',
  lsi: 'source numbers that are level-sensitive (LSIs); the others are MSIs',
};

/** The XICS setup spec. */
export const xicsSetup: DeviceSetupSpec = {
  settings: XICS_SETTINGS,
  validate(s): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (s.connect !== undefined && typeof s.connect !== 'boolean') issues.push({ path: 'connect', message: 'expected true or false' });
    const first = s.firstSource ?? 0x1000;
    const n = s.sources ?? 0;
    const firstOk = isInt(first) && first >= FIRST_IRQ && first < NR_IRQS;
    if (!firstOk) issues.push({ path: 'firstSource', message: `expected a source number from ${FIRST_IRQ} to ${NR_IRQS - 1}, got ${showValue(s.firstSource)}` });
    const countOk = isInt(n) && n >= 0 && (!firstOk || first + n <= NR_IRQS);
    if (!countOk) issues.push({ path: 'sources', message: `expected a count from 0 to ${NR_IRQS - (firstOk ? first : FIRST_IRQ)}, got ${showValue(s.sources)}` });
    if (s.lsi !== undefined) {
      if (!Array.isArray(s.lsi)) issues.push({ path: 'lsi', message: 'expected a list of source numbers' });
      else
        s.lsi.forEach((x: unknown, i: number) => {
          // with a bad range already reported, only the entry's own type is checked (one error per cause)
          if (!isInt(x)) issues.push({ path: `lsi[${i}]`, message: `expected a source number, got ${showValue(x)}` });
          else if (firstOk && countOk && (x < first || x >= first + n))
            issues.push({ path: `lsi[${i}]`, message: `${showValue(x)} is not one of the sources 0x${first.toString(16)}..+${String(n)}` });
        });
    }
    return issues;
  },
  apply(ctx, dev, s): void {
    if (s.connect ?? true) for (const v of ctx.vcpus) v.enableCap(KVM_CAP_IRQ_XICS, dev.fd, v.id);
    const first = (s.firstSource as number | undefined) ?? 0x1000;
    const n = (s.sources as number | undefined) ?? 0;
    const lsi = new Set((s.lsi as number[] | undefined) ?? []);
    for (let i = first; i < first + n; i++) setSource(dev, i, (MASKED << PRIORITY_SHIFT) | (lsi.has(i) ? LEVEL_SENSITIVE : 0n));
  },
};

/** KVM_CAP_PPC_PAPR (uapi linux/kvm.h). */
const CAP_PPC_PAPR = 68;

/**
 * The XICS setup on a book3s-HV host (a `pseries-hv` host profile): QEMU puts every vCPU in PAPR
 * mode (KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR), `kvmppc_set_papr` at vCPU realize) before the XICS
 * connects it, as HV refuses a vCPU that is not (kvmppc_sanity_check); then the same setup.
 */
export const xicsHvSetup: DeviceSetupSpec = {
  settings: XICS_SETTINGS,
  validate: (s, vm) => xicsSetup.validate(s, vm),
  apply(ctx, dev, s): void {
    for (const v of ctx.vcpus) v.enableCap(CAP_PPC_PAPR);
    xicsSetup.apply(ctx, dev, s);
  },
};

/** QEMU's pseries machine with the in-kernel XICS. */
export const ppcPseriesProfile: ArchProfile = {
  name: 'ppc-pseries',
  doc: 'PowerPC book3s pseries (PAPR) with the in-kernel XICS, as QEMU pseries',
  devices: ['KVM_DEV_TYPE_XICS'],
};

/** Setup specs by device key. */
export const XICS_SETUPS: Readonly<Record<string, DeviceSetupSpec>> = { KVM_DEV_TYPE_XICS: xicsSetup };
/** Profiles contributed by the XICS plugin. */
export const XICS_PROFILES: readonly ArchProfile[] = [ppcPseriesProfile];
