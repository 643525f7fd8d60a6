import { EBADF, EBUSY, EEXIST, EINVAL, ENOENT, ENXIO, EPERM } from '@kvmdev/core';
import { type ConformanceContext, type DeviceConformanceSpec, describeDeviceConformance, setAttr } from '@kvmdev/testing';
import {
  KVM_DEV_VFIO_FILE,
  KVM_DEV_VFIO_FILE_ADD,
  KVM_DEV_VFIO_FILE_DEL,
  KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
  VFIO_DEVICE_KEY,
  createVfioPlugin,
  kvmVfioState,
  openSpaprTceTable,
  openVfioGroup,
} from '../src/index.js';

/** A VFIO group already added to the device (for DEL and SET_SPAPR_TCE samples). */
function addedGroup(ctx: ConformanceContext): number {
  const fd = openVfioGroup(ctx.host);
  const r = setAttr(ctx.host, ctx.devFd, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, fd);
  if (r.ret < 0) throw new Error(`FILE_ADD failed: errno ${r.errno}`);
  return fd;
}

function spaprPayload(groupfd: number, tablefd: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, groupfd, true);
  v.setInt32(4, tablefd, true);
  return b;
}

const ADD = { group: KVM_DEV_VFIO_FILE, attr: KVM_DEV_VFIO_FILE_ADD } as const;
const DEL = { group: KVM_DEV_VFIO_FILE, attr: KVM_DEV_VFIO_FILE_DEL } as const;
const TCE = { group: KVM_DEV_VFIO_FILE, attr: KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, size: 8 } as const;

for (const spaprTce of [true, false]) {
  const spec: DeviceConformanceSpec = {
    name: `${VFIO_DEVICE_KEY} (spaprTce ${spaprTce})`,
    plugin: createVfioPlugin({ spaprTce }),
    deviceKey: VFIO_DEVICE_KEY,
    vcpus: 1,
    lifetime: 'release',
    singleton: EBUSY,
    samples: {
      set: [
        { ...ADD, name: 'FILE_ADD', value: (ctx) => openVfioGroup(ctx.host) },
        { ...DEL, name: 'FILE_DEL', value: addedGroup },
        ...(spaprTce
          ? [{ ...TCE, name: 'SET_SPAPR_TCE', value: (ctx: ConformanceContext) => spaprPayload(addedGroup(ctx), openSpaprTceTable(ctx.host, ctx.vmFd)) }]
          : []),
      ],
      invalid: [
        { ...ADD, op: 'set', name: 'FILE_ADD of a closed fd', value: 999, errno: EBADF },
        { ...ADD, op: 'set', name: 'FILE_ADD of -1', value: -1, errno: EBADF },
        { ...ADD, op: 'set', name: 'FILE_ADD of the VM fd', value: (ctx) => ctx.vmFd, errno: EINVAL },
        { ...ADD, op: 'set', name: 'FILE_ADD twice', value: addedGroup, errno: EEXIST },
        { ...DEL, op: 'set', name: 'FILE_DEL of a file never added', value: (ctx) => openVfioGroup(ctx.host), errno: ENOENT },
        { ...DEL, op: 'set', name: 'FILE_DEL of a non-VFIO file', value: (ctx) => ctx.vmFd, errno: ENOENT },
        { ...ADD, op: 'get', name: 'GET (no get_attr)', errno: EPERM },
        { group: KVM_DEV_VFIO_FILE, attr: 4, op: 'has', errno: ENXIO },
        ...(spaprTce
          ? ([
              { ...TCE, op: 'set', name: 'SPAPR_TCE of a group not added', value: (ctx: ConformanceContext) => spaprPayload(openVfioGroup(ctx.host), openSpaprTceTable(ctx.host, ctx.vmFd)), errno: ENOENT },
              { ...TCE, op: 'set', name: 'SPAPR_TCE with a bad table fd', value: (ctx: ConformanceContext) => spaprPayload(addedGroup(ctx), 999), errno: EBADF },
              { ...TCE, op: 'set', name: 'SPAPR_TCE with a non-table fd', value: (ctx: ConformanceContext) => spaprPayload(addedGroup(ctx), ctx.vmFd), errno: EINVAL },
            ] as const)
          : ([{ ...TCE, op: 'has', name: 'SPAPR_TCE without CONFIG_SPAPR_TCE_IOMMU', errno: ENXIO }] as const)),
      ],
    },
    // the device has no readable attributes: its state is the list of tracked files
    fingerprint: (ctx) => {
      const kv = kvmVfioState(ctx.host.deviceOf(ctx.devFd));
      return kv ? { files: kv.files.map((f) => f.file.name + (f.tceTable ? '+tce' : '')), n: kv.files.length, noncoherent: kv.noncoherent } : null;
    },
  };
  describeDeviceConformance(spec);
}
