/*
 * kvms: the kernel-side interpreter of kvmdev's scenario language (.kvms files).
 *
 * It reads the same scenario text as the TypeScript interpreter (src/interp/model.ts) and issues
 * the same calls on a real /dev/kvm, printing one line per step:
 *
 *   @K <key> <answer>      key = L<line>[.<loop value>...]; answer = "=<ret>", "!<ERRNO>" or "label=0x.."
 *
 * and around each scenario "@S <name>" and "@D <exit status>". A scenario error prints
 * "@E <key> <message>" and ends the scenario. "--vocab" prints every name of the language with the
 * value this build took from the target's kernel headers ("@N <name> 0x<value> h") or from the
 * language's own table ("f", the headers lack it).
 *
 * Run as pid 1 (the initramfs /init of a QEMU boot) it mounts /dev and /proc, loads the modules in
 * /modules.list with finit_module(2), prints "@V" (uname) and the vocabulary, runs every scenario in
 * /scenarios.list, prints "@Z" and powers the machine off.
 *
 * Every scenario runs in a child process of its own (fresh fd table and memory). Buffers are
 * mmap'd pages; read-only ones are mprotect'ed PROT_READ; UNMAPPED is a PROT_NONE page.
 *
 * Build: gcc -static -O2 -I<dir with vocab.h> -o kvms kvms.c  (vocab.h is generated from the
 * TypeScript tables by the runner: src/runner/vocab-header.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SZ_64K
#define SZ_64K 0x10000
#endif
#if defined(__has_include)
#if __has_include(<linux/bits.h>)
#include <linux/bits.h>
#endif
#endif
#include <linux/kvm.h>

struct kvms_const { const char *name; uint64_t value; int from_header; };
struct kvms_req { const char *name; unsigned long value; int from_header; };
struct kvms_field { const char *name; unsigned offset, size, count; };
struct kvms_struct { const char *name; unsigned size; const struct kvms_field *fields; unsigned nfields; };

#include "vocab.h"

#define NCONSTS (sizeof(KVMS_CONSTS) / sizeof(KVMS_CONSTS[0]))
#define NREQS (sizeof(KVMS_REQS) / sizeof(KVMS_REQS[0]))
#define NSTRUCTS (sizeof(KVMS_STRUCTS) / sizeof(KVMS_STRUCTS[0]))

/* ------------------------------------------------------------------ output */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
	buf[n++] = '\n';
	ssize_t off = 0;
	while (off < n) {
		ssize_t w = write(1, buf + off, n - off);
		if (w <= 0) { if (w < 0 && errno == EINTR) continue; return; }
		off += w;
	}
}

/* ------------------------------------------------------------------ the program */

enum kind { S_OPEN, S_IOCTL, S_CLOSE, S_DUP, S_SHOW, S_LET, S_STRUCT, S_BUF, S_U32, S_U64, S_SET, S_SETSTR, S_FOR, S_FORK, S_END, S_RLIMIT, S_TARGET };

#define MAXTOK 64
struct stmt {
	int line;
	enum kind kind;
	char *bind;
	int ntok;          /* operands after the keyword */
	char *tok[MAXTOK];
	int end;           /* for/fork: index of the matching end */
};

static struct stmt *prog;
static int nprog;

enum bufkind { B_STRUCT, B_RAW, B_U32, B_U64 };
struct buffer {
	char *name;
	enum bufkind kind;
	const struct kvms_struct *type;
	unsigned size;
	int ro;
	unsigned char *mem;
};
#define MAXBUF 1024
static struct buffer bufs[MAXBUF];
static int nbufs;

#define MAXSYM 1024
static char *symname[MAXSYM];
static uint64_t symval[MAXSYM];
static int nsyms;

#define MAXLOOP 16
static uint64_t loopval[MAXLOOP];
static int nloops;
static int cur_line;
static unsigned char *unmapped_page;

static const char *key(void)
{
	static char k[512];
	int n = snprintf(k, sizeof k, "L%d", cur_line);
	for (int i = 0; i < nloops && n < (int)sizeof k - 24; i++) n += snprintf(k + n, sizeof k - n, ".%llu", (unsigned long long)loopval[i]);
	return k;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	out("@E %s %s", key(), msg);
	_exit(3);
}

/* ------------------------------------------------------------------ parsing (the TS parser has checked the text) */

static const struct { const char *kw; enum kind k; } KEYWORDS[] = {
	{"open", S_OPEN}, {"ioctl", S_IOCTL}, {"close", S_CLOSE}, {"dup", S_DUP}, {"show", S_SHOW}, {"let", S_LET},
	{"struct", S_STRUCT}, {"buf", S_BUF}, {"u32", S_U32}, {"u64", S_U64}, {"set", S_SET}, {"setstr", S_SETSTR},
	{"for", S_FOR}, {"fork", S_FORK}, {"end", S_END}, {"rlimit", S_RLIMIT}, {"target", S_TARGET},
};

static void parse(char *text)
{
	int cap = 256, line = 0;
	prog = calloc(cap, sizeof *prog);
	int stack[64], depth = 0;
	char *save = NULL;
	for (char *l = text; l; l = save) {
		save = strchr(l, '\n');
		if (save) *save++ = 0;
		line++;
		char *hash = strchr(l, '#');
		if (hash) *hash = 0;
		char *toks[MAXTOK + 3];
		int nt = 0;
		for (char *t = strtok(l, " \t\r"); t && nt < MAXTOK + 3; t = strtok(NULL, " \t\r")) toks[nt++] = t;
		if (nt == 0) continue;
		if (nprog == cap) { cap *= 2; prog = realloc(prog, cap * sizeof *prog); }
		struct stmt *s = &prog[nprog];
		memset(s, 0, sizeof *s);
		s->line = line;
		int first = 0;
		if (nt >= 3 && strcmp(toks[1], "=") == 0) { s->bind = toks[0]; first = 2; }
		int found = 0;
		for (size_t i = 0; i < sizeof KEYWORDS / sizeof KEYWORDS[0]; i++)
			if (strcmp(toks[first], KEYWORDS[i].kw) == 0) { s->kind = KEYWORDS[i].k; found = 1; }
		cur_line = line;
		if (!found) die("unknown statement '%s'", toks[first]);
		s->ntok = nt - first - 1;
		for (int i = 0; i < s->ntok; i++) s->tok[i] = toks[first + 1 + i];
		if (s->kind == S_FOR || s->kind == S_FORK) stack[depth++] = nprog;
		if (s->kind == S_END) {
			if (depth == 0) die("'end' without a block");
			prog[stack[--depth]].end = nprog;
		}
		nprog++;
	}
	if (depth) { cur_line = prog[stack[depth - 1]].line; die("block not closed"); }
}

/* ------------------------------------------------------------------ names */

static struct buffer *find_buf(const char *name, size_t len)
{
	for (int i = 0; i < nbufs; i++)
		if (strlen(bufs[i].name) == len && strncmp(bufs[i].name, name, len) == 0) return &bufs[i];
	return NULL;
}

static int find_sym(const char *name, size_t len)
{
	for (int i = 0; i < nsyms; i++)
		if (strlen(symname[i]) == len && strncmp(symname[i], name, len) == 0) return i;
	return -1;
}

static void set_sym(const char *name, uint64_t v)
{
	int i = find_sym(name, strlen(name));
	if (i < 0) {
		if (nsyms == MAXSYM) die("too many symbols");
		i = nsyms++;
		symname[i] = strdup(name);
	}
	symval[i] = v;
}

static void unset_sym(const char *name)
{
	int i = find_sym(name, strlen(name));
	if (i < 0) return;
	free(symname[i]);
	symname[i] = symname[nsyms - 1];
	symval[i] = symval[nsyms - 1];
	nsyms--;
}

static const struct kvms_const *find_const(const char *name, size_t len)
{
	for (size_t i = 0; i < NCONSTS; i++)
		if (strlen(KVMS_CONSTS[i].name) == len && strncmp(KVMS_CONSTS[i].name, name, len) == 0) return &KVMS_CONSTS[i];
	return NULL;
}

static const struct kvms_req *find_req(const char *name)
{
	for (size_t i = 0; i < NREQS; i++)
		if (strcmp(KVMS_REQS[i].name, name) == 0) return &KVMS_REQS[i];
	return NULL;
}

static const struct kvms_struct *find_struct(const char *name)
{
	for (size_t i = 0; i < NSTRUCTS; i++)
		if (strcmp(KVMS_STRUCTS[i].name, name) == 0) return &KVMS_STRUCTS[i];
	return NULL;
}

/* ------------------------------------------------------------------ expressions */

struct place { unsigned char *p; unsigned size; unsigned len; };

static const char *ep;       /* cursor in the expression being evaluated */
static const char *etext;    /* the whole expression, for messages */
static uint64_t expr(int minprec);
static struct place path_at(struct buffer *b, const char *start);

static int isid0(int c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
static int isid(int c) { return isid0(c) || (c >= '0' && c <= '9'); }

static int binop(int *len)
{
	if ((ep[0] == '<' && ep[1] == '<') || (ep[0] == '>' && ep[1] == '>')) { *len = 2; return 8; }
	*len = 1;
	switch (*ep) {
	case '*': case '/': case '%': return 10;
	case '+': case '-': return 9;
	case '&': return 7;
	case '^': return 6;
	case '|': return 5;
	}
	return -1;
}

static uint64_t read_place(struct place pl)
{
	uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
	switch (pl.size) {
	case 1: memcpy(&u8, pl.p, 1); return u8;
	case 2: memcpy(&u16, pl.p, 2); return u16;
	case 4: memcpy(&u32, pl.p, 4); return u32;
	default: memcpy(&u64, pl.p, 8); return u64;
	}
}

static void write_place(struct place pl, uint64_t v)
{
	uint8_t u8 = v; uint16_t u16 = v; uint32_t u32 = v;
	switch (pl.size) {
	case 1: memcpy(pl.p, &u8, 1); break;
	case 2: memcpy(pl.p, &u16, 2); break;
	case 4: memcpy(pl.p, &u32, 4); break;
	default: memcpy(pl.p, &v, 8); break;
	}
}

static uint64_t atom(void)
{
	if (*ep == '(') {
		ep++;
		uint64_t v = expr(0);
		if (*ep != ')') die("missing ')' in '%s'", etext);
		ep++;
		return v;
	}
	if (*ep >= '0' && *ep <= '9') {
		uint64_t v = 0;
		if (ep[0] == '0' && (ep[1] == 'x' || ep[1] == 'X')) {
			ep += 2;
			for (;; ep++) {
				int c = *ep, d;
				if (c == '_') continue;
				if (c >= '0' && c <= '9') d = c - '0';
				else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
				else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
				else break;
				v = v * 16 + d;
			}
		} else if (ep[0] == '0' && ep[1] == 'b') {
			ep += 2;
			for (; *ep == '0' || *ep == '1' || *ep == '_'; ep++) if (*ep != '_') v = v * 2 + (*ep - '0');
		} else {
			for (; (*ep >= '0' && *ep <= '9') || *ep == '_'; ep++) if (*ep != '_') v = v * 10 + (*ep - '0');
		}
		return v;
	}
	if (!isid0(*ep)) die("expected a value at '%s' in '%s'", ep, etext);
	const char *s = ep;
	while (isid(*ep)) ep++;
	size_t n = ep - s;
	struct buffer *b = find_buf(s, n);
	if (b) {
		if (*ep == '.') return read_place(path_at(b, s));
		return (uint64_t)(uintptr_t)b->mem;
	}
	if (n == 4 && strncmp(s, "NULL", 4) == 0) return 0;
	if (n == 8 && strncmp(s, "UNMAPPED", 8) == 0) return (uint64_t)(uintptr_t)unmapped_page;
	int si = find_sym(s, n);
	if (si >= 0) return symval[si];
	const struct kvms_const *c = find_const(s, n);
	if (c) return c->value;
	die("unknown name '%.*s'", (int)n, s);
}

static uint64_t unary(void)
{
	if (*ep == '-') { ep++; return -unary(); }
	if (*ep == '~') { ep++; return ~unary(); }
	if (*ep == '&') {
		ep++;
		const char *s = ep;
		while (isid(*ep)) ep++;
		struct buffer *b = find_buf(s, ep - s);
		if (!b) die("'&' needs a buffer in '%s'", etext);
		return (uint64_t)(uintptr_t)b->mem;
	}
	return atom();
}

static uint64_t expr(int minprec)
{
	uint64_t a = unary();
	for (;;) {
		int len, prec = binop(&len);
		if (prec < 0 || prec < minprec) return a;
		char op = *ep;
		ep += len;
		uint64_t b = expr(prec + 1);
		switch (op) {
		case '*': a *= b; break;
		case '/': if (!b) die("division by zero"); a /= b; break;
		case '%': if (!b) die("division by zero"); a %= b; break;
		case '+': a += b; break;
		case '-': a -= b; break;
		case '<': if (b > 63) die("shift by 64 or more"); a <<= b; break;
		case '>': if (b > 63) die("shift by 64 or more"); a >>= b; break;
		case '&': a &= b; break;
		case '^': a ^= b; break;
		case '|': a |= b; break;
		}
	}
}

static uint64_t eval(const char *text)
{
	const char *save_ep = ep, *save_text = etext;
	ep = etext = text;
	uint64_t v = expr(0);
	if (*ep) die("unexpected '%s' in expression '%s'", ep, text);
	ep = save_ep;
	etext = save_text;
	return v;
}

/* `ep` is right after the buffer name (at '.', '[' or the end). */
static struct place path_at(struct buffer *b, const char *start)
{
	(void)start;
	struct place pl;
	if (*ep != '.') {
		pl.p = b->mem;
		pl.size = pl.len = b->kind == B_U32 ? 4 : 8;
		return pl;
	}
	ep++;
	const char *f = ep;
	while (isid(*ep) || (*ep == '.' && isid(ep[1]))) ep++;
	size_t fn = ep - f;
	uint64_t idx = 0;
	int has_idx = 0;
	if (*ep == '[') {
		ep++;
		idx = expr(0);
		if (*ep != ']') die("missing ']' in '%s'", etext);
		ep++;
		has_idx = 1;
	}
	(void)has_idx;
	unsigned raw = 0;
	if (fn == 2 && strncmp(f, "u8", 2) == 0) raw = 1;
	else if (fn == 3 && strncmp(f, "u16", 3) == 0) raw = 2;
	else if (fn == 3 && strncmp(f, "u32", 3) == 0) raw = 4;
	else if (fn == 3 && strncmp(f, "u64", 3) == 0) raw = 8;
	if (raw) {
		if (idx > b->size || idx * raw + raw > b->size) die("'%s' is beyond the %u-byte buffer", etext, b->size);
		pl.p = b->mem + idx * raw;
		pl.size = pl.len = raw;
		return pl;
	}
	if (b->kind != B_STRUCT) die("'%s': not a struct", etext);
	for (unsigned i = 0; i < b->type->nfields; i++) {
		const struct kvms_field *fd = &b->type->fields[i];
		if (strlen(fd->name) != fn || strncmp(fd->name, f, fn) != 0) continue;
		if (idx >= fd->count) die("'%s': index %llu is beyond %u elements", etext, (unsigned long long)idx, fd->count);
		pl.p = b->mem + fd->offset + idx * fd->size;
		pl.size = fd->size;
		pl.len = fd->size * (fd->count - idx);
		return pl;
	}
	die("'%s': no field '%.*s'", etext, (int)fn, f);
}

static struct place path(const char *text)
{
	const char *save_ep = ep, *save_text = etext;
	ep = etext = text;
	const char *s = ep;
	while (isid(*ep)) ep++;
	struct buffer *b = find_buf(s, ep - s);
	if (!b) die("'%s' is not a buffer", text);
	struct place pl = path_at(b, s);
	if (*ep) die("unexpected '%s' in path '%s'", ep, text);
	ep = save_ep;
	etext = save_text;
	return pl;
}

/* ------------------------------------------------------------------ steps */

static void alarm_handler(int sig) { (void)sig; }

static void answer(const char *bind, long r, int err)
{
	if (r < 0) {
		const char *n = strerrorname_np(err);
		if (n) out("@K %s !%s", key(), n);
		else out("@K %s !E%d", key(), err);
		if (bind) set_sym(bind, ~(uint64_t)0);
	} else {
		out("@K %s =%ld", key(), r);
		if (bind) set_sym(bind, (uint64_t)r);
	}
}

static void show(struct stmt *s)
{
	char line[8192];
	int n = 0;
	for (int i = 0; i < s->ntok && n < (int)sizeof line - 256; i++) {
		const char *t = s->tok[i];
		struct buffer *b = find_buf(t, strlen(t));
		if (i) line[n++] = ' ';
		if (!b) {
			n += snprintf(line + n, sizeof line - n, "%s=0x%llx", t, (unsigned long long)eval(t));
			continue;
		}
		switch (b->kind) {
		case B_U32: { uint32_t v; memcpy(&v, b->mem, 4); n += snprintf(line + n, sizeof line - n, "%s=0x%llx", t, (unsigned long long)v); break; }
		case B_U64: { uint64_t v; memcpy(&v, b->mem, 8); n += snprintf(line + n, sizeof line - n, "%s=0x%llx", t, (unsigned long long)v); break; }
		case B_RAW:
			n += snprintf(line + n, sizeof line - n, "%s=", t);
			for (unsigned j = 0; j < b->size && n < (int)sizeof line - 4; j++) n += snprintf(line + n, sizeof line - n, "%02x", b->mem[j]);
			break;
		case B_STRUCT: {
			int firstf = 1;
			for (unsigned j = 0; j < b->type->nfields; j++) {
				const struct kvms_field *fd = &b->type->fields[j];
				if (strcmp(fd->name, "pad") == 0 || (fd->size == 1 && fd->count > 1)) continue;
				for (unsigned e = 0; e < fd->count; e++) {
					struct place pl = { b->mem + fd->offset + e * fd->size, fd->size, fd->size };
					if (!firstf) line[n++] = ' ';
					firstf = 0;
					if (fd->count > 1) n += snprintf(line + n, sizeof line - n, "%s.%s[%u]=0x%llx", t, fd->name, e, (unsigned long long)read_place(pl));
					else n += snprintf(line + n, sizeof line - n, "%s.%s=0x%llx", t, fd->name, (unsigned long long)read_place(pl));
				}
			}
			break;
		}
		}
	}
	line[n] = 0;
	out("@K %s %s", key(), line);
}

static void declare(struct stmt *s)
{
	if (nbufs == MAXBUF) die("too many buffers");
	struct buffer *b = &bufs[nbufs];
	memset(b, 0, sizeof *b);
	b->name = s->tok[0];
	int nt = s->ntok;
	b->ro = nt > 1 && strcmp(s->tok[nt - 1], "ro") == 0;
	if (b->ro) nt--;
	int first_init = nt;
	switch (s->kind) {
	case S_STRUCT:
		b->kind = B_STRUCT;
		b->type = find_struct(s->tok[1]);
		if (!b->type) die("unknown struct '%s'", s->tok[1]);
		b->size = b->type->size;
		first_init = 2;
		break;
	case S_BUF: b->kind = B_RAW; b->size = eval(s->tok[1]); break;
	case S_U32: b->kind = B_U32; b->size = 4; break;
	default: b->kind = B_U64; b->size = 8; break;
	}
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (b->size + page - 1) / page * page;
	b->mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->mem == MAP_FAILED) die("mmap: %s", strerror(errno));
	nbufs++;
	if ((s->kind == S_U32 || s->kind == S_U64) && nt > 1) {
		struct place pl = { b->mem, b->size, b->size };
		write_place(pl, eval(s->tok[1]));
	}
	for (int i = first_init; i < nt && s->kind == S_STRUCT; i++) {
		char *eq = strchr(s->tok[i], '=');
		if (!eq) die("field values are name=value");
		char p[512];
		snprintf(p, sizeof p, "%s.%.*s", b->name, (int)(eq - s->tok[i]), s->tok[i]);
		write_place(path(p), eval(eq + 1));
	}
	if (b->ro && mprotect(b->mem, len, PROT_READ) != 0) die("mprotect: %s", strerror(errno));
}

static void run(int from, int to);

static void run_for(int i)
{
	struct stmt *s = &prog[i];
	uint64_t from = eval(s->tok[1]), lim = eval(s->tok[2]);
	int64_t step = s->ntok > 3 ? (int64_t)eval(s->tok[3]) : 1;
	if (step == 0) die("loop step 0");
	if (nloops == MAXLOOP) die("loops nested too deep");
	int had = find_sym(s->tok[0], strlen(s->tok[0]));
	uint64_t saved = had >= 0 ? symval[had] : 0;
	nloops++;
	long n = 0;
	/* runs while v < end (step > 0) or v > end (step < 0), and stops rather than wrap */
	for (uint64_t v = from; step > 0 ? v < lim : v > lim;) {
		if (++n > 1000000) die("more than 1000000 iterations");
		loopval[nloops - 1] = v;
		set_sym(s->tok[0], v);
		run(i + 1, s->end);
		cur_line = s->line;
		if (step > 0 ? v + (uint64_t)step < v : v < (uint64_t)0 - (uint64_t)step) break;
		v += (uint64_t)step;
	}
	nloops--;
	if (had >= 0) set_sym(s->tok[0], saved);
	else unset_sym(s->tok[0]);
}

static void run_fork(int i)
{
	struct stmt *s = &prog[i];
	pid_t pid = fork();
	if (pid < 0) die("fork: %s", strerror(errno));
	if (pid == 0) {
		run(i + 1, s->end);
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 4);
}

static void run(int from, int to)
{
	for (int i = from; i < to; i++) {
		struct stmt *s = &prog[i];
		cur_line = s->line;
		switch (s->kind) {
		case S_TARGET: case S_END: break;
		case S_OPEN: {
			long r = open(s->tok[0], O_RDWR | O_CLOEXEC);
			answer(s->bind, r, errno);
			break;
		}
		case S_IOCTL: {
			int fd = (int)eval(s->tok[0]);
			const struct kvms_req *rq = find_req(s->tok[1]);
			unsigned long req = rq ? rq->value : (unsigned long)(uint32_t)eval(s->tok[1]);
			unsigned long arg = s->ntok > 2 ? (unsigned long)eval(s->tok[2]) : 0;
			int is_run = rq && strcmp(rq->name, "KVM_RUN") == 0;
			if (is_run) alarm(10);
			long r = ioctl(fd, req, arg);
			int e = errno;
			if (is_run) alarm(0);
			answer(s->bind, r, e);
			break;
		}
		case S_CLOSE: { long r = close((int)eval(s->tok[0])); answer(s->bind, r, errno); break; }
		case S_DUP: { long r = dup((int)eval(s->tok[0])); answer(s->bind, r, errno); break; }
		case S_SHOW: show(s); break;
		case S_LET: set_sym(s->tok[0], eval(s->tok[1])); break;
		case S_STRUCT: case S_BUF: case S_U32: case S_U64: declare(s); break;
		case S_SET: { struct place pl = path(s->tok[0]); write_place(pl, eval(s->tok[1])); break; }
		case S_SETSTR: {
			struct place pl = path(s->tok[0]);
			size_t n = strlen(s->tok[1]) + 1;
			if (pl.size != 1) die("setstr needs a byte array");
			if (n > pl.len) die("'%s' does not fit in '%s' (%u bytes)", s->tok[1], s->tok[0], pl.len);
			memcpy(pl.p, s->tok[1], n);
			break;
		}
		case S_FOR: run_for(i); i = s->end; break;
		case S_FORK: run_fork(i); i = s->end; break;
		case S_RLIMIT: {
			uint64_t v = eval(s->tok[1]);
			struct rlimit rl = { v > 0x7fffffff ? 0x7fffffff : v, v > 0x7fffffff ? 0x7fffffff : v };
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit: %s", strerror(errno));
			break;
		}
		}
	}
}

/* ------------------------------------------------------------------ driver */

static char *slurp(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return NULL;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap + 1);
	for (;;) {
		if (n == cap) { cap *= 2; b = realloc(b, cap + 1); }
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		n += r;
	}
	close(fd);
	b[n] = 0;
	return b;
}

static int run_scenario(const char *file, const char *label)
{
	out("@S %s", label);
	pid_t pid = fork();
	if (pid == 0) {
		char *text = slurp(file);
		if (!text) { out("@E L0 cannot read %s: %s", file, strerror(errno)); _exit(3); }
		for (int fd = 3; fd < 1024; fd++) close(fd);
		unmapped_page = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = alarm_handler;
		sigaction(SIGALRM, &sa, NULL);
		parse(text);
		run(0, nprog);
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	out("@D %d", code);
	return code;
}

static void vocab(void)
{
	for (size_t i = 0; i < NCONSTS; i++) out("@N %s 0x%llx %c", KVMS_CONSTS[i].name, (unsigned long long)KVMS_CONSTS[i].value, KVMS_CONSTS[i].from_header ? 'h' : 'f');
	for (size_t i = 0; i < NREQS; i++) out("@R %s 0x%lx %c", KVMS_REQS[i].name, KVMS_REQS[i].value, KVMS_REQS[i].from_header ? 'h' : 'f');
}

static void uname_line(void)
{
	struct utsname u;
	if (uname(&u) == 0) out("@V %s %s %s", u.release, u.machine, u.version);
}

static void load_modules(void)
{
	char *list = slurp("/modules.list");
	if (!list) return;
	for (char *l = strtok(list, "\n"); l; l = strtok(NULL, "\n")) {
		int fd = open(l, O_RDONLY | O_CLOEXEC);
		long r = fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
		int e = errno;
		if (fd >= 0) close(fd);
		out("@M %s %s", l, r == 0 ? "ok" : strerror(e));
	}
}

/* Runs every "FILE LABEL" line of a list file; returns the worst exit status. */
static int run_list(const char *listfile)
{
	char *list = slurp(listfile);
	int worst = 0;
	if (!list) { out("@E L0 cannot read %s: %s", listfile, strerror(errno)); return 3; }
	char *save = NULL;
	for (char *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		if (sp) *sp++ = 0;
		int c = run_scenario(l, sp ? sp : l);
		if (c > worst) worst = c;
	}
	return worst;
}

static __attribute__((noreturn)) void init_main(void)
{
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	out("@I kvms init");
	uname_line();
	load_modules();
	vocab();
	run_list("/scenarios.list");
	out("@Z");
	sync();
	reboot(RB_POWER_OFF);
	for (;;) pause();
}

int main(int argc, char **argv)
{
	if (getpid() == 1) init_main();
	if (argc == 2 && strcmp(argv[1], "--vocab") == 0) { uname_line(); vocab(); out("@Z"); return 0; }
	if (argc == 3 && strcmp(argv[1], "--list") == 0) {
		uname_line();
		int worst = run_list(argv[2]);
		out("@Z");
		return worst ? 1 : 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: kvms --vocab | kvms --list LISTFILE | kvms FILE.kvms...\n");
		return 2;
	}
	int worst = 0;
	for (int i = 1; i < argc; i++) {
		int c = run_scenario(argv[i], argv[i]);
		if (c > worst) worst = c;
	}
	out("@Z");
	return worst ? 1 : 0;
}
