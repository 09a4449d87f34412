/* SPDX-License-Identifier: MIT */
/*
 * check_iter.c - iter.c: walks return every entry with a non-zero count
 * exactly once, with its bytes for byte keys; and while another process
 * adds (design.md G1, G2): no entry twice, no torn key, every key seen by
 * one walk is seen by the next with a count at least as large.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

static hc_table *table(int kind, uint64_t cap)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = kind;
	o.capacity = cap;
	o.dense_bits = 12;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static const int kinds[] = { HC_KEY_U64, HC_KEY_BYTES, HC_KEY_DENSE };

START_TEST(empty_table)
{
	hc_table *t = table(kinds[_i], 64);
	hc_iter *it;
	hc_entry e;

	ck_assert_ok(hc_iter_create(t, &it));
	ck_assert_int_eq(hc_iter_next(it, &e), 0);
	ck_assert_int_eq(hc_iter_next(it, &e), 0);
	hc_iter_destroy(it);
	hc_iter_destroy(NULL);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(only_nonzero_counts)
{
	int kind = kinds[_i];
	hc_table *t = table(kind, 4096);
	struct hc_test_entry *e;
	size_t n, i;

	/* Keys 0..999: even ones get i+1, odd ones get a delta of 0. */
	for (i = 0; i < 1000; i++) {
		uint64_t d = i % 2 ? 0 : i + 1;

		if (kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];
			size_t len = hc_test_bkey(i, k);

			ck_assert_ok(hc_add_bytes(t, k, len, d));
		} else {
			ck_assert_ok(hc_add(t, i, d));
		}
	}
	ck_assert_ok(hc_test_collect(t, &e, &n));
	hc_assert_eq(n, 500);
	ck_assert_int_eq(hc_test_first_dup(e, n), -1);
	for (i = 0; i < n; i++) {
		uint64_t id;

		if (kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];

			ck_assert_ptr_nonnull(e[i].bytes);
			hc_assert_eq(e[i].key, 0);
			hc_assert_ge(e[i].len, 8);
			memcpy(&id, e[i].bytes, 8);
			hc_assert_eq(e[i].len, hc_test_bkey(id, k));
			ck_assert_mem_eq(e[i].bytes, k, e[i].len);
		} else {
			ck_assert_ptr_null(e[i].bytes);
			id = e[i].key;
			if (kind == HC_KEY_U64)
				hc_assert_eq(id, 2 * i);
		}
		hc_assert_eq(id % 2, 0);
		hc_assert_eq(e[i].count, id + 1);
	}
	hc_test_entries_free(e, n);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Entries @a[0..na) and @b[0..nb), sorted, are the same. */
static void same_entries(const struct hc_test_entry *a, size_t na,
			 const struct hc_test_entry *b, size_t nb)
{
	hc_assert_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		hc_assert_eq(a[i].key, b[i].key);
		hc_assert_eq(a[i].count, b[i].count);
		hc_assert_eq(a[i].len, b[i].len);
		if (a[i].len)
			ck_assert_mem_eq(a[i].bytes, b[i].bytes, a[i].len);
	}
}

/* Walks in parts return together what one walk does, each entry once:
 * the zero key and UINT64_MAX, more parts than entries or slots, a
 * compact file (all in part 0); 0 parts or too many are refused. */
START_TEST(parts_union)
{
	static const unsigned parts[] = { 1, 2, 3, 7, 64, HC_ITER_PARTS_MAX };
	int kind = kinds[_i];
	hc_table *t = table(kind, 4096), *c;
	struct hc_test_entry *one, *many;
	size_t n1, nm;
	hc_iter *its[2];
	char path[4096];

	for (uint64_t i = 0; i < 3000; i++) {
		if (kind == HC_KEY_BYTES) {
			unsigned char k[HC_TEST_BKEY_MAX];

			ck_assert_ok(hc_add_bytes(t, k, hc_test_bkey(i, k),
						  1 + i % 5));
		} else {
			uint64_t key = kind == HC_KEY_DENSE ? i % 4096
				       : i == 1		    ? UINT64_MAX
							    : i * 977;

			ck_assert_ok(hc_add(t, key, 1 + i % 5));
		}
	}
	hc_test_path(path, sizeof(path), "parts");
	ck_assert_ok(hc_table_save_compact(t, path));
	ck_assert_ok(hc_table_open(&c, path, HC_OPEN_RDONLY));
	for (int src = 0; src < 2; src++) {
		const hc_table *x = src ? c : t;

		ck_assert_ok(hc_test_collect(x, &one, &n1));
		hc_assert_ge(n1, kind == HC_KEY_DENSE ? 2048 : 3000);
		for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
			ck_assert_ok(
				hc_test_collect_parts(x, parts[p], &many, &nm));
			ck_assert_int_eq(hc_test_first_dup(many, nm), -1);
			same_entries(one, n1, many, nm);
			hc_test_entries_free(many, nm);
		}
		hc_test_entries_free(one, n1);
	}
	ck_assert_int_eq(hc_iter_create_parts(t, 0, its), HC_EINVAL);
	ck_assert_int_eq(hc_iter_create_parts(t, HC_ITER_PARTS_MAX + 1, its),
			 HC_EINVAL);
	ck_assert_int_eq(hc_iter_create_parts(NULL, 2, its), HC_EINVAL);
	ck_assert_ok(hc_table_close(c));
	ck_assert_ok(hc_table_close(t));
	unlink(path);
}
END_TEST

/* Byte pointers stay valid while the table is open, across later adds. */
START_TEST(bytes_pointers_stay_valid)
{
	hc_table *t = table(HC_KEY_BYTES, 256);
	const void *ptrs[100];
	size_t lens[100], n = 0, i;
	hc_iter *it;
	hc_entry e;

	for (i = 0; i < 100; i++) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(i, k);

		ck_assert_ok(hc_add_bytes(t, k, len, 1));
	}
	ck_assert_ok(hc_iter_create(t, &it));
	while (hc_iter_next(it, &e) == 1) {
		hc_assert_lt(n, 100);
		ptrs[n] = e.bytes;
		lens[n++] = e.len;
	}
	hc_iter_destroy(it);
	hc_assert_eq(n, 100);
	for (i = 100; i < 200; i++) {
		unsigned char k[HC_TEST_BKEY_MAX];
		size_t len = hc_test_bkey(i, k);

		ck_assert_ok(hc_add_bytes(t, k, len, 1));
	}
	for (i = 0; i < n; i++) {
		unsigned char k[HC_TEST_BKEY_MAX];
		uint64_t id;

		memcpy(&id, ptrs[i], 8);
		hc_assert_lt(id, 100);
		hc_assert_eq(lens[i], hc_test_bkey(id, k));
		ck_assert_mem_eq(ptrs[i], k, lens[i]);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Two walks interleaved do not disturb each other. */
START_TEST(two_iterators)
{
	hc_table *t = table(HC_KEY_U64, 1024);
	hc_iter *a, *b;
	hc_entry ea, eb;
	size_t na = 0, nb = 0, i;
	int ra, rb;

	for (i = 0; i < 500; i++)
		ck_assert_ok(hc_add(t, i * 1000003, 1));
	ck_assert_ok(hc_iter_create(t, &a));
	ck_assert_ok(hc_iter_create(t, &b));
	do {
		ra = hc_iter_next(a, &ea);
		na += ra == 1;
		rb = hc_iter_next(b, &eb);
		nb += rb == 1;
		if (ra == 1 && rb == 1)
			hc_assert_eq(ea.key, eb.key);
	} while (ra == 1 || rb == 1);
	ck_assert_int_eq(ra, 0);
	ck_assert_int_eq(rb, 0);
	hc_assert_eq(na, 500);
	hc_assert_eq(nb, 500);
	hc_iter_destroy(a);
	hc_iter_destroy(b);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* The zero-mix key and the edge keys come out once each. */
START_TEST(edge_keys_once)
{
	hc_table *t = table(HC_KEY_U64, 8);
	uint64_t k0 = hc_test_zero_mix_key(t);
	uint64_t keys[3] = { 0, UINT64_MAX, k0 };
	struct hc_test_entry *e, *ref;
	size_t n, nref;

	ck_assert_ok(hc_add(t, 0, 1));
	ck_assert_ok(hc_add(t, UINT64_MAX, 1));
	ck_assert_ok(hc_add(t, k0, 1));
	ck_assert_ok(hc_test_collect(t, &e, &n));
	nref = hc_test_ref_u64(keys, NULL, 3, &ref);
	hc_assert_eq(n, nref);
	hc_test_assert_ref(t, ref, nref);
	hc_test_entries_free(e, n);
	free(ref);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* ---- while another process adds --------------------------------------- */

enum { WALK_KEYS = 20000, WALK_ROUNDS = 3 };

struct writer_arg {
	hc_table *t;
	int kind;
	volatile int *go;
};

static int writer(int id, void *p)
{
	struct writer_arg *a = p;
	uint64_t r, i;

	(void)id;
	while (!__atomic_load_n(a->go, __ATOMIC_ACQUIRE))
		sched_yield();
	/* New keys in order, then more rounds over the same keys. */
	for (r = 0; r < WALK_ROUNDS; r++)
		for (i = 0; i < WALK_KEYS; i++) {
			int rc;

			if (a->kind == HC_KEY_BYTES) {
				unsigned char k[HC_TEST_BKEY_MAX];
				size_t len = hc_test_bkey(i, k);

				rc = hc_add_bytes(a->t, k, len, 1);
			} else {
				rc = hc_add(a->t, hc_test_scramble(i), 1);
			}
			if (rc)
				return 1;
		}
	return 0;
}

/* Key id of an entry, or ~0 if it is not one the writer adds. */
static uint64_t entry_id(const struct hc_test_entry *e, int kind,
			 const struct hc_test_entry *ids, size_t nids)
{
	if (kind == HC_KEY_BYTES) {
		unsigned char k[HC_TEST_BKEY_MAX];
		uint64_t id;

		if (e->len < 8)
			return ~UINT64_C(0);
		memcpy(&id, e->bytes, 8);
		if (id >= WALK_KEYS || e->len != hc_test_bkey(id, k) ||
		    memcmp(e->bytes, k, e->len))
			return ~UINT64_C(0);
		return id;
	} else {
		size_t lo = 0, hi = nids;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (ids[mid].key < e->key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nids && ids[lo].key == e->key)
			return ids[lo].count; /* the id, stored as count */
		return ~UINT64_C(0);
	}
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct hc_test_entry *a = pa, *b = pb;

	return (a->key > b->key) - (a->key < b->key);
}

START_TEST(walk_while_another_process_adds)
{
	int kind = _i ? HC_KEY_BYTES : HC_KEY_U64;
	struct writer_arg a;
	struct hc_test_entry *ids = NULL, *prev = NULL, *cur;
	uint64_t *seen = calloc(WALK_KEYS, sizeof(*seen));
	size_t nids = 0, nprev = 0, ncur, i, walks = 0;
	int st = 0, done = 0;
	pid_t pid;

	a.kind = kind;
	a.t = table(kind, 2 * WALK_KEYS);
	a.go = hc_test_shared(sizeof(int));
	if (kind == HC_KEY_U64) {
		/* id lookup by key: (key, id) pairs sorted by key. */
		ids = calloc(WALK_KEYS, sizeof(*ids));
		for (i = 0; i < WALK_KEYS; i++) {
			ids[i].key = hc_test_scramble(i);
			ids[i].count = i;
		}
		nids = WALK_KEYS;
		qsort(ids, nids, sizeof(*ids), key_cmp);
	}
	pid = hc_test_spawn(writer, 0, &a);
	__atomic_store_n(a.go, 1, __ATOMIC_RELEASE);
	while (!done) {
		size_t p = 0;

		done = hc_test_wait(pid, 0, &st);
		ck_assert_ok(hc_test_collect(a.t, &cur, &ncur));
		walks++;
		hc_require(hc_test_first_dup(cur, ncur) < 0,
			   "walk %zu returned a key twice", walks);
		memset(seen, 0, WALK_KEYS * sizeof(*seen));
		for (i = 0; i < ncur; i++) {
			uint64_t id = entry_id(&cur[i], kind, ids, nids);

			hc_require(id != ~UINT64_C(0),
				   "walk %zu: entry %zu is not a key "
				   "that was added (torn?)",
				   walks, i);
			hc_assert_gt(cur[i].count, 0);
			hc_assert_le(cur[i].count, WALK_ROUNDS);
			seen[id] = cur[i].count;
		}
		/* G1: what the last walk saw is still there, not less. */
		for (p = 0; p < nprev; p++) {
			uint64_t id = entry_id(&prev[p], kind, ids, nids);

			hc_require(seen[id] >= prev[p].count,
				   "walk %zu lost key id %llu (count "
				   "%llu, was %llu)",
				   walks, (unsigned long long)id,
				   (unsigned long long)seen[id],
				   (unsigned long long)prev[p].count);
		}
		hc_test_entries_free(prev, nprev);
		prev = cur;
		nprev = ncur;
	}
	hc_require(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "writer failed (status %d)", st);
	/* The walk after the writer finished is complete and exact. */
	hc_assert_eq(nprev, WALK_KEYS);
	for (i = 0; i < nprev; i++)
		hc_assert_eq(prev[i].count, WALK_ROUNDS);
	hc_test_entries_free(prev, nprev);
	free(ids);
	free(seen);
	ck_assert_ok(hc_table_close(a.t));
}
END_TEST

Suite *hc_iter_suite(void)
{
	Suite *s = suite_create("iter");
	TCase *tc = tcase_create("walk");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, empty_table, 0, 3);
	tcase_add_loop_test(tc, only_nonzero_counts, 0, 3);
	tcase_add_loop_test(tc, parts_union, 0, 3);
	tcase_add_test(tc, bytes_pointers_stay_valid);
	tcase_add_test(tc, two_iterators);
	tcase_add_test(tc, edge_keys_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrent");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, walk_while_another_process_adds, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
