/**
 * KVM-VFIO in device terms: the setup spec opens and adds the VFIO files a VM file lists, and the
 * introspection spec shows the tracked files (the fds the VMM holds, kind, coherency) and reads
 * each KVM_DEV_VFIO_FILE call as what it did to them.
 */
import { applySetup, composeVm, createHost } from '@kvmdev/core';
import { definePlugin } from '@kvmdev/core/plugin';
import { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, KVM_DEV_VFIO_FILE_DEL, VFIO_DEVICE_KEY, openVfioGroup, vfio, vfioSetup } from '../src/index.js';

/** An architecture for the VM (KVM-VFIO joins any). */
const bare = definePlugin({ name: 'bare-arch', version: '0.0.0', core: '*', profiles: [{ name: 'bare', doc: 'a VM with no irqchip', devices: [] }] });

function setup(settings: Record<string, unknown>) {
  const host = createHost({ plugins: [bare, vfio] });
  const c = composeVm(host, { arch: 'bare', vcpus: 1, devices: [{ type: VFIO_DEVICE_KEY, name: 'vfio', settings }] });
  const dev = c.devices[0]!.handle;
  const view = vfio.devices[0].introspect.open({ vm: c.vm, device: dev, vcpus: c.vcpus });
  const call = (attr: number, fd: number): string | null => {
    const buf = host.scratch();
    host.mem.setU32(buf, fd);
    try {
      dev.attrRaw('set', KVM_DEV_VFIO_FILE, attr, buf);
      return null;
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  return { host, c, view, call };
}

describe('setup spec', () => {
  test('validates the files setting with paths', () => {
    expect(vfioSetup.validate({ files: [{ kind: 'vfio-group' }, { kind: 'pci', coherent: 'no', x: 1 }] }, { vcpus: 1 })).toEqual([
      { path: 'files[1].x', message: 'unknown field; a file has kind, coherent' },
      { path: 'files[1].kind', message: 'expected vfio-group or vfio-device, got "pci"' },
      { path: 'files[1].coherent', message: 'expected true or false' },
    ]);
    expect(vfioSetup.validate({ files: 'x' }, { vcpus: 1 })).toEqual([{ path: 'files', message: 'expected a list of files such as { kind: vfio-group }' }]);
    expect(vfioSetup.validate({}, { vcpus: 1 })).toEqual([]);
  });
});

describe('introspection', () => {
  test('shows the files the setup added, with the fds the VMM holds', () => {
    const { view } = setup({ files: [{ kind: 'vfio-group' }, { kind: 'vfio-device', coherent: false }] });
    expect(view.interrupts).toBeUndefined();
    expect(view.guest).toBeUndefined();
    expect(view.summary()).toBe('KVM-VFIO, 2 files tracked, non-coherent DMA');
    const [files, vm] = view.state();
    expect(files!.title).toBe('KVM_DEV_VFIO_FILE');
    expect(files!.fields.map((f) => f.text)).toEqual([expect.stringMatching(/^vfio-group fd \d+ \(coherent\)$/), expect.stringMatching(/^vfio-device fd \d+ \(non-coherent\)$/)]);
    expect(vm).toEqual({ title: 'VM', fields: [{ name: 'non-coherent DMA', value: true, text: 'yes (a tracked file is not coherent)' }] });
  });

  test('reads each file call as what it did; a closed fd still tracked shows as held by the device', () => {
    const { host, view, call } = setup({});
    expect(view.state()[0]!.fields).toEqual([{ name: 'tracked files', value: 0, text: 'none' }]);
    const fd = openVfioGroup(host, { coherent: false });
    expect(call(KVM_DEV_VFIO_FILE_ADD, fd)).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'set', group: KVM_DEV_VFIO_FILE, attr: BigInt(KVM_DEV_VFIO_FILE_ADD), value: BigInt(fd), errno: null })!.text).toBe(
      `adds vfio-group fd ${fd} (non-coherent); 1 file tracked, non-coherent DMA`,
    );
    expect(call(KVM_DEV_VFIO_FILE_ADD, fd)).toBe('EEXIST');
    expect(view.describe({ kind: 'attr', op: 'set', group: KVM_DEV_VFIO_FILE, attr: BigInt(KVM_DEV_VFIO_FILE_ADD), value: BigInt(fd), errno: 'EEXIST' })!.text).toBe(`does not add fd ${fd}: already tracked`);
    expect(view.describe({ kind: 'attr', op: 'set', group: KVM_DEV_VFIO_FILE, attr: BigInt(KVM_DEV_VFIO_FILE_DEL), value: 999n, errno: 'EBADF' })!.text).toBe('does not remove fd 999: no such fd');
    expect(view.describe({ kind: 'attr', op: 'has', group: KVM_DEV_VFIO_FILE, attr: BigInt(KVM_DEV_VFIO_FILE_ADD), value: null, errno: null })).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'set', group: 9, attr: 0n, value: 0n, errno: 'ENXIO' })).toBeNull();
    host.close(fd);
    expect(view.state()[0]!.fields[0]!.text).toBe('vfio-group no fd left (the device holds the last reference) (non-coherent)');
  });

  test('the setup needs the simulated kernel (a typed-API DeviceHandle)', () => {
    const host = createHost({ plugins: [vfio] });
    const ctx = { host, vm: { ioctl: () => 0, setGsiRouting: () => {} }, vcpus: [] };
    const noKernel = { fd: 3, host, attrRaw: () => 0 };
    expect(() => applySetup(vfioSetup, ctx, noKernel, { files: [{}] })).toThrow(/EOPNOTSUPP/);
  });
});
