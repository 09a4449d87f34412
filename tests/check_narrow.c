/* SPDX-License-Identifier: MIT */
/*
 * check_narrow.c - the narrow kind (kernel/kind_narrow.c): its geometry
 * per generation, the count field and its overflow area, the crossing
 * from 8-byte to 4-byte slots while the table grows, saved and compact
 * copies, and the limits.  Every count is checked against a reference
 * sorted here (hc_test_ref_u64).  Growth under many processes, kills and
 * stops is in check_grow.c, which runs every growing kind.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_test.h"
#include "hc_internal.h"

static hc_table *new_narrow(int mode, uint64_t cap, unsigned bits, int grow)
{
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = HC_KEY_NARROW;
	o.mode = mode;
	o.capacity = cap;
	o.seed = 0x6e6172726f77 + bits;
	o.key_bits = bits;
	o.grow = grow ? HC_GROW_ON : HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	return t;
}

static size_t slot_size_of(const hc_table *t)
{
	hc_view v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ck_assert_ok(hc_table_view(t, &v));
	return v.slot_size;
}

static uint64_t generation_of(const hc_table *t)
{
	hc_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ck_assert_ok(hc_table_stats(t, &st));
	return st.generation;
}

/* Random keys below 2^bits, both ends of the range among them; deltas
 * mostly small, those of one key in 50 often past any count field (the
 * overflow area: a fixed table's has room for that many). */
static void make_keys(uint64_t *keys, uint64_t *deltas, size_t n, unsigned bits,
		      uint64_t distinct, uint64_t seed)
{
	uint64_t mask = (UINT64_C(1) << bits) - 1;

	for (size_t i = 0; i < n; i++) {
		uint64_t id = hc_test_rand(&seed) % distinct, r;

		keys[i] = id == 0   ? 0
			  : id == 1 ? mask
				    : hc_test_scramble(id) & mask;
		r = id % 50 ? 0 : hc_test_rand(&seed) % 100;
		deltas[i] = r < 90   ? 1 + hc_test_rand(&seed) % 5
			    : r < 98 ? 100 + r
				     : UINT64_C(1) << (20 + r % 20);
	}
}

/* Fixed tables of 4-byte and 8-byte slots, quotients of 0 to 50 bits:
 * single or batched adds, exact or HogWild (one process: no race). */
static const struct {
	unsigned bits;
	uint64_t cap;
	size_t ssize;
} geo[] = {
	{ 16, 16, 4 },
	{ 16, 1 << 20, 4 },
	{ 20, 4096, 4 },
	{ 26, 1024, 4 },
	{ 26, 512, 8 },
	{ 42, 1 << 15, 8 },
	{ 44, UINT64_C(1) << 16, 8 },
	{ 62, 1 << 14, 8 },
	{ 50, 1 << 13, 8 },
};
#define NGEO (int)(sizeof(geo) / sizeof(geo[0]))

START_TEST(narrow_random_against_reference)
{
	enum { N = 20000 };
	unsigned bits = geo[_i / 4].bits;
	uint64_t cap = geo[_i / 4].cap;
	int mode = _i % 2 ? HC_MODE_HOGWILD : HC_MODE_EXACT,
	    batched = _i / 2 % 2;
	uint64_t distinct = cap * 6 / 10 < 5000 ? cap * 6 / 10 : 5000;
	/* About 10 adds a key: counts of most keys stay in the field. */
	size_t n = distinct * 10 < N ? distinct * 10 : N;
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_narrow(mode, cap, bits, 0);
	struct hc_test_entry *ref;
	size_t i, nref, done;
	hc_stats s;

	hc_assert_eq(slot_size_of(t), geo[_i / 4].ssize);
	make_keys(keys, deltas, n, bits, distinct, 77 + (uint64_t)_i);
	if (batched) {
		ck_assert_ok(
			hc_add_batch_mode(t, keys, deltas, n, &done, mode));
		hc_assert_eq(done, n);
	} else {
		for (i = 0; i < n; i++)
			ck_assert_ok(hc_add_batch_mode(t, &keys[i], &deltas[i],
						       1, NULL, mode));
	}
	nref = hc_test_ref_u64(keys, deltas, n, &ref);
	hc_test_assert_ref(t, ref, nref);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(t, &s));
	hc_assert_eq(s.distinct, nref);
	hc_assert_eq(s.capacity, cap);
	hc_assert_eq(s.key_kind, HC_KEY_NARROW);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A table of 26-bit keys grows from 16 slots of 8 bytes to 4-byte ones
 * (from 1024 slots on) with counts far past the field: every count
 * exact, then again in a saved copy and a compact file.
 */
START_TEST(narrow_grows_across_widths)
{
	enum { N = 200000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_narrow(HC_MODE_EXACT, 16, 26, 1), *r;
	struct hc_test_entry *ref;
	char path[256], cpath[256];
	size_t nref, done;
	hc_options o;

	hc_assert_eq(slot_size_of(t), 8);
	make_keys(keys, deltas, N, 26, 30000, 5);
	if (_i)
		ck_assert_ok(hc_add_batch(t, keys, deltas, N, &done));
	else
		for (size_t i = 0; i < N; i++)
			ck_assert_ok(hc_add(t, keys[i], deltas[i]));
	hc_assert_ge(generation_of(t), 10);
	hc_assert_eq(slot_size_of(t), 4);
	nref = hc_test_ref_u64(keys, deltas, N, &ref);
	hc_test_assert_ref(t, ref, nref);

	hc_test_path(path, sizeof(path), "narrow.hc");
	ck_assert_ok(hc_table_save(t, path));
	ck_assert_ok(hc_table_open(&r, path, HC_OPEN_RDWR));
	hc_assert_eq(slot_size_of(r), 4);
	hc_test_assert_ref(r, ref, nref);
	/* The copy grows again, from its saved generation. */
	for (size_t i = 0; i < N; i++)
		ck_assert_ok(hc_add(r, (keys[i] + 1) & ((1 << 26) - 1), 1));
	ck_assert_ok(hc_table_close(r));

	hc_test_path(cpath, sizeof(cpath), "narrow.hcc");
	ck_assert_ok(hc_table_save_compact(t, cpath));
	ck_assert_ok(hc_table_open(&r, cpath, HC_OPEN_RDONLY));
	hc_options_init(&o);
	ck_assert_ok(hc_table_options(r, &o));
	hc_assert_eq(o.key_kind, HC_KEY_NARROW);
	hc_assert_eq(o.key_bits, 26);
	hc_test_assert_ref(r, ref, nref);
	ck_assert_ok(hc_table_close(r));
	unlink(path);
	unlink(cpath);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/* Keys of 62 bits (31-mers) start where 8-byte slots leave a count
 * field (2^14 slots), never in 16-byte ones, and grow. */
START_TEST(narrow_wide_keys_grow)
{
	enum { N = 60000 };
	uint64_t *keys = malloc(N * sizeof(*keys));
	uint64_t *deltas = malloc(N * sizeof(*deltas));
	hc_table *t = new_narrow(HC_MODE_EXACT, 0, 62, 1);
	struct hc_test_entry *ref;
	size_t nref, done;
	hc_stats s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_ok(hc_table_stats(t, &s));
	hc_assert_eq(s.capacity, 1 << 14);
	make_keys(keys, deltas, N, 62, 40000, 9);
	ck_assert_ok(hc_add_batch(t, keys, deltas, N, &done));
	hc_assert_ge(generation_of(t), 1);
	hc_assert_eq(slot_size_of(t), 8);
	nref = hc_test_ref_u64(keys, deltas, N, &ref);
	hc_test_assert_ref(t, ref, nref);
	free(ref);
	free(keys);
	free(deltas);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

START_TEST(narrow_range)
{
	hc_table *t = new_narrow(HC_MODE_EXACT, 1024, 20, 0);
	uint64_t keys[] = { 5, 1 << 20, 6 }, c = 9;
	size_t done = 9;

	ck_assert_hc(hc_add(t, UINT64_C(1) << 20, 1), HC_ERANGE);
	ck_assert_hc(hc_add(t, UINT64_MAX, 1), HC_ERANGE);
	ck_assert_hc(hc_get(t, UINT64_C(1) << 20, &c), HC_ERANGE);
	ck_assert_hc(hc_add_batch(t, keys, NULL, 3, &done), HC_ERANGE);
	hc_assert_eq(done, 1);
	ck_assert_ok(hc_add(t, (1 << 20) - 1, 3));
	ck_assert_ok(hc_get(t, (1 << 20) - 1, &c));
	hc_assert_eq(c, 3);
	ck_assert_ok(hc_get(t, 77, &c));
	hc_assert_eq(c, 0);
	ck_assert_hc(hc_add_bytes(t, "ab", 2, 1), HC_EMISUSE);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

/*
 * A fixed table whose overflow area fills: HC_EFULL, and every add
 * before it exact.  Past the field with one add (a claim) or with many.
 */
START_TEST(narrow_overflow_full)
{
	/* 26-bit keys in 2^15 slots: a count field of 12 bits. */
	hc_table *t = new_narrow(HC_MODE_EXACT, 1 << 15, 26, 0);
	uint64_t k, c, ok = 0;
	int rc = HC_OK;

	for (k = 0; k < 5000 && rc == HC_OK; k++) {
		rc = _i ? hc_add(t, k, 5000) : HC_OK;
		for (int i = 0; !_i && i < 300 && rc == HC_OK; i++)
			rc = hc_add(t, k, 17);
		if (rc == HC_OK)
			ok++;
	}
	ck_assert_hc(rc, HC_EFULL);
	hc_assert_gt(ok, 256);
	for (k = 0; k < ok; k++) {
		ck_assert_ok(hc_get(t, k, &c));
		hc_assert_eq(c, _i ? 5000 : 300 * 17);
	}
	ck_assert_ok(hc_table_close(t));
}
END_TEST

Suite *hc_narrow_suite(void)
{
	Suite *s = suite_create("narrow");
	TCase *tc = tcase_create("narrow");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, narrow_random_against_reference, 0, 4 * NGEO);
	tcase_add_loop_test(tc, narrow_grows_across_widths, 0, 2);
	tcase_add_test(tc, narrow_wide_keys_grow);
	tcase_add_test(tc, narrow_range);
	tcase_add_loop_test(tc, narrow_overflow_full, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
