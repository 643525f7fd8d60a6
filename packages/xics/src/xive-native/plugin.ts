/**
 * The XIVE native plugin: registers KVM_DEV_TYPE_XIVE (9) with its attribute table, and the
 * hooks around it: KVM_CHECK_EXTENSION(KVM_CAP_PPC_IRQ_XIVE), the vCPU connect, the per-vCPU
 * registers of a XIVE vCPU, and the book3s answers for a VM whose irqchip is the XIVE.
 * @packageDocumentation
 */
import { EFAULT, EINVAL, ENOTTY, EPERM, KVM_CAP_IRQ_ROUTING, KVM_CAP_SIGNAL_MSI, type KvmPlugin } from '@kvmdev/core';
import { KVM_HOOK_PASS, definePlugin, type Kernel, type KvmHooks, type Vcpu, type Vm } from '@kvmdev/core/plugin';
import { XICS_IRQ_CONNECTION } from '../hooks.js';
import { KVM_REG_PPC_ICP_STATE, KVM_REG_PPC_VP_STATE } from '../uapi.js';
import { connectVcpu, getIcpStateOfXive, getVpState, setVpState, vpStateOwner, type XiveConnectOptions } from './connect.js';
import { XIVE_NATIVE_ATTRS, makeXiveNativeOps } from './device.js';
import { xiveNativeIntrospect } from './introspect.js';
import { xiveNativeOf, xivePresenterOf } from './state.js';
import { KVM_CAP_PPC_IRQ_XIVE, KVM_DEV_TYPE_XIVE } from './uapi.js';

/** Options of {@link createXivePlugin}. */
export type XivePluginOptions = XiveConnectOptions;

/**
 * A vCPU connected to the VM's XICS on a host that has the XIVE native device: there the XICS is
 * XICS-on-XIVE (the native device exists only where xive_enabled()), so the vCPU has a XIVE
 * presenter that is not a native one, and KVM_REG_PPC_VP_STATE is EPERM (kvmppc_xive_native_get_vp
 * / set_vp: kvmppc_xive_enabled(vcpu) is false) instead of ENXIO.
 */
function xicsOnXive(vcpu: Vcpu): boolean {
  return vcpu.irqConnection === XICS_IRQ_CONNECTION;
}

function hooksOf(ops: ReturnType<typeof makeXiveNativeOps>, options: XivePluginOptions): KvmHooks {
  const ours = (vm: Vm): boolean => xiveNativeOf(vm) !== undefined;
  return {
    checkExtension(_host: Kernel, vm: Vm | null, cap: number): number {
      if (cap === KVM_CAP_PPC_IRQ_XIVE) return 1;
      // book3s has neither MSI injection nor GSI routing, with the XIVE as with the XICS
      if (vm !== null && ours(vm) && (cap === KVM_CAP_SIGNAL_MSI || cap === KVM_CAP_IRQ_ROUTING)) return 0;
      return KVM_HOOK_PASS;
    },
    // powerpc has no VM or vCPU device attributes (ENOTTY / EINVAL before the struct is read)
    vmAttrIoctl: (vm: Vm): number => (ours(vm) ? -ENOTTY : KVM_HOOK_PASS),
    vcpuAttrIoctl: (vcpu: Vcpu): number => (ours(vcpu.vm) ? -EINVAL : KVM_HOOK_PASS),
    vcpuEnableCap(vcpu: Vcpu, cap: number, args: readonly bigint[]): number {
      if (cap !== KVM_CAP_PPC_IRQ_XIVE) return KVM_HOOK_PASS;
      return connectVcpu(ops, vcpu, args, options);
    },
    getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id === KVM_REG_PPC_VP_STATE) {
        if (xicsOnXive(vcpu)) return -EPERM;
        const p = vpStateOwner(vcpu);
        if (typeof p === 'number') return xivePresenterOf(vcpu) === undefined ? KVM_HOOK_PASS : p;
        return getVpState(p, vcpu.vm.host.mem, addr);
      }
      if (id === KVM_REG_PPC_ICP_STATE && xivePresenterOf(vcpu) !== undefined) return getIcpStateOfXive(vcpu.vm.host.mem, addr);
      return KVM_HOOK_PASS;
    },
    setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_VP_STATE || (xivePresenterOf(vcpu) === undefined && !xicsOnXive(vcpu))) return KVM_HOOK_PASS;
      // kvm_vcpu_ioctl_set_one_reg copies the 16 bytes in first
      if (!vcpu.vm.host.mem.ok(addr, 16)) return -EFAULT;
      if (xicsOnXive(vcpu)) return -EPERM;
      const p = vpStateOwner(vcpu);
      if (typeof p === 'number') return p;
      return setVpState(p, vcpu.vm.host.mem, addr);
    },
  };
}

/**
 * Builds a XIVE native plugin (`xive` is `createXivePlugin()`). It carries no host profile: load it
 * beside the ppc64 host's XICS plugin, in either order, e.g. `[createXicsPlugin({ host: 'powernv9' }), xive]`.
 */
export function createXivePlugin(options: XivePluginOptions = {}): KvmPlugin {
  const ops = makeXiveNativeOps();
  return definePlugin({
    name: '@kvmdev/xics/xive',
    version: '0.1.0',
    core: '^0.1.0',
    devices: [{ key: 'KVM_DEV_TYPE_XIVE', type: KVM_DEV_TYPE_XIVE, ops, attrs: XIVE_NATIVE_ATTRS, introspect: xiveNativeIntrospect }],
    hooks: hooksOf(ops, options),
    ...(Object.keys(options).length ? { options: { ...options } } : {}),
    configure: (o: Readonly<Record<string, unknown>>) => createXivePlugin(xiveOptionsOf(o)),
  });
}

/** Checks options from a file. */
function xiveOptionsOf(o: Readonly<Record<string, unknown>>): XivePluginOptions {
  for (const k of Object.keys(o)) if (k !== 'requirePapr') throw new TypeError(`${k}: unknown option; @kvmdev/xics/xive takes requirePapr`);
  if (o.requirePapr !== undefined && typeof o.requirePapr !== 'boolean') throw new TypeError('requirePapr: expected true or false');
  return o as XivePluginOptions;
}

/** The XIVE native plugin (KVM_DEV_TYPE_XIVE): `createHost({ plugins: [xive, createXicsPlugin({ host })] })`. */
export const xive: KvmPlugin = createXivePlugin();
