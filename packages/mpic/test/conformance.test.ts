/**
 * The @kvmdev/testing conformance kit over both MPIC models: the DeviceOps contract the core
 * relies on (TEST create, create errors, HAS/GET/SET agreement, EFAULT, rejected SETs, lifetime,
 * VM references, random traffic).
 */
import { EINVAL, ENXIO } from '@kvmdev/core';
import { describeDeviceConformance } from '@kvmdev/testing';
import { mpic } from '../src/internal.js';

for (const deviceKey of ['KVM_DEV_TYPE_FSL_MPIC_20', 'KVM_DEV_TYPE_FSL_MPIC_42'] as const) {
  describeDeviceConformance({
    plugin: mpic,
    deviceKey,
    vcpus: 2,
    lifetime: 'destroy',
    singleton: EINVAL, // mpic_create: only one MPIC per VM, of either type
    samples: {
      set: [
        { group: 1, attr: 0, value: 0xfe0040000n, size: 8, name: 'BASE_ADDR' },
        { group: 2, attr: 0x10000, value: 0x00050041, name: 'IVPR 0' },
        { group: 2, attr: 0x20080, value: 0, name: 'CTPR cpu 0' },
        { group: 3, attr: 1, value: 1, name: 'IRQ_ACTIVE 1' },
      ],
      get: [
        { group: 1, attr: 0, size: 8 },
        { group: 2, attr: 0x1000, name: 'FRR' },
        { group: 2, attr: 0x10010, name: 'IDR 0' },
        { group: 3, attr: 256, name: 'IRQ_ACTIVE 256 (IPI 0)' },
      ],
      invalid: [
        { op: 'set', group: 1, attr: 0, value: 0x1000n, size: 8, errno: EINVAL },
        { op: 'set', group: 1, attr: 1, value: 0n, size: 8, errno: ENXIO },
        { op: 'get', group: 2, attr: 0x1002, errno: ENXIO },
        { op: 'get', group: 2, attr: 0x2000, errno: ENXIO },
        { op: 'set', group: 2, attr: 0x1090, value: 0, errno: ENXIO },
        { op: 'set', group: 3, attr: 257, value: 1, errno: EINVAL },
        { op: 'set', group: 3, attr: 1, value: 2, errno: EINVAL },
        { op: 'has', group: 3, attr: 257, errno: ENXIO },
      ],
    },
    encodings: {
      // mpic_has_attr: HAS(GRP_REGISTER, any offset) is 0 with no alignment or hole check, while
      // GET/SET of a misaligned or unmapped offset is ENXIO (access_reg; a kernel quirk)
      2: { unknown: [0x1002, 0x40000, 1n << 32n], errno: { has: 0 } },
      // IRQ_ACTIVE above MAX_SRC: HAS is ENXIO, GET/SET are EINVAL (mpic_get_attr/mpic_set_attr)
      3: { unknown: [257, 0xffffffff, 1n << 32n], errno: { get: EINVAL, set: EINVAL } },
    },
  });
}
