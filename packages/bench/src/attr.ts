/**
 * Attribute access, side by side: the syscall facade (host.ioctl KVM_GET/SET_DEVICE_ATTR with
 * the struct pre-built in host.mem), the typed API (`dev.getAttr` / `dev.setAttr`), and a
 * direct call of the plugin's accessor with a prepared KvmDeviceAttr (the floor), on the fake
 * core device, a GICv3 distributor register, an MPIC register and an XICS source.
 * @packageDocumentation
 */
import { KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR } from '@kvmdev/core';
import { type Rig, decodedAttr, fakeRig, gicv2Rig, gicv3Rig, mpicRig, vgicMissing, xicsRig } from './families.js';
import { type Figure, type RunFn, against, consume, judge, measure, skipped } from './harness.js';

const G = 'attr';
const FACADE_TARGET = 'facade attr access <= 0.5x one real device attr ioctl (has_attr)';
const TYPED_TARGET = 'typed <= 1.5x the direct accessor';

/** The figures of one family. */
async function family(label: string, rig: Rig): Promise<Figure[]> {
  const { f, devFd, dev } = rig;
  const host = f.host;
  const kdev = dev.device;
  const ops = kdev.ops;
  f.prepAttr(rig.attrGroup, rig.attrLo, rig.attrHi);
  const attrAddr = f.attr;
  // the payload as it stands, so SET writes back the same value
  if (host.ioctl(devFd, KVM_GET_DEVICE_ATTR, attrAddr) < 0) throw new Error(`${label}: GET failed (errno ${host.errno})`);
  const a = decodedAttr(rig.attrGroup, rig.attrLo, rig.attrHi, f.payload);
  const group = rig.attrGroup;
  const attr = rig.attrNum;
  const typedValue = dev.getAttr(group, attr);
  const getAttr = ops.getAttr!;
  const setAttr = ops.setAttr!;

  // every row is timed in alternation with one real KVM_HAS_DEVICE_ATTR, the typed row also with
  // its direct accessor (harness.ts timePaired): those ratios are per-pair medians
  const HAS = { real: 'has_attr' } as const;
  const rows = async (verb: 'get' | 'set', directRun: RunFn, request: number, typedRun: RunFn): Promise<Figure[]> => {
    const directName = `${label}: direct ops.${verb}Attr(dev, attr)`;
    const direct = await measure(G, directName, directRun, {}, undefined, HAS);
    const facade = await measure(
      G,
      `${label}: facade ioctl KVM_${verb.toUpperCase()}_DEVICE_ATTR`,
      (n) => {
        for (let i = 0; i < n; i++) consume(host.ioctl(devFd, request, attrAddr));
      },
      {},
      undefined,
      HAS,
    );
    const typed = await measure(G, `${label}: typed dev.${verb}Attr`, typedRun, {}, undefined, { ...HAS, ref: { name: directName, run: directRun } });
    direct.note = 'reference: the plugin accessor called with a prepared KvmDeviceAttr';
    against(facade, direct);
    facade.target = FACADE_TARGET;
    facade.status = 'met'; // the runner judges realRatio <= realMax
    facade.realMax = 0.5;
    judge(typed, TYPED_TARGET, typed.ratio! <= 1.5);
    return [direct, facade, typed];
  };
  const all = [
    ...(await rows(
      'get',
      (n) => {
        for (let i = 0; i < n; i++) consume(getAttr(kdev, a));
      },
      KVM_GET_DEVICE_ATTR,
      (n) => {
        for (let i = 0; i < n; i++) consume(dev.getAttr(group, attr) as number);
      },
    )),
    ...(await rows(
      'set',
      (n) => {
        for (let i = 0; i < n; i++) consume(setAttr(kdev, a));
      },
      KVM_SET_DEVICE_ATTR,
      (n) => {
        for (let i = 0; i < n; i++) dev.setAttr(group, attr, typedValue);
      },
    )),
  ];
  return all;
}

/** One process per family (a VMM process runs one family; no cross-family JIT pollution). */
export const attrUnits: Record<string, () => Promise<Figure[]>> = {
  'attr:fake': () => family('fake (core floor)', fakeRig()),
  'attr:gicv3': async () => {
    try {
      return await family('GICv3 GICD_IPRIORITYR', await gicv3Rig({ vcpus: 1, nrIrqs: 128 }));
    } catch (e) {
      return [skipped(G, 'GICv3 GICD_IPRIORITYR', vgicMissing() || (e as Error).message, `${FACADE_TARGET}; ${TYPED_TARGET}`)];
    }
  },
  'attr:gicv2': async () => {
    try {
      return await family('GICv2 GICD_IPRIORITYR', await gicv2Rig({ vcpus: 1, nrIrqs: 128 }));
    } catch (e) {
      return [skipped(G, 'GICv2 GICD_IPRIORITYR', vgicMissing() || (e as Error).message, `${FACADE_TARGET}; ${TYPED_TARGET}`)];
    }
  },
  'attr:mpic': () => family('MPIC IVPR (GRP_REGISTER)', mpicRig({ cpus: 1 })),
  'attr:xics': () => family('XICS source (GRP_SOURCES)', xicsRig({ servers: 1 })),
};
