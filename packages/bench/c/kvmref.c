/*
 * kvmdev bench: the real kernel's cost of the calls the model's figures are compared with,
 * measured on this machine's /dev/kvm. Written for kvmdev from the uapi numbers (linux/kvm.h
 * facts, spelled out below so no kernel headers are needed). Compiled by the bench with the
 * system gcc -O2 into a cache directory.
 *
 * Usage: kvmref <calls per loop> <loops> [<create+close calls per loop> [<key>]]
 * With <key>, only that figure is measured (the bench's paired samples: one short run of the real
 * call between two samples of a model figure). Prints one line per figure: "<key> <ns per call>" (median of the loops), or
 * "<key> skip <reason>" when that call cannot be made here.
 *   fionread     ioctl(FIONREAD) on a pipe (the cost of any ioctl() system call)
 *   has_attr     KVM_HAS_DEVICE_ATTR on a KVM-VFIO device fd (group KVM_DEV_VFIO_FILE, attr ADD)
 *   irq_line     KVM_IRQ_LINE on the x86 in-kernel irqchip (KVM_CREATE_IRQCHIP), level 1 and 0 alternating
 *   create_close KVM_CREATE_DEVICE (KVM_DEV_TYPE_VFIO) on a VM fd, then close() of the device fd
 *                (kvm_device_release waits for an RCU grace period: milliseconds, not nanoseconds)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* ioctl number encoding (asm-generic/ioctl.h): dir << 30 | size << 16 | type << 8 | nr */
#define IOC(dir, nr, size) ((unsigned long)(((dir) << 30) | ((size) << 16) | (0xAEu << 8) | (nr)))
#define IOC_NONE 0u
#define IOC_WRITE 1u
#define IOC_READ 2u

struct kvm_irq_level_s { uint32_t irq; uint32_t level; };                         /* 8 bytes */
struct kvm_create_device_s { uint32_t type; uint32_t fd; uint32_t flags; };          /* 12 bytes */
struct kvm_device_attr_s { uint32_t flags; uint32_t group; uint64_t attr; uint64_t addr; }; /* 24 bytes */

#define REQ_KVM_GET_API_VERSION IOC(IOC_NONE, 0x00, 0)
#define REQ_KVM_CREATE_VM IOC(IOC_NONE, 0x01, 0)
#define REQ_KVM_CREATE_IRQCHIP IOC(IOC_NONE, 0x60, 0)
#define REQ_KVM_IRQ_LINE IOC(IOC_WRITE, 0x61, 8)
#define REQ_KVM_CREATE_DEVICE IOC(IOC_READ | IOC_WRITE, 0xe0, 12)
#define REQ_KVM_HAS_DEVICE_ATTR IOC(IOC_WRITE, 0xe3, 24)
#define KVM_DEV_TYPE_VFIO 4
#define KVM_DEV_VFIO_FILE 1
#define KVM_DEV_VFIO_FILE_ADD 1

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static const char *only_key;
/* Whether figure `key` is to be measured (all of them without a key argument). */
static int wanted(const char *key) { return only_key == NULL || strcmp(only_key, key) == 0; }

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static long n_calls;
static int n_loops;
static volatile long sink;

/* Runs fn(n) once as a warm-up (a quarter), then n_loops timed loops; prints the median. */
static void report(const char *key, long (*fn)(long n), long n) {
  double s[64];
  fn(n / 4 + 1);
  for (int k = 0; k < n_loops; k++) {
    double t0 = now_ns();
    long bad = fn(n);
    s[k] = (now_ns() - t0) / (double)n;
    if (bad) {
      printf("%s skip %ld of %ld calls failed (errno %d: %s)\n", key, bad, n, errno, strerror(errno));
      return;
    }
  }
  qsort(s, (size_t)n_loops, sizeof s[0], cmp);
  printf("%s %.3f\n", key, s[n_loops / 2]);
  fflush(stdout);
}

static int pipe_fd = -1;
static long loop_fionread(long n) {
  int v = 0;
  long bad = 0;
  for (long i = 0; i < n; i++) bad += ioctl(pipe_fd, FIONREAD, &v) != 0;
  sink += v;
  return bad;
}

static int vfio_fd = -1;
static struct kvm_device_attr_s has_attr_arg;
static long loop_has_attr(long n) {
  long bad = 0;
  for (long i = 0; i < n; i++) bad += ioctl(vfio_fd, REQ_KVM_HAS_DEVICE_ATTR, &has_attr_arg) != 0;
  return bad;
}

static int irq_vm = -1;
static struct kvm_irq_level_s irq_up = {5, 1}, irq_down = {5, 0};
static long loop_irq_line(long n) {
  long bad = 0;
  for (long i = 0; i < n; i += 2) {
    bad += ioctl(irq_vm, REQ_KVM_IRQ_LINE, &irq_up) != 0;
    bad += ioctl(irq_vm, REQ_KVM_IRQ_LINE, &irq_down) != 0;
  }
  return bad;
}

static int dev_vm = -1;
static long loop_create_close(long n) {
  long bad = 0;
  for (long i = 0; i < n; i++) {
    struct kvm_create_device_s cd = {KVM_DEV_TYPE_VFIO, 0, 0};
    if (ioctl(dev_vm, REQ_KVM_CREATE_DEVICE, &cd) != 0) {
      bad++;
      continue;
    }
    bad += close((int)cd.fd) != 0;
  }
  return bad;
}

int main(int argc, char **argv) {
  n_calls = argc > 1 ? atol(argv[1]) : 1000000;
  n_loops = argc > 2 ? atoi(argv[2]) : 5;
  if (n_loops < 1) n_loops = 1;
  if (n_loops > 64) n_loops = 64;
  if (n_calls < 2) n_calls = 2;
  n_calls &= ~1L;
  long n_create = argc > 3 ? atol(argv[3]) : 100;
  if (n_create < 1) n_create = 1;
  only_key = argc > 4 ? argv[4] : NULL;

  int p[2];
  if (!wanted("fionread")) {
    /* not asked for */
  } else if (pipe(p) == 0) {
    pipe_fd = p[0];
    report("fionread", loop_fionread, n_calls);
  } else {
    printf("fionread skip pipe: %s\n", strerror(errno));
  }

  if (!wanted("has_attr") && !wanted("irq_line") && !wanted("create_close")) return 0;
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    const char *why = strerror(errno);
    printf("has_attr skip open /dev/kvm: %s\nirq_line skip open /dev/kvm: %s\ncreate_close skip open /dev/kvm: %s\n", why, why, why);
    return 0;
  }
  if (ioctl(kvm, REQ_KVM_GET_API_VERSION, 0) != 12) printf("# warning: KVM_GET_API_VERSION is not 12\n");

  /* KVM-VFIO allows one device per VM (EBUSY for a second): create + close churns on a VM of its own */
  dev_vm = wanted("create_close") ? ioctl(kvm, REQ_KVM_CREATE_VM, 0) : -2;
  if (dev_vm == -2) {
    /* not asked for */
  } else if (dev_vm < 0) printf("create_close skip KVM_CREATE_VM: %s\n", strerror(errno));
  else report("create_close", loop_create_close, n_create); /* the close waits for an RCU grace period: few calls */

  /* a VM with one KVM-VFIO device for the attr figure */
  int attr_vm = wanted("has_attr") ? ioctl(kvm, REQ_KVM_CREATE_VM, 0) : -2;
  if (attr_vm == -2) {
    /* not asked for */
  } else if (attr_vm < 0) {
    printf("has_attr skip KVM_CREATE_VM: %s\n", strerror(errno));
  } else {
    struct kvm_create_device_s cd = {KVM_DEV_TYPE_VFIO, 0, 0};
    if (ioctl(attr_vm, REQ_KVM_CREATE_DEVICE, &cd) != 0) {
      printf("has_attr skip KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO): %s\n", strerror(errno));
    } else {
      vfio_fd = (int)cd.fd;
      has_attr_arg.group = KVM_DEV_VFIO_FILE;
      has_attr_arg.attr = KVM_DEV_VFIO_FILE_ADD;
      report("has_attr", loop_has_attr, n_calls);
    }
  }

  /* a second VM with the in-kernel irqchip (x86: PIC + IOAPIC) for KVM_IRQ_LINE */
  irq_vm = wanted("irq_line") ? ioctl(kvm, REQ_KVM_CREATE_VM, 0) : -2;
  if (irq_vm == -2) {
    /* not asked for */
  } else if (irq_vm < 0) {
    printf("irq_line skip KVM_CREATE_VM: %s\n", strerror(errno));
  } else if (ioctl(irq_vm, REQ_KVM_CREATE_IRQCHIP, 0) != 0) {
    printf("irq_line skip KVM_CREATE_IRQCHIP: %s (not x86, or no in-kernel irqchip)\n", strerror(errno));
  } else {
    report("irq_line", loop_irq_line, n_calls);
  }
  return (int)(sink & 0);
}
