/**
 * Issue 13 items 5-7 on arm64: KVM_CHECK_EXTENSION (arch/arm64/kvm/arm.c
 * kvm_vm_ioctl_check_extension and the generic CONFIG_HAVE_KVM_MSI answer), KVM_GET_VCPU_MMAP_SIZE
 * (kvm_dev_ioctl: the PIO page is x86 only), and the host profiles: kvm_vgic_hyp_init's device
 * registration (V2 only with GICv2 emulation, V3 only on a GICv3 host), max_gic_vcpus,
 * get_kvm_ipa_limit, num_online_cpus, and ICH_VTR_EL2's fields in ICC_CTLR_EL1 (vgic-sys-reg-v3.c
 * get/set_gic_ctlr, in the kernel's field order). Values of the QEMU TCG `-cpu max` host were
 * read on Linux 7.3.4 (kernel-oracle.md §2).
 */
import {
  E2BIG,
  EINVAL,
  ENODEV,
  KVM_CAP_ARM_EL1_32BIT,
  KVM_CAP_ARM_VM_IPA_SIZE,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_NR_VCPUS,
  KVM_CAP_SIGNAL_MSI,
  KVM_CAP_VCPU_ATTRIBUTES,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_IRQCHIP,
  KVM_CREATE_VM,
  KVM_GET_VCPU_MMAP_SIZE,
  type KvmPlugin,
  createHost,
} from '@kvmdev/core';
import { ioctlRet } from '@kvmdev/testing';
import {
  ARM64_HOSTS,
  ICC_CTLR_EL1,
  KVM_CAP_ARM_USER_IRQ,
  KVM_CAP_MSI_DEVID,
  armVgic,
  checkHostProfile,
  createArmVgic,
  gicv3Server,
  hostIccCtlr,
  qemuTcgMax,
} from '../src/index.js';
import { vgicItsCreated } from '../src/internal.js';
import { facade } from './helpers.js';

const CPU_SYSREGS = 6;
const presetsNames = Object.keys(ARM64_HOSTS);

function caps(plugin: KvmPlugin) {
  const host = createHost({ plugins: [plugin] });
  const kvm = host.open('/dev/kvm');
  const check = (fd: number, cap: number) => ioctlRet(host, fd, KVM_CHECK_EXTENSION, cap);
  return { host, kvm, check };
}

/** A GICv3 VM after CTRL_INIT on `plugin`'s host; `gic` is the device fd. */
function v3Vm(plugin: KvmPlugin, n = 1) {
  const f = facade(0, plugin);
  for (let i = 0; i < n; i++) f.vcpuInit(f.createVcpu(i));
  const gic = f.createDevice(7);
  expect(f.set(gic, 4, 0, 0, 0)).toBe(0);
  return { f, gic };
}

describe('KVM_CHECK_EXTENSION on arm64', () => {
  test('KVM_CAP_SIGNAL_MSI is 1 on /dev/kvm, on a VM without a GIC and with one', () => {
    const { host, kvm, check } = caps(armVgic);
    expect(check(kvm, KVM_CAP_SIGNAL_MSI)).toBe(1);
    const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
    expect(check(vm, KVM_CAP_SIGNAL_MSI)).toBe(1);
    const { f } = v3Vm(armVgic);
    expect(f.ioctl(f.vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI)).toBe(1);
  });
  test('KVM_CAP_VCPU_ATTRIBUTES is 1 on /dev/kvm and on a VM (arm64 vCPU fds serve the device-attr ioctls)', () => {
    // kvm_vm_ioctl_check_extension on arm64; Linux 7.3.4 answers 1 (oracle generic/kvm-fd L26)
    for (const name of presetsNames) {
      const { host, kvm, check } = caps(createArmVgic({ host: name }));
      expect(check(kvm, KVM_CAP_VCPU_ATTRIBUTES)).toBe(1);
      expect(check(host.ioctl(kvm, KVM_CREATE_VM, 0), KVM_CAP_VCPU_ATTRIBUTES)).toBe(1);
    }
  });
  test('KVM_CAP_ARM_USER_IRQ is 1', () => {
    const { host, kvm, check } = caps(armVgic);
    expect(check(kvm, KVM_CAP_ARM_USER_IRQ)).toBe(1);
    expect(check(host.ioctl(kvm, KVM_CREATE_VM, 0), KVM_CAP_ARM_USER_IRQ)).toBe(1);
  });
  test('KVM_CAP_MSI_DEVID: EINVAL on /dev/kvm (no VM), 0 on a VM, 1 once an ITS exists', () => {
    const { host, kvm, check } = caps(armVgic);
    expect(check(kvm, KVM_CAP_MSI_DEVID)).toBe(-EINVAL);
    const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
    expect(check(vm, KVM_CAP_MSI_DEVID)).toBe(0);
    vgicItsCreated(host.vmOf(vm));
    expect(check(vm, KVM_CAP_MSI_DEVID)).toBe(1);
  });
  test('KVM_GET_VCPU_MMAP_SIZE is 2 pages (8192) on every arm64 preset', () => {
    for (const name of presetsNames) {
      const { host, kvm } = caps(createArmVgic({ host: name }));
      expect(host.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)).toBe(8192);
    }
  });
});

describe('host profiles', () => {
  test('the QEMU TCG -cpu max host (GICv3 boot): IPA 52, NR_VCPUS 2, MAX_VCPUS 512, AArch32 EL1, no GICv2 emulation', () => {
    const p = createArmVgic({ host: 'qemu-tcg-max' });
    const { host, kvm, check } = caps(p);
    expect(check(kvm, KVM_CAP_ARM_VM_IPA_SIZE)).toBe(52);
    expect(check(kvm, KVM_CAP_NR_VCPUS)).toBe(2);
    expect(check(kvm, KVM_CAP_MAX_VCPUS)).toBe(512);
    expect(check(kvm, KVM_CAP_MAX_VCPU_ID)).toBe(512);
    expect(check(kvm, KVM_CAP_ARM_EL1_32BIT)).toBe(1);
    expect(host.ioctl(kvm, KVM_CREATE_VM, 52)).toBeGreaterThanOrEqual(0);
    expect(host.ioctl(kvm, KVM_CREATE_VM, 53)).toBe(-1);
    expect(host.errno).toBe(EINVAL);
    const f = facade(0, p);
    f.createVcpu(0);
    expect(f.createDevice(5)).toBe(-ENODEV); // type 5 is not registered on this host
    expect(f.ioctl(f.vm, KVM_CREATE_IRQCHIP, 0)).toBe(-ENODEV); // kvm_vgic_create's own check
    expect(f.createDevice(7)).toBeGreaterThanOrEqual(0);
  });
  test('ICC_CTLR_EL1 reads 0x8c00 on QEMU -cpu max (24 ID bits) and 0x8400 on the GICv3 server (16 ID bits)', () => {
    expect(hostIccCtlr(qemuTcgMax)).toBe(0x8c00);
    expect(hostIccCtlr(gicv3Server)).toBe(0x8400);
    const q = v3Vm(createArmVgic({ host: qemuTcgMax }));
    expect(q.f.get(q.gic, CPU_SYSREGS, ICC_CTLR_EL1, 8).v).toBe(0x8c00n);
    const s = v3Vm(armVgic);
    expect(s.f.get(s.gic, CPU_SYSREGS, ICC_CTLR_EL1, 8).v).toBe(0x8400n);
  });
  test('a Firecracker restore of ICC_CTLR_EL1 = 0x8c00 works on the matching profile and is EINVAL on a 16-ID-bit host', () => {
    const saved = 0x8c00n | 0x3n; // CBPR and EOImode set by the guest
    const q = v3Vm(createArmVgic({ host: 'qemu-tcg-max' }));
    expect(q.f.set(q.gic, CPU_SYSREGS, ICC_CTLR_EL1, saved, 8)).toBe(0);
    expect(q.f.get(q.gic, CPU_SYSREGS, ICC_CTLR_EL1, 8).v).toBe(saved);
    const s = v3Vm(armVgic);
    expect(s.f.set(s.gic, CPU_SYSREGS, ICC_CTLR_EL1, saved, 8)).toBe(-EINVAL);
    expect(s.f.get(s.gic, CPU_SYSREGS, ICC_CTLR_EL1, 8).v).toBe(0x8400n);
  });
  test('set_gic_ctlr stores PRIbits before it checks IDbits: a refused value can still lower PRIbits', () => {
    const s = v3Vm(armVgic);
    // PRIbits field 3 (4 bits, allowed: lower than 5) with IDbits 1 (24 bits, refused on a 16-bit host)
    expect(s.f.set(s.gic, CPU_SYSREGS, ICC_CTLR_EL1, 0x8b00n, 8)).toBe(-EINVAL);
    expect(s.f.get(s.gic, CPU_SYSREGS, ICC_CTLR_EL1, 8).v).toBe(0x8300n);
    // and SEIS/A3V must equal the host's
    expect(s.f.set(s.gic, CPU_SYSREGS, ICC_CTLR_EL1, 0x0300n, 8)).toBe(-EINVAL);
  });
  test('a GICv2 host: only KVM_DEV_TYPE_ARM_VGIC_V2, 8 vCPUs per VM from KVM_CREATE_VM on', () => {
    const p = createArmVgic({ host: 'gicv2-host' });
    const { host, kvm, check } = caps(p);
    expect(check(kvm, KVM_CAP_MAX_VCPUS)).toBe(8);
    expect(check(kvm, KVM_CAP_NR_VCPUS)).toBe(4);
    const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
    expect(check(vm, KVM_CAP_MAX_VCPUS)).toBe(8);
    const f = facade(0, p);
    for (let i = 0; i < 8; i++) expect(f.createVcpu(i)).toBeGreaterThanOrEqual(0);
    expect(f.createVcpu(8)).toBe(-EINVAL);
    expect(f.createDevice(7)).toBe(-ENODEV);
    expect(f.createDevice(5)).toBeGreaterThanOrEqual(0);
  });
  test('the GICv3 server keeps GICv2 emulation: a GICv2 with 9 vCPUs is E2BIG; NR_VCPUS 64, IPA 48, no AArch32 EL1', () => {
    const f = facade();
    for (let i = 0; i < 9; i++) f.createVcpu(i);
    expect(f.createDevice(5)).toBe(-E2BIG);
    const { check, kvm } = caps(armVgic);
    expect(check(kvm, KVM_CAP_NR_VCPUS)).toBe(64);
    expect(check(kvm, KVM_CAP_ARM_VM_IPA_SIZE)).toBe(48);
    expect(check(kvm, KVM_CAP_ARM_EL1_32BIT)).toBe(0);
  });
  test('the QEMU -cpu max gic-version=2 boot: a GICv2 host with 2 CPUs and IPA 52', () => {
    const { check, kvm } = caps(createArmVgic({ host: 'qemu-tcg-max-gicv2' }));
    expect(check(kvm, KVM_CAP_MAX_VCPUS)).toBe(8);
    expect(check(kvm, KVM_CAP_NR_VCPUS)).toBe(2);
    expect(check(kvm, KVM_CAP_ARM_VM_IPA_SIZE)).toBe(52);
  });
  test('profiles are data; unknown names and bad fields are refused with the reason', () => {
    expect(Object.keys(ARM64_HOSTS).sort()).toEqual(['gicv2-host', 'gicv3-server', 'qemu-tcg-max', 'qemu-tcg-max-gicv2']);
    for (const h of Object.values(ARM64_HOSTS)) expect(checkHostProfile(h)).toEqual([]);
    expect(() => createArmVgic({ host: 'raspberry' })).toThrow(/unknown arm64 host profile "raspberry"/);
    expect(() => createArmVgic({ host: { ...qemuTcgMax, ipaLimit: 60 } })).toThrow(/ipaLimit/);
    expect(armVgic.host).toBe(gicv3Server);
    expect(armVgic.withHost('qemu-tcg-max').host).toBe(qemuTcgMax);
    // one name on a host: a second instance of the plugin is refused
    expect(() => createHost({ plugins: [armVgic, createArmVgic({ host: qemuTcgMax })] })).toThrow(/already registered/);
  });
  test('the composition profile follows the host: devices and the vCPU limit', () => {
    const q = createArmVgic({ host: 'qemu-tcg-max' }).profiles![0]!;
    expect(q.devices).toEqual(['KVM_DEV_TYPE_ARM_VGIC_V3', 'KVM_DEV_TYPE_ARM_VGIC_ITS']);
    expect(q.maxVcpus).toBe(512);
    const v2 = createArmVgic({ host: 'gicv2-host' }).profiles![0]!;
    expect(v2.devices).toEqual(['KVM_DEV_TYPE_ARM_VGIC_V2']);
    expect(v2.maxVcpus).toBe(8);
  });
});
