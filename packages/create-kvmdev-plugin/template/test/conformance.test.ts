// The @kvmdev/testing conformance kit: one jest test per rule of the device contract.
import { EBUSY, EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import { describeDeviceConformance } from '@kvmdev/testing';
import { CTRL_INIT, GRP_CTRL, GRP_REGS, plugin } from '../src/index.js';

describeDeviceConformance({
  plugin,
  vcpus: 2,
  lifetime: 'release',
  singleton: EEXIST,
  samples: {
    set: [
      ...[0, 1, 2, 3].map((i) => ({ group: GRP_REGS, attr: i, value: 0x100 + i, name: `REG${i}` })),
      { group: GRP_CTRL, attr: CTRL_INIT, once: EBUSY, name: 'CTRL_INIT' },
    ],
    get: [0, 1, 2, 3].map((i) => ({ group: GRP_REGS, attr: i, name: `REG${i}` })),
    invalid: [
      { op: 'set', group: GRP_REGS, attr: 0, value: 1, errno: EBUSY, name: 'REG0 after CTRL_INIT' },
      { op: 'get', group: GRP_CTRL, attr: CTRL_INIT, errno: EINVAL, name: 'CTRL_INIT is write-only' },
      { op: 'has', group: GRP_REGS, attr: 4, errno: ENXIO, name: 'REG4' },
    ],
  },
});
