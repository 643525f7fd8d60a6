import { H_CPPR, H_XIRR, KVM_INTERRUPT_SET } from '../src/index.js';
import { FACES, P5, setupT } from './harness.js';

describe.each(FACES)('smoke (%s)', (_n, make) => {
  test('vector 25/26 path', () => {
    const f = setupT(make);
    expect(f.getIcp(0)).toBe(0x00000000ffff0000n);
    expect(f.setAttr(1, 0x1000, P5)).toBe(0);
    expect(f.irqLine(0x1000, KVM_INTERRUPT_SET)).toBe(0);
    expect(f.getAttr(1, 0x1000)).toBe(0x00000c0500000000n);
    const g = f.vcpu(0).guest;
    expect(g.hypercall(H_CPPR, [0xff]).ret).toBe(0);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(g.line('external')).toBe(1);
    expect(g.hypercall(H_XIRR).out[0]).toBe(0xff001000);
  });
});
