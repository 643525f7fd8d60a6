import { createHost } from '@kvmdev/core';
import {
  ScenarioSyntaxError,
  parseDivergences,
  parseExpr,
  parseScenario,
  runOnModel,
  stepKey,
} from '../src/index.js';

const host = { createHost: () => createHost() };
const run = (src: string) => runOnModel(parseScenario(src), host);
const texts = (src: string) => run(src).steps.map((s) => `${s.key} ${s.text}`);

describe('parser', () => {
  it.each([
    ['ioctl', 'ioctl takes 2 to 3 operand(s)', 1],
    ['x = show 1', 'only open, ioctl, close and dup return a value', 1],
    ['for i 0 4\nshow i', "block is not closed with 'end'", 1],
    ['end', "'end' without 'for' or 'fork'", 1],
    ['u64 v 1\nu64 v 2', "buffer 'v' is declared twice", 2],
    ['struct a kvm_nope', "unknown struct 'kvm_nope'", 1],
    ['struct a kvm_device_attr grp=1', 'kvm_device_attr has no field', 1],
    ['u64 v 1 ro\nset v 2', 'read-only', 2],
    ['let KVM_CAP_IRQCHIP 1', 'is a uapi name', 1],
    ['for i 0 4\nu32 x\nend', 'buffers are declared at the top level', 2],
    ['show 1+', 'expected a value', 1],
    ['struct c kvm_enable_cap\nset c.args 1', 'is an array; index it', 2],
    ['buf b 8\nshow b.u32', 'raw access needs an index', 2],
    ['target host\ntarget x', "'target' must be the first statement", 2],
    ['frob 1', "unknown statement 'frob'", 1],
    ['x = 1', 'only open, ioctl, close and dup return a value', 1],
  ])('%j fails with %j at line %d', (src, msg, line) => {
    let err: unknown;
    try {
      parseScenario(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioSyntaxError);
    expect((err as ScenarioSyntaxError).message).toContain(msg);
    expect((err as ScenarioSyntaxError).line).toBe(line);
  });

  it('reads the target line, comments and blank lines', () => {
    const s = parseScenario(
      '# a comment\n\ntarget host arm64-gicv3   # trailing\nkvm = open /dev/kvm\n',
    );
    expect(s.targets).toEqual(['host', 'arm64-gicv3']);
    expect(s.body).toHaveLength(1);
    expect(s.body[0]).toMatchObject({ s: 'open', line: 4, bind: 'kvm', path: '/dev/kvm' });
  });

  it('knows a request name from an expression', () => {
    const s = parseScenario('ioctl 3 KVM_RUN\nioctl 3 0xae80 0');
    expect(s.body[0]).toMatchObject({ request: 'KVM_RUN' });
    expect(s.body[1]).toMatchObject({ request: { k: 'num', v: 0xae80n } });
  });
});

describe('expressions', () => {
  const ev = (e: string, pre = '') => run(`${pre}\nshow ${e}`).steps.at(-1)!.text;
  it.each([
    ['1+2*3', '0x7'],
    ['(1+2)*3', '0x9'],
    ['1<<32|5', '0x100000005'],
    ['0x10>>4', '0x1'],
    ['-1', '0xffffffffffffffff'],
    ['~0&0xff', '0xff'],
    ['7%4^1', '0x2'],
    ['0b1010_0000', '0xa0'],
    ['1_000', '0x3e8'],
    ['1|2&3', '0x3'],
    ['10-2-3', '0x5'],
    ['KVM_DEV_TYPE_ARM_VGIC_V3', '0x7'],
    ['KVM_XICS_LEVEL_SENSITIVE', '0x10000000000'],
    ['NULL', '0x0'],
  ])('%s = %s', (e, v) => {
    expect(ev(e)).toBe(`${e}=${v}`);
  });

  it('reads fields and words from buffers, and takes addresses', () => {
    const t = texts(
      'struct a kvm_device_attr group=3 attr=(1<<32)|7\nbuf r 8\nset r.u16[1] 0xbeef\nshow a.attr a.group r.u32[0] r\nshow &a-a',
    );
    expect(t).toEqual([
      'L4 a.attr=0x100000007 a.group=0x3 r.u32[0]=0xbeef0000 r=0000efbe00000000',
      'L5 &a-a=0x0',
    ]);
  });

  it('reports runtime problems as a scenario error at the step', () => {
    const r = run('show 1\nfor i 0 2\nshow 1/(i-1)\nend');
    expect(r.error).toEqual({ key: 'L3.1', message: 'division by zero' });
    expect(r.steps.map((s) => s.key)).toEqual(['L1', 'L3.0']);
    expect(run('show nope').error?.message).toBe("unknown name 'nope'");
    expect(run('struct c kvm_enable_cap\nshow c.args[4]').error?.message).toContain(
      'beyond 4 elements',
    );
    expect(run('buf b 4\nshow b.u32[1]').error?.message).toContain('beyond the 4-byte buffer');
    expect(() => parseExpr('a.b', new Map())).toThrow("'a' is not a buffer");
  });
});

describe('the model interpreter', () => {
  it('keys steps by line and loop values, and binds results', () => {
    const t = texts(
      'kvm = open /dev/kvm\nfor i 0 2\nfor j 5 3 -1\nioctl kvm KVM_GET_API_VERSION i\nend\nend\nshow kvm',
    );
    expect(t).toEqual([
      'L1 =3',
      'L4.0.5 =12',
      'L4.0.4 =12',
      'L4.1.5 !EINVAL',
      'L4.1.4 !EINVAL',
      'L7 kvm=0x3',
    ]);
    expect(stepKey(4, [1n, 5n])).toBe('L4.1.5');
  });

  it('gives EFAULT for NULL, unmapped and read-only buffers', () => {
    const t = texts(
      'kvm = open /dev/kvm\nvm = ioctl kvm KVM_CREATE_VM 0\nioctl vm KVM_CREATE_DEVICE NULL\nioctl vm KVM_CREATE_DEVICE UNMAPPED\nstruct a kvm_irq_level irq=1 ro\nioctl vm KVM_IRQ_LINE_STATUS a',
    );
    expect(t.slice(2, 4)).toEqual(['L3 !EFAULT', 'L4 !EFAULT']);
  });

  it('binds -1 (all ones) for a failed call, and a closed fd is EBADF', () => {
    expect(texts('x = open /nope\nshow x\nclose 3')).toEqual([
      'L1 !ENOENT',
      'L2 x=0xffffffffffffffff',
      'L3 !EBADF',
    ]);
  });

  it('runs a fork block in another process: same fds, EIO for the VM, nothing leaks back', () => {
    const t = texts(
      [
        'kvm = open /dev/kvm',
        'vm = ioctl kvm KVM_CREATE_VM 0',
        'u64 v 5',
        'fork',
        '  show v',
        '  ioctl vm KVM_CHECK_EXTENSION 0',
        '  ioctl kvm KVM_GET_API_VERSION 0',
        '  c = ioctl kvm KVM_CREATE_VM 0',
        '  show c',
        '  set v 6',
        '  close kvm',
        'end',
        'show v',
        'ioctl kvm KVM_GET_API_VERSION 0',
        'n = dup kvm',
        'show n',
      ].join('\n'),
    );
    expect(t).toEqual([
      'L1 =3',
      'L2 =4',
      'L5 v=0x5',
      'L6 !EIO',
      'L7 =12',
      'L8 =5',
      'L9 c=0x5',
      'L11 =0',
      'L13 v=0x5',
      'L14 =12',
      'L15 =5',
      'L16 n=0x5',
    ]);
  });

  it('applies rlimit nofile', () => {
    expect(texts('rlimit nofile 4\nopen /dev/kvm\nopen /dev/kvm')).toEqual(['L2 =3', 'L3 !EMFILE']);
  });

  it('writes strings into byte arrays', () => {
    const r = run(
      'struct t kvm_rtas_token_args token=9\nsetstr t.name ibm,int-on\nshow t t.name[0] t.name[10]',
    );
    expect(r.steps[0]!.text).toBe('t.token=0x9 t.name[0]=0x69 t.name[10]=0x0');
    expect(run('buf b 3\nsetstr b.u8[0] abc').error?.message).toContain('does not fit');
  });
});

describe('loops', () => {
  it('stop rather than wrap around 0 or 2^64', () => {
    expect(texts('for i 4 0 -3\nshow i\nend')).toEqual(['L2.4 i=0x4', 'L2.1 i=0x1']);
    expect(texts('for i -2 -1 5\nshow i\nend')).toEqual(['L2.18446744073709551614 i=0xfffffffffffffffe']);
    expect(run('for i 0 2000000\nend').error?.message).toContain('more than 1000000 iterations');
  });
});

describe('divergence lists', () => {
  it('refuse an entry that would explain every step of every scenario', () => {
    const broad = JSON.stringify([{ target: '*', scenario: '*', steps: ['*'], kernel: '=0', model: '!EINVAL', reason: 'far too broad to be right' }]);
    expect(() => parseDivergences(broad, 'bug')).toThrow(/name the steps, or the scenario/);
    const fine = JSON.stringify([{ target: 'arm64-*', scenario: 'generic/kvm-fd.kvms', steps: ['*'], reason: 'every step of one scenario' }]);
    expect(parseDivergences(fine, 'pending')).toHaveLength(1);
  });
});
