/* SPDX-License-Identifier: MIT */
/*
 * common.h - what the stress/ binaries share: timing, pinning, a seeded
 * RNG, the Zipf generator, deterministic key streams, shared mappings,
 * a start barrier for forked workers, option parsing helpers, memory
 * probes and the one-line JSON writer.
 *
 * Everything here is static inline: each binary is one .c file plus this
 * header.  Nothing here touches the table except through the public API.
 *
 * Atomics: the stress binaries talk to their own workers through C11
 * <stdatomic.h> words in MAP_SHARED memory (lock-free 64-bit atomics
 * work across processes on x86-64 and arm64; checked at startup with
 * st_check_lockfree()).  The table itself is only reached through
 * include/hogcount.h.
 */
#ifndef HC_STRESS_COMMON_H
#define HC_STRESS_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ----------------------------------------------------------- */

static inline void st_die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
static inline void st_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- time ------------------------------------------------------------- */

/* Monotonic nanoseconds, comparable across processes on one machine. */
static inline uint64_t st_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void st_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u),
			       (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- CPUs ------------------------------------------------------------- */

static inline int st_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Pin the calling process to CPU @i modulo the online count.  Optional:
 * returns -1 (and changes nothing) where the OS refuses. */
static inline int st_pin(int i)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(i % st_ncpu(), &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Size of the last-level cache in bytes, as the OS reports it. */
static inline uint64_t st_llc_bytes(void)
{
	static const char *const paths[] = {
		"/sys/devices/system/cpu/cpu0/cache/index3/size",
		"/sys/devices/system/cpu/cpu0/cache/index2/size",
	};
	long v;
	size_t i;

#ifdef _SC_LEVEL3_CACHE_SIZE
	v = sysconf(_SC_LEVEL3_CACHE_SIZE);
	if (v > 0)
		return (uint64_t)v;
#endif
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "r");
		char unit = 0;

		if (!f)
			continue;
		if (fscanf(f, "%ld%c", &v, &unit) >= 1 && v > 0) {
			fclose(f);
			if (unit == 'K')
				return (uint64_t)v << 10;
			if (unit == 'M')
				return (uint64_t)v << 20;
			return (uint64_t)v;
		}
		fclose(f);
	}
	return UINT64_C(32) << 20;
}

/* "model name" from /proc/cpuinfo into @buf. */
static inline void st_cpu_model(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, cap, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && c) {
			c++;
			while (*c == ' ' || *c == '\t')
				c++;
			c[strcspn(c, "\n")] = 0;
			snprintf(buf, cap, "%s", c);
			break;
		}
	}
	fclose(f);
}

/* ---- memory probes ---------------------------------------------------- */

/* A "Key: N kB" line of a /proc file, in bytes; 0 if absent. */
static inline uint64_t st_proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t klen = strlen(key);
	uint64_t v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10) << 10;
			break;
		}
	}
	fclose(f);
	return v;
}

/* Shared memory in use on the machine (tmpfs, shmem, MAP_SHARED anon). */
static inline uint64_t st_shmem_bytes(void)
{
	return st_proc_kb("/proc/meminfo", "Shmem");
}

/* Resident private anonymous memory of this process. */
static inline uint64_t st_rss_anon_bytes(void)
{
	return st_proc_kb("/proc/self/status", "RssAnon");
}

/* ---- shared mappings and workers -------------------------------------- */

/* Zeroed memory shared with children forked later; dies on failure. */
static inline void *st_shared_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		st_die("mmap %zu bytes: %s", bytes, strerror(errno));
	return p;
}

static inline void st_shared_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/*
 * Allocate the pages of [p, p + bytes) now (MADV_POPULATE_WRITE, much
 * faster than faulting them one by one), without changing contents.
 * Returns 0, or -1 where the kernel lacks it.
 */
static inline int st_populate(void *p, size_t bytes)
{
	return madvise(p, bytes, MADV_POPULATE_WRITE);
}

/*
 * Take the write fault on every page of [p, p + bytes) in this process,
 * without changing any byte: a locked add of 0 to one word per page,
 * safe while other processes update the same words.  fork() does not
 * copy the page tables of shared mappings; MADV_POPULATE_WRITE in the
 * child (hc_table_prefault) fills them, but on this VM the first touch of
 * each page still costs several microseconds (the hypervisor's shadow
 * page table), so each worker touches every page before its timed loop.
 */
static inline void st_touch_write(void *p, size_t bytes)
{
	size_t i;

	for (i = 0; i + 8 <= bytes; i += 4096)
		__atomic_fetch_add((uint64_t *)((char *)p + i), 0,
				   __ATOMIC_RELAXED);
}

/*
 * Keep [p, p + bytes) resident and mapped in this process (mlock):
 * reclaim, including a DAMON "pageout" scheme such as the one this VM
 * runs on cold physical memory, then leaves its page-table entries alone,
 * so a benchmark's mapping stays as st_touch_write() left it.  Best
 * effort: returns -1 where RLIMIT_MEMLOCK or privileges forbid it.
 */
static inline int st_lock(void *p, size_t bytes)
{
	return mlock(p, bytes);
}

#ifdef HOGCOUNT_H
/*
 * The page-aligned region holding a table's slots (hc_table_view()), to
 * prefault with st_touch_write() or st_lock().  Returns 0, or -1.
 */
static inline int st_table_region(const hc_table *t, void **p, size_t *bytes)
{
	hc_view v;
	uintptr_t lo, hi;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (hc_table_view(t, &v) != HC_OK || !v.slots)
		return -1;
	lo = (uintptr_t)v.slots & ~(uintptr_t)4095;
	hi = (uintptr_t)v.slots + (uintptr_t)(v.capacity * v.slot_size);
	hi = (hi + 4095) & ~(uintptr_t)4095;
	*p = (void *)lo;
	*bytes = (size_t)(hi - lo);
	return 0;
}
#endif

static inline void st_check_lockfree(void)
{
	_Atomic uint64_t w;

	if (!atomic_is_lock_free(&w))
		st_die("64-bit atomics are not lock-free here");
}

/*
 * A start line for forked workers: each worker says it is ready and
 * spins (yielding: there may be more workers than cores) until the
 * parent says go.  Lives in shared memory.
 */
struct st_barrier {
	_Atomic uint64_t ready;
	_Atomic uint64_t go;
	_Atomic uint64_t stop; /* duration runs: set when time is up */
	uint64_t t_go; /* st_now_ns() when go was given */
};

static inline void st_barrier_wait(struct st_barrier *b)
{
	atomic_fetch_add(&b->ready, 1);
	while (!atomic_load_explicit(&b->go, memory_order_acquire))
		sched_yield();
}

/* Parent: wait for @n workers to be ready, then let them go. */
static inline void st_barrier_release(struct st_barrier *b, uint64_t n)
{
	while (atomic_load(&b->ready) < n)
		sched_yield();
	b->t_go = st_now_ns();
	atomic_store_explicit(&b->go, 1, memory_order_release);
}

/*
 * One benchmark worker's report for a round, a cache line each.  The
 * worker fills ops, times and rc, then posts @round with release; the
 * parent reads them after an acquire load that sees that round.
 */
struct st_wslot {
	_Atomic uint64_t round; /* last round finished */
	uint64_t ops;
	uint64_t t_start, t_end;
	int rc;
	char pad[64 - 36];
};

/*
 * The parent's side of a round: wait until ws[0..n) have all posted
 * round @rd (polling every @poll_ns), then add up the first @nw of them.
 * Dies naming @what if one failed.  *total gets their ops, *t0 the
 * earliest start and *t1 the latest end.
 */
static inline void st_round_collect(const struct st_wslot *ws, int n, int nw,
				    uint64_t rd, uint64_t poll_ns,
				    const char *what, uint64_t *total,
				    uint64_t *t0, uint64_t *t1)
{
	int i;

	for (i = 0; i < n; i++)
		while (atomic_load_explicit(&ws[i].round,
					    memory_order_acquire) != rd)
			st_sleep_ns(poll_ns);
	*total = 0;
	*t0 = UINT64_MAX;
	*t1 = 0;
	for (i = 0; i < nw; i++) {
		if (ws[i].rc)
			st_die("%s: worker %d: %s", what, i,
			       hc_strerror(ws[i].rc));
		*total += ws[i].ops;
		if (ws[i].t_start < *t0)
			*t0 = ws[i].t_start;
		if (ws[i].t_end > *t1)
			*t1 = ws[i].t_end;
	}
}

/* Fork one child that runs fn(i, arg) and exits with its return value.
 * The child leaves through _exit(): no atexit handlers, no stdio flush of
 * the parent's buffers. */
static inline pid_t st_spawn(int (*fn)(int, void *), int i, void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		st_die("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(i, arg));
	return pid;
}

/* Wait for @pid; returns its exit status, or 128 + signal. */
static inline int st_reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* ---- random numbers --------------------------------------------------- */

static inline uint64_t st_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64. */
struct st_rng {
	uint64_t s[4];
};

/* Seed stream @stream (a worker number, say) of run seed @seed. */
static inline void st_rng_seed(struct st_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xd1342543de82ef95));
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = st_splitmix64(&x);
}

static inline uint64_t st_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t st_rng_next(struct st_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = st_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = st_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n) by multiply-shift (bias below n / 2^64). */
static inline uint64_t st_rng_below(struct st_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)st_rng_next(r) * n) >> 64);
}

/* Uniform double in [0, 1). */
static inline double st_rng_double(struct st_rng *r)
{
	return (double)(st_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- a bijective 64-bit mix and its inverse ---------------------------- */

static inline uint64_t st_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Inverse of an odd multiplier modulo 2^64 (Newton's iteration). */
static inline uint64_t st_modinv(uint64_t m)
{
	uint64_t x = m;
	int i;

	for (i = 0; i < 6; i++)
		x *= 2 - m * x;
	return x;
}

static inline uint64_t st_unxorshift(uint64_t z, int k)
{
	uint64_t x = z;
	int s;

	for (s = k; s < 64; s += k)
		x ^= z >> s;
	return x;
}

static inline uint64_t st_unmix64(uint64_t z)
{
	z = st_unxorshift(z, 31);
	z *= st_modinv(UINT64_C(0x94d049bb133111eb));
	z = st_unxorshift(z, 27);
	z *= st_modinv(UINT64_C(0xbf58476d1ce4e5b9));
	return st_unxorshift(z, 30);
}

/* ---- Zipf ------------------------------------------------------------- */

/*
 * Zipf over ranks 1..n with exponent s > 0: P(k) proportional to k^-s.
 * Rejection-inversion (W. Hormann and G. Derflinger, "Rejection-inversion
 * to generate variates from monotone discrete distributions", ACM TOMACS
 * 6(3), 1996), as in Apache Commons RNG's RejectionInversionZipfSampler:
 * O(1) time and memory per draw, no table, any n up to 2^53.
 */
struct st_zipf {
	double n, s;
	double h_x1; /* H(1.5) - 1 */
	double h_n; /* H(n + 0.5) */
	double sdiv;
};

static inline double st_zipf_helper1(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x
			      : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static inline double st_zipf_helper2(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x
			      : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

static inline double st_zipf_h(const struct st_zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static inline double st_zipf_hint(const struct st_zipf *z, double x)
{
	double lx = log(x);

	return st_zipf_helper2((1 - z->s) * lx) * lx;
}

static inline double st_zipf_hinv(const struct st_zipf *z, double x)
{
	double t = x * (1 - z->s);

	if (t < -1)
		t = -1;
	return exp(st_zipf_helper1(t) * x);
}

static inline void st_zipf_init(struct st_zipf *z, uint64_t n, double s)
{
	z->n = (double)n;
	z->s = s;
	z->h_x1 = st_zipf_hint(z, 1.5) - 1;
	z->h_n = st_zipf_hint(z, z->n + 0.5);
	z->sdiv = 2 - st_zipf_hinv(z, st_zipf_hint(z, 2.5) - st_zipf_h(z, 2));
}

/* A rank in 0..n-1 (0 is the most frequent). */
static inline uint64_t st_zipf_next(const struct st_zipf *z, struct st_rng *r)
{
	for (;;) {
		double u = z->h_n + st_rng_double(r) * (z->h_x1 - z->h_n);
		double x = st_zipf_hinv(z, u);
		double k = floor(x + 0.5);

		if (k < 1)
			k = 1;
		else if (k > z->n)
			k = z->n;
		if (k - x <= z->sdiv ||
		    u >= st_zipf_hint(z, k + 0.5) - st_zipf_h(z, k))
			return (uint64_t)k - 1;
	}
}

/* ---- key distributions and key streams --------------------------------- */

enum st_dist_kind {
	ST_UNIFORM = 1, /* ids uniform in 0..n-1 */
	ST_ZIPF = 2, /* ids Zipf-ranked in 0..n-1, id 0 hottest */
	ST_HOT = 3, /* hot_frac of draws on ids 0..hot-1, rest uniform */
	ST_RAW64 = 4, /* uniformly random 64-bit keys, no ids */
};

struct st_dist {
	int kind;
	uint64_t n; /* key space: ids 0..n-1 */
	double s; /* Zipf exponent */
	uint64_t hot; /* ST_HOT: number of hot ids */
	double hot_frac; /* ST_HOT: share of draws that hit them */
	struct st_zipf zipf;
};

static inline const char *st_dist_name(int kind)
{
	switch (kind) {
	case ST_UNIFORM:
		return "uniform";
	case ST_ZIPF:
		return "zipf";
	case ST_HOT:
		return "hot";
	case ST_RAW64:
		return "raw64";
	}
	return "?";
}

static inline int st_dist_parse(const char *s)
{
	if (!strcmp(s, "uniform"))
		return ST_UNIFORM;
	if (!strcmp(s, "zipf"))
		return ST_ZIPF;
	if (!strcmp(s, "hot"))
		return ST_HOT;
	if (!strcmp(s, "raw64"))
		return ST_RAW64;
	return 0;
}

static inline void st_dist_init(struct st_dist *d, int kind, uint64_t n,
				double s, uint64_t hot, double hot_frac)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->n = n ? n : 1;
	d->s = s;
	d->hot = hot ? (hot < d->n ? hot : d->n) : 1;
	d->hot_frac = hot_frac;
	if (kind == ST_ZIPF)
		st_zipf_init(&d->zipf, d->n, s > 0 ? s : 1.0);
}

/* The next id (or, for ST_RAW64, the next key). */
static inline uint64_t st_dist_next(const struct st_dist *d, struct st_rng *r)
{
	switch (d->kind) {
	case ST_ZIPF:
		return st_zipf_next(&d->zipf, r);
	case ST_HOT:
		if (st_rng_double(r) < d->hot_frac)
			return st_rng_below(r, d->hot);
		return st_rng_below(r, d->n);
	case ST_RAW64:
		return st_rng_next(r);
	default:
		return st_rng_below(r, d->n);
	}
}

/*
 * Integer key of id @id: id 0 is key 0, id 1 is UINT64_MAX (so under
 * Zipf and hot the two edge keys are the hottest), other ids are a
 * bijective mix of id + salt.  st_key_id() inverts it.
 */
static inline uint64_t st_key_u64(uint64_t id, uint64_t salt)
{
	if (id == 0)
		return 0;
	if (id == 1)
		return UINT64_MAX;
	return st_mix64(id + salt);
}

/*
 * Narrow keys (HC_KEY_NARROW) of ST_NARROW_BITS bits: id 0 is key 0, id 1
 * the largest, other ids an odd multiple plus the salt, mod 2^bits (a
 * bijection; ids must stay below 2^bits).  st_key_narrow_id() inverts it.
 */
#define ST_NARROW_BITS 40
#define ST_NARROW_MUL UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t st_key_narrow(uint64_t id, uint64_t salt)
{
	uint64_t m = (UINT64_C(1) << ST_NARROW_BITS) - 1;

	if (id < 2)
		return id ? m : 0;
	return (id * ST_NARROW_MUL + salt) & m;
}

static inline uint64_t st_key_narrow_id(uint64_t key, uint64_t salt, uint64_t n)
{
	uint64_t m = (UINT64_C(1) << ST_NARROW_BITS) - 1, id;

	if (key == 0)
		return 0;
	if (key == m)
		return n > 1 ? 1 : UINT64_MAX;
	id = ((key - salt) * st_modinv(ST_NARROW_MUL)) & m;
	return id >= 2 && id < n ? id : UINT64_MAX;
}

/* The id of integer key @key, or UINT64_MAX if no id below @n has it. */
static inline uint64_t st_key_id(uint64_t key, uint64_t salt, uint64_t n)
{
	uint64_t id;

	if (key == 0)
		return 0;
	if (key == UINT64_MAX)
		return n > 1 ? 1 : UINT64_MAX;
	id = st_unmix64(key) - salt;
	return id >= 2 && id < n ? id : UINT64_MAX;
}

/* The integer key of id @id, narrow (@narrow) or u64. */
static inline uint64_t st_key_int(int narrow, uint64_t id, uint64_t salt)
{
	return narrow ? st_key_narrow(id, salt) : st_key_u64(id, salt);
}

/* st_key_int()'s inverse: the id below @n of @key, or UINT64_MAX. */
static inline uint64_t st_key_int_id(int narrow, uint64_t key, uint64_t salt,
				     uint64_t n)
{
	return narrow ? st_key_narrow_id(key, salt, n)
		      : st_key_id(key, salt, n);
}

/* Longest byte key st_key_bytes() makes. */
#define ST_KEY_BYTES_CAP 4096u

/*
 * Byte-string key of id @id into @buf (ST_KEY_BYTES_CAP bytes); returns
 * its length.  Mixed lengths: 60% 1..16, 35% 17..64, 4% 65..256, 1%
 * 257..1280 bytes; id 1 is 4096 bytes.  The first min(len, 8) bytes are
 * the id in little-endian order and len is at least the id's byte width,
 * so distinct ids give distinct strings; id 0 is the one-byte key "\0".
 * The rest is filler derived from the id and @salt.
 */
static inline size_t st_key_bytes(uint64_t id, uint64_t salt,
				  unsigned char *buf)
{
	uint64_t h = st_mix64(id ^ salt ^ UINT64_C(0x5bd1e9955bd1e995));
	uint64_t r = h % 100, x = h >> 8, f;
	size_t len, need = 1, i;

	while (need < 8 && (id >> (8 * need)))
		need++;
	if (id == 1)
		len = ST_KEY_BYTES_CAP;
	else if (r < 60)
		len = 1 + x % 16;
	else if (r < 95)
		len = 17 + x % 48;
	else if (r < 99)
		len = 65 + x % 192;
	else
		len = 257 + x % 1024;
	if (len < need)
		len = need;
	for (i = 0; i < len && i < 8; i++)
		buf[i] = (unsigned char)(id >> (8 * i));
	f = h;
	for (; i < len; i++) {
		if ((i & 7) == 0)
			f = st_mix64(f + i);
		buf[i] = (unsigned char)(f >> (8 * (i & 7)));
	}
	return len;
}

/* The id a byte key claims to be (its first bytes); check it by
 * regenerating st_key_bytes() and comparing. */
static inline uint64_t st_key_bytes_id(const unsigned char *b, size_t len)
{
	uint64_t id = 0;
	size_t i;

	for (i = 0; i < len && i < 8; i++)
		id |= (uint64_t)b[i] << (8 * i);
	return id;
}

/* ---- options ---------------------------------------------------------- */

/* Unsigned integer with an optional k/M/G (10^3..) or Ki/Mi/Gi suffix. */
static inline uint64_t st_parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		st_die("--%s: not a number: %s", opt, s);
	if (*end) {
		int bin = end[1] == 'i';

		switch (*end) {
		case 'k':
		case 'K':
			mul = bin ? UINT64_C(1) << 10 : 1000;
			break;
		case 'M':
			mul = bin ? UINT64_C(1) << 20 : 1000000;
			break;
		case 'G':
			mul = bin ? UINT64_C(1) << 30 : 1000000000;
			break;
		default:
			st_die("--%s: bad suffix: %s", opt, s);
		}
		if (end[1 + bin])
			st_die("--%s: trailing characters: %s", opt, s);
	}
	if (v > UINT64_MAX / mul)
		st_die("--%s: too large: %s", opt, s);
	return (uint64_t)v * mul;
}

static inline double st_parse_double(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end)
		st_die("--%s: not a number: %s", opt, s);
	return v;
}

/* ---- statistics ------------------------------------------------------- */

static inline int st_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n values (sorts them). */
static inline double st_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), st_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- one JSON line ---------------------------------------------------- */

struct st_json {
	char buf[65536];
	size_t n;
	int fields;
};

static inline void st_json_raw(struct st_json *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void st_json_raw(struct st_json *j, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (j->n >= sizeof(j->buf))
		return;
	va_start(ap, fmt);
	k = vsnprintf(j->buf + j->n, sizeof(j->buf) - j->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		j->n += (size_t)k;
	if (j->n >= sizeof(j->buf))
		j->n = sizeof(j->buf) - 1;
}

static inline void st_json_begin(struct st_json *j)
{
	j->n = 0;
	j->fields = 0;
	st_json_raw(j, "{");
}

static inline void st_json_key(struct st_json *j, const char *k)
{
	st_json_raw(j, "%s\"%s\":", j->fields++ ? "," : "", k);
}

/* A string value; only plain printable text is expected. */
static inline void st_json_str(struct st_json *j, const char *k, const char *v)
{
	st_json_key(j, k);
	st_json_raw(j, "\"");
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			st_json_raw(j, "\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			st_json_raw(j, "\\u%04x", (unsigned char)*v);
		else
			st_json_raw(j, "%c", *v);
	}
	st_json_raw(j, "\"");
}

static inline void st_json_u64(struct st_json *j, const char *k, uint64_t v)
{
	st_json_key(j, k);
	st_json_raw(j, "%" PRIu64, v);
}

static inline void st_json_f64(struct st_json *j, const char *k, double v)
{
	st_json_key(j, k);
	if (isfinite(v))
		st_json_raw(j, "%.6g", v);
	else
		st_json_raw(j, "null");
}

static inline void st_json_bool(struct st_json *j, const char *k, int v)
{
	st_json_key(j, k);
	st_json_raw(j, v ? "true" : "false");
}

/* A value already formatted as JSON (an array or object). */
static inline void st_json_rawval(struct st_json *j, const char *k,
				  const char *v)
{
	st_json_key(j, k);
	st_json_raw(j, "%s", v);
}

/* Close the object and print it as one line on stdout. */
static inline void st_json_end(struct st_json *j)
{
	st_json_raw(j, "}");
	fflush(stderr);
	printf("%s\n", j->buf);
	fflush(stdout);
}

#endif /* HC_STRESS_COMMON_H */
