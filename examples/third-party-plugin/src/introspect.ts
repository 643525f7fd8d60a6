/**
 * How tools show a KVM-VFIO device in device terms. It has no interrupts and no get_attr, so
 * its state is what the device tracks: the VFIO files added through KVM_DEV_VFIO_FILE (with the
 * fds the VMM holds on them, their kind and coherency, an attached sPAPR TCE table) and whether
 * the VM does non-coherent DMA. An attribute call reads as what it did to that list.
 * @packageDocumentation
 */
import type {
  AccessReading,
  DeviceIntrospectSpec,
  DeviceView,
  IntrospectTarget,
  KFile,
  Kernel,
  RawAccess,
  StateField,
  StateSection,
} from '@kvmdev/core/plugin';
import { type KvmVfio, kvmVfioState } from './device.js';
import { vfioFileInfo } from './files.js';
import { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, KVM_DEV_VFIO_FILE_DEL, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE } from './uapi.js';

const ATTR_NAMES: Readonly<Record<number, string>> = {
  [KVM_DEV_VFIO_FILE_ADD]: 'KVM_DEV_VFIO_FILE_ADD',
  [KVM_DEV_VFIO_FILE_DEL]: 'KVM_DEV_VFIO_FILE_DEL',
  [KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE]: 'KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE',
};

/** The fds of this process that refer to `file`. */
function fdsOf(host: Kernel, file: KFile): number[] {
  return host.files
    .entries()
    .filter(([, f]) => f === file)
    .map(([fd]) => fd);
}

/** `vfio-group fd 7 (coherent)`, or `fd 7 (kvm-vm, not a VFIO file)`. */
function fileText(host: Kernel, file: KFile | null, fd?: number): string {
  const fds = file ? fdsOf(host, file) : [];
  const where = fd !== undefined ? `fd ${fd}` : fds.length ? `fd ${fds.join(', ')}` : 'no fd left (the device holds the last reference)';
  if (!file) return `${where} (not open)`;
  const info = vfioFileInfo(file);
  if (!info) return `${where} (${file.name}, not a VFIO file)`;
  return `${info.kind} ${where} (${info.coherent ? 'coherent' : 'non-coherent'})`;
}

class VfioView implements DeviceView {
  private readonly t: IntrospectTarget;
  constructor(t: IntrospectTarget) {
    this.t = t;
  }

  private get kv(): KvmVfio | null {
    return kvmVfioState(this.t.device.device);
  }

  summary(): string {
    const kv = this.kv;
    if (!kv) return 'KVM-VFIO (released)';
    return `KVM-VFIO, ${kv.files.length} file${kv.files.length === 1 ? '' : 's'} tracked, ${kv.noncoherent ? 'non-coherent' : 'coherent'} DMA`;
  }

  state(): StateSection[] {
    const kv = this.kv;
    const host = this.t.device.device.kvm.host;
    const files: StateField[] = (kv?.files ?? []).map((f, i) => {
      const info = vfioFileInfo(f.file);
      const tce = f.tceTable ? `, sPAPR TCE table ${fileText(host, f.tceTable).replace(/ \(.*\)$/, '')}` : '';
      return { name: `file ${i}`, value: info?.kind ?? f.file.name, text: `${fileText(host, f.file)}${tce}` };
    });
    return [
      { title: 'KVM_DEV_VFIO_FILE', fields: files.length ? files : [{ name: 'tracked files', value: 0, text: 'none' }] },
      { title: 'VM', fields: [{ name: 'non-coherent DMA', value: kv?.noncoherent ?? false, text: kv?.noncoherent ? 'yes (a tracked file is not coherent)' : 'no' }] },
    ];
  }

  describe(a: RawAccess): AccessReading | null {
    if (a.kind !== 'attr' || a.group !== KVM_DEV_VFIO_FILE) return null;
    const op = Number(a.attr);
    const name = ATTR_NAMES[op] ?? `attr ${op}`;
    const host = this.t.device.device.kvm.host;
    const kv = this.kv;
    if (a.op !== 'set' || a.value === null) return null;
    const fd = Number(BigInt.asIntN(32, a.value & 0xffffffffn));
    const file = host.files.get(fd);
    const tracked = `${kv?.files.length ?? 0} file${kv?.files.length === 1 ? '' : 's'} tracked, ${kv?.noncoherent ? 'non-coherent' : 'coherent'} DMA`;
    let text: string;
    if (op === KVM_DEV_VFIO_FILE_ADD) {
      const why: Record<string, string> = { EBADF: 'no such fd', EINVAL: 'not a VFIO file', EEXIST: 'already tracked', EFAULT: 'the fd could not be read' };
      if (!a.errno) text = `adds ${fileText(host, file, fd)}; ${tracked}`;
      else text = a.errno === 'EINVAL' && file ? `does not add ${fileText(host, file, fd)}` : `does not add fd ${fd}: ${why[a.errno] ?? a.errno}`;
    } else if (op === KVM_DEV_VFIO_FILE_DEL) {
      const why: Record<string, string> = { EBADF: 'no such fd', ENOENT: 'not tracked', EFAULT: 'the fd could not be read' };
      text = a.errno ? `does not remove fd ${fd}: ${why[a.errno] ?? a.errno}` : `removes ${fileText(host, file, fd)}; ${tracked}`;
    } else if (op === KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE) {
      const table = Number(BigInt.asIntN(32, a.value >> 32n));
      text = a.errno ? `does not attach TCE table fd ${table} to fd ${fd}: ${a.errno}` : `attaches the sPAPR TCE table fd ${table} to ${fileText(host, file, fd)}`;
    } else return { kind: 'access', text: name, data: { attr: name } };
    return { kind: 'access', text, data: { attr: name, fd } };
  }
}

/** How tools show a KVM-VFIO device (`DeviceRegistration.introspect`). */
export const vfioIntrospect: DeviceIntrospectSpec = {
  open: (t) => new VfioView(t),
};
