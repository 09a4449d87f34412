/* SPDX-License-Identifier: MIT */
/*
 * hc_test.c - helpers shared by the Check suites (see hc_test.h).
 */
#define _GNU_SOURCE
#include "hc_test.h"
#include "hc_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hc_internal.h"

pid_t hc_test_main_pid;

static char run_dir[256];
/* Shared with every forked test, so names stay unique across tests. */
static volatile uint64_t *name_seq;

static uint64_t next_seq(void)
{
	if (!name_seq) {
		static uint64_t local;
		return local++;
	}
	return __atomic_fetch_add(name_seq, 1, __ATOMIC_RELAXED);
}

void hc_test_shm_name(char *buf, size_t cap)
{
	snprintf(buf, cap, "/hc-test-%ld-%llu", (long)hc_test_main_pid,
		 (unsigned long long)next_seq());
}

void hc_test_path(char *buf, size_t cap, const char *tag)
{
	snprintf(buf, cap, "%s/%llu-%s", hc_test_dir(),
		 (unsigned long long)next_seq(), tag);
}

const char *hc_test_dir(void)
{
	if (!run_dir[0]) {
		snprintf(run_dir, sizeof(run_dir), "/tmp/hc-test-%ld-XXXXXX",
			 (long)getpid());
		if (!mkdtemp(run_dir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return run_dir;
}

const char *hc_test_name(int rc)
{
	const char *s;

	if (rc == 1)
		return "1 (entry)";
	s = hc_errname(rc);
	return s ? s : "?";
}

static int rm_one(const char *path, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(path) != 0)
		perror(path);
	return 0;
}

/* Names in /dev/shm left by this run; unlinks them; returns how many. */
static int shm_leftovers(void)
{
	char prefix[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(prefix, sizeof(prefix), "hc-test-%ld-",
		 (long)hc_test_main_pid);
	d = opendir("/dev/shm");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char name[300];

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		fprintf(stderr, "LEAK: /dev/shm/%s left after the suite\n",
			de->d_name);
		snprintf(name, sizeof(name), "/%s", de->d_name);
		shm_unlink(name);
		n++;
	}
	closedir(d);
	return n;
}

int hc_test_run(Suite *s)
{
	SRunner *sr;
	int failed, leaks;

	hc_test_main_pid = getpid();
	/* Not hc_test_shared(): ck_assert may only run inside a test. */
	name_seq = mmap(NULL, sizeof(*name_seq), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (name_seq == MAP_FAILED) {
		perror("mmap");
		return EXIT_FAILURE;
	}
	hc_test_dir();
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	leaks = shm_leftovers();
	nftw(run_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (leaks) {
		fprintf(stderr, "%d shared-memory object(s) leaked\n", leaks);
		return EXIT_FAILURE;
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

uint64_t hc_test_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t hc_test_scramble(uint64_t x)
{
	/* xorshift-multiply steps, each invertible. */
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

void hc_test_zipf_init(struct hc_test_zipf *z, uint64_t n, double s)
{
	double sum = 0;
	uint64_t i;

	z->n = n;
	z->cdf = malloc(n * sizeof(*z->cdf));
	ck_assert_ptr_nonnull(z->cdf);
	for (i = 0; i < n; i++) {
		sum += 1.0 / pow((double)(i + 1), s);
		z->cdf[i] = sum;
	}
	for (i = 0; i < n; i++)
		z->cdf[i] /= sum;
}

uint64_t hc_test_zipf_next(const struct hc_test_zipf *z, uint64_t *state)
{
	double u = (double)(hc_test_rand(state) >> 11) * 0x1.0p-53;
	uint64_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void hc_test_zipf_free(struct hc_test_zipf *z)
{
	free(z->cdf);
	z->cdf = NULL;
}

size_t hc_test_bkey(uint64_t id, unsigned char *buf)
{
	uint64_t st = id;
	size_t len = 8 + (size_t)(hc_test_scramble(id) % 29), i;

	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(id >> (8 * i));
	for (i = 8; i < len; i++) {
		uint64_t r = hc_test_rand(&st);

		buf[i] = (r & 3) == 0 ? 0 : (unsigned char)(r >> 8);
	}
	return len;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct hc_test_entry *a = pa, *b = pb;
	size_t m;
	int c;

	if (a->bytes || b->bytes) {
		if (!a->bytes || !b->bytes)
			return a->bytes ? 1 : -1;
		m = a->len < b->len ? a->len : b->len;
		c = memcmp(a->bytes, b->bytes, m);
		if (c)
			return c;
		return (a->len > b->len) - (a->len < b->len);
	}
	return (a->key > b->key) - (a->key < b->key);
}

int hc_test_collect(const hc_table *t, struct hc_test_entry **out, size_t *n)
{
	return hc_test_collect_parts(t, 1, out, n);
}

int hc_test_collect_parts(const hc_table *t, unsigned parts,
			  struct hc_test_entry **out, size_t *n)
{
	struct hc_test_entry *v = NULL;
	size_t len = 0, cap = 0;
	hc_iter **its = calloc(parts ? parts : 1, sizeof(*its));
	hc_entry e;
	int rc;

	ck_assert_ptr_nonnull(its);
	rc = hc_iter_create_parts(t, parts, its);
	if (rc != HC_OK)
		goto done;
	/* Part by part, in order; each destroyed when done (the others
	 * still pin their generations). */
	for (unsigned p = 0; p < parts; p++) {
		while (rc == HC_OK && (rc = hc_iter_next(its[p], &e)) == 1) {
			if (len == cap) {
				cap = cap ? 2 * cap : 64;
				v = realloc(v, cap * sizeof(*v));
				ck_assert_ptr_nonnull(v);
			}
			v[len].key = e.key;
			v[len].count = e.count;
			v[len].len = e.len;
			v[len].bytes = NULL;
			if (e.bytes) {
				v[len].bytes = malloc(e.len ? e.len : 1);
				ck_assert_ptr_nonnull(v[len].bytes);
				memcpy(v[len].bytes, e.bytes, e.len);
			}
			len++;
			rc = HC_OK;
		}
		hc_iter_destroy(its[p]);
	}
done:
	free(its);
	if (len)
		qsort(v, len, sizeof(*v), entry_cmp);
	*out = v;
	*n = len;
	return rc;
}

void hc_test_entries_free(struct hc_test_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].bytes);
	free(e);
}

long hc_test_first_dup(const struct hc_test_entry *e, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (entry_cmp(&e[i - 1], &e[i]) == 0)
			return (long)i;
	return -1;
}

void hc_test_assert_same(const hc_table *a, const hc_table *b)
{
	struct hc_test_entry *ea, *eb;
	size_t na, nb, i;

	ck_assert_ok(hc_test_collect(a, &ea, &na));
	ck_assert_ok(hc_test_collect(b, &eb, &nb));
	hc_assert_eq(na, nb);
	for (i = 0; i < na; i++) {
		hc_require(entry_cmp(&ea[i], &eb[i]) == 0,
			   "entry %zu differs: key %llu vs %llu (len %zu "
			   "vs %zu)",
			   i, (unsigned long long)ea[i].key,
			   (unsigned long long)eb[i].key, ea[i].len, eb[i].len);
		hc_require(ea[i].count == eb[i].count,
			   "entry %zu (key %llu): count %llu vs %llu", i,
			   (unsigned long long)ea[i].key,
			   (unsigned long long)ea[i].count,
			   (unsigned long long)eb[i].count);
	}
	hc_test_entries_free(ea, na);
	hc_test_entries_free(eb, nb);
}

size_t hc_test_ref_u64(const uint64_t *keys, const uint64_t *deltas, size_t n,
		       struct hc_test_entry **out)
{
	struct hc_test_entry *v = calloc(n ? n : 1, sizeof(*v));
	size_t i, m = 0;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++) {
		v[i].key = keys[i];
		v[i].count = deltas ? deltas[i] : 1;
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	for (i = 0; i < n; i++) {
		if (m && v[m - 1].key == v[i].key)
			v[m - 1].count += v[i].count;
		else
			v[m++] = v[i];
	}
	n = m;
	for (i = m = 0; i < n; i++)
		if (v[i].count)
			v[m++] = v[i];
	*out = v;
	return m;
}

void hc_test_assert_ref(const hc_table *t, const struct hc_test_entry *ref,
			size_t nref)
{
	struct hc_test_entry *e;
	size_t n, i;
	uint64_t c;

	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_require(n == nref, "table has %zu entries, reference %zu", n, nref);
	for (i = 0; i < n; i++) {
		hc_require(e[i].key == ref[i].key && !e[i].bytes,
			   "entry %zu: key %llx, reference %llx", i,
			   (unsigned long long)e[i].key,
			   (unsigned long long)ref[i].key);
		hc_require(e[i].count == ref[i].count,
			   "key %llx: iterated count %llu, reference %llu",
			   (unsigned long long)e[i].key,
			   (unsigned long long)e[i].count,
			   (unsigned long long)ref[i].count);
		ck_assert_ok(hc_get(t, ref[i].key, &c));
		hc_require(c == ref[i].count,
			   "key %llx: hc_get %llu, reference %llu",
			   (unsigned long long)ref[i].key,
			   (unsigned long long)c,
			   (unsigned long long)ref[i].count);
	}
	hc_test_entries_free(e, n);
}

void *hc_test_shared(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	hc_require(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

void hc_test_unshare(void *p, size_t bytes)
{
	munmap(p, bytes);
}

pid_t hc_test_spawn(int (*fn)(int id, void *arg), int id, void *arg)
{
	pid_t pid = check_fork();

	hc_require(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(id, arg));
	return pid;
}

double hc_test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int hc_test_wait(pid_t pid, double timeout_s, int *status)
{
	double end = hc_test_now() + timeout_s;
	struct timespec nap = { 0, 2000000 };

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		hc_require(r == 0, "waitpid(%ld): %s", (long)pid,
			   strerror(errno));
		if (hc_test_now() > end)
			return 0;
		nanosleep(&nap, NULL);
	}
}

uint64_t hc_test_zero_mix_key(const hc_table *t)
{
	hc_options o;
	uint64_t seed;

	hc_options_init(&o);
	ck_assert_ok(hc_table_options(t, &o));
	/* The options report the seed (0 may stand for the default); the
	 * handle holds the one the slots use. */
	seed = o.seed ? o.seed : HC_DEFAULT_SEED;
	hc_require(t->seed == seed,
		   "hc_table_options seed %llx, table seed %llx",
		   (unsigned long long)o.seed, (unsigned long long)seed);
	return hc__unmix64(0, seed);
}

void hc_test_read_header(const char *path, void *hdr4096)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	hc_require(fd >= 0, "open %s: %s", path, strerror(errno));
	r = pread(fd, hdr4096, HC_HEADER_SIZE, 0);
	ck_assert_int_eq(r, HC_HEADER_SIZE);
	close(fd);
}

void hc_test_write_header(const char *path, const void *hdr4096,
			  int recompute_check)
{
	struct hc__header h;
	int fd = open(path, O_WRONLY);
	ssize_t r;

	hc_require(fd >= 0, "open %s: %s", path, strerror(errno));
	memcpy(&h, hdr4096, sizeof(h));
	if (recompute_check)
		h.check = hc__header_check(&h);
	r = pwrite(fd, &h, sizeof(h), 0);
	ck_assert_int_eq(r, HC_HEADER_SIZE);
	close(fd);
}

uint64_t hc_test_file_size(const char *path)
{
	struct stat st;

	hc_require(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

void hc_test_truncate(const char *path, uint64_t size)
{
	hc_require(truncate(path, (off_t)size) == 0, "truncate %s: %s", path,
		   strerror(errno));
}

void hc_test_copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t r;

	hc_require(in >= 0, "open %s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0644);
	hc_require(out >= 0, "open %s: %s", to, strerror(errno));
	while ((r = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)r), r);
	ck_assert_int_eq(r, 0);
	close(in);
	close(out);
}

unsigned char *hc_test_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;

	hc_require(f != NULL, "open %s: %s", path, strerror(errno));
	*n = (size_t)hc_test_file_size(path);
	p = malloc(*n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fread(p, 1, *n, f), *n);
	fclose(f);
	return p;
}

void hc_test_spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	hc_require(f != NULL, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

void hc_test_same_figures(const hc_table *a, const hc_table *b)
{
	hc_stats sa = { .size = sizeof(sa) }, sb = { .size = sizeof(sb) };
	uint64_t ha[300], hb[300];

	ck_assert_ok(hc_table_stats(a, &sa));
	ck_assert_ok(hc_table_stats(b, &sb));
	hc_assert_eq(sa.distinct, sb.distinct);
	hc_assert_eq(sa.total, sb.total);
	hc_assert_eq(sa.unique, sb.unique);
	hc_assert_eq(sa.max_count, sb.max_count);
	hc_assert_eq(sb.claimed, sb.distinct);
	hc_assert_eq(sa.key_kind, sb.key_kind);
	ck_assert_ok(hc_histo(a, ha, 300));
	ck_assert_ok(hc_histo(b, hb, 300));
	for (int i = 0; i < 300; i++)
		hc_assert_eq(ha[i], hb[i]);
}

void hc_test_compact_refused(const char *path, size_t hdr)
{
	char bad[4096];
	size_t n;
	unsigned char *p = hc_test_slurp(path, &n);
	hc_table *c;
	int rc;

	hc_test_path(bad, sizeof(bad), "bad");
	for (size_t len = 0; len < n; len += len < hdr + 76 ? 1 : 7) {
		hc_test_spit(bad, p, len);
		rc = hc_table_open(&c, bad, HC_OPEN_RDONLY);
		hc_require(rc == HC_ECORRUPT, "length %zu: %s", len,
			   hc_test_name(rc));
	}
	p[n] = 0; /* one byte more */
	hc_test_spit(bad, p, n + 1);
	ck_assert_hc(hc_table_open(&c, bad, HC_OPEN_RDONLY), HC_ECORRUPT);
	/* Any flipped header byte: the check catches it (or the identity
	 * fields say another version). */
	for (size_t i = 0; i < hdr; i++) {
		p[i] ^= 0x10;
		hc_test_spit(bad, p, n);
		rc = hc_table_open(&c, bad, HC_OPEN_RDONLY);
		hc_require(rc == HC_ECORRUPT || rc == HC_EVERSION,
			   "byte %zu: %s", i, hc_test_name(rc));
		p[i] ^= 0x10;
	}
	free(p);
}

void hc_test_compact_garbage(const char *path, size_t hdr, int rounds,
			     uint64_t seed, void (*read_all)(const char *bad))
{
	char bad[4096];
	size_t n;
	unsigned char *p = hc_test_slurp(path, &n), *q = malloc(n);
	uint64_t s = seed;

	ck_assert_ptr_nonnull(q);
	hc_test_path(bad, sizeof(bad), "bad");
	for (int round = 0; round < rounds; round++) {
		memcpy(q, p, n);
		if (round % 3 == 0) {
			/* All ones, all zeros, or noise, in one region. */
			uint64_t a = hdr + hc_test_rand(&s) % (n - hdr);
			uint64_t len = hc_test_rand(&s) % (n - a) + 1;

			memset(q + a, round % 2 ? 0xff : 0, len);
		} else {
			for (int k = 0; k < 1 + round % 9; k++)
				q[hdr + hc_test_rand(&s) % (n - hdr)] ^=
					(unsigned char)(1 +
							hc_test_rand(&s) % 255);
		}
		if (!memcmp(p, q, n))
			continue;
		hc_test_spit(bad, q, n);
		read_all(bad);
	}
	free(q);
	free(p);
}

void hc_test_compact_fields(const char *path, int nf,
			    void (*edit)(struct hc__cheader *h, int f))
{
	char bad[4096];
	struct hc__cheader h;
	size_t n;
	unsigned char *p = hc_test_slurp(path, &n);
	hc_table *c;

	hc_test_path(bad, sizeof(bad), "bad");
	for (int f = 0; f < nf; f++) {
		memcpy(&h, p, sizeof(h));
		edit(&h, f);
		h.check = hc__cheader_check(&h);
		hc_test_spit(bad, &h, sizeof(h));
		{
			FILE *o = fopen(bad, "ab");

			ck_assert_ptr_nonnull(o);
			ck_assert_int_eq(
				fwrite(p + sizeof(h), 1, n - sizeof(h), o),
				n - sizeof(h));
			fclose(o);
		}
		hc_require(hc_table_open(&c, bad, HC_OPEN_RDONLY) ==
				   HC_ECORRUPT,
			   "field %d", f);
	}
	free(p);
}

void hc_test_compact_reads(const char *path, void (*gets)(const hc_table *t))
{
	hc_stats st = { .size = sizeof(st) };
	uint64_t hist[16];
	hc_table *t, *d;
	hc_options o;
	hc_iter *it;
	hc_entry e;

	if (hc_table_open(&t, path, HC_OPEN_RDONLY) != HC_OK)
		return;
	(void)hc_table_stats(t, &st);
	(void)hc_histo(t, hist, 16);
	if (hc_iter_create(t, &it) == HC_OK) {
		for (int n = 0; n < 1 << 20 && hc_iter_next(it, &e) == 1; n++)
			if (e.bytes && e.len)
				(void)((const volatile unsigned char *)
					       e.bytes)[e.len - 1];
		hc_iter_destroy(it);
	}
	gets(t);
	hc_options_init(&o);
	o.key_kind = st.key_kind == HC_KEY_BYTES ? HC_KEY_BYTES : HC_KEY_U64;
	o.capacity = 1024;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&d, &o));
	(void)hc_table_merge(d, t);
	hc_table_close(d);
	ck_assert_hc(hc__compact_verify(t), HC_ECORRUPT);
	hc_table_close(t);
}
