/**
 * Model-based property test of lifetimes: random sequences of create/dup/close/holder
 * operations against a reference model. Checks that nothing leaks, nothing is freed twice,
 * release/destroy run exactly once at the right time, and no VM is freed early.
 * Runs: KVMDEV_FC_RUNS (default 200); seed: KVMDEV_FC_SEED (printed on failure by fast-check).
 */
import fc from 'fast-check';
import { createHost, KVM_CREATE_DEVICE, KVM_CREATE_VCPU, KVM_CREATE_VM } from '@kvmdev/core';
import { definePlugin, type DeviceOps } from '@kvmdev/core/plugin';

const RUNS = Number(process.env.KVMDEV_FC_RUNS ?? 200);
const SEED = process.env.KVMDEV_FC_SEED ? Number(process.env.KVMDEV_FC_SEED) : undefined;

type Op =
  | { k: 'vm' }
  | { k: 'vcpu'; pick: number }
  | { k: 'dev'; pick: number; style: 'release' | 'destroy' }
  | { k: 'dup'; pick: number }
  | { k: 'close'; pick: number }
  | { k: 'hold'; pick: number }
  | { k: 'unhold'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ k: 'vm' }),
  fc.nat(20).map<Op>((pick) => ({ k: 'vcpu', pick })),
  fc.tuple(fc.nat(20), fc.constantFrom<'release' | 'destroy'>('release', 'destroy')).map<Op>(([pick, style]) => ({ k: 'dev', pick, style })),
  fc.nat(40).map<Op>((pick) => ({ k: 'dup', pick })),
  fc.nat(40).map<Op>((pick) => ({ k: 'close', pick })),
  fc.nat(20).map<Op>((pick) => ({ k: 'hold', pick })),
  fc.nat(20).map<Op>((pick) => ({ k: 'unhold', pick })),
);

interface MFile { id: number; vm: number; kind: 'vm' | 'vcpu' | 'dev'; dev?: number; refs: number }
interface MDev { id: number; vm: number; style: 'release' | 'destroy'; released: number; destroyed: number }

test('lifetimes follow the reference model', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 8, max: 40 }), (ops, fdLimit) => {
      const calls: string[] = [];
      let devSeq = 0;
      const mk = (style: 'release' | 'destroy'): DeviceOps<{ id: number }> => ({
        name: `kvm-${style}`,
        create(dev) {
          dev.private = { id: devSeq++ };
          calls.push(`create:${dev.private.id}`);
          return 0;
        },
        ...(style === 'release'
          ? { release: (dev) => void calls.push(`release:${dev.state.id}`) }
          : { destroy: (dev) => void calls.push(`destroy:${dev.state.id}`) }),
      });
      const host = createHost({
        fdLimit,
        plugins: [
          definePlugin({
            name: 'p',
            version: '1',
            core: '*',
            devices: [
              { key: 'R', type: 4, ops: mk('release') as DeviceOps },
              { key: 'D', type: 6, ops: mk('destroy') as DeviceOps },
            ],
          }),
        ],
      });
      const freed: number[] = [];
      host.on((e) => {
        if (e.kind === 'vm-freed') freed.push(e.vm.uid);
      });
      const kvm = host.open('/dev/kvm');
      // model
      const fdMap = new Map<number, MFile>();
      const vms = new Map<number, { holders: number; freed: boolean; devs: MDev[]; vcpus: number }>();
      const devs = new Map<number, MDev>();
      let fileSeq = 0;
      const open = () => [...fdMap.keys()].sort((a, b) => a - b);
      const liveVms = () => [...vms.entries()].filter(([, v]) => !v.freed).map(([id]) => id);
      const vmFdOf = (vmId: number) => [...fdMap.entries()].find(([, f]) => f.vm === vmId && f.kind === 'vm')?.[0];
      const refsOfVm = (vmId: number) => {
        let n = vms.get(vmId)!.holders;
        const seen = new Set<MFile>();
        for (const f of fdMap.values()) if (f.vm === vmId && !seen.has(f)) { seen.add(f); n++; }
        return n;
      };
      const maybeFree = (vmId: number) => {
        const v = vms.get(vmId)!;
        if (!v.freed && refsOfVm(vmId) === 0) {
          v.freed = true;
          for (const d of v.devs) if (d.style === 'destroy') d.destroyed++;
        }
      };
      const vmUid = new Map<number, number>(); // model vm id -> kernel uid
      let modelVm = 0;

      for (const op of ops) {
        switch (op.k) {
          case 'vm': {
            const fd = host.ioctl(kvm, KVM_CREATE_VM, 0);
            if (fd < 0) break;
            const id = modelVm++;
            vms.set(id, { holders: 0, freed: false, devs: [], vcpus: 0 });
            vmUid.set(id, host.vmOf(fd).uid);
            fdMap.set(fd, { id: fileSeq++, vm: id, kind: 'vm', refs: 1 });
            break;
          }
          case 'vcpu': {
            const live = liveVms().filter((v) => vmFdOf(v) !== undefined);
            if (!live.length) break;
            const vmId = live[op.pick % live.length]!;
            const fd = host.ioctl(vmFdOf(vmId)!, KVM_CREATE_VCPU, vms.get(vmId)!.vcpus);
            if (fd < 0) break;
            vms.get(vmId)!.vcpus++;
            fdMap.set(fd, { id: fileSeq++, vm: vmId, kind: 'vcpu', refs: 1 });
            break;
          }
          case 'dev': {
            const live = liveVms().filter((v) => vmFdOf(v) !== undefined);
            if (!live.length) break;
            const vmId = live[op.pick % live.length]!;
            const cd = host.mem.alloc(12);
            host.mem.setU32(cd, op.style === 'release' ? 4 : 6);
            const r = host.ioctl(vmFdOf(vmId)!, KVM_CREATE_DEVICE, cd);
            const id = devSeq - 1;
            if (r < 0) {
              // fd table full: the device was created then torn down on the error path
              const d: MDev = { id, vm: vmId, style: op.style, released: op.style === 'release' ? 1 : 0, destroyed: op.style === 'destroy' ? 1 : 0 };
              devs.set(id, d);
              break;
            }
            const d: MDev = { id, vm: vmId, style: op.style, released: 0, destroyed: 0 };
            devs.set(id, d);
            vms.get(vmId)!.devs.push(d);
            fdMap.set(host.mem.getU32(cd + 4), { id: fileSeq++, vm: vmId, kind: 'dev', dev: id, refs: 1 });
            break;
          }
          case 'dup': {
            const fds = open();
            if (!fds.length) break;
            const fd = fds[op.pick % fds.length]!;
            const n = host.dup(fd);
            if (n < 0) break;
            const f = fdMap.get(fd)!;
            f.refs++;
            fdMap.set(n, f);
            break;
          }
          case 'close': {
            const fds = open();
            if (!fds.length) break;
            const fd = fds[op.pick % fds.length]!;
            expect(host.close(fd)).toBe(0);
            const f = fdMap.get(fd)!;
            fdMap.delete(fd);
            if (--f.refs === 0 && f.kind === 'dev') {
              const d = devs.get(f.dev!)!;
              if (d.style === 'release') {
                d.released++;
                const v = vms.get(f.vm)!;
                v.devs = v.devs.filter((x) => x !== d);
              }
            }
            maybeFree(f.vm);
            break;
          }
          case 'hold': {
            const live = liveVms();
            if (!live.length) break;
            const vmId = live[op.pick % live.length]!;
            const uid = vmUid.get(vmId)!;
            [...host.liveVms].find((v) => v.uid === uid)!.get();
            vms.get(vmId)!.holders++;
            break;
          }
          case 'unhold': {
            const held = liveVms().filter((v) => vms.get(v)!.holders > 0);
            if (!held.length) break;
            const vmId = held[op.pick % held.length]!;
            const uid = vmUid.get(vmId)!;
            [...host.liveVms].find((v) => v.uid === uid)!.put();
            vms.get(vmId)!.holders--;
            maybeFree(vmId);
            break;
          }
        }
        // invariants after every step
        expect(host.liveVms.size).toBe(liveVms().length);
        for (const [id, v] of vms) expect(freed.includes(vmUid.get(id)!)).toBe(v.freed);
        expect(new Set(freed).size).toBe(freed.length); // never freed twice
        for (const d of devs.values()) {
          const rel = calls.filter((c) => c === `release:${d.id}`).length;
          const des = calls.filter((c) => c === `destroy:${d.id}`).length;
          expect([d.id, rel, des]).toEqual([d.id, d.released, d.destroyed]);
          expect(rel + des).toBeLessThanOrEqual(1);
        }
      }
      // close everything: nothing leaks
      for (const fd of open()) host.close(fd);
      for (const [id, v] of vms) {
        const uid = vmUid.get(id)!;
        const kv = [...host.liveVms].find((x) => x.uid === uid);
        for (let i = 0; i < v.holders; i++) kv?.put();
      }
      expect(host.liveVms.size).toBe(0);
      for (const d of devs.values()) {
        const n = calls.filter((c) => c === `release:${d.id}` || c === `destroy:${d.id}`).length;
        expect(n).toBe(1); // every successful create got exactly one of release/destroy
      }
      expect(host.files.openCount).toBe(4); // std fds + /dev/kvm
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
