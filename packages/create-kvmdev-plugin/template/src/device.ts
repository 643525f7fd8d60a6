/**
 * The example device: four 32-bit scratch registers that CTRL_INIT freezes. Replace it with yours.
 * It follows the kernel's rules for a device: every op returns 0 or -errno, the payload is read
 * before any state changes (so a rejected SET changes nothing), and it is release-style (freed on
 * the last close of its fd), one per VM.
 * @packageDocumentation
 */
import { EBUSY, EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import type { AttrTable, DeviceOps, KvmDeviceAttr } from '@kvmdev/core/plugin';
import { CTRL_INIT, GRP_CTRL, GRP_REGS, NR_REGS } from './uapi.js';

/** The device's state (`dev.private`). */
export interface DeviceState {
  readonly regs: Uint32Array;
  inited: boolean;
}

/** The attribute table: the typed API reads the payload sizes, the conformance kit reads it all. */
export const ATTRS: AttrTable = [
  {
    group: GRP_REGS,
    name: 'GRP_REGS',
    size: 4,
    access: 'rw',
    state: true,
    attrs: Array.from({ length: NR_REGS }, (_, i) => ({ attr: i, name: `REG${i}` })),
    doc: 'The scratch registers; read-only after CTRL_INIT (EBUSY).',
  },
  { group: GRP_CTRL, name: 'GRP_CTRL', size: 0, access: 'w', state: false, attrs: [{ attr: CTRL_INIT, name: 'CTRL_INIT' }], doc: 'CTRL_INIT freezes the registers.' },
];

/** The register an attr names, or -1. */
function regIndex(a: KvmDeviceAttr): number {
  return a.attrHi === 0 && a.attrLo < NR_REGS ? a.attrLo : -1;
}

/** The device's `struct kvm_device_ops`. */
export const ops: DeviceOps<DeviceState> = {
  name: 'kvm-scratch',
  create(dev) {
    for (const d of dev.kvm.devices) if (d !== dev && d.ops === ops) return -EEXIST; // one per VM
    dev.private = { regs: new Uint32Array(NR_REGS), inited: false };
    return 0;
  },
  release(dev) {
    dev.private = null;
  },
  setAttr(dev, a) {
    const st = dev.state;
    switch (a.group) {
      case GRP_REGS: {
        const i = regIndex(a);
        if (i < 0) return -ENXIO;
        const v = dev.kvm.host.mem.getU32(a.addr); // a bad address throws EFAULT before any change
        if (st.inited) return -EBUSY;
        st.regs[i] = v;
        return 0;
      }
      case GRP_CTRL:
        if (a.attrHi !== 0 || a.attrLo !== CTRL_INIT) return -ENXIO;
        if (st.inited) return -EBUSY;
        st.inited = true;
        return 0;
    }
    return -ENXIO;
  },
  getAttr(dev, a) {
    switch (a.group) {
      case GRP_REGS: {
        const i = regIndex(a);
        if (i < 0) return -ENXIO;
        dev.kvm.host.mem.setU32(a.addr, dev.state.regs[i]!);
        return 0;
      }
      case GRP_CTRL:
        return a.attrHi === 0 && a.attrLo === CTRL_INIT ? -EINVAL : -ENXIO; // write-only
    }
    return -ENXIO;
  },
  hasAttr(_dev, a) {
    if (a.group === GRP_REGS) return regIndex(a) >= 0 ? 0 : -ENXIO;
    if (a.group === GRP_CTRL) return a.attrHi === 0 && a.attrLo === CTRL_INIT ? 0 : -ENXIO;
    return -ENXIO;
  },
};
