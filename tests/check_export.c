/* SPDX-License-Identifier: MIT */
/*
 * check_export.c - export.c: statistics, the count-of-counts histogram
 * (checked against one recomputed here from the reference), and merge
 * across capacities, seeds and kinds.
 */
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>

#include "hc_test.h"
#include "hc_internal.h"

static hc_table *table(int kind, uint64_t cap, uint64_t seed)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = kind;
	o.capacity = cap ? cap : 64;
	o.seed = seed;
	o.dense_bits = 12;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static void stats(const hc_table *t, hc_stats *st)
{
	memset(st, 0xee, sizeof(*st));
	st->size = sizeof(*st);
	ck_assert_ok(hc_table_stats(t, st));
}

static uint64_t get(const hc_table *t, uint64_t key)
{
	uint64_t c = ~UINT64_C(0);

	ck_assert_ok(hc_get(t, key, &c));
	return c;
}

/* A stream of @n adds over about @distinct keys with a skewed spread of
 * counts, the edge keys of @t among them; returns the reference. */
static size_t fill(hc_table *t, size_t n, uint64_t distinct, uint64_t seed,
		   struct hc_test_entry **ref)
{
	uint64_t *keys = malloc(n * sizeof(*keys)), st = seed;
	uint64_t k0 = hc_test_zero_mix_key(t);
	size_t i, nref;

	for (i = 0; i < n; i++) {
		uint64_t r = hc_test_rand(&st);

		/* Squaring skews: small ids are frequent. */
		double u = (double)(r >> 11) * 0x1.0p-53;
		uint64_t id = (uint64_t)(u * u * (double)distinct);

		keys[i] = id == 0   ? 0
			  : id == 1 ? UINT64_MAX
			  : id == 2 ? k0
				    : hc_test_scramble(id);
		ck_assert_ok(hc_add(t, keys[i], 1));
	}
	nref = hc_test_ref_u64(keys, NULL, n, ref);
	free(keys);
	return nref;
}

/* ---- stats --------------------------------------------------------- */

START_TEST(stats_u64)
{
	hc_table *t = table(HC_KEY_U64, 8192, 5);
	struct hc_test_entry *ref;
	size_t nref, i;
	uint64_t total = 0, unique = 0, maxc = 0;
	hc_stats st;

	stats(t, &st);
	hc_assert_eq(st.size, sizeof(st));
	ck_assert_int_eq(st.key_kind, HC_KEY_U64);
	ck_assert_int_eq(st.mode, HC_MODE_EXACT);
	hc_assert_eq(st.capacity, 8192);
	hc_assert_eq(st.distinct, 0);
	hc_assert_eq(st.total, 0);
	hc_assert_eq(st.claimed, 0);
	ck_assert(st.load == 0.0);
	hc_assert_ge(st.mapped_bytes, HC_HEADER_SIZE + 8192 * 16);

	nref = fill(t, 30000, 5000, 1, &ref);
	for (i = 0; i < nref; i++) {
		total += ref[i].count;
		unique += ref[i].count == 1;
		if (ref[i].count > maxc)
			maxc = ref[i].count;
	}
	/* A claimed key with count 0 (delta 0) counts as claimed only. */
	ck_assert_ok(hc_add(t, 0x5eed, 0));
	stats(t, &st);
	hc_assert_eq(st.distinct, nref);
	hc_assert_eq(st.total, total);
	hc_assert_eq(st.unique, unique);
	hc_assert_eq(st.max_count, maxc);
	hc_assert_ge(st.claimed, nref);
	hc_assert_le(st.claimed, nref + 1);
	hc_require(st.load > (double)st.claimed / 8192 - 1e-9 &&
			   st.load < (double)st.claimed / 8192 + 1e-9,
		   "load %f for %llu claimed", st.load,
		   (unsigned long long)st.claimed);
	free(ref);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(stats_bytes_and_dense)
{
	hc_table *b = table(HC_KEY_BYTES, 1024, 0);
	hc_table *d = table(HC_KEY_DENSE, 0, 0);
	hc_options o;
	hc_stats st;
	size_t i;

	hc_options_init(&o);
	ck_assert_ok(hc_table_options(b, &o));
	for (i = 0; i < 100; i++) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(i, k);

		ck_assert_ok(hc_add_bytes(b, k, len, i % 3 + 1));
		ck_assert_ok(hc_add(d, i * 40, i % 3 + 1));
	}
	stats(b, &st);
	ck_assert_int_eq(st.key_kind, HC_KEY_BYTES);
	hc_assert_eq(st.distinct, 100);
	hc_assert_eq(st.total, 33 * 6 + 1);
	hc_assert_eq(st.unique, 34);
	hc_assert_eq(st.max_count, 3);
	hc_assert_eq(st.arena_bytes, 1024 * 32);
	hc_assert_ge(st.arena_used, 100 * 16);
	hc_assert_le(st.arena_used, 100 * 48 + 64);
	hc_assert_ge(st.mapped_bytes,
		     HC_HEADER_SIZE + 1024 * 16 + st.arena_bytes);

	stats(d, &st);
	ck_assert_int_eq(st.key_kind, HC_KEY_DENSE);
	hc_assert_eq(st.capacity, 4096);
	hc_assert_eq(st.distinct, 100);
	hc_assert_eq(st.total, 33 * 6 + 1);
	hc_assert_eq(st.unique, 34);
	hc_assert_eq(st.arena_bytes, 0);
	hc_assert_ge(st.mapped_bytes, HC_HEADER_SIZE + 4096 * 8);
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(d));
}
END_TEST

START_TEST(stats_bad_args)
{
	hc_table *t = table(HC_KEY_U64, 64, 0);
	hc_stats st;

	memset(&st, 0, sizeof(st));
	st.size = 0;
	ck_assert_hc(hc_table_stats(t, &st), HC_EINVAL);
	ck_assert_hc(hc_table_stats(t, NULL), HC_EINVAL);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- histogram ------------------------------------------------------ */

static const size_t histo_lens[] = { 2, 3, 4, 10, 100, 5000 };

START_TEST(histo_matches_recomputed)
{
	size_t len = histo_lens[_i], nref, i;
	hc_table *t = table(HC_KEY_U64, 1 << 14, 77);
	uint64_t *hist = malloc((len + 1) * sizeof(*hist));
	uint64_t *want = calloc(len, sizeof(*want));
	struct hc_test_entry *ref;

	nref = fill(t, 60000, 8000, 3, &ref);
	for (i = 0; i < nref; i++) {
		uint64_t c = ref[i].count;

		want[c < len - 1 ? c : len - 1]++;
	}
	want[0] = 0;
	memset(hist, 0xab, (len + 1) * sizeof(*hist));
	ck_assert_ok(hc_histo(t, hist, len));
	for (i = 0; i < len; i++)
		hc_require(hist[i] == want[i],
			   "len %zu: hist[%zu] = %llu, expected %llu", len, i,
			   (unsigned long long)hist[i],
			   (unsigned long long)want[i]);
	/* Nothing written past the end. */
	hc_assert_eq(hist[len], UINT64_C(0xabababababababab));
	free(ref);
	free(hist);
	free(want);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(histo_overflow_bin_and_kinds)
{
	hc_table *b = table(HC_KEY_BYTES, 64, 0);
	hc_table *d = table(HC_KEY_DENSE, 0, 0);
	uint64_t h[4];

	ck_assert_ok(hc_add_bytes(b, "x", 1, 1));
	ck_assert_ok(hc_add_bytes(b, "y", 1, 2));
	ck_assert_ok(hc_add_bytes(b, "z", 1, 3));
	ck_assert_ok(hc_add_bytes(b, "w", 1, UINT64_MAX));
	ck_assert_ok(hc_histo(b, h, 4));
	hc_assert_eq(h[0], 0);
	hc_assert_eq(h[1], 1);
	hc_assert_eq(h[2], 1);
	hc_assert_eq(h[3], 2);
	ck_assert_ok(hc_add(d, 0, 1));
	ck_assert_ok(hc_add(d, 4095, 1));
	ck_assert_ok(hc_add(d, 7, 9));
	ck_assert_ok(hc_histo(d, h, 2));
	hc_assert_eq(h[0], 0);
	hc_assert_eq(h[1], 3);
	ck_assert_ok(hc_histo(d, h, 3));
	hc_assert_eq(h[1], 2);
	hc_assert_eq(h[2], 1);
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(d));
}
END_TEST

START_TEST(histo_bad_args)
{
	hc_table *t = table(HC_KEY_U64, 64, 0);
	uint64_t h[2] = { 5, 5 };

	ck_assert_hc(hc_histo(t, h, 0), HC_EINVAL);
	ck_assert_hc(hc_histo(t, h, 1), HC_EINVAL);
	ck_assert_hc(hc_histo(t, NULL, 8), HC_EINVAL);
	hc_assert_eq(h[1], 5);
	ck_assert_ok(hc_histo(t, h, 2));
	hc_assert_eq(h[0], 0);
	hc_assert_eq(h[1], 0);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- merge --------------------------------------------------------- */

/* u64 into u64 of another capacity and seed, both holding keys; the
 * source's and the destination's zero-mix keys among them. */
START_TEST(merge_u64_other_capacity_and_seed)
{
	static const uint64_t caps[][2] = { { 4096, 16384 },
					    { 16384, 8192 },
					    { 3000, 7001 } };
	hc_table *src = table(HC_KEY_U64, caps[_i][0], 11);
	hc_table *dst = table(HC_KEY_U64, caps[_i][1], 22);
	uint64_t ks = hc_test_zero_mix_key(src), kd = hc_test_zero_mix_key(dst);
	struct hc_test_entry *rs, *rd, *all, *before, *after;
	size_t ns, nd, i, nall, nbefore, nafter;
	uint64_t *keys, *deltas;

	ns = fill(src, 8000, 2000, 5, &rs);
	nd = fill(dst, 8000, 2000, 6, &rd);
	ck_assert_ok(hc_add(src, kd, 5));
	ck_assert_ok(hc_add(dst, ks, 7));
	/* The expected result: both references plus the two adds. */
	keys = malloc((ns + nd + 2) * sizeof(*keys));
	deltas = malloc((ns + nd + 2) * sizeof(*deltas));
	for (i = 0; i < ns; i++) {
		keys[i] = rs[i].key;
		deltas[i] = rs[i].count;
	}
	for (i = 0; i < nd; i++) {
		keys[ns + i] = rd[i].key;
		deltas[ns + i] = rd[i].count;
	}
	keys[ns + nd] = kd;
	deltas[ns + nd] = 5;
	keys[ns + nd + 1] = ks;
	deltas[ns + nd + 1] = 7;
	nall = hc_test_ref_u64(keys, deltas, ns + nd + 2, &all);
	ck_assert_ok(hc_test_collect(src, &before, &nbefore));
	ck_assert_ok(hc_table_merge(dst, src));
	hc_test_assert_ref(dst, all, nall);
	/* The source is unchanged. */
	ck_assert_ok(hc_test_collect(src, &after, &nafter));
	hc_assert_eq(nafter, nbefore);
	for (i = 0; i < nafter; i++) {
		hc_assert_eq(after[i].key, before[i].key);
		hc_assert_eq(after[i].count, before[i].count);
	}
	hc_test_entries_free(before, nbefore);
	hc_test_entries_free(after, nafter);
	free(rs);
	free(rd);
	free(all);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(src));
	ck_assert_ok(hc_table_close(dst));
}
END_TEST

START_TEST(merge_dense_into_u64_and_back)
{
	hc_table *d = table(HC_KEY_DENSE, 0, 0);
	hc_table *u = table(HC_KEY_U64, 8192, 3);
	hc_table *d2 = table(HC_KEY_DENSE, 0, 0);
	uint64_t k;

	for (k = 0; k < 4096; k += 3)
		ck_assert_ok(hc_add(d, k, k + 1));
	ck_assert_ok(hc_add(u, 1, 100));
	ck_assert_ok(hc_table_merge(u, d));
	for (k = 0; k < 4096; k++)
		hc_assert_eq(get(u, k),
			     (k % 3 == 0 ? k + 1 : 0) + (k == 1 ? 100 : 0));
	/* Integer kinds merge with each other: u64 into dense works while
	 * keys fit, and says ERANGE for one that does not. */
	ck_assert_ok(hc_table_merge(d2, u));
	hc_test_assert_same(u, d2);
	ck_assert_ok(hc_add(u, 4096, 1));
	ck_assert_hc(hc_table_merge(d2, u), HC_ERANGE);
	ck_assert_ok(hc_table_close(d));
	ck_assert_ok(hc_table_close(u));
	ck_assert_ok(hc_table_close(d2));
}
END_TEST

START_TEST(merge_bytes_into_bytes)
{
	hc_table *a = table(HC_KEY_BYTES, 1024, 1);
	hc_table *b = table(HC_KEY_BYTES, 3000, 2);
	hc_table *want = table(HC_KEY_BYTES, 4096, 3);
	size_t i;

	for (i = 0; i < 800; i++) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(i, k);

		ck_assert_ok(hc_add_bytes(a, k, len, i + 1));
		ck_assert_ok(hc_add_bytes(want, k, len, i + 1));
		len = hc_test_bkey(i + 400, k);
		ck_assert_ok(hc_add_bytes(b, k, len, 2));
		ck_assert_ok(hc_add_bytes(want, k, len, 2));
	}
	ck_assert_ok(hc_table_merge(b, a));
	hc_test_assert_same(b, want);
	ck_assert_ok(hc_table_close(a));
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(want));
}
END_TEST

START_TEST(merge_kind_mismatch)
{
	hc_table *u = table(HC_KEY_U64, 64, 0);
	hc_table *b = table(HC_KEY_BYTES, 64, 0);
	hc_table *d = table(HC_KEY_DENSE, 0, 0);
	uint64_t c;

	ck_assert_ok(hc_add(u, 5, 1));
	ck_assert_ok(hc_add(d, 5, 1));
	ck_assert_ok(hc_add_bytes(b, "k", 1, 1));
	ck_assert_hc(hc_table_merge(b, u), HC_EKIND);
	ck_assert_hc(hc_table_merge(b, d), HC_EKIND);
	ck_assert_hc(hc_table_merge(u, b), HC_EKIND);
	ck_assert_hc(hc_table_merge(d, b), HC_EKIND);
	ck_assert_ok(hc_get_bytes(b, "k", 1, &c));
	hc_assert_eq(c, 1);
	hc_assert_eq(get(u, 5), 1);
	ck_assert_ok(hc_table_close(u));
	ck_assert_ok(hc_table_close(b));
	ck_assert_ok(hc_table_close(d));
}
END_TEST

/* Into a table too small: EFULL, and the destination holds a prefix of
 * the source's entries, each added in full. */
START_TEST(merge_into_too_small)
{
	int bytes = _i;
	hc_table *src = table(bytes ? HC_KEY_BYTES : HC_KEY_U64, 1024, 1);
	hc_table *dst = table(bytes ? HC_KEY_BYTES : HC_KEY_U64, 100, 2);
	struct hc_test_entry *es, *ed;
	size_t ns, nd, i, j;
	hc_stats st;

	for (i = 0; i < 500; i++) {
		if (bytes) {
			unsigned char k[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(i, k);

			ck_assert_ok(hc_add_bytes(src, k, len, i + 1));
		} else {
			ck_assert_ok(hc_add(src, hc_test_scramble(i), i + 1));
		}
	}
	ck_assert_hc(hc_table_merge(dst, src), HC_EFULL);
	ck_assert_ok(hc_test_collect(src, &es, &ns));
	ck_assert_ok(hc_test_collect(dst, &ed, &nd));
	hc_assert_eq(ns, 500);
	hc_assert_ge(nd, 1);
	hc_assert_le(nd, 100);
	/* Every destination entry is a source entry with its full count. */
	for (i = j = 0; i < nd; i++) {
		while (j < ns &&
		       (bytes ? (es[j].len != ed[i].len ||
				 memcmp(es[j].bytes, ed[i].bytes, ed[i].len))
			      : es[j].key != ed[i].key))
			j++;
		hc_require(j < ns, "destination entry %zu not in source", i);
		hc_assert_eq(ed[i].count, es[j].count);
	}
	stats(dst, &st);
	hc_assert_eq(st.distinct, nd);
	hc_test_entries_free(es, ns);
	hc_test_entries_free(ed, nd);
	ck_assert_ok(hc_table_close(src));
	ck_assert_ok(hc_table_close(dst));
}
END_TEST

START_TEST(merge_into_read_only)
{
	char path[256];
	hc_table *src = table(HC_KEY_U64, 64, 0), *dst;

	hc_test_path(path, sizeof(path), "merge-ro.hc");
	ck_assert_ok(hc_table_create_file(&dst, path, NULL));
	ck_assert_ok(hc_add(dst, 9, 1));
	ck_assert_ok(hc_table_close(dst));
	ck_assert_ok(hc_table_open(&dst, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc_add(src, 9, 1));
	ck_assert_hc(hc_table_merge(dst, src), HC_ERDONLY);
	hc_assert_eq(get(dst, 9), 1);
	/* A read-only table is a fine source. */
	ck_assert_ok(hc_table_merge(src, dst));
	hc_assert_eq(get(src, 9), 2);
	ck_assert_ok(hc_table_close(dst));
	ck_assert_ok(hc_table_close(src));
}
END_TEST

struct adder_arg {
	hc_table *t;
	volatile int *go;
};

/* Adds 1 to keys 0..9999, twice over, into the merge destination. */
static int dst_adder(int id, void *p)
{
	struct adder_arg *a = p;
	uint64_t r, i;

	(void)id;
	while (!__atomic_load_n(a->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (r = 0; r < 2; r++)
		for (i = 0; i < 10000; i++)
			if (hc_add(a->t, i, 1))
				return 1;
	return 0;
}

/* "@dst may be updated concurrently by others": nothing is lost. */
START_TEST(merge_while_dst_updated)
{
	hc_table *src = table(HC_KEY_U64, 1 << 14, 1);
	struct adder_arg a;
	uint64_t i, c;
	pid_t pid;
	int st = 0;

	a.t = table(HC_KEY_U64, 1 << 15, 2);
	a.go = hc_test_shared(sizeof(int));
	for (i = 0; i < 10000; i++)
		ck_assert_ok(hc_add(src, i + 5000, 3));
	pid = hc_test_spawn(dst_adder, 0, &a);
	__atomic_store_n(a.go, 1, __ATOMIC_RELEASE);
	ck_assert_ok(hc_table_merge(a.t, src));
	hc_require(hc_test_wait(pid, 60, &st), "adder hung");
	hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0, "adder failed");
	for (i = 0; i < 15000; i++) {
		ck_assert_ok(hc_get(a.t, i, &c));
		hc_assert_eq(c, (i < 10000 ? 2 : 0) + (i >= 5000 ? 3 : 0));
	}
	ck_assert_ok(hc_table_close(src));
	ck_assert_ok(hc_table_close(a.t));
}
END_TEST

Suite *hc_export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("stats");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, stats_u64);
	tcase_add_test(tc, stats_bytes_and_dense);
	tcase_add_test(tc, stats_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("histo");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, histo_matches_recomputed, 0,
			    (int)(sizeof(histo_lens) / sizeof(histo_lens[0])));
	tcase_add_test(tc, histo_overflow_bin_and_kinds);
	tcase_add_test(tc, histo_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, merge_u64_other_capacity_and_seed, 0, 3);
	tcase_add_test(tc, merge_dense_into_u64_and_back);
	tcase_add_test(tc, merge_bytes_into_bytes);
	tcase_add_test(tc, merge_kind_mismatch);
	tcase_add_loop_test(tc, merge_into_too_small, 0, 2);
	tcase_add_test(tc, merge_into_read_only);
	tcase_add_test(tc, merge_while_dst_updated);
	suite_add_tcase(s, tc);
	return s;
}
