/**
 * Composition support for KVM-VFIO: a VM file lists the VFIO files the VMM opens and adds to
 * the device, as QEMU does for each VFIO group (or device cdev) it uses: open it, then
 * KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD) with its fd. The files are this
 * package's stand-ins ({@link openVfioGroup}).
 * @packageDocumentation
 */
import { EOPNOTSUPP, KvmError } from '@kvmdev/core';
import { type ConfigIssue, type DeviceSetupSpec, type KvmDevice, type SetupDevice, showValue } from '@kvmdev/core/plugin';
import { openVfioGroup } from './files.js';
import { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD } from './uapi.js';

const KINDS = ['vfio-group', 'vfio-device'] as const;

/** The settings of a KVM-VFIO device. */
export const VFIO_SETTINGS: Readonly<Record<string, string>> = {
  files: "VFIO files to open and add (KVM_DEV_VFIO_FILE_ADD), in order: [{ kind: 'vfio-group' | 'vfio-device', coherent: true | false }] (default none)",
};

/** The KVM-VFIO setup spec. */
export const vfioSetup: DeviceSetupSpec = {
  settings: VFIO_SETTINGS,
  validate(s): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (s.files === undefined) return issues;
    if (!Array.isArray(s.files)) return [{ path: 'files', message: 'expected a list of files such as { kind: vfio-group }' }];
    s.files.forEach((f: unknown, i: number) => {
      if (typeof f !== 'object' || f === null || Array.isArray(f)) return void issues.push({ path: `files[${i}]`, message: 'expected { kind?, coherent? }' });
      const o = f as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== 'kind' && k !== 'coherent') issues.push({ path: `files[${i}].${k}`, message: 'unknown field; a file has kind, coherent' });
      if (o.kind !== undefined && !KINDS.includes(o.kind as (typeof KINDS)[number]))
        issues.push({ path: `files[${i}].kind`, message: `expected ${KINDS.join(' or ')}, got ${showValue(o.kind)}` });
      if (o.coherent !== undefined && typeof o.coherent !== 'boolean') issues.push({ path: `files[${i}].coherent`, message: 'expected true or false' });
    });
    return issues;
  },
  apply(ctx, dev, s): void {
    const files = (s.files as { kind?: (typeof KINDS)[number]; coherent?: boolean }[] | undefined) ?? [];
    if (!files.length) return;
    // the stand-in files live in the simulated kernel's fd table (a typed-API DeviceHandle has it)
    const kernel = (dev as SetupDevice & { readonly device?: KvmDevice }).device?.kvm.host;
    if (!kernel) throw new KvmError(EOPNOTSUPP, 'files: the stand-in VFIO files need the simulated kernel (set the device up through a typed-API DeviceHandle)');
    const host = ctx.host;
    for (const f of files) {
      const fd = openVfioGroup(kernel, { ...(f.kind ? { kind: f.kind } : {}), ...(f.coherent !== undefined ? { coherent: f.coherent } : {}) });
      const buf = host.scratch();
      host.mem.setU32(buf, fd);
      dev.attrRaw('set', KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, buf);
    }
  },
};
