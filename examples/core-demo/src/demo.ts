/**
 * The core demo: one device, driven through the syscall facade (as a C program would) and
 * through the typed API, then closed and torn down.
 *   pnpm --filter @kvmdev/example-core-demo demo
 */
import {
  createHost,
  KVM_CAP_DEVICE_CTRL,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_GET_API_VERSION,
  KVM_GET_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  kvm_device_attr,
} from '@kvmdev/core';
import { counterPlugin } from './counter-device.js';

const check = process.argv.includes('--check');
const out: string[] = [];
const say = (s: string) => out.push(s);

const host = createHost({ plugins: [counterPlugin] });
host.on((e) => say(`  event: ${e.kind}`));
const counterType = host.deviceType('@kvmdev/example:counter');

// ---- face 1: the syscall facade, line by line like C ----
say('syscall facade');
const kvm = host.open('/dev/kvm');
say(`  KVM_GET_API_VERSION = ${host.ioctl(kvm, KVM_GET_API_VERSION)}`);
say(`  KVM_CHECK_EXTENSION(KVM_CAP_DEVICE_CTRL) = ${host.ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)}`);
const vmfd = host.ioctl(kvm, KVM_CREATE_VM, 0);
const vcpufd = host.ioctl(vmfd, KVM_CREATE_VCPU, 0);
const cd = host.mem.alloc(12); // struct kvm_create_device
host.mem.setU32(cd, counterType);
if (host.ioctl(vmfd, KVM_CREATE_DEVICE, cd) < 0) throw new Error(`KVM_CREATE_DEVICE: errno ${host.errno}`);
const devfd = host.mem.getU32(cd + 4);
say(`  KVM_CREATE_DEVICE(type 0x${counterType.toString(16)}) -> fd ${devfd}`);
const base = host.mem.alloc(8);
host.mem.setU64(base, 0x1000_0000n);
const attr = host.mem.alloc(24); // struct kvm_device_attr
kvm_device_attr.write(host.mem, attr, { flags: 0, group: 2, attr: 0n, addr: BigInt(base) });
say(`  KVM_SET_DEVICE_ATTR(BASE = 0x10000000) = ${host.ioctl(devfd, KVM_SET_DEVICE_ATTR, attr)}`);
const guest = host.guest(vcpufd);
for (let i = 0; i < 3; i++) guest.mmioWrite(0x1000_0000, 4, i);
const val = host.mem.alloc(4);
kvm_device_attr.write(host.mem, attr, { flags: 0, group: 1, attr: 0n, addr: BigInt(val) });
host.ioctl(devfd, KVM_GET_DEVICE_ATTR, attr);
say(`  after 3 guest writes, KVM_GET_DEVICE_ATTR(VALUE) -> ${host.mem.getU32(val)}`);
kvm_device_attr.write(host.mem, attr, { flags: 0, group: 9, attr: 0n, addr: BigInt(val) });
say(`  KVM_GET_DEVICE_ATTR(group 9) = ${host.ioctl(devfd, KVM_GET_DEVICE_ATTR, attr)}, errno ${host.errno} (ENXIO)`);
host.close(devfd);
say('  closed the device fd: a destroy-style device lives on until VM teardown');
say(`  guest read after close -> ${guest.mmioRead(0x1000_0000, 4)}`);
host.close(vcpufd);
host.close(vmfd);

// ---- face 2: the typed API over the same objects ----
say('typed API');
const vm = host.createVm();
const v0 = vm.createVcpu(0);
const dev = vm.createDevice('@kvmdev/example:counter');
dev.setAttr(2, 0, 0x2000_0000n);
v0.guest.mmioWrite(0x2000_0000, 4, 1);
say(`  value after one guest write: ${dev.getAttr(1, 0)}`);
try {
  vm.createDevice('@kvmdev/example:counter');
} catch (e) {
  say(`  second create: ${(e as Error).message}`);
}
dev.close();
v0.close();
vm.close();
say(`  live VMs: ${host.liveVms.size}`);

if (check) {
  const text = out.join('\n');
  const expected = ['after 3 guest writes, KVM_GET_DEVICE_ATTR(VALUE) -> 3', 'value after one guest write: 1', 'second create: EEXIST', 'live VMs: 0'];
  for (const e of expected) if (!text.includes(e)) throw new Error(`demo check failed: missing "${e}"\n${text}`);
  console.log('core demo: 4 passed, 0 failed');
} else {
  console.log(out.join('\n'));
}
