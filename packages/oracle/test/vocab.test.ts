import {
  type UserMemory,
  createHost,
  kvm_arm_device_addr,
  kvm_create_device,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
  kvm_irq_routing,
  kvm_msi,
  kvm_one_reg,
  kvm_vcpu_init,
} from '@kvmdev/core';
import {
  CONSTANTS,
  REQUESTS,
  STRUCTS,
  encodeRequest,
  errnoName,
  errnoNumber,
} from '../src/index.js';
import { vocabHeader } from '../src/runner/vocab-header.js';

/** Writes a distinct byte pattern through the layout table and reads it back with core's codec. */
function viaTable(
  mem: UserMemory,
  addr: number,
  struct: string,
  values: Record<string, bigint>,
): void {
  const s = STRUCTS[struct]!;
  for (const [name, v] of Object.entries(values)) {
    const [field, idx] = name.includes('[')
      ? [name.slice(0, name.indexOf('[')), Number(name.slice(name.indexOf('[') + 1, -1))]
      : [name, 0];
    const f = s.fields.find((x) => x.name === field)!;
    const a = addr + f.offset + idx * f.size;
    if (f.size === 8) mem.setU64(a, v);
    else mem.setU32(a, Number(v));
  }
}

describe("struct layouts agree with @kvmdev/core's codecs", () => {
  const host = createHost();
  const mem = host.mem;
  const at = mem.alloc(256);
  const fresh = () => mem.fill(at, 256, 0);

  it('kvm_create_device', () => {
    fresh();
    viaTable(mem, at, 'kvm_create_device', { type: 7n, fd: 0x11n, flags: 1n });
    expect(kvm_create_device.read(mem, at)).toEqual({ type: 7, fd: 0x11, flags: 1 });
    expect(STRUCTS.kvm_create_device!.size).toBe(kvm_create_device.size);
  });
  it('kvm_device_attr', () => {
    fresh();
    viaTable(mem, at, 'kvm_device_attr', {
      flags: 1n,
      group: 2n,
      attr: 0x300000004n,
      addr: 0x5000000006n,
    });
    expect(kvm_device_attr.read(mem, at)).toEqual({
      flags: 1,
      group: 2,
      attr: 0x300000004n,
      addr: 0x5000000006n,
    });
    expect(STRUCTS.kvm_device_attr!.size).toBe(kvm_device_attr.size);
  });
  it('kvm_irq_level', () => {
    fresh();
    viaTable(mem, at, 'kvm_irq_level', { irq: 0x1000020n, level: 1n });
    expect(kvm_irq_level.read(mem, at)).toEqual({ irq: 0x1000020, level: 1 });
  });
  it('kvm_enable_cap', () => {
    fresh();
    viaTable(mem, at, 'kvm_enable_cap', {
      cap: 92n,
      flags: 0n,
      'args[0]': 5n,
      'args[3]': 0x900000001n,
    });
    expect(kvm_enable_cap.read(mem, at)).toEqual({
      cap: 92,
      flags: 0,
      args: [5n, 0n, 0n, 0x900000001n],
    });
    expect(STRUCTS.kvm_enable_cap!.size).toBe(kvm_enable_cap.size);
  });
  it('kvm_one_reg, kvm_arm_device_addr', () => {
    fresh();
    viaTable(mem, at, 'kvm_one_reg', { id: 0x603000000013c002n, addr: 0x1234n });
    expect(kvm_one_reg.read(mem, at)).toEqual({ id: 0x603000000013c002n, addr: 0x1234n });
    fresh();
    viaTable(mem, at, 'kvm_arm_device_addr', { id: 0x10001n, addr: 0x8000000n });
    expect(kvm_arm_device_addr.read(mem, at)).toEqual({ id: 0x10001n, addr: 0x8000000n });
  });
  it('kvm_msi', () => {
    fresh();
    viaTable(mem, at, 'kvm_msi', {
      address_lo: 0x8090040n,
      address_hi: 1n,
      data: 33n,
      flags: 1n,
      devid: 8n,
    });
    expect(kvm_msi.read(mem, at)).toEqual({
      addressLo: 0x8090040,
      addressHi: 1,
      data: 33,
      flags: 1,
      devid: 8,
    });
    expect(STRUCTS.kvm_msi!.size).toBe(kvm_msi.size);
  });
  it('kvm_irq_routing_entry (irqchip and msi)', () => {
    fresh();
    viaTable(mem, at, 'kvm_irq_routing_entry', {
      gsi: 3n,
      type: 1n,
      flags: 0n,
      'u.irqchip.irqchip': 0n,
      'u.irqchip.pin': 40n,
    });
    expect(kvm_irq_routing.readEntry(mem, at)).toEqual({
      gsi: 3,
      type: 1,
      flags: 0,
      irqchip: 0,
      pin: 40,
    });
    fresh();
    viaTable(mem, at, 'kvm_irq_routing_entry', {
      gsi: 4n,
      type: 2n,
      flags: 1n,
      'u.msi.address_lo': 0x1000n,
      'u.msi.address_hi': 2n,
      'u.msi.data': 7n,
      'u.msi.devid': 9n,
    });
    expect(kvm_irq_routing.readEntry(mem, at)).toEqual({
      gsi: 4,
      type: 2,
      flags: 1,
      addressLo: 0x1000,
      addressHi: 2,
      data: 7,
      devid: 9,
    });
    expect(STRUCTS.kvm_irq_routing_entry!.size).toBe(kvm_irq_routing.entrySize);
  });
  it('kvm_vcpu_init', () => {
    fresh();
    viaTable(mem, at, 'kvm_vcpu_init', { target: 5n, 'features[0]': 4n, 'features[6]': 1n });
    expect(kvm_vcpu_init.read(mem, at)).toEqual({ target: 5, features: [4, 0, 0, 0, 0, 0, 1] });
  });
  it('no field runs past its struct', () => {
    for (const s of Object.values(STRUCTS))
      for (const f of s.fields) expect(f.offset + f.size * f.count).toBeLessThanOrEqual(s.size);
  });
});

describe('requests', () => {
  it.each([
    ['KVM_SET_DEVICE_ATTR', 0x4018aee1, 0x8018aee1],
    ['KVM_CREATE_DEVICE', 0xc00caee0, 0xc00caee0],
    ['KVM_RUN', 0xae80, 0x2000ae80],
    ['KVM_ARM_PREFERRED_TARGET', 0x8020aeaf, 0x4020aeaf],
    ['KVM_PPC_RTAS_DEFINE_TOKEN', 0x4080aeac, 0x8080aeac],
    ['FIOCLEX', 0x5451, 0x20006601],
  ])('%s is 0x%s generic, 0x%s powerpc', (name, generic, ppc) => {
    expect(encodeRequest(name, 'generic')).toBe(generic);
    expect(encodeRequest(name, 'powerpc')).toBe(ppc);
  });
  it('unknown names are undefined', () => {
    expect(encodeRequest('KVM_NOPE', 'generic')).toBeUndefined();
  });
});

describe('errno names', () => {
  it('follow Linux (strerrorname_np on the probe side)', () => {
    expect(errnoName(22)).toBe('EINVAL');
    expect(errnoName(35)).toBe('EDEADLK');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(515)).toBe('E515');
    expect(errnoNumber('ENXIO')).toBe(6);
    expect(errnoNumber('E515')).toBe(515);
  });
});

describe('the probe vocabulary header', () => {
  const h = vocabHeader();
  it('has every constant, request and struct, each with its fallback', () => {
    for (const n of Object.keys(CONSTANTS)) expect(h).toContain(`#ifdef ${n}\n`);
    for (const n of Object.keys(REQUESTS)) expect(h).toContain(`{ "${n}",`);
    for (const s of Object.keys(STRUCTS))
      expect(h).toContain(`_Static_assert(sizeof(struct ${s}) == ${STRUCTS[s]!.size}`);
    expect(h).toContain(
      '{ "KVM_SET_DEVICE_ATTR", (unsigned long)_IOC(_IOC_WRITE, 0xae, 0xe1, 24), 0 },',
    );
    expect(h).toContain('#if defined(__aarch64__) && defined(KVM_ARM_VCPU_INIT)');
  });
});
