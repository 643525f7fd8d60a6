/**
 * Random raw ioctls on every kind of fd of a VM built by the caller: the syscall facade must
 * never throw, must return -1 only with a documented errno (never EIO unless the VM was bugged
 * on purpose, never the kernel-internal ENOIOCTLCMD), and no plugin may throw (a throw bugs the VM).
 * @packageDocumentation
 */
import fc from 'fast-check';
import * as K from '@kvmdev/core';
import type { Host, KvmPlugin } from '@kvmdev/core';

/** The fds a run may hit, built fresh for each run. */
export interface RawIoctlWorld {
  /** The host the fds belong to. */
  readonly host: Host;
  /** Every fd to aim at (system, VM, vCPUs, devices, and whatever else the device needs). */
  readonly fds: readonly number[];
  /** Extra request numbers the family serves (added to the generic KVM ones). */
  readonly requests?: readonly number[];
}

/** Options of {@link checkRawIoctls}. */
export interface RawIoctlOptions {
  /** Plugins the fresh host of each run is created with. */
  readonly plugins: readonly KvmPlugin[];
  /** Builds the world on a fresh host created with the plugins. */
  build(host: Host): Omit<RawIoctlWorld, 'host'>;
  /** Runs (default 100; env KVMDEV_FC_RUNS may raise it). */
  readonly runs?: number;
  /** Seed (default: KVMDEV_FC_SEED, else random). */
  readonly seed?: number;
  /** Calls per run (default 30). */
  readonly steps?: number;
}

/** The result of a run: ok, or the failure with the seed to replay it. */
export interface RawIoctlReport {
  /** True when no run found a throw, an undocumented errno or a bugged VM. */
  readonly ok: boolean;
  /** Raw ioctls issued over all runs. */
  readonly calls: number;
  /** `"<runs> runs, <calls> calls"` on success, else the failure with the `KVMDEV_FC_SEED` to replay it. */
  readonly message: string;
}

const GENERIC = [
  K.KVM_GET_API_VERSION, K.KVM_CREATE_VM, K.KVM_CHECK_EXTENSION, K.KVM_GET_VCPU_MMAP_SIZE, K.KVM_CREATE_VCPU,
  K.KVM_CREATE_IRQCHIP, K.KVM_IRQ_LINE, K.KVM_IRQ_LINE_STATUS, K.KVM_SET_GSI_ROUTING, K.KVM_SIGNAL_MSI,
  K.KVM_CREATE_DEVICE, K.KVM_SET_DEVICE_ATTR, K.KVM_GET_DEVICE_ATTR, K.KVM_HAS_DEVICE_ATTR, K.KVM_RUN,
  K.KVM_ENABLE_CAP, K.KVM_GET_ONE_REG, K.KVM_SET_ONE_REG, K.KVM_ARM_VCPU_INIT, K.KVM_ARM_PREFERRED_TARGET,
  K.KVM_ARM_SET_DEVICE_ADDR, K.KVM_PPC_RTAS_DEFINE_TOKEN, K.KVM_INTERRUPT,
];

// EIO is allowed: a dead VM (kvm_vm_dead) answers KVM_RUN with it; a plugin bug is caught separately.
const DOCUMENTED = new Set(Object.keys(K.ERRNO_NAMES).map(Number).filter((e) => e !== K.ENOIOCTLCMD));

function envInt(name: string): number | undefined {
  const v = typeof process !== 'undefined' ? process.env[name] : undefined;
  return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

/**
 * Fires random requests (generic KVM ones, the family's own, and random 32-bit numbers) with
 * random arguments (0, small integers, NULL-page, unmapped and in-buffer pointers over random
 * bytes) at random fds of the world.
 */
export function checkRawIoctls(o: RawIoctlOptions): RawIoctlReport {
  // the environment can raise the run count (long runs) but not lower a caller's; an explicit
  // seed wins over KVMDEV_FC_SEED (a test that pins a seed means it)
  const runs = Math.max(envInt('KVMDEV_FC_RUNS') ?? 0, o.runs ?? 100);
  const seed = o.seed ?? envInt('KVMDEV_FC_SEED');
  let calls = 0;
  const prop = fc.property(
    fc.array(
      fc.record({
        fd: fc.nat(63),
        req: fc.oneof(fc.nat(GENERIC.length + 15), fc.nat({ max: 0xffffffff }).map((n) => -1 - n)),
        arg: fc.oneof(fc.constant(0), fc.nat(64), fc.constant(4092), fc.constant(2 ** 40), fc.nat(511).map((x) => -2 - x)),
        bytes: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      }),
      { minLength: Math.min(10, o.steps ?? 30), maxLength: o.steps ?? 30, size: 'max' },
    ),
    (steps) => {
      const host = K.createHost({ plugins: o.plugins });
      const bugs: string[] = [];
      host.on((e) => {
        if (e.kind === 'vm-bugged') bugs.push(`${e.where}: ${String(e.error)}`);
      });
      const w = o.build(host);
      const reqs = [...GENERIC, ...(w.requests ?? [])];
      const buf = host.mem.alloc(1024);
      for (const s of steps) {
        const fd = w.fds[s.fd % w.fds.length]!;
        const req = s.req >= 0 ? reqs[s.req % reqs.length]! : -1 - s.req;
        host.mem.write(buf + 512, s.bytes);
        const arg = s.arg <= -2 ? buf + (-2 - s.arg) : s.arg;
        calls++;
        const r = host.ioctl(fd, req, arg);
        if (bugs.length) throw new Error(`ioctl(${fd}, 0x${req.toString(16)}, ${arg}): a plugin threw (${bugs[0]})`);
        if (r < 0 && (r !== -1 || !DOCUMENTED.has(host.errno)))
          throw new Error(`ioctl(${fd}, 0x${req.toString(16)}, ${arg}) returned ${r}, errno ${host.errno} (${K.errnoName(host.errno)}), not a documented errno`);
      }
      return true;
    },
  );
  const res = fc.check(prop, { numRuns: runs, ...(seed !== undefined ? { seed } : {}) });
  if (!res.failed) return { ok: true, calls, message: `${runs} runs, ${calls} calls` };
  const err = res.errorInstance instanceof Error ? res.errorInstance.message : String(res.errorInstance);
  return { ok: false, calls, message: `${err}; replay with KVMDEV_FC_SEED=${res.seed}` };
}
