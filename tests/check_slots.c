/* SPDX-License-Identifier: MIT */
/*
 * check_slots.c - slots.c: insert-or-add for u64, dense and byte keys,
 * single and batched, exact and HogWild, in one process.  The oracle is
 * a reference computed here by sorting (hc_test_ref_u64), never the
 * library itself.  Edge keys: 0, UINT64_MAX and the key whose hc__mix64
 * is 0 (it lives in header.zero_count, not in a slot).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

/* A table of @kind; @key_bits for the packed kind (else unused). */
static hc_table *new_table_bits(int kind, int mode, uint64_t cap, uint64_t seed,
				unsigned key_bits)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = kind;
	o.mode = mode;
	o.capacity = cap;
	o.seed = seed;
	o.dense_bits = 16;
	o.key_bits = key_bits;
	if (kind == HC_KEY_BYTES)
		o.arena_bytes = cap * 64 + (UINT64_C(1) << 18);
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static hc_table *new_table(int kind, int mode, uint64_t cap, uint64_t seed)
{
	return new_table_bits(kind, mode, cap, seed, 0);
}

static uint64_t get(const hc_table *t, uint64_t key)
{
	uint64_t c = ~UINT64_C(0);

	ck_assert_ok(hc_get(t, key, &c));
	return c;
}

static uint64_t getb(const hc_table *t, const void *key, size_t len)
{
	uint64_t c = ~UINT64_C(0);

	ck_assert_ok(hc_get_bytes(t, key, len, &c));
	return c;
}

static void stats(const hc_table *t, hc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	ck_assert_ok(hc_table_stats(t, st));
}

/* ---- u64 keys ------------------------------------------------------ */

static const uint64_t seeds[] = { 0, 1, 0x1234567, UINT64_MAX };

START_TEST(u64_edge_keys)
{
	hc_table *t = new_table(HC_KEY_U64, HC_MODE_EXACT, 64, seeds[_i]);
	uint64_t k0 = hc_test_zero_mix_key(t);
	uint64_t keys[] = {
		0,  1,	    UINT64_MAX, UINT64_MAX - 1, UINT64_C(1) << 63,
		k0, k0 + 1, k0 - 1
	};
	uint64_t deltas[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct hc_test_entry *ref;
	size_t n = sizeof(keys) / sizeof(keys[0]), i, nref;
	uint64_t max;
	hc_stats st;

	hc_assert_eq(hc__mix64(k0, t->seed), 0);
	for (i = 0; i < n; i++)
		hc_assert_eq(get(t, keys[i]), 0);
	for (i = 0; i < n; i++) {
		ck_assert_ok(hc_add(t, keys[i], deltas[i]));
		ck_assert_ok(hc_add(t, keys[i], deltas[i]));
		deltas[i] *= 2;
	}
	nref = hc_test_ref_u64(keys, deltas, n, &ref);
	hc_test_assert_ref(t, ref, nref);
	stats(t, &st);
	hc_assert_eq(st.distinct, nref);
	hc_assert_eq(st.total, 72);
	hc_assert_ge(st.claimed, st.distinct);
	/* mix64(0) == 0, so the zero-mix key is the seed itself and may
	 * repeat another key of the list: take the maximum from the
	 * reference. */
	for (i = 0, max = 0; i < nref; i++)
		max = ref[i].count > max ? ref[i].count : max;
	hc_assert_eq(st.max_count, max);
	free(ref);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* The zero-mix key alone, and beside others, across seeds. */
START_TEST(u64_zero_mix_key)
{
	hc_table *t = new_table(HC_KEY_U64, HC_MODE_EXACT, 16, seeds[_i]);
	uint64_t k0 = hc_test_zero_mix_key(t);
	struct hc_test_entry *e;
	hc_stats st;
	size_t n;

	ck_assert_ok(hc_add(t, k0, 5));
	hc_assert_eq(get(t, k0), 5);
	hc_assert_eq(get(t, k0 ^ 1), 0);
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, 1);
	hc_assert_eq(e[0].key, k0);
	hc_assert_eq(e[0].count, 5);
	hc_test_entries_free(e, n);
	stats(t, &st);
	hc_assert_eq(st.distinct, 1);
	hc_assert_eq(st.total, 5);
	hc_assert_eq(st.unique, 0);
	hc_assert_eq(st.max_count, 5);
	/* "claimed: slots holding a key (>= distinct)". */
	hc_assert_ge(st.claimed, st.distinct);

	ck_assert_ok(hc__add_u64(t, k0, 1, HC_MODE_HOGWILD));
	ck_assert_ok(hc__add_u64(t, k0, 1, HC_MODE_EXACT));
	ck_assert_ok(hc_add_batch(t, &k0, NULL, 1, NULL));
	hc_assert_eq(get(t, k0), 8);
	ck_assert_ok(hc_add(t, 0, 1));
	ck_assert_ok(hc_add(t, UINT64_MAX, 1));
	/* The zero-mix key is the seed: 0 or UINT64_MAX for some seeds. */
	hc_assert_eq(get(t, k0), 8 + (k0 == 0) + (k0 == UINT64_MAX));
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, k0 == 0 || k0 == UINT64_MAX ? 2 : 3);
	ck_assert_int_eq(hc_test_first_dup(e, n), -1);
	hc_test_entries_free(e, n);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(u64_delta_zero_and_wrap)
{
	hc_table *t = new_table(HC_KEY_U64, HC_MODE_EXACT, 16, 0);
	struct hc_test_entry *e;
	hc_stats st;
	size_t n;

	ck_assert_ok(hc_add(t, 77, 0));
	hc_assert_eq(get(t, 77), 0);
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, 0);
	hc_test_entries_free(e, n);
	stats(t, &st);
	hc_assert_eq(st.distinct, 0);
	hc_assert_eq(st.total, 0);

	/* Counts are modulo 2^64. */
	ck_assert_ok(hc_add(t, 78, UINT64_MAX));
	hc_assert_eq(get(t, 78), UINT64_MAX);
	ck_assert_ok(hc_add(t, 78, 2));
	hc_assert_eq(get(t, 78), 1);
	ck_assert_ok(hc__add_u64(t, 78, UINT64_MAX, HC_MODE_HOGWILD));
	hc_assert_eq(get(t, 78), 0);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Random keys and multiplicities against the sorted reference. */
START_TEST(u64_random_against_reference)
{
	enum { N = 20000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	int mode = _i ? HC_MODE_HOGWILD : HC_MODE_EXACT;
	hc_table *t = new_table(HC_KEY_U64, mode, 16384, 42);
	struct hc_test_entry *ref;
	uint64_t st = 5;
	size_t i, nref;
	hc_stats s;

	for (i = 0; i < N; i++) {
		/* About 8000 distinct keys, some repeated often. */
		keys[i] = hc_test_scramble(hc_test_rand(&st) % 8000);
		deltas[i] = 1 + hc_test_rand(&st) % 5;
		ck_assert_ok(hc_add(t, keys[i], deltas[i]));
	}
	nref = hc_test_ref_u64(keys, deltas, N, &ref);
	hc_test_assert_ref(t, ref, nref);
	stats(t, &s);
	hc_assert_eq(s.distinct, nref);
	hc_assert_eq(s.capacity, 16384);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* The same stream in exact and HogWild modes, table-wide and per call,
 * single and batched: one process loses nothing, so all are equal. */
START_TEST(exact_equals_hogwild_single_process)
{
	enum { N = 5000 };
	hc_table *a = new_table(HC_KEY_U64, HC_MODE_EXACT, 4096, 3);
	hc_table *b = new_table(HC_KEY_U64, HC_MODE_HOGWILD, 4096, 3);
	hc_table *c = new_table(HC_KEY_U64, HC_MODE_EXACT, 1024, 9);
	hc_table *d = new_table(HC_KEY_U64, HC_MODE_HOGWILD, 2048, 11);
	uint64_t keys[N], st = 8;
	size_t i;

	for (i = 0; i < N; i++) {
		keys[i] = hc_test_rand(&st) % 700;
		ck_assert_ok(hc_add(a, keys[i], 1));
		ck_assert_ok(hc_add(b, keys[i], 1));
		ck_assert_ok(hc__add_u64(c, keys[i], 1, HC_MODE_HOGWILD));
		ck_assert_ok(hc__add_u64(d, keys[i], 1, HC_MODE_EXACT));
	}
	hc_test_assert_same(a, b);
	hc_test_assert_same(a, c);
	hc_test_assert_same(a, d);
	ck_assert_ok(hc_add_batch_mode(c, keys, NULL, N, NULL, HC_MODE_EXACT));
	ck_assert_ok(
		hc_add_batch_mode(d, keys, NULL, N, NULL, HC_MODE_HOGWILD));
	ck_assert_ok(hc_add_batch(a, keys, NULL, N, NULL));
	ck_assert_ok(hc_add_batch(b, keys, NULL, N, NULL));
	hc_test_assert_same(a, b);
	hc_test_assert_same(a, c);
	hc_test_assert_same(a, d);
	hc_assert_eq(get(a, keys[0]) % 2, 0);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(c));
	ck_assert_ok(hc_table_close(d));
}
END_TEST

/* Batch sizes around HC_BATCH and HC_PREFETCH_DIST, with duplicates of a
 * new key inside one batch, deltas NULL and not. */
static const size_t batch_sizes[] = { 0,
				      1,
				      2,
				      HC_PREFETCH_DIST - 1,
				      HC_PREFETCH_DIST,
				      HC_PREFETCH_DIST + 1,
				      HC_BATCH - 1,
				      HC_BATCH,
				      HC_BATCH + 1,
				      3 * HC_BATCH + 7,
				      5000 };
#define NBATCH (int)(sizeof(batch_sizes) / sizeof(batch_sizes[0]))

START_TEST(batch_equals_single)
{
	size_t n = batch_sizes[_i / 2], i, done = 12345;
	int with_deltas = _i % 2;
	uint64_t *keys = malloc((n + 1) * sizeof(*keys));
	uint64_t *deltas = malloc((n + 1) * sizeof(*deltas));
	hc_table *a = new_table(HC_KEY_U64, HC_MODE_EXACT, 8192, 1);
	hc_table *b = new_table(HC_KEY_U64, HC_MODE_EXACT, 8192, 1);
	uint64_t st = n, k0 = hc_test_zero_mix_key(a);
	struct hc_test_entry *ref;
	size_t nref;

	for (i = 0; i < n; i++) {
		uint64_t r = hc_test_rand(&st);

		/* Few distinct keys so a batch repeats new keys; the
		 * edge keys among them. */
		switch (r % 16) {
		case 0:
			keys[i] = 0;
			break;
		case 1:
			keys[i] = UINT64_MAX;
			break;
		case 2:
			keys[i] = k0;
			break;
		default:
			keys[i] = (r >> 8) % (n / 3 + 2);
		}
		deltas[i] = with_deltas ? 1 + (r >> 32) % 1000 : 1;
		ck_assert_ok(hc_add(a, keys[i], deltas[i]));
	}
	ck_assert_ok(
		hc_add_batch(b, keys, with_deltas ? deltas : NULL, n, &done));
	hc_assert_eq(done, n);
	hc_test_assert_same(a, b);
	nref = hc_test_ref_u64(keys, deltas, n, &ref);
	hc_test_assert_ref(b, ref, nref);
	/* done may be NULL. */
	ck_assert_ok(
		hc_add_batch(b, keys, with_deltas ? deltas : NULL, n, NULL));
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_table_close(b));
}
END_TEST

/* capacity N holds N distinct keys; the next new key is HC_EFULL and
 * changes nothing; existing keys still take adds. */
static const uint64_t full_caps[] = { 1, 2, 3, 5, 8, 17, 64, 1000, 4096 };
#define NFULL (int)(sizeof(full_caps) / sizeof(full_caps[0]))

static uint64_t full_key(uint64_t i, uint64_t k0)
{
	uint64_t k = hc_test_scramble(i + 1000);

	return k == k0 ? ~k : k;
}

START_TEST(full_table_u64)
{
	uint64_t cap = full_caps[_i / 2], i, extra;
	int mode = _i % 2 ? HC_MODE_HOGWILD : HC_MODE_EXACT;
	hc_table *t = new_table(HC_KEY_U64, mode, cap, 7);
	uint64_t k0 = hc_test_zero_mix_key(t);
	hc_stats st;

	for (i = 0; i < cap; i++)
		hc_require(hc_add(t, full_key(i, k0), i + 1) == HC_OK,
			   "capacity %llu: key %llu of %llu refused",
			   (unsigned long long)cap, (unsigned long long)i,
			   (unsigned long long)cap);
	extra = full_key(cap, k0);
	ck_assert_hc(hc_add(t, extra, 1), HC_EFULL);
	ck_assert_hc(hc__add_u64(t, extra, 1, HC_MODE_EXACT), HC_EFULL);
	ck_assert_hc(hc__add_u64(t, extra, 1, HC_MODE_HOGWILD), HC_EFULL);
	hc_assert_eq(get(t, extra), 0);
	for (i = 0; i < cap; i++)
		hc_assert_eq(get(t, full_key(i, k0)), i + 1);
	/* Existing keys still count. */
	for (i = 0; i < cap; i++)
		ck_assert_ok(hc_add(t, full_key(i, k0), 1));
	for (i = 0; i < cap; i++)
		hc_assert_eq(get(t, full_key(i, k0)), i + 2);
	stats(t, &st);
	hc_assert_eq(st.distinct, cap);
	hc_assert_eq(st.claimed, cap);
	hc_require(st.load > 0.999 && st.load < 1.001, "load %f", st.load);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* A batch that overflows: done is the failing index, nothing after it
 * was added, even a repeat of an earlier key. */
START_TEST(batch_done_on_full)
{
	int with_deltas = _i;
	hc_table *t = new_table(HC_KEY_U64, HC_MODE_EXACT, 100, 2);
	uint64_t keys[300], deltas[300], k0 = hc_test_zero_mix_key(t);
	struct hc_test_entry *ref;
	size_t i, n = 0, done = 999, nref;

	/* 150 adds over the 100 slots' worth of keys, with repeats. */
	for (i = 0; i < 150; i++) {
		keys[n] = full_key(i % 100, k0);
		deltas[n++] = with_deltas ? i + 1 : 1;
	}
	keys[n] = full_key(100, k0); /* new: no room */
	deltas[n++] = 5;
	for (i = 0; i < 149; i++) { /* repeats after the failure */
		keys[n] = full_key(i % 101, k0);
		deltas[n++] = 1;
	}
	ck_assert_hc(
		hc_add_batch(t, keys, with_deltas ? deltas : NULL, n, &done),
		HC_EFULL);
	hc_assert_eq(done, 150);
	nref = hc_test_ref_u64(keys, deltas, 150, &ref);
	hc_test_assert_ref(t, ref, nref);
	free(ref);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- dense keys ---------------------------------------------------- */

static const unsigned dense_bits[] = { 1, 2, 4, 8, 16 };

START_TEST(dense_range)
{
	unsigned d = dense_bits[_i];
	uint64_t lim = UINT64_C(1) << d, k, c, keys[3];
	struct hc_test_entry *e;
	hc_options o;
	hc_table *t;
	hc_stats st;
	size_t n, done = 99;

	hc_options_init(&o);
	o.key_kind = HC_KEY_DENSE;
	o.dense_bits = d;
	ck_assert_ok(hc_table_create(&t, &o));
	for (k = 0; k < lim; k++)
		if (k % 3 == 0)
			ck_assert_ok(hc_add(t, k, k + 1));
	ck_assert_hc(hc_add(t, lim, 1), HC_ERANGE);
	ck_assert_hc(hc_add(t, UINT64_MAX, 1), HC_ERANGE);
	ck_assert_hc(hc_add(t, lim * 2, 1), HC_ERANGE);
	ck_assert_hc(hc__add_u64(t, lim, 1, HC_MODE_EXACT), HC_ERANGE);
	ck_assert_hc(hc__add_u64(t, lim, 1, HC_MODE_HOGWILD), HC_ERANGE);
	ck_assert_hc(hc_get(t, lim, &c), HC_ERANGE);
	ck_assert_hc(hc_get(t, UINT64_MAX, &c), HC_ERANGE);
	for (k = 0; k < lim; k++)
		hc_assert_eq(get(t, k), k % 3 == 0 ? k + 1 : 0);

	/* Iteration: only the non-zero counters, in any order. */
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, (lim + 2) / 3);
	for (k = 0; k < n; k++) {
		hc_assert_eq(e[k].key, 3 * k);
		hc_assert_eq(e[k].count, 3 * k + 1);
		ck_assert_ptr_null(e[k].bytes);
	}
	hc_test_entries_free(e, n);
	stats(t, &st);
	hc_assert_eq(st.capacity, lim);
	hc_assert_eq(st.distinct, (lim + 2) / 3);
	ck_assert_int_eq(st.key_kind, HC_KEY_DENSE);

	/* A batch stops at the out-of-range key. */
	keys[0] = lim - 1;
	keys[1] = lim;
	keys[2] = 0;
	ck_assert_hc(hc_add_batch(t, keys, NULL, 3, &done), HC_ERANGE);
	hc_assert_eq(done, 1);
	hc_assert_eq(get(t, 0), 1);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(dense_batch_equals_single)
{
	enum { N = 3000 };
	uint64_t keys[N], deltas[N], st = 1;
	hc_options o;
	hc_table *a, *b;
	size_t i, done;

	hc_options_init(&o);
	o.key_kind = HC_KEY_DENSE;
	o.dense_bits = 10;
	ck_assert_ok(hc_table_create(&a, &o));
	o.mode = HC_MODE_HOGWILD;
	ck_assert_ok(hc_table_create(&b, &o));
	for (i = 0; i < N; i++) {
		keys[i] = hc_test_rand(&st) % 1024;
		deltas[i] = i;
		ck_assert_ok(hc_add(a, keys[i], deltas[i]));
	}
	ck_assert_ok(hc_add_batch(b, keys, deltas, N, &done));
	hc_assert_eq(done, N);
	hc_test_assert_same(a, b);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_table_close(b));
}
END_TEST

/* ---- misuse ------------------------------------------------------ */

START_TEST(kind_misuse)
{
	hc_table *u = new_table(HC_KEY_U64, HC_MODE_EXACT, 16, 0);
	hc_table *b = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 16, 0);
	hc_table *d = new_table(HC_KEY_DENSE, HC_MODE_EXACT, 16, 0);
	const void *kp[1] = { "ab" };
	size_t lens[1] = { 2 };
	uint64_t k = 1, c;

	ck_assert_hc(hc_add(b, 1, 1), HC_EMISUSE);
	ck_assert_hc(hc__add_u64(b, 1, 1, HC_MODE_EXACT), HC_EMISUSE);
	ck_assert_hc(hc__add_u64(b, 1, 1, HC_MODE_HOGWILD), HC_EMISUSE);
	ck_assert_hc(hc_add_batch(b, &k, NULL, 1, NULL), HC_EMISUSE);
	ck_assert_hc(hc_get(b, 1, &c), HC_EMISUSE);
	ck_assert_hc(hc_add_bytes(u, "ab", 2, 1), HC_EMISUSE);
	ck_assert_hc(hc_add_bytes(d, "ab", 2, 1), HC_EMISUSE);
	ck_assert_hc(hc_add_bytes_batch(u, kp, lens, NULL, 1, NULL),
		     HC_EMISUSE);
	ck_assert_hc(hc_get_bytes(u, "ab", 2, &c), HC_EMISUSE);
	ck_assert_hc(hc_get_bytes(d, "ab", 2, &c), HC_EMISUSE);
	ck_assert_ok(hc_table_close(u));
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(d));
}
END_TEST

START_TEST(bad_mode_per_call)
{
	hc_table *u = new_table(HC_KEY_U64, HC_MODE_EXACT, 16, 0);
	hc_table *b = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 16, 0);
	uint64_t k = 1;

	ck_assert_hc(hc_add_batch_mode(u, &k, NULL, 1, NULL, 0), HC_EINVAL);
	ck_assert_hc(hc_add_batch_mode(u, &k, NULL, 1, NULL, 3), HC_EINVAL);
	ck_assert_hc(hc__add_bytes(b, "x", 1, 1, 0), HC_EINVAL);
	ck_assert_hc(hc__add_bytes(b, "x", 1, 1, 7), HC_EINVAL);
	{
		const void *keys[] = { "x" };
		size_t lens[] = { 1 }, done = 9;

		ck_assert_hc(hc_add_bytes_batch_mode(b, keys, lens, NULL, 1,
						     &done, 0),
			     HC_EINVAL);
		hc_assert_eq(done, 0);
		ck_assert_ok(hc_add_bytes_batch_mode(b, keys, lens, NULL, 1,
						     &done, HC_MODE_HOGWILD));
		hc_assert_eq(done, 1);
		hc_assert_eq(getb(b, "x", 1), 1);
		ck_assert_ok(hc_add_bytes_batch_mode(b, keys, lens, NULL, 1,
						     &done, HC_MODE_EXACT));
		hc_assert_eq(getb(b, "x", 1), 2);
	}
	hc_assert_eq(get(u, 1), 0);
	ck_assert_ok(hc_table_close(u));
	ck_assert_ok(hc_table_close(b));
}
END_TEST

/* ---- byte keys ------------------------------------------------------ */

static const size_t blens[] = {
	1, 7, 8, 9, 15, 16, 17, 4096, HC_KEY_BYTES_MAX - 1, HC_KEY_BYTES_MAX
};

START_TEST(bytes_lengths)
{
	size_t nl = sizeof(blens) / sizeof(blens[0]), i, j, n;
	unsigned char *buf = malloc(HC_KEY_BYTES_MAX + 16);
	hc_table *t;
	hc_options o;
	struct hc_test_entry *e;
	uint64_t st = 1;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = 64;
	o.arena_bytes = UINT64_C(1) << 20;
	ck_assert_ok(hc_table_create(&t, &o));
	for (i = 0; i < HC_KEY_BYTES_MAX + 16; i++)
		buf[i] = (unsigned char)hc_test_rand(&st);
	/* Each length is a prefix of the next: all distinct keys. */
	for (i = 0; i < nl; i++) {
		hc_require(hc_add_bytes(t, buf, blens[i], i + 1) == HC_OK,
			   "length %zu refused", blens[i]);
		ck_assert_ok(hc__add_bytes(t, buf, blens[i], i + 1,
					   HC_MODE_HOGWILD));
	}
	for (i = 0; i < nl; i++)
		hc_require(getb(t, buf, blens[i]) == 2 * (i + 1),
			   "length %zu: wrong count", blens[i]);
	ck_assert_hc(hc_add_bytes(t, buf, HC_KEY_BYTES_MAX + 1, 1), HC_ERANGE);
	ck_assert_hc(hc_add_bytes(t, buf, 0, 1), HC_ERANGE);
	ck_assert_hc(hc__add_bytes(t, buf, 0, 1, HC_MODE_HOGWILD), HC_ERANGE);
	ck_assert_hc(hc_add_bytes(t, buf, SIZE_MAX, 1), HC_ERANGE);

	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, nl);
	/* Sorted by bytes: prefixes first, so in length order. */
	for (i = 0; i < n; i++) {
		hc_assert_eq(e[i].len, blens[i]);
		ck_assert_mem_eq(e[i].bytes, buf, blens[i]);
		hc_assert_eq(e[i].count, 2 * (i + 1));
		hc_assert_eq(e[i].key, 0);
	}
	hc_test_entries_free(e, n);
	for (j = 0; j < 8; j++) {
		/* Unaligned copies of the key find the same count. */
		memmove(buf + j + 1, buf + j, 4096);
		hc_assert_eq(getb(t, buf + j + 1, 4096), 16);
	}
	free(buf);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

static const size_t last_byte_lens[] = { 1, 2, 7, 8, 9, 16, 100 };

START_TEST(bytes_differ_in_last_byte)
{
	size_t len = last_byte_lens[_i], i;
	hc_table *t = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 512, 0);
	unsigned char key[128];
	struct hc_test_entry *e;
	size_t n;

	memset(key, 'k', sizeof(key));
	for (i = 0; i < 256; i++) {
		key[len - 1] = (unsigned char)i;
		ck_assert_ok(hc_add_bytes(t, key, len, i + 1));
	}
	for (i = 0; i < 256; i++) {
		key[len - 1] = (unsigned char)i;
		hc_assert_eq(getb(t, key, len), i + 1);
	}
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, 256);
	ck_assert_int_eq(hc_test_first_dup(e, n), -1);
	for (i = 0; i < n; i++) {
		hc_assert_eq(e[i].len, len);
		hc_assert_eq(e[i].bytes[len - 1], i);
		hc_assert_eq(e[i].count, i + 1);
	}
	hc_test_entries_free(e, n);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(bytes_with_nuls)
{
	static const struct {
		const char *k;
		size_t len;
	} ks[] = {
		{ "a", 1 },
		{ "a\0", 2 },
		{ "a\0\0", 3 },
		{ "a\0b", 3 },
		{ "a\0c", 3 },
		{ "\0", 1 },
		{ "\0\0", 2 },
		{ "\0\0\0\0\0\0\0\0", 8 },
		{ "\0\0\0\0\0\0\0\0\0", 9 },
		{ "ab", 2 },
		{ "abc", 3 },
		{ "b\0a", 3 },
	};
	size_t nk = sizeof(ks) / sizeof(ks[0]), i, n;
	hc_table *t = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 64, 0);
	struct hc_test_entry *e;

	for (i = 0; i < nk; i++)
		ck_assert_ok(hc_add_bytes(t, ks[i].k, ks[i].len, i + 1));
	for (i = 0; i < nk; i++)
		hc_require(getb(t, ks[i].k, ks[i].len) == i + 1,
			   "key %zu (len %zu) has count %llu", i, ks[i].len,
			   (unsigned long long)getb(t, ks[i].k, ks[i].len));
	hc_assert_eq(getb(t, "a\0d", 3), 0);
	hc_assert_eq(getb(t, "\0\0\0", 3), 0);
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, nk);
	ck_assert_int_eq(hc_test_first_dup(e, n), -1);
	hc_test_entries_free(e, n);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(bytes_exact_equals_hogwild)
{
	enum { N = 4000 };
	hc_table *a = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 2048, 1);
	hc_table *b = new_table(HC_KEY_BYTES, HC_MODE_HOGWILD, 1500, 2);
	hc_table *c = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 1024, 3);
	unsigned char k[HC_TEST_BKEY_MAX];
	uint64_t st = 2;
	size_t i;

	for (i = 0; i < N; i++) {
		size_t len = hc_test_bkey(hc_test_rand(&st) % 900, k);

		ck_assert_ok(hc_add_bytes(a, k, len, 1));
		ck_assert_ok(hc_add_bytes(b, k, len, 1));
		ck_assert_ok(hc__add_bytes(c, k, len, 1, HC_MODE_HOGWILD));
	}
	hc_test_assert_same(a, b);
	hc_test_assert_same(a, c);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(c));
}
END_TEST

START_TEST(bytes_batch_equals_single)
{
	size_t n = batch_sizes[_i / 2], i, done = 7;
	int with_deltas = _i % 2;
	hc_table *a = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 8192, 1);
	hc_table *b = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 8192, 1);
	unsigned char *store = malloc((n + 1) * HC_TEST_BKEY_MAX);
	const void **keys = malloc((n + 1) * sizeof(*keys));
	size_t *lens = malloc((n + 1) * sizeof(*lens));
	uint64_t *deltas = malloc((n + 1) * sizeof(*deltas));
	uint64_t st = 17;

	for (i = 0; i < n; i++) {
		unsigned char *k = store + i * HC_TEST_BKEY_MAX;

		lens[i] = hc_test_bkey(hc_test_rand(&st) % (n / 3 + 2), k);
		keys[i] = k;
		deltas[i] = with_deltas ? 1 + i % 13 : 1;
		ck_assert_ok(hc_add_bytes(a, k, lens[i], deltas[i]));
	}
	ck_assert_ok(hc_add_bytes_batch(b, keys, lens,
					with_deltas ? deltas : NULL, n, &done));
	hc_assert_eq(done, n);
	hc_test_assert_same(a, b);
	free(store);
	free(keys);
	free(lens);
	free(deltas);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_table_close(b));
}
END_TEST

START_TEST(bytes_batch_stops_at_bad_key)
{
	hc_table *t = new_table(HC_KEY_BYTES, HC_MODE_EXACT, 64, 1);
	const void *keys[4] = { "one", "two", "", "four" };
	size_t lens[4] = { 3, 3, 0, 4 }, done = 99;

	ck_assert_hc(hc_add_bytes_batch(t, keys, lens, NULL, 4, &done),
		     HC_ERANGE);
	hc_assert_eq(done, 2);
	hc_assert_eq(getb(t, "one", 3), 1);
	hc_assert_eq(getb(t, "two", 3), 1);
	hc_assert_eq(getb(t, "four", 4), 0);
	lens[2] = HC_KEY_BYTES_MAX + 1;
	ck_assert_hc(hc_add_bytes_batch(t, keys, lens, NULL, 4, &done),
		     HC_ERANGE);
	hc_assert_eq(done, 2);
	hc_assert_eq(getb(t, "one", 3), 2);
	hc_assert_eq(getb(t, "four", 4), 0);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(full_table_bytes)
{
	uint64_t cap = full_caps[_i], i;
	hc_table *t = new_table(HC_KEY_BYTES, HC_MODE_EXACT, cap, 5);
	unsigned char k[HC_TEST_BKEY_MAX];
	const void *kp[3];
	size_t len, lens[3], done = 99;
	hc_stats st;

	for (i = 0; i < cap; i++) {
		len = hc_test_bkey(i, k);
		hc_require(hc_add_bytes(t, k, len, i + 1) == HC_OK,
			   "capacity %llu: key %llu refused",
			   (unsigned long long)cap, (unsigned long long)i);
	}
	len = hc_test_bkey(cap, k);
	ck_assert_hc(hc_add_bytes(t, k, len, 1), HC_EFULL);
	hc_assert_eq(getb(t, k, len), 0);
	/* A batch: an existing key, the new one (fails), the existing
	 * one again (not added). */
	kp[1] = k;
	lens[1] = len;
	{
		unsigned char k0[HC_TEST_BKEY_MAX];

		lens[0] = lens[2] = hc_test_bkey(0, k0);
		kp[0] = kp[2] = k0;
		ck_assert_hc(hc_add_bytes_batch(t, kp, lens, NULL, 3, &done),
			     HC_EFULL);
		hc_assert_eq(done, 1);
		hc_assert_eq(getb(t, k0, lens[0]), 2);
	}
	for (i = 0; i < cap; i++) {
		len = hc_test_bkey(i, k);
		ck_assert_ok(hc_add_bytes(t, k, len, 1));
		hc_assert_eq(getb(t, k, len), i + 2 + (i == 0));
	}
	stats(t, &st);
	hc_assert_eq(st.distinct, cap);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- packed keys ---------------------------------------------------- */

static hc_table *new_packed(int mode, uint64_t cap, unsigned bits)
{
	return new_table_bits(HC_KEY_PACKED, mode, cap, 0xc0ffee + bits, bits);
}

/* Geometries: the count field is 52 - max(0, bits - floor(log2 cap))
 * bits.  Capacities not powers of two; quotients of 0 to 36 bits. */
static const struct {
	unsigned bits;
	uint64_t cap;
} packed_geo[] = {
	{ 1, 3 },      { 12, 5000 }, { 20, 5000 },	    { 42, 100003 },
	{ 48, 16383 }, { 46, 1025 }, { 60, (1 << 24) + 7 },
};
#define NGEO (int)(sizeof(packed_geo) / sizeof(packed_geo[0]))

/* Random keys below 2^bits (and both ends of the range), single or
 * batched, exact or HogWild, against the sorted reference. */
START_TEST(packed_random_against_reference)
{
	enum { N = 12000 };
	unsigned bits = packed_geo[_i / 4].bits;
	uint64_t cap = packed_geo[_i / 4].cap;
	int mode = _i % 2 ? HC_MODE_HOGWILD : HC_MODE_EXACT,
	    batched = _i / 2 % 2;
	uint64_t mask = (UINT64_C(1) << bits) - 1, st = 11 + (uint64_t)_i;
	uint64_t distinct = cap * 6 / 10 < 4000 ? cap * 6 / 10 : 4000;
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_packed(mode, cap, bits);
	struct hc_test_entry *ref;
	size_t i, nref, done;
	hc_stats s;

	if (distinct > mask + 1)
		distinct = mask + 1;
	for (i = 0; i < N; i++) {
		uint64_t id = hc_test_rand(&st) % distinct;

		keys[i] = id == 0   ? 0
			  : id == 1 ? mask
				    : hc_test_scramble(id) & mask;
		deltas[i] = 1 + hc_test_rand(&st) % 5;
	}
	if (batched) {
		ck_assert_ok(
			hc_add_batch_mode(t, keys, deltas, N, &done, mode));
		hc_assert_eq(done, N);
	} else {
		for (i = 0; i < N; i++)
			ck_assert_ok(hc_add_batch_mode(t, &keys[i], &deltas[i],
						       1, NULL, mode));
	}
	nref = hc_test_ref_u64(keys, deltas, N, &ref);
	hc_test_assert_ref(t, ref, nref);
	stats(t, &s);
	hc_assert_eq(s.distinct, nref);
	hc_assert_eq(s.claimed, nref);
	hc_assert_eq(s.capacity, cap);
	hc_assert_eq(s.key_kind, HC_KEY_PACKED);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(packed_range)
{
	hc_table *t = new_packed(HC_MODE_EXACT, 1000, 20);
	uint64_t keys[] = { 5, 1 << 20, 6 }, c = 9;
	size_t done = 9;

	ck_assert_hc(hc_add(t, UINT64_C(1) << 20, 1), HC_ERANGE);
	ck_assert_hc(hc_add(t, UINT64_MAX, 1), HC_ERANGE);
	ck_assert_hc(hc_get(t, UINT64_C(1) << 20, &c), HC_ERANGE);
	hc_assert_eq(c, 0);
	ck_assert_hc(hc_add_batch(t, keys, NULL, 3, &done), HC_ERANGE);
	hc_assert_eq(done, 1);
	hc_assert_eq(get(t, 5), 1);
	hc_assert_eq(get(t, 6), 0);
	ck_assert_hc(hc_add_bytes(t, "a", 1, 1), HC_EMISUSE);
	ck_assert_hc(hc_add_batch_mode(t, keys, NULL, 1, NULL, 7), HC_EINVAL);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * Counts past the 16-bit field of {46 bits, 1024 slots}: saturation at
 * 65535, the rest in the overflow area; exact through iteration, stats,
 * histo, save and merge; a delta of 0 and counts modulo 2^64.
 */
START_TEST(packed_overflow)
{
	int mode = _i ? HC_MODE_HOGWILD : HC_MODE_EXACT;
	hc_table *t = new_packed(mode, 1024, 46), *r, *m;
	uint64_t big = UINT64_C(1) << 40, hist[4];
	char path[256];
	hc_options o;
	hc_stats st;
	hc_view v = { .size = sizeof(v) };

	ck_assert_ok(hc_table_view(t, &v));
	hc_assert_eq(v.slot_size, 8);
	ck_assert_ok(hc_add(t, 1, 65534));
	hc_assert_eq(get(t, 1), 65534);
	ck_assert_ok(hc_add(t, 1, 1)); /* reaches the saturated value */
	hc_assert_eq(get(t, 1), 65535);
	ck_assert_ok(hc_add(t, 1, 10)); /* into the overflow area */
	hc_assert_eq(get(t, 1), 65545);
	ck_assert_ok(hc_add(t, 2, big)); /* a new key, claimed saturated */
	hc_assert_eq(get(t, 2), big);
	ck_assert_ok(hc_add(t, 2, 3));
	hc_assert_eq(get(t, 2), big + 3);
	ck_assert_ok(hc_add(t, 3, 65535)); /* exactly the field's largest */
	hc_assert_eq(get(t, 3), 65535);
	ck_assert_ok(hc_add(t, 4, 0)); /* held, not reported */
	hc_assert_eq(get(t, 4), 0);
	ck_assert_ok(hc_add(t, 5, UINT64_MAX)); /* modulo 2^64 */
	ck_assert_ok(hc_add(t, 5, 2));
	hc_assert_eq(get(t, 5), 1);
	ck_assert_ok(hc_add(t, 6, 7));

	stats(t, &st);
	hc_assert_eq(st.distinct, 5);
	hc_assert_eq(st.claimed, 6);
	hc_assert_eq(st.total, 65545 + big + 3 + 65535 + 1 + 7);
	hc_assert_eq(st.max_count, big + 3);
	hc_assert_eq(st.unique, 1);
	ck_assert_ok(hc_histo(t, hist, 4));
	hc_assert_eq(hist[1], 1);
	hc_assert_eq(hist[3], 4);

	hc_test_path(path, sizeof(path), "packed.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDONLY));
	hc_test_assert_same(t, r);
	hc_assert_eq(get(r, 2), big + 3);
	ck_assert_ok(hc_table_close(r));

	/* Into a u64 table and back into a packed one of another size. */
	hc_options_init(&o);
	o.capacity = 64;
	ck_assert_ok(hc_table_create(&m, &o));
	ck_assert_ok(hc_table_merge(m, t));
	hc_test_assert_same(t, m);
	r = new_packed(HC_MODE_EXACT, 5000, 46);
	ck_assert_ok(hc_table_merge(r, m));
	hc_test_assert_same(t, r);
	ck_assert_ok(hc_table_close(r));
	ck_assert_ok(hc_table_close(m));
	ck_assert_ok(hc_table_close(t));
	unlink(path);
}
END_TEST

/* The overflow area full: the add that needs it is refused before it
 * changes anything, and the rest keeps counting. */
START_TEST(packed_overflow_full)
{
	/* 46 bits, 2048 slots: a 17-bit count field, 1024 overflow entries. */
	hc_table *t = new_packed(HC_MODE_EXACT, 2048, 46);
	uint64_t i, n = 1024, big = 200000;

	for (i = 0; i < n; i++)
		hc_require(hc_add(t, i, big) == HC_OK, "key %llu refused",
			   (unsigned long long)i);
	ck_assert_hc(hc_add(t, n, big), HC_EFULL);
	hc_assert_eq(get(t, n), 0);
	ck_assert_ok(hc_add(t, n, 5)); /* fits in its slot */
	ck_assert_hc(hc_add(t, n, big), HC_EFULL);
	hc_assert_eq(get(t, n), 5);
	for (i = 0; i < n; i++)
		hc_assert_eq(get(t, i), big);
	ck_assert_ok(hc_add(t, 0, 1)); /* has its overflow entry */
	hc_assert_eq(get(t, 0), big + 1);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(full_table_packed)
{
	uint64_t cap = full_caps[_i / 2], i;
	int mode = _i % 2 ? HC_MODE_HOGWILD : HC_MODE_EXACT;
	hc_table *t = new_packed(mode, cap, 30);
	hc_stats st;

	for (i = 0; i < cap; i++)
		hc_require(hc_add(t, i * 7, i + 1) == HC_OK,
			   "capacity %llu: key %llu refused",
			   (unsigned long long)cap, (unsigned long long)i);
	ck_assert_hc(hc_add(t, cap * 7, 1), HC_EFULL);
	hc_assert_eq(get(t, cap * 7), 0);
	for (i = 0; i < cap; i++)
		ck_assert_ok(hc_add(t, i * 7, 1));
	for (i = 0; i < cap; i++)
		hc_assert_eq(get(t, i * 7), i + 2);
	stats(t, &st);
	hc_assert_eq(st.distinct, cap);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * hc_put_bytes, first writer wins (design.md I1): an absent key takes
 * the value, a second put returns the first, a key an add made (or left
 * at count 0) returns its count (or takes the value); bad arguments.
 */
START_TEST(bytes_put_first_wins)
{
	int mode = _i ? HC_MODE_HOGWILD : HC_MODE_EXACT;
	hc_table *t = new_table(HC_KEY_BYTES, mode, 1024, 0);
	hc_table *u = new_table(HC_KEY_U64, HC_MODE_EXACT, 16, 0);
	hc_table *d = new_table(HC_KEY_DENSE, HC_MODE_EXACT, 16, 0);
	struct hc_test_entry *e;
	uint64_t f = 99;
	size_t n;

	ck_assert_ok(hc_put_bytes(t, "alpha", 5, 7, &f));
	hc_assert_eq(f, 7);
	ck_assert_ok(hc_put_bytes(t, "alpha", 5, 9, &f));
	hc_assert_eq(f, 7);
	hc_assert_eq(getb(t, "alpha", 5), 7);
	/* A key an add made: its count. */
	ck_assert_ok(hc_add_bytes(t, "beta", 4, 5));
	ck_assert_ok(hc_put_bytes(t, "beta", 4, 3, &f));
	hc_assert_eq(f, 5);
	hc_assert_eq(getb(t, "beta", 4), 5);
	/* A key present with count 0 (as a claim of a killed process
	 * leaves it): the put sets it. */
	ck_assert_ok(hc_add_bytes(t, "gamma", 5, 0));
	hc_assert_eq(getb(t, "gamma", 5), 0);
	ck_assert_ok(hc_put_bytes(t, "gamma", 5, 11, &f));
	hc_assert_eq(f, 11);
	hc_assert_eq(getb(t, "gamma", 5), 11);
	/* The largest count of a fixed table: all 64 bits. */
	ck_assert_ok(hc_put_bytes(t, "max", 3, UINT64_MAX, &f));
	hc_assert_eq(f, UINT64_MAX);
	ck_assert_ok(hc_put_bytes(t, "max", 3, 1, &f));
	hc_assert_eq(f, UINT64_MAX);
	/* An add after a put adds to it. */
	ck_assert_ok(hc_add_bytes(t, "alpha", 5, 1));
	ck_assert_ok(hc_put_bytes(t, "alpha", 5, 1, &f));
	hc_assert_eq(f, 8);

	/* Bad arguments change nothing and zero *found. */
	f = 99;
	ck_assert_hc(hc_put_bytes(t, "delta", 5, 0, &f), HC_EINVAL);
	hc_assert_eq(f, 0);
	ck_assert_hc(hc_put_bytes(t, "delta", 5, 1, NULL), HC_EINVAL);
	ck_assert_hc(hc_put_bytes(NULL, "delta", 5, 1, &f), HC_EINVAL);
	ck_assert_hc(hc_put_bytes(t, NULL, 5, 1, &f), HC_EINVAL);
	ck_assert_hc(hc_put_bytes(t, "delta", 0, 1, &f), HC_ERANGE);
	ck_assert_hc(hc_put_bytes(t, "delta", HC_KEY_BYTES_MAX + 1, 1, &f),
		     HC_ERANGE);
	hc_assert_eq(getb(t, "delta", 5), 0);
	ck_assert_hc(hc_put_bytes(u, "delta", 5, 1, &f), HC_EMISUSE);
	ck_assert_hc(hc_put_bytes(d, "delta", 5, 1, &f), HC_EMISUSE);

	/* What a walk reports. */
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, 4);
	hc_test_entries_free(e, n);
	ck_assert_ok(hc_table_close(t));
	ck_assert_ok(hc_table_close(u));
	ck_assert_ok(hc_table_close(d));
}
END_TEST

/* A table that grows holds 63-bit counts: a larger value is refused.
 * Values put before many growths are kept, and put again unchanged. */
START_TEST(bytes_put_grows)
{
	unsigned char k[HC_TEST_BKEY_MAX];
	hc_options o;
	hc_table *t;
	uint64_t f, i;
	size_t len;

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = HC_HAVE_PAIR_CAS ? 16 : 32768;
	o.grow = HC_HAVE_PAIR_CAS ? HC_GROW_ON : HC_GROW_OFF;
	if (!HC_HAVE_PAIR_CAS) /* byte keys do not grow here (M8) */
		o.arena_bytes = UINT64_C(4) << 20;
	ck_assert_ok(hc_table_create(&t, &o));
	if (HC_HAVE_PAIR_CAS) {
		ck_assert_hc(hc_put_bytes(t, "x", 1, HC_COUNT_MASK + 1, &f),
			     HC_EINVAL);
		ck_assert_ok(hc_put_bytes(t, "x", 1, HC_COUNT_MASK, &f));
		hc_assert_eq(f, HC_COUNT_MASK);
	}
	for (i = 0; i < 20000; i++) {
		len = hc_test_bkey(i, k);
		ck_assert_ok(hc_put_bytes(t, k, len, i + 1, &f));
		hc_assert_eq(f, i + 1);
	}
	for (i = 0; i < 20000; i++) {
		len = hc_test_bkey(i, k);
		hc_assert_eq(getb(t, k, len), i + 1);
		ck_assert_ok(hc_put_bytes(t, k, len, i + 2, &f));
		hc_assert_eq(f, i + 1);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

Suite *hc_slots_suite(void)
{
	Suite *s = suite_create("slots");
	TCase *tc = tcase_create("u64");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, u64_edge_keys, 0, 4);
	tcase_add_loop_test(tc, u64_zero_mix_key, 0, 4);
	tcase_add_test(tc, u64_delta_zero_and_wrap);
	tcase_add_loop_test(tc, u64_random_against_reference, 0, 2);
	tcase_add_test(tc, exact_equals_hogwild_single_process);
	tcase_add_loop_test(tc, batch_equals_single, 0, 2 * NBATCH);
	tcase_add_loop_test(tc, full_table_u64, 0, 2 * NFULL);
	tcase_add_loop_test(tc, batch_done_on_full, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("packed");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, packed_random_against_reference, 0, 4 * NGEO);
	tcase_add_test(tc, packed_range);
	tcase_add_loop_test(tc, packed_overflow, 0, 2);
	tcase_add_test(tc, packed_overflow_full);
	/* Up to 4096 slots a packed table fills exactly (probe limit 4095). */
	tcase_add_loop_test(tc, full_table_packed, 0, 2 * NFULL);
	suite_add_tcase(s, tc);

	tc = tcase_create("dense");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, dense_range, 0,
			    (int)(sizeof(dense_bits) / sizeof(dense_bits[0])));
	tcase_add_test(tc, dense_batch_equals_single);
	suite_add_tcase(s, tc);

	tc = tcase_create("misuse");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, kind_misuse);
	tcase_add_test(tc, bad_mode_per_call);
	suite_add_tcase(s, tc);

	tc = tcase_create("bytes");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bytes_lengths);
	tcase_add_loop_test(
		tc, bytes_differ_in_last_byte, 0,
		(int)(sizeof(last_byte_lens) / sizeof(last_byte_lens[0])));
	tcase_add_test(tc, bytes_with_nuls);
	tcase_add_test(tc, bytes_exact_equals_hogwild);
	tcase_add_loop_test(tc, bytes_batch_equals_single, 0, 2 * NBATCH);
	tcase_add_test(tc, bytes_batch_stops_at_bad_key);
	tcase_add_loop_test(tc, full_table_bytes, 0, NFULL);
	tcase_add_loop_test(tc, bytes_put_first_wins, 0, 2);
	tcase_add_test(tc, bytes_put_grows);
	suite_add_tcase(s, tc);
	return s;
}
