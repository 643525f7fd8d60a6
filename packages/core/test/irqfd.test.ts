/**
 * KVM_IRQFD (virt/kvm/eventfd.c): assign, deassign, resample, the errno of kvm_irqfd, the atomic
 * and deferred injection paths through GSI routing, and the lifetimes (eventfd close, VM fd close).
 */
import {
  EAGAIN,
  EBADF,
  EBUSY,
  EFAULT,
  EINVAL,
  KVM_CAP_IRQFD,
  KVM_CAP_IRQFD_RESAMPLE,
  KVM_CHECK_EXTENSION,
  KVM_IRQFD,
  KVM_IRQFD_FLAG_DEASSIGN,
  KVM_IRQFD_FLAG_RESAMPLE,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_MSI_VALID_DEVID,
  createHost,
  kvm_irqfd,
  type KvmIrqRoutingEntry,
} from '@kvmdev/core';
import { KVM_HOOK_PASS, definePlugin, type IrqChip } from '@kvmdev/core/plugin';
import { ioctlErr, openVm } from './fixtures/sys.js';

const pinRoute = (gsi: number, pin: number): KvmIrqRoutingEntry => ({ gsi, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin });
const msiRoute = (gsi: number, data: number, devid = 0): KvmIrqRoutingEntry => ({
  gsi,
  type: KVM_IRQ_ROUTING_MSI,
  flags: KVM_MSI_VALID_DEVID,
  addressLo: 0x8090040,
  addressHi: 0,
  data,
  devid,
});

function world(chip: Partial<IrqChip> = {}, ready = 0) {
  const log: string[] = [];
  const plugin = definePlugin({
    name: 'irqfd-gate',
    version: '1.0.0',
    core: '*',
    hooks: { irqfdCheck: () => (ready === 0 ? KVM_HOOK_PASS : ready) },
  });
  const host = createHost({ plugins: [plugin] });
  const { kvm, vm } = openVm(host);
  const v = host.vmOf(vm);
  v.irqchip = {
    name: 'test-chip',
    numPins: 16,
    msi: true,
    msiDevid: true,
    setPin: (_c, pin, level) => (log.push(`pin ${pin}=${level}`), 1),
    setMsi: (_lo, _hi, data, _f, devid) => (log.push(`msi ${devid}:${data}`), 1),
    ...chip,
  };
  const buf = host.mem.alloc(32);
  const irqfd = (fd: number, gsi: number, flags = 0, resamplefd = 0): number => {
    kvm_irqfd.write(host.mem, buf, { fd, gsi, flags, resamplefd });
    return ioctlErr(host, vm, KVM_IRQFD, buf);
  };
  const wbuf = host.mem.alloc(8);
  const write = (fd: number, value: bigint): number => {
    host.mem.setU64(wbuf, value);
    return host.write(fd, wbuf, 8);
  };
  return { host, kvm, vm, v, log, irqfd, write };
}

describe('KVM_IRQFD assign/deassign', () => {
  test('a write injects the GSI through its route: the deferred path pulses 1 then 0, and consumes the counter', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(5, 9)], 0);
    const ev = w.host.eventfd();
    expect(w.irqfd(ev, 5)).toBe(0);
    expect(w.write(ev, 3n)).toBe(8);
    expect(w.log).toEqual(['pin 9=1', 'pin 9=0']);
    expect(w.host.vmOf(w.vm).irqfds.injected).toBe(1);
    const b = w.host.mem.alloc(8);
    expect(w.host.read(ev, b, 8) < 0 ? -w.host.errno : 0).toBe(-EAGAIN); // the irqfd took the count
  });

  test('the atomic path (kvm_arch_set_irq_inatomic) injects level 1 only; -EWOULDBLOCK falls back', () => {
    let atomic = true;
    const w = world({ setPinInatomic: (_c, pin) => (atomic ? (w.log.push(`atomic ${pin}`), 1) : -EAGAIN) });
    w.v.routing.set(w.v.irqchip, [pinRoute(1, 3)], 0);
    const ev = w.host.eventfd();
    w.irqfd(ev, 1);
    w.write(ev, 1n);
    atomic = false;
    w.write(ev, 1n);
    expect(w.log).toEqual(['atomic 3', 'pin 3=1', 'pin 3=0']);
  });

  test('MSI routes: atomic MSI path, else kvm_set_msi on the rising edge only; routing changes apply to bound irqfds', () => {
    const w = world({ setMsiInatomic: (_lo, _hi, data) => (data === 7 ? (w.log.push('cached 7'), 1) : -EAGAIN) });
    w.v.routing.set(w.v.irqchip, [msiRoute(2, 7, 4)], 0);
    const ev = w.host.eventfd();
    w.irqfd(ev, 2);
    w.write(ev, 1n);
    w.v.routing.set(w.v.irqchip, [msiRoute(2, 8, 4)], 0);
    w.write(ev, 1n);
    w.v.routing.set(w.v.irqchip, [], 0);
    w.write(ev, 1n); // no route: nothing
    expect(w.log).toEqual(['cached 7', 'msi 4:8']);
  });

  test('a GSI with two routes takes the deferred path (irq_entry.type = 0) and fires both', () => {
    const w = world({ numIrqchips: 2, setPinInatomic: () => (w.log.push('atomic'), 1) });
    w.v.routing.set(w.v.irqchip, [pinRoute(4, 1), { gsi: 4, type: 1, flags: 0, irqchip: 1, pin: 2 }], 0);
    const ev = w.host.eventfd();
    w.irqfd(ev, 4);
    w.write(ev, 1n);
    expect(w.log).toEqual(['pin 1=1', 'pin 2=1', 'pin 1=0', 'pin 2=0']);
  });

  test('errno: unknown flags EINVAL, intc not ready (arch) first, bad fd EBADF, not an eventfd EINVAL, eventfd already bound EBUSY', () => {
    const w = world();
    const ev = w.host.eventfd();
    expect(w.irqfd(ev, 0, 4)).toBe(-EINVAL);
    expect(w.irqfd(99, 0)).toBe(-EBADF);
    expect(w.irqfd(w.vm, 0)).toBe(-EINVAL);
    expect(w.irqfd(ev, 0)).toBe(0);
    expect(w.irqfd(ev, 1)).toBe(-EBUSY); // any GSI: the eventfd is the key
    expect(w.irqfd(w.host.dup(ev), 1)).toBe(-EBUSY); // a dup is the same eventfd
    const ev2 = w.host.eventfd();
    expect(w.irqfd(ev2, 0)).toBe(0); // a second eventfd on the same GSI is fine
    expect(w.v.irqfds.size).toBe(2);
    const gated = world({}, -EAGAIN);
    expect(gated.irqfd(99, 0)).toBe(-EAGAIN); // before the fd is looked at
    expect(ioctlErr(w.host, w.vm, KVM_IRQFD, 0)).toBe(-EFAULT);
  });

  test('deassign needs an eventfd fd (EBADF/EINVAL), matches (eventfd, gsi), and succeeds when nothing matches', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(0, 0)], 0);
    const ev = w.host.eventfd();
    w.irqfd(ev, 0);
    expect(w.irqfd(99, 0, KVM_IRQFD_FLAG_DEASSIGN)).toBe(-EBADF);
    expect(w.irqfd(w.vm, 0, KVM_IRQFD_FLAG_DEASSIGN)).toBe(-EINVAL);
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_DEASSIGN)).toBe(0);
    expect(w.v.irqfds.size).toBe(1);
    expect(w.irqfd(ev, 0, KVM_IRQFD_FLAG_DEASSIGN)).toBe(0);
    expect(w.v.irqfds.size).toBe(0);
    w.write(ev, 1n);
    expect(w.log).toEqual([]);
    expect(w.irqfd(ev, 0)).toBe(0); // bindable again
  });

  test('an event pending before the assign is injected at assign, without consuming the counter', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(3, 3)], 0);
    const ev = w.host.createEventFd(2);
    w.irqfd(ev.fd, 3);
    expect(w.log).toEqual(['pin 3=1', 'pin 3=0']);
    expect(ev.peek()).toBe(2n);
  });

  test('closing the last fd of the eventfd removes the irqfd (EPOLLHUP); closing the VM fd removes them all', () => {
    const w = world();
    const a = w.host.eventfd();
    const d = w.host.dup(a);
    w.irqfd(a, 0);
    w.host.close(a);
    expect(w.v.irqfds.size).toBe(1);
    w.host.close(d);
    expect(w.v.irqfds.size).toBe(0);
    const b = w.host.eventfd();
    w.irqfd(b, 1);
    const keep = w.host.dup(w.vm); // a second VM fd reference keeps the VM file open
    w.host.close(w.vm);
    expect(w.v.irqfds.size).toBe(1);
    w.host.close(keep);
    expect(w.v.irqfds.size).toBe(0);
  });

  test('an eventfd passed to another process (SCM_RIGHTS) still drives the irqfd', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(6, 6)], 0);
    const ev = w.host.eventfd();
    w.irqfd(ev, 6);
    const backend = createHost();
    const fd = backend.receiveFd(w.host, ev);
    const b = backend.mem.alloc(8);
    backend.mem.setU64(b, 1n);
    expect(backend.write(fd, b, 8)).toBe(8);
    expect(w.log).toEqual(['pin 6=1', 'pin 6=0']);
  });

  test('caps: KVM_CAP_IRQFD and KVM_CAP_IRQFD_RESAMPLE', () => {
    const w = world();
    expect(w.host.ioctl(w.kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD)).toBe(1);
    expect(w.host.ioctl(w.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE)).toBe(1);
  });
});

describe('KVM_IRQFD_FLAG_RESAMPLE', () => {
  test('level 1 on trigger; the guest EOI lowers the line and signals every resamplefd of the GSI', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(10, 12)], 0);
    const ev = w.host.eventfd();
    const rs = w.host.createEventFd();
    const ev2 = w.host.eventfd();
    const rs2 = w.host.createEventFd();
    expect(w.irqfd(ev, 10, KVM_IRQFD_FLAG_RESAMPLE, rs.fd)).toBe(0);
    expect(w.irqfd(ev2, 10, KVM_IRQFD_FLAG_RESAMPLE, rs2.fd)).toBe(0);
    w.write(ev, 1n);
    expect(w.log).toEqual(['pin 12=1']);
    w.v.notifyAckedIrq(0, 11); // another pin: nothing
    w.v.notifyAckedIrq(0, 12);
    expect(w.log).toEqual(['pin 12=1', 'pin 12=0']);
    expect([rs.peek(), rs2.peek()]).toEqual([1n, 1n]);
  });

  test('resamplefd errno: EBADF, EINVAL (not an eventfd); the last resampler of a GSI lowers the line when it goes', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(1, 1)], 0);
    const ev = w.host.eventfd();
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_RESAMPLE, 99)).toBe(-EBADF);
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_RESAMPLE, w.vm)).toBe(-EINVAL);
    const rs = w.host.eventfd();
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_RESAMPLE, rs)).toBe(0);
    expect(w.v.irqfds.resampling).toBe(true);
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_DEASSIGN)).toBe(0);
    expect(w.v.irqfds.resampling).toBe(false);
    expect(w.log).toEqual(['pin 1=0']);
  });

  test('an EBUSY resample assign unlinks its new resampler again (lowering the line), an existing one stays', () => {
    const w = world();
    w.v.routing.set(w.v.irqchip, [pinRoute(1, 1), pinRoute(2, 2)], 0);
    const ev = w.host.eventfd();
    const rs = w.host.eventfd();
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_RESAMPLE, rs)).toBe(0);
    expect(w.irqfd(ev, 2, KVM_IRQFD_FLAG_RESAMPLE, rs)).toBe(-EBUSY);
    expect(w.log).toEqual(['pin 2=0']);
    expect(w.irqfd(ev, 1, KVM_IRQFD_FLAG_RESAMPLE, rs)).toBe(-EBUSY);
    expect(w.log).toEqual(['pin 2=0']);
    expect(w.v.irqfds.resampling).toBe(true);
  });

  test('the typed API takes eventfd handles', () => {
    const w = world();
    const vmh = w.host.createVm();
    const v = w.host.vmOf(vmh.fd);
    v.irqchip = w.v.irqchip;
    v.routing.set(v.irqchip, [pinRoute(0, 4)], 0);
    const ev = w.host.createEventFd();
    const rs = w.host.createEventFd();
    vmh.irqfd({ fd: ev, gsi: 0, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rs });
    ev.signal();
    expect(w.log).toEqual(['pin 4=1']);
    vmh.irqfd({ fd: ev, gsi: 0, flags: KVM_IRQFD_FLAG_DEASSIGN });
    expect(() => vmh.irqfd({ fd: ev, gsi: 0, flags: 8 })).toThrow(/EINVAL/);
  });
});

describe('GSI routing rules the irqfds depend on (setup_routing_entry)', () => {
  test('a non-irqchip (MSI) route must be the only route of its GSI; kvm_irq_map_chip_pin keeps the last GSI of a pin', () => {
    const w = world({ numIrqchips: 2 });
    const r = w.v.routing;
    const chip = w.v.irqchip;
    expect(r.set(chip, [msiRoute(1, 1), pinRoute(1, 1)], 0)).toBe(-EINVAL);
    expect(r.set(chip, [pinRoute(1, 1), msiRoute(1, 1)], 0)).toBe(-EINVAL);
    expect(r.set(chip, [msiRoute(1, 1), msiRoute(1, 2)], 0)).toBe(-EINVAL);
    expect(r.set(chip, [{ ...msiRoute(1, 1), flags: 2 }], 0)).toBe(-EINVAL);
    expect(r.set(chip, [pinRoute(1, 1), { gsi: 1, type: 1, flags: 0, irqchip: 1, pin: 1 }], 0)).toBe(0);
    expect(r.set(chip, [pinRoute(3, 5), pinRoute(4, 5), msiRoute(6, 0)], 0)).toBe(0);
    expect(r.gsiOfPin(0, 5)).toBe(4);
    expect(r.gsiOfPin(0, 6)).toBe(-1);
    expect(r.gsiOfPin(1, 5)).toBe(-1);
  });
});
