/**
 * The @kvmdev/testing conformance kit over the XICS: the DeviceOps contract the core relies on,
 * with the XICS's release-style lifetime and EEXIST for a second instance.
 */
import { EEXIST, EINVAL, ENOENT, ENXIO } from '@kvmdev/core';
import { describeDeviceConformance } from '@kvmdev/testing';
import { xics } from '../src/internal.js';

describeDeviceConformance({
  plugin: xics,
  deviceKey: 'KVM_DEV_TYPE_XICS',
  vcpus: 2,
  lifetime: 'release',
  singleton: EEXIST,
  samples: {
    set: [
      { group: 1, attr: 0x1000, value: 0x0000000500000000n, size: 8, name: 'source 0x1000: server 0, priority 5' },
      { group: 1, attr: 0x1001, value: 0x000001ff00000000n, size: 8, name: 'source 0x1001: LSI, masked priority' },
    ],
    get: [{ group: 1, attr: 0x1000, size: 8 }],
    invalid: [
      { op: 'set', group: 1, attr: 15, value: 0n, size: 8, errno: ENOENT },
      { op: 'set', group: 1, attr: 0x100000, value: 0n, size: 8, errno: ENOENT },
      { op: 'set', group: 1, attr: 0x1002, value: 0x0000000500000007n, size: 8, errno: EINVAL }, // no ICP for server 7
      { op: 'get', group: 1, attr: 0x7f000, size: 8, errno: ENOENT },
      { op: 'has', group: 1, attr: 15, errno: ENXIO },
      { op: 'has', group: 2, attr: 1, errno: ENXIO },
    ],
  },
  encodings: {
    // a source number outside 16 <= n < 2^20: HAS is ENXIO (xics_has_attr), GET/SET are ENOENT
    // (xics_get_source/xics_set_source)
    1: { unknown: [0, 15, 1 << 20, 1n << 32n], errno: { get: ENOENT, set: ENOENT } },
  },
  afterCreate(ctx) {
    // connect vCPU 0 as server 0 (KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS)) so priority-5 sources have a server
    const cap = ctx.host.mem.alloc(104);
    ctx.host.mem.setU32(cap, 92);
    ctx.host.mem.setU64(cap + 8, BigInt(ctx.devFd));
    ctx.host.mem.setU64(cap + 16, 0n);
    if (ctx.host.ioctl(ctx.vcpuFds[0]!, 0x4068aea3, cap) !== 0) throw new Error(`connect: errno ${ctx.host.errno}`);
  },
});
