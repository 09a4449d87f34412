/* SPDX-License-Identifier: MIT */
/*
 * check_cache.c - cache.c: the delta cache in front of a table.  Counts
 * that went through a cache must equal the reference computed here
 * (hc_test_ref_u64, or a sort of the byte keys), for Zipfian streams
 * that collapse and unique streams that make the cache pass through;
 * pending deltas stay out of the table until a flush, and at most
 * max_pending of them; errors (full table, range, misuse, read-only)
 * come back as statuses; hc_table_close() flushes and detaches; a forked
 * child never adds its parent's pending deltas; forked workers with a
 * cache each are exact.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"

static hc_table *u64_table(uint64_t cap, int grow)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.capacity = cap;
	o.grow = grow;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static hc_table *bytes_table(void)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static uint64_t get(const hc_table *t, uint64_t key)
{
	uint64_t c = ~UINT64_C(0);

	ck_assert_ok(hc_get(t, key, &c));
	return c;
}

/* A Zipfian stream of @n keys over @span ids, scrambled, with the edge
 * keys 0 and UINT64_MAX among them; deltas 1..7 when @deltas. */
static void zipf_stream(uint64_t *keys, uint64_t *deltas, size_t n,
			uint64_t span, uint64_t seed)
{
	struct hc_test_zipf z;
	uint64_t st = seed;
	size_t i;

	hc_test_zipf_init(&z, span, 1.0);
	for (i = 0; i < n; i++) {
		uint64_t id = hc_test_zipf_next(&z, &st);

		keys[i] = id == 0   ? 0
			  : id == 1 ? UINT64_MAX
				    : hc_test_scramble(id);
		if (deltas)
			deltas[i] = 1 + hc_test_rand(&st) % 7;
	}
	hc_test_zipf_free(&z);
}

/* Cache sizes: tiny (a flush every few keys), small, the default. */
static const size_t cache_keys[] = { 4, 64, 0 };
#define NSTREAM 200000

/* Single adds and batches of every length, mixed, through a cache;
 * then the table must hold exactly the reference. */
START_TEST(zipf_equals_reference)
{
	size_t ck = cache_keys[_i % 3];
	int with_deltas = _i / 3;
	uint64_t *keys = malloc(NSTREAM * sizeof(*keys));
	uint64_t *deltas =
		with_deltas ? malloc(NSTREAM * sizeof(*deltas)) : NULL;
	uint64_t st = 7;
	struct hc_test_entry *ref;
	size_t nref, i = 0, done;
	hc_table *t = u64_table(0, HC_GROW_AUTO);
	hc_cache *c;

	ck_assert(keys);
	zipf_stream(keys, deltas, NSTREAM, 50000, 11 + (uint64_t)_i);
	ck_assert_ok(hc_cache_create(&c, t, ck, 0));
	while (i < NSTREAM) {
		size_t m = hc_test_rand(&st) % 300;

		if (m > NSTREAM - i)
			m = NSTREAM - i;
		if (m % 3 == 0) {
			for (; m; m--, i++)
				ck_assert_ok(hc_cache_add(
					c, keys[i], deltas ? deltas[i] : 1));
		} else {
			ck_assert_ok(hc_cache_add_batch(
				c, keys + i, deltas ? deltas + i : NULL, m,
				&done));
			hc_assert_eq(done, m);
			i += m;
		}
	}
	ck_assert_ok(hc_cache_destroy(c));
	nref = hc_test_ref_u64(keys, deltas, NSTREAM, &ref);
	hc_test_assert_ref(t, ref, nref);
	hc_test_entries_free(ref, nref);
	ck_assert_ok(hc_table_close(t));
	free(keys);
	free(deltas);
}
END_TEST

/* Keys that never repeat: the cache passes them through after its
 * first windows, and the counts are still exact. */
START_TEST(unique_keys_pass_through)
{
	enum { N = 300000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	struct hc_test_entry *ref;
	size_t nref, i, done;
	hc_table *t = u64_table(0, HC_GROW_AUTO);
	hc_cache *c;

	ck_assert(keys);
	for (i = 0; i < N; i++)
		keys[i] = hc_test_scramble(i + 1);
	ck_assert_ok(hc_cache_create(&c, t, 256, 0));
	for (i = 0; i < N; i += 1000) {
		ck_assert_ok(
			hc_cache_add_batch(c, keys + i, NULL, 1000, &done));
		hc_assert_eq(done, 1000);
	}
	/* Passing through: nearly everything is in the table already. */
	hc_assert_le(hc_cache_pending(c), 256);
	ck_assert_ok(hc_cache_destroy(c));
	nref = hc_test_ref_u64(keys, NULL, N, &ref);
	hc_test_assert_ref(t, ref, nref);
	hc_test_entries_free(ref, nref);
	ck_assert_ok(hc_table_close(t));
	free(keys);
}
END_TEST

/* Pending deltas are invisible until a flush; max_pending bounds them. */
START_TEST(pending_until_flush)
{
	hc_table *t = u64_table(1024, HC_GROW_OFF);
	hc_cache *c;
	int i;

	ck_assert_ok(hc_cache_create(&c, t, 0, 10));
	ck_assert_ok(hc_cache_add(c, 42, 5));
	hc_assert_eq(hc_cache_pending(c), 1);
	hc_assert_eq(get(t, 42), 0);
	ck_assert_ok(hc_cache_flush(c));
	hc_assert_eq(hc_cache_pending(c), 0);
	hc_assert_eq(get(t, 42), 5);
	for (i = 0; i < 25; i++) {
		ck_assert_ok(hc_cache_add(c, 7, 1));
		hc_assert_le(hc_cache_pending(c), 10);
	}
	/* 25 adds, at most 10 pending: at least 15 reached the table. */
	hc_assert_ge(get(t, 7), 15);
	ck_assert_ok(hc_cache_flush(c));
	hc_assert_eq(get(t, 7), 25);
	ck_assert_ok(hc_cache_flush(c)); /* empty: nothing to do */
	ck_assert_ok(hc_cache_destroy(c));
	ck_assert_ok(hc_cache_destroy(NULL));
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Byte keys: words of a Zipfian stream, and keys too long to keep. */
START_TEST(bytes_equal_reference)
{
	enum { N = 100000, SPAN = 3000 };
	static uint64_t want[SPAN];
	unsigned char buf[HC_TEST_BKEY_MAX];
	unsigned char *big = malloc(40000);
	const void *ptrs[32];
	size_t lens[32];
	unsigned char kb[32][HC_TEST_BKEY_MAX];
	uint64_t *ids = malloc(N * sizeof(*ids)), st = 3, c1;
	hc_table *t = bytes_table();
	hc_cache *c;
	size_t i, j, done;

	ck_assert(ids && big);
	memset(want, 0, sizeof(want));
	zipf_stream(ids, NULL, N, SPAN, 5);
	for (i = 0; i < N; i++)
		ids[i] %= SPAN;
	ck_assert_ok(hc_cache_create(&c, t, 128, 0));
	for (i = 0; i < N;) {
		size_t m = 1 + hc_test_rand(&st) % 32;

		if (m > N - i)
			m = N - i;
		for (j = 0; j < m; j++) {
			lens[j] = hc_test_bkey(ids[i + j], kb[j]);
			ptrs[j] = kb[j];
			want[ids[i + j]]++;
		}
		if (m == 1) {
			ck_assert_ok(hc_cache_add_bytes(c, kb[0], lens[0], 1));
		} else {
			ck_assert_ok(hc_cache_add_bytes_batch(c, ptrs, lens,
							      NULL, m, &done));
			hc_assert_eq(done, m);
		}
		/* The caller's buffers change: the cache copied the keys. */
		memset(kb, 0xa5, sizeof(kb));
		i += m;
	}
	/* Longer than a quarter of the key area: added directly. */
	memset(big, 'x', 40000);
	ck_assert_ok(hc_cache_add_bytes(c, big, 40000, 3));
	ck_assert_hc(hc_cache_add_bytes(c, big, 0, 1), HC_ERANGE);
	ck_assert_hc(hc_cache_add_bytes(c, NULL, 3, 1), HC_EINVAL);
	ck_assert_hc(hc_cache_add(c, 1, 1), HC_EMISUSE);
	ck_assert_ok(hc_cache_destroy(c));
	for (i = 0; i < SPAN; i++) {
		size_t len = hc_test_bkey(i, buf);

		ck_assert_ok(hc_get_bytes(t, buf, len, &c1));
		hc_assert_eq(c1, want[i]);
	}
	ck_assert_ok(hc_get_bytes(t, big, 40000, &c1));
	hc_assert_eq(c1, 3);
	ck_assert_ok(hc_table_close(t));
	free(ids);
	free(big);
}
END_TEST

/* Out-of-range keys of dense and packed tables fail at once. */
START_TEST(range_checked_at_once)
{
	hc_options o;
	hc_table *t;
	hc_cache *c;
	uint64_t keys[3] = { 5, 1u << 16, 6 };
	size_t done = 99;

	hc_options_init(&o);
	o.key_kind = HC_KEY_DENSE;
	o.dense_bits = 16;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_cache_create(&c, t, 0, 0));
	ck_assert_hc(hc_cache_add(c, 1u << 16, 1), HC_ERANGE);
	ck_assert_hc(hc_cache_add_batch(c, keys, NULL, 3, &done), HC_ERANGE);
	hc_assert_eq(done, 1);
	ck_assert_hc(hc_cache_add_bytes(c, "ab", 2, 1), HC_EMISUSE);
	ck_assert_ok(hc_cache_destroy(c));
	hc_assert_eq(get(t, 5), 1);
	hc_assert_eq(get(t, 6), 0);
	ck_assert_ok(hc_table_close(t));

	hc_options_init(&o);
	o.key_kind = HC_KEY_PACKED;
	o.key_bits = 20;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_cache_create(&c, t, 0, 0));
	ck_assert_hc(hc_cache_add(c, 1u << 20, 1), HC_ERANGE);
	ck_assert_ok(hc_cache_add(c, (1u << 20) - 1, 4));
	ck_assert_ok(hc_cache_destroy(c));
	hc_assert_eq(get(t, (1u << 20) - 1), 4);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* A fixed table that fills: the flush fails, the keys not added stay
 * pending (and fail again), the counts added before are intact. */
START_TEST(full_table_keeps_pending)
{
	hc_table *t = u64_table(64, HC_GROW_OFF);
	hc_cache *c;
	uint64_t k, total = 0, c1;
	int rc = HC_OK;
	hc_stats s;

	/* Each key three times: windows collapse, so the cache keeps
	 * caching (it would pass unique keys through). */
	ck_assert_ok(hc_cache_create(&c, t, 16, 0));
	for (k = 1; k <= 200 && rc == HC_OK; k++) {
		int r;

		for (r = 0; r < 3 && rc == HC_OK; r++)
			rc = hc_cache_add(c, k, 1);
	}
	ck_assert_hc(rc, HC_EFULL);
	hc_assert_gt(hc_cache_pending(c), 0);
	ck_assert_hc(hc_cache_flush(c), HC_EFULL);
	hc_assert_gt(hc_cache_pending(c), 0);
	ck_assert_hc(hc_cache_destroy(c), HC_EFULL);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(t, &s));
	for (k = 1; k <= 200; k++) {
		c1 = get(t, k);
		hc_assert_le(c1, 3);
		total += c1;
	}
	hc_assert_eq(total, s.total);
	hc_assert_gt(total, 0);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Misuse: read-only tables, NULLs, too many keys. */
START_TEST(misuse)
{
	char path[256];
	hc_table *t = u64_table(1024, HC_GROW_OFF), *ro;
	hc_cache *c = (hc_cache *)1;

	ck_assert_hc(hc_cache_create(NULL, t, 0, 0), HC_EINVAL);
	ck_assert_hc(hc_cache_create(&c, NULL, 0, 0), HC_EINVAL);
	ck_assert(c == NULL);
	ck_assert_hc(hc_cache_create(&c, t, (size_t)HC_CACHE_KEYS_MAX + 1, 0),
		     HC_EINVAL);
	ck_assert_hc(hc_cache_add(NULL, 1, 1), HC_EINVAL);
	ck_assert_hc(hc_cache_flush(NULL), HC_EINVAL);
	hc_assert_eq(hc_cache_pending(NULL), 0);
	hc_test_path(path, sizeof(path), "ro.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_open(&ro, path, HC_OPEN_RDONLY));
	ck_assert_hc(hc_cache_create(&c, ro, 0, 0), HC_ERDONLY);
	ck_assert_ok(hc_table_close(ro));
}
END_TEST

/* hc_table_close flushes every cache on the handle and detaches it. */
START_TEST(close_flushes)
{
	char path[256];
	hc_options o;
	hc_table *t;
	hc_cache *a, *b;
	uint64_t c1;

	hc_options_init(&o);
	hc_test_path(path, sizeof(path), "close.hc");
	ck_assert_ok(hc_table_create_file(&t, path, &o));
	ck_assert_ok(hc_cache_create(&a, t, 0, 0));
	ck_assert_ok(hc_cache_create(&b, t, 8, 0));
	ck_assert_ok(hc_cache_add(a, 1, 10));
	ck_assert_ok(hc_cache_add(b, 1, 5));
	ck_assert_ok(hc_cache_add(b, UINT64_MAX, 2));
	ck_assert_ok(hc_table_close(t));
	ck_assert_hc(hc_cache_add(a, 1, 1), HC_EMISUSE);
	ck_assert_hc(hc_cache_flush(b), HC_EMISUSE);
	ck_assert_ok(hc_cache_destroy(a));
	ck_assert_ok(hc_cache_destroy(b));
	/* Sealed with the flushed counts in it. */
	ck_assert_ok(hc_table_open(&t, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_get(t, 1, &c1));
	hc_assert_eq(c1, 15);
	ck_assert_ok(hc_get(t, UINT64_MAX, &c1));
	hc_assert_eq(c1, 2);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

struct fork_arg {
	hc_table *t;
	hc_cache *c;
};

static int child_adds(int id, void *arg)
{
	struct fork_arg *a = arg;

	(void)id;
	/* The parent's 5 pending adds are not this process's. */
	if (hc_cache_pending(a->c) != 0)
		return 1;
	if (hc_cache_add(a->c, 9, 3) != HC_OK)
		return 2;
	return hc_cache_destroy(a->c) == HC_OK ? 0 : 3;
}

/* A forked child never flushes its parent's pending deltas. */
START_TEST(fork_drops_inherited)
{
	hc_options o;
	struct fork_arg a;
	char name[64];
	int st;
	pid_t pid;

	hc_options_init(&o);
	hc_test_shm_name(name, sizeof(name));
	ck_assert_ok(hc_table_create_shm(&a.t, name, &o));
	ck_assert_ok(hc_cache_create(&a.c, a.t, 0, 0));
	ck_assert_ok(hc_cache_add(a.c, 9, 5));
	pid = hc_test_spawn(child_adds, 0, &a);
	ck_assert(hc_test_wait(pid, 30, &st));
	hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %#x", st);
	hc_assert_eq(get(a.t, 9), 3);
	hc_assert_eq(hc_cache_pending(a.c), 1);
	ck_assert_ok(hc_cache_destroy(a.c));
	hc_assert_eq(get(a.t, 9), 8);
	ck_assert_ok(hc_table_close(a.t));
	ck_assert_ok(hc_shm_unlink(name));
}
END_TEST

#define NWORK 4
#define PER_WORKER 100000

struct work_arg {
	hc_table *t;
	const uint64_t *keys;
};

static int cache_worker(int id, void *arg)
{
	struct work_arg *a = arg;
	const uint64_t *k = a->keys + (size_t)id * PER_WORKER;
	hc_cache *c;
	size_t i, done;

	if (hc_cache_create(&c, a->t, 512, 0))
		return 1;
	for (i = 0; i < PER_WORKER; i += 500)
		if (hc_cache_add_batch(c, k + i, NULL, 500, &done) ||
		    done != 500)
			return 2;
	return hc_cache_destroy(c) ? 3 : 0;
}

/* Forked workers, a cache each, one growing shared table: exact. */
START_TEST(workers_exact)
{
	uint64_t *keys = malloc(NWORK * PER_WORKER * sizeof(*keys));
	struct hc_test_entry *ref;
	struct work_arg a;
	pid_t pids[NWORK];
	size_t nref;
	int w, st;

	ck_assert(keys);
	zipf_stream(keys, NULL, NWORK * PER_WORKER, 20000, 99);
	a.t = u64_table(0, HC_GROW_AUTO);
	a.keys = keys;
	for (w = 0; w < NWORK; w++)
		pids[w] = hc_test_spawn(cache_worker, w, &a);
	for (w = 0; w < NWORK; w++) {
		ck_assert(hc_test_wait(pids[w], 120, &st));
		hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "worker %d status %#x", w, st);
	}
	nref = hc_test_ref_u64(keys, NULL, NWORK * PER_WORKER, &ref);
	hc_test_assert_ref(a.t, ref, nref);
	hc_test_entries_free(ref, nref);
	ck_assert_ok(hc_table_close(a.t));
	free(keys);
}
END_TEST

Suite *hc_cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("u64");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, zipf_equals_reference, 0, 6);
	tcase_add_test(tc, unique_keys_pass_through);
	tcase_add_test(tc, pending_until_flush);
	tcase_add_test(tc, range_checked_at_once);
	tcase_add_test(tc, full_table_keeps_pending);
	suite_add_tcase(s, tc);

	tc = tcase_create("bytes");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bytes_equal_reference);
	suite_add_tcase(s, tc);

	tc = tcase_create("handles");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, misuse);
	tcase_add_test(tc, close_flushes);
	tcase_add_test(tc, fork_drops_inherited);
	tcase_add_test(tc, workers_exact);
	suite_add_tcase(s, tc);
	return s;
}
