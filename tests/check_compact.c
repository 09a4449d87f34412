/* SPDX-License-Identifier: MIT */
/*
 * check_compact.c - compact.c: hc_table_save_compact() round trips for
 * u64 and packed tables (empty, one key, edge keys, counts that take
 * the overflow array), reads of the file in place (hc_get, iteration,
 * stats, histogram, merge into a live table), and hostile files:
 * truncated, flipped or rewritten with a valid header check, each
 * refused or answered with HC_ECORRUPT, never a read out of bounds (run
 * it under ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_test.h"
#include "hc_internal.h"

/* A table of @kind (packed: @key_bits) with @n keys and counts drawn so
 * that some reach past 2^32; fixed (@grow 0) or growing. */
static hc_table *make(int kind, unsigned key_bits, size_t n, int grow,
		      uint64_t seed)
{
	uint64_t st = seed, kmask, c;
	hc_options o;
	hc_table *t;

	hc_options_init(&o);
	o.key_kind = kind;
	o.key_bits = key_bits;
	o.grow = grow ? HC_GROW_ON : HC_GROW_OFF;
	o.capacity = grow ? 64 : (n < 16 ? 32 : 2 * n + 16);
	/* A fixed packed table needs 2^(b - 36) slots for its count field. */
	if (kind == HC_KEY_PACKED && key_bits > 36 &&
	    o.capacity < UINT64_C(1) << (key_bits - 36)) {
		if (key_bits > 56)
			o.grow = HC_GROW_ON; /* too large to be fixed */
		o.capacity = o.grow == HC_GROW_ON
				     ? 0
				     : UINT64_C(1) << (key_bits - 36);
		if (o.capacity == 0)
			o.grow = HC_GROW_AUTO;
	}
	o.seed = seed;
	if (kind == HC_KEY_PACKED && o.grow == HC_GROW_ON) {
		o.capacity = 0; /* the smallest start its count field allows */
		o.grow = HC_GROW_AUTO;
	}
	ck_assert_ok(hc_table_create(&t, &o));
	kmask = kind == HC_KEY_PACKED ? (UINT64_C(1) << key_bits) - 1
				      : ~UINT64_C(0);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = hc_test_rand(&st), k;

		switch (i) {
		case 0:
			k = 0;
			break;
		case 1:
			k = kmask;
			break;
		case 2:
			k = kind == HC_KEY_U64 ? hc_test_zero_mix_key(t)
					       : kmask / 2;
			break;
		default:
			k = hc_test_rand(&st) & kmask;
		}
		/* Mostly 1..3, some up to 2^20, a few 2^32 - 1 and up. */
		switch (r % 1024) {
		case 0:
			c = UINT64_C(0xffffffff) + (r >> 60);
			break;
		case 1:
			c = (UINT64_C(1) << 40) + (r >> 40);
			break;
		case 2:
		case 3:
		case 4:
		case 5:
		case 6:
		case 7:
			c = 1 + (r >> 44);
			break;
		default:
			c = r % 64 < 8 ? 1 + (r >> 56) : 1 + (r >> 62);
		}
		ck_assert_ok(hc_add(t, k, c));
	}
	return t;
}

static void save_open(hc_table *src, const char *tag, char *path, size_t cap,
		      hc_table **out)
{
	hc_test_path(path, cap, tag);
	ck_assert_ok(hc_table_save_compact(src, path));
	ck_assert_ok(hc_table_open(out, path, HC_OPEN_RDONLY));
	ck_assert_ok(hc__compact_verify(*out));
}

/* Everything a reader does, compared with the source table. */
static void round_trip(int kind, unsigned key_bits, size_t n, int grow)
{
	char path[4096], p2[4096];
	hc_table *src = make(kind, key_bits, n, grow, 42 + n), *c, *m, *x;
	struct hc_test_entry *e;
	unsigned char user[HC_USER_MAX];
	hc_options o, oc;
	size_t ne, ulen;
	uint64_t got, want, st = 7;

	ck_assert_ok(hc_table_set_user(src, "hogcount-cli 1 tokens=dna", 25));
	save_open(src, "compact", path, sizeof(path), &c);
	hc_test_assert_same(src, c);
	hc_test_same_figures(src, c);

	/* Iteration is in ascending hash order and complete. */
	ck_assert_ok(hc_test_collect(c, &e, &ne));
	for (size_t i = 0; i < ne; i++) {
		ck_assert_ok(hc_get(c, e[i].key, &got));
		hc_assert_eq(got, e[i].count);
	}
	hc_test_entries_free(e, ne);
	/* Absent keys, from both tables alike. */
	for (int i = 0; i < 500; i++) {
		uint64_t k = hc_test_rand(&st);

		if (kind == HC_KEY_PACKED)
			k &= (UINT64_C(1) << key_bits) - 1;
		ck_assert_ok(hc_get(src, k, &want));
		ck_assert_ok(hc_get(c, k, &got));
		hc_assert_eq(got, want);
	}
	if (kind == HC_KEY_PACKED)
		ck_assert_hc(hc_get(c, UINT64_C(1) << key_bits, &got),
			     HC_ERANGE);

	/* Metadata and options travel. */
	ck_assert_ok(hc_table_get_user(c, user, sizeof(user), &ulen));
	hc_assert_eq(ulen, 25);
	ck_assert_int_eq(memcmp(user, "hogcount-cli 1 tokens=dna", 25), 0);
	ck_assert_ok(hc_table_options(src, &o));
	ck_assert_ok(hc_table_options(c, &oc));
	hc_assert_eq(oc.key_kind, o.key_kind);
	hc_assert_eq(oc.key_bits, o.key_bits);
	hc_assert_eq(oc.seed, o.seed);
	hc_assert_eq(oc.capacity, o.capacity);
	hc_assert_eq(oc.grow, o.grow);

	/* Read-only, always. */
	ck_assert_hc(hc_add(c, 1, 1), HC_ERDONLY);
	ck_assert_hc(hc_table_set_user(c, "x", 1), HC_ERDONLY);
	{
		hc_view v = { .size = sizeof(v) };

		ck_assert_ok(hc_table_view(c, &v));
		hc_assert_eq(v.key_kind, kind);
		hc_assert_eq(v.capacity, 0);
		ck_assert_ptr_null(v.slots);
		ck_assert_ptr_null(v.zero_count);
	}
	ck_assert_hc(hc_table_open(&x, path, HC_OPEN_RDWR), HC_ERDONLY);
	ck_assert_ptr_null(x);
	ck_assert_hc(hc_table_merge(c, src), HC_ERDONLY);

	/* Merged into a live table (as count --into does). */
	hc_options_init(&o);
	o.key_kind = kind == HC_KEY_PACKED && key_bits < 40 ? HC_KEY_PACKED
							    : HC_KEY_U64;
	o.key_bits = key_bits;
	o.seed = 99;
	ck_assert_ok(hc_table_create(&m, &o));
	ck_assert_ok(hc_table_merge(m, c));
	hc_test_assert_same(src, m);
	hc_table_close(m);

	/* Saving a compact table copies it, byte for byte (save_compact
	 * takes the same path). */
	hc_test_path(p2, sizeof(p2), "again");
	ck_assert_ok(hc_table_save(c, p2));
	hc_assert_eq(hc_test_file_size(p2), hc_test_file_size(path));
	ck_assert_ok(hc_table_open(&x, p2, HC_OPEN_RDONLY));
	hc_test_assert_same(src, x);
	hc_table_close(x);

	ck_assert_ok(hc_table_close(c));
	hc_table_close(src);
}

static const size_t sizes[] = { 0, 1, 2, 3, 100, 4097, 20000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

START_TEST(u64_fixed)
{
	round_trip(HC_KEY_U64, 0, sizes[_i], 0);
}
END_TEST

START_TEST(u64_growing)
{
	/* u64 tables grow only with a 16-byte CAS (design.md M8): not in
	 * the HC_FORCE_NO_PAIR_CAS build. */
	if (HC_HAVE_PAIR_CAS)
		round_trip(HC_KEY_U64, 0, sizes[_i], 1);
}
END_TEST

START_TEST(packed_k21)
{
	round_trip(HC_KEY_PACKED, 42, sizes[_i], _i % 2);
}
END_TEST

START_TEST(packed_widths)
{
	/* Tiny key spaces (every key present), and wide ones (62 bits would
	 * start a growing table at 2^27 slots: too slow for a unit test). */
	static const unsigned bits[] = { 1, 2, 8, 20, 33, 56 };

	for (unsigned j = 0; j < sizeof(bits) / sizeof(bits[0]); j++)
		round_trip(HC_KEY_PACKED, bits[j], _i == 0 ? 3 : 1000, _i);
}
END_TEST

/* Every key of a tiny packed space: all buckets full, R = 0. */
START_TEST(packed_full_space)
{
	char path[4096];
	hc_options o;
	hc_table *t, *c;
	uint64_t got;

	hc_options_init(&o);
	o.key_kind = HC_KEY_PACKED;
	o.key_bits = 6;
	o.capacity = 128;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	for (uint64_t k = 0; k < 64; k++)
		ck_assert_ok(hc_add(t, k, k + 1));
	save_open(t, "full", path, sizeof(path), &c);
	hc_test_assert_same(t, c);
	for (uint64_t k = 0; k < 64; k++) {
		ck_assert_ok(hc_get(c, k, &got));
		hc_assert_eq(got, k + 1);
	}
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/* Full tables across several 64 Ki-slot windows of the writer: long
 * probe runs over window edges and keys that wrapped past the end. */
START_TEST(high_load)
{
	char path[4096];
	hc_options o;
	hc_table *t, *c;
	uint64_t st = 77, k;
	size_t n = 0;

	hc_options_init(&o);
	o.key_kind = _i ? HC_KEY_PACKED : HC_KEY_U64;
	o.key_bits = _i ? 30 : 0;
	o.capacity = UINT64_C(1) << 17;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	while (n < 120000) {
		k = hc_test_rand(&st) >> (_i ? 34 : 0);
		if (hc_add(t, k, 1 + (k & 3)) != HC_OK)
			break;
		n++;
	}
	hc_assert_gt(n, 100000);
	save_open(t, "high", path, sizeof(path), &c);
	hc_test_assert_same(t, c);
	hc_test_same_figures(t, c);
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/* UINT64_MAX counts and a single huge count: overflow entries. */
START_TEST(huge_counts)
{
	char path[4096];
	hc_options o;
	hc_table *t, *c;
	uint64_t got;

	hc_options_init(&o);
	o.capacity = 1024;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_add(t, 5, UINT64_MAX));
	ck_assert_ok(hc_add(t, UINT64_MAX, UINT64_MAX - 1));
	for (uint64_t k = 10; k < 500; k++)
		ck_assert_ok(hc_add(t, k, 1));
	save_open(t, "huge", path, sizeof(path), &c);
	ck_assert_ok(hc_get(c, 5, &got));
	hc_assert_eq(got, UINT64_MAX);
	ck_assert_ok(hc_get(c, UINT64_MAX, &got));
	hc_assert_eq(got, UINT64_MAX - 1);
	hc_test_assert_same(t, c);
	hc_test_same_figures(t, c);
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/* A file smaller than the live one it came from: the point. */
START_TEST(smaller)
{
	char a[4096], b[4096];
	hc_table *t = make(HC_KEY_PACKED, 42, 50000, 1, 3);

	hc_test_path(a, sizeof(a), "live");
	hc_test_path(b, sizeof(b), "compact");
	ck_assert_ok(hc_table_save(t, a));
	ck_assert_ok(hc_table_save_compact(t, b));
	/* About 3 bytes a key against 8 a slot. */
	hc_assert_lt(hc_test_file_size(b), 50000 * 5);
	hc_assert_lt(hc_test_file_size(b) * 3, hc_test_file_size(a));
	hc_table_close(t);
}
END_TEST

/*
 * Keys added between the writer's two passes, far from their home,
 * past the window the census measured: their run crosses the end of
 * the writer's first chunk of 65536 slots, so the second pass meets
 * them out of order and starts again with the probe limit as its
 * window (compact.c).  The file holds every key, those included.
 */
static uint64_t late_home;

static uint64_t home_of_key(const hc_table *t, uint64_t k)
{
	if (t->kind == HC_KEY_PACKED)
		return (uint64_t)(((unsigned __int128)hc__packed_mixk(t, k) *
				   t->capacity) >>
				  t->key_bits);
	return hc__home(hc__mix64(k, t->seed), t->capacity);
}

static void add_late_keys(hc_table *t)
{
	uint64_t k = 1u << 20, added = 0;

	hc__compact_hook = NULL; /* once */
	/* 60 keys of one home: a run of about 60 slots past it. */
	for (; added < 60; k++) {
		if (home_of_key(t, k) != late_home)
			continue;
		ck_assert_ok(hc_add(t, k, 7));
		added++;
	}
}

/* @nkeys distinct keys below 2^20 (an odd multiple is a bijection of
 * 20 bits), then the late ones from the hook. */
static void window_grows(int kind, int nkeys)
{
	char path[4096];
	hc_table *t, *c;
	hc_options o;
	uint64_t n = 0;
	hc_iter *it;
	hc_entry e;
	uint64_t got, streamed;

	hc_options_init(&o);
	o.key_kind = kind;
	o.key_bits = kind == HC_KEY_PACKED ? 30 : 0;
	o.capacity = 131072;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	for (int i = 0; i < nkeys; i++)
		ck_assert_ok(hc_add(
			t, ((uint64_t)i * 2654435761u) & ((1u << 20) - 1),
			1 + (uint64_t)i % 5));
	late_home = 65536 - 8;
	hc__compact_hook = add_late_keys;
	streamed = hc__compact_streamed;
	save_open(t, "late", path, sizeof(path), &c);
	ck_assert_ptr_null(hc__compact_hook);
	/* Keys the census did not count: the body was made buffered. */
	hc_assert_eq(hc__compact_streamed, streamed);
	/* Every key of the source, the late ones included, with its count. */
	ck_assert_ok(hc_iter_create(t, &it));
	while (hc_iter_next(it, &e) == 1) {
		ck_assert_ok(hc_get(c, e.key, &got));
		hc_assert_eq(got, e.count);
		n++;
	}
	hc_iter_destroy(it);
	hc_assert_eq(n, (uint64_t)nkeys + 60);
	hc_test_same_figures(t, c);
	hc_table_close(c);
	hc_table_close(t);
}

START_TEST(late_keys_u64)
{
	window_grows(HC_KEY_U64, 300);
}
END_TEST

START_TEST(late_keys_packed)
{
	window_grows(HC_KEY_PACKED, 300);
}
END_TEST

/*
 * A run of slots whose hashes fall (keys of one home claimed in
 * descending hash order): the writer's insertion sort would move each
 * entry past every one before it, so past its budget of moves it hands
 * the window to qsort.  The file is whole and in order all the same.
 */
START_TEST(reversed_run)
{
	enum { N = 2000 };
	char path[4096];
	hc_table *t, *c;
	hc_options o;
	uint64_t got;

	hc_options_init(&o);
	o.key_kind = HC_KEY_U64;
	o.capacity = 4096;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	/* Hashes N .. 1, all of home 0: slots 0 .. N - 1, descending. */
	for (uint64_t h = N; h >= 1; h--) {
		ck_assert_uint_eq(hc__home(h, t->capacity), 0);
		ck_assert_ok(hc_add(t, hc__unmix64(h, t->seed), h));
	}
	save_open(t, "reversed", path, sizeof(path), &c);
	for (uint64_t h = 1; h <= N; h++) {
		ck_assert_ok(hc_get(c, hc__unmix64(h, t->seed), &got));
		hc_assert_eq(got, h);
	}
	hc_test_same_figures(t, c);
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/* Dense tables are saved as hc_table_save() saves them (byte-key
 * tables have a compact layout of their own: check_compact_bytes.c). */
START_TEST(other_kinds)
{
	char path[4096];
	hc_options o;
	hc_table *t, *c;
	hc_view v = { .size = sizeof(v) };

	hc_options_init(&o);
	o.key_kind = HC_KEY_DENSE;
	o.dense_bits = 8;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_add(t, 7, 2));
	hc_test_path(path, sizeof(path), "dense");
	ck_assert_ok(hc_table_save_compact(t, path));
	ck_assert_ok(hc_table_open(&c, path, HC_OPEN_RDWR));
	ck_assert_ok(hc_table_view(c, &v));
	hc_test_assert_same(t, c);
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/* Point gets of any integer keys. */
static void int_gets(const hc_table *t)
{
	uint64_t c, s = 1;

	for (int i = 0; i < 300; i++)
		(void)hc_get(t, hc_test_rand(&s) >> (i % 40), &c);
}

static void read_all(const char *path)
{
	hc_test_compact_reads(path, int_gets);
}

/*
 * The writer cut in parts, one a thread (compact.c, cut_parts()): any
 * number of parts gives the bytes of one.  Tables with the edge keys,
 * escaped counts, long probe runs and keys that wrapped past the end,
 * cut in 2 to 8 parts by lowering the size worth cutting; and the late
 * keys of window_grows() with 3 parts, which restart the pass with the
 * probe limit as window.
 */
static void same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char *x = hc_test_slurp(a, &na), *y = hc_test_slurp(b, &nb);

	hc_assert_eq(na, nb);
	ck_assert(memcmp(x, y, na) == 0);
	free(x);
	free(y);
}

/* Saved in @threads parts, the body streamed (checked: it was), and
 * again buffered, which gives the same bytes. */
static void save_threads(hc_table *t, unsigned threads, const char *tag,
			 char *path, size_t cap)
{
	char buffered[4096];
	uint64_t streamed = hc__compact_streamed;

	hc__compact_threads = threads;
	hc__compact_split_min = threads > 1 ? 0 : UINT64_MAX;
	hc_test_path(path, cap, tag);
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_assert_eq(hc__compact_streamed, streamed + 1);
	hc__compact_buffered = 1;
	hc_test_path(buffered, sizeof(buffered), "buffered");
	ck_assert_ok(hc_table_save_compact(t, buffered));
	hc__compact_buffered = 0;
	hc_assert_eq(hc__compact_streamed, streamed + 1);
	same_bytes(path, buffered);
	/* Windows of 4 words: every array flushes many times, its first
	 * word kept at a flush, and runs of empty buckets jump past it. */
	hc__compact_window_words = 4;
	ck_assert_ok(hc_table_save_compact(t, buffered));
	hc__compact_window_words = UINT64_C(1) << 15;
	hc_assert_eq(hc__compact_streamed, streamed + 2);
	same_bytes(path, buffered);
	hc__compact_threads = 0;
	hc__compact_split_min = UINT64_C(1) << 20;
}

/* @adds keys drawn at random, in 2^@lg slots (narrow: from there on). */
static hc_table *full_table_of(int kind, unsigned lg, int adds)
{
	hc_options o;
	hc_table *t;
	uint64_t st = 78, k;

	hc_options_init(&o);
	o.key_kind = kind;
	o.key_bits = kind == HC_KEY_U64 ? 0 : 30;
	o.capacity = UINT64_C(1) << lg;
	o.grow = kind == HC_KEY_NARROW ? HC_GROW_ON : HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_add(t, 0, 3));
	for (int n = 0; n < adds; n++) {
		k = hc_test_rand(&st) >> (kind == HC_KEY_U64 ? 0 : 34);
		ck_assert_ok(hc_add(t, k, 1 + (k & 3) + (k % 97 ? 0 : k)));
	}
	return t;
}

static hc_table *full_table(int kind)
{
	return full_table_of(kind, 17, 118000);
}

/* @t saved in 1, 2, 3, 5 and 8 parts (save_threads()): the same bytes
 * every time.  The last file opened, verified and compared with @t. */
static hc_table *saves_agree(hc_table *t)
{
	static const unsigned threads[] = { 2, 3, 5, 8 };
	char one[4096], many[4096];
	hc_table *c;

	save_threads(t, 1, "one", one, sizeof(one));
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		save_threads(t, threads[i], "many", many, sizeof(many));
		same_bytes(one, many);
	}
	ck_assert_ok(hc_table_open(&c, many, HC_OPEN_RDONLY));
	ck_assert_ok(hc__compact_verify(c));
	hc_test_assert_same(t, c);
	return c;
}

START_TEST(parts_same_bytes)
{
	hc_table *t, *c;

	switch (_i) {
	case 0:
		t = make(HC_KEY_U64, 0, 20000, 0, 11);
		break;
	case 1:
		t = make(HC_KEY_PACKED, 42, 20000, 1, 12);
		break;
	case 2:
		t = full_table(HC_KEY_U64);
		break;
	case 3:
		t = full_table(HC_KEY_PACKED);
		break;
	case 4:
		t = full_table(HC_KEY_NARROW);
		break;
	default:
		/* 2^17 buckets (B = 17): a part is 2 sample groups a bin. */
		t = full_table_of(HC_KEY_U64, 19, 200000);
	}
	c = saves_agree(t);
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/*
 * The table moves between the passes without a key past the window:
 * one key added (the census's placement is wrong, so the body is made
 * buffered) or a count raised past the count field (the placement
 * holds: the body streams, with the overflow entry pass 2 found).  In
 * 3 parts; the file holds the table as it is after the hook.
 */
static uint64_t moved_key;

static void move_table(hc_table *t)
{
	hc__compact_hook = NULL; /* once */
	ck_assert_ok(hc_add(t, moved_key, UINT64_C(1) << 40));
}

START_TEST(stream_moved)
{
	char path[4096];
	hc_table *t = full_table(_i == 2 ? HC_KEY_NARROW : HC_KEY_U64), *c;
	uint64_t streamed = hc__compact_streamed, got;

	/* A key the table has (3, of key 0), or one it has not. */
	moved_key = _i == 1 ? (UINT64_C(1) << 29) + 12345 : 0;
	if (_i == 1) {
		ck_assert_ok(hc_get(t, moved_key, &got));
		hc_assert_eq(got, 0);
	}
	hc__compact_threads = 3;
	hc__compact_split_min = 0;
	hc__compact_hook = move_table;
	save_open(t, "moved", path, sizeof(path), &c);
	hc__compact_threads = 0;
	hc__compact_split_min = UINT64_C(1) << 20;
	ck_assert_ptr_null(hc__compact_hook);
	hc_assert_eq(hc__compact_streamed, streamed + (_i != 1));
	ck_assert_ok(hc_get(c, moved_key, &got));
	hc_assert_eq(got, (UINT64_C(1) << 40) + (_i == 1 ? 0 : 3));
	hc_test_assert_same(t, c);
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

/*
 * Every hash in the first eighth of the hash space (keys made from
 * their hashes): the parts past it are empty, their directories runs of
 * empty buckets only, each kept word shared by many arrays.  Saved in 1
 * to 8 parts, streamed and buffered, the same bytes; every key read
 * back.
 */
START_TEST(stream_sparse)
{
	hc_options o;
	hc_table *t, *c;
	uint64_t st = 5, got;

	hc_options_init(&o);
	o.capacity = UINT64_C(1) << 16;
	o.grow = HC_GROW_OFF;
	ck_assert_ok(hc_table_create(&t, &o));
	for (int i = 0; i < 5000; i++) {
		uint64_t h = hc_test_rand(&st) >> 3;

		ck_assert_ok(hc_add(t, hc__unmix64(h, t->seed), 1 + (h & 7)));
	}
	c = saves_agree(t);
	st = 5;
	for (int i = 0; i < 5000; i++) {
		uint64_t h = hc_test_rand(&st) >> 3;

		ck_assert_ok(hc_get(c, hc__unmix64(h, t->seed), &got));
		ck_assert(got >= 1 + (h & 7));
	}
	hc_table_close(c);
	hc_table_close(t);
}
END_TEST

START_TEST(parts_late_keys)
{
	hc__compact_threads = 3;
	hc__compact_split_min = 0;
	/* 4000 keys: 2^11 buckets, 8 sample groups, so 3 parts (the
	 * u64 table's retry, with a window of 65536 slots, takes one). */
	window_grows(_i ? HC_KEY_PACKED : HC_KEY_U64, 4000);
	hc__compact_threads = 0;
	hc__compact_split_min = UINT64_C(1) << 20;
}
END_TEST

START_TEST(truncated)
{
	char path[4096];
	hc_table *t = make(HC_KEY_PACKED, 42, 300, 0, 5);

	hc_test_path(path, sizeof(path), "src");
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_test_compact_refused(path, HC_CHEADER_SIZE);
	hc_table_close(t);
}
END_TEST

/* Each geometry field changed, with the check recomputed. */
static void edit_field(struct hc__cheader *h, int f)
{
	switch (f) {
	case 0:
		h->n++;
		break;
	case 1:
		h->n = UINT64_MAX;
		break;
	case 2:
		h->bucket_bits++;
		break;
	case 3:
		h->bucket_bits = 64;
		break;
	case 4:
		h->count_bits = 0;
		break;
	case 5:
		h->count_bits = 33;
		break;
	case 6:
		h->n_ovf = h->n + 1;
		break;
	case 7:
		h->rem_off += 8;
		break;
	case 8:
		h->total_bytes += 8;
		break;
	case 9:
		h->key_kind = HC_KEY_BYTES;
		break;
	case 10:
		h->hash_bits = 63;
		break;
	case 11:
		h->user_len = HC_USER_MAX + 1;
		break;
	/* The byte-key fields are zero in this layout. */
	case 12:
		h->block_keys = 32;
		break;
	case 13:
		h->key_bytes = 8;
		break;
	case 14:
		h->idx_off = HC_CHEADER_SIZE;
		break;
	default:
		h->key_off = HC_CHEADER_SIZE;
	}
}

START_TEST(header_fields)
{
	char path[4096];
	hc_table *t = make(HC_KEY_U64, 0, 500, 0, 6);

	hc_test_path(path, sizeof(path), "src");
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_test_compact_fields(path, 16, edit_field);
	hc_table_close(t);
}
END_TEST

/* Garbage in the body behind a valid header: every read stays inside
 * the mapping, and verify says HC_ECORRUPT. */
START_TEST(body_garbage)
{
	char path[4096];
	hc_table *t = make(_i ? HC_KEY_PACKED : HC_KEY_U64, 30, 2000, 0, 8);

	hc_test_path(path, sizeof(path), "src");
	ck_assert_ok(hc_table_save_compact(t, path));
	hc_test_compact_garbage(path, HC_CHEADER_SIZE, 300, 11, read_all);
	hc_table_close(t);
}
END_TEST

Suite *hc_compact_suite(void)
{
	Suite *s = suite_create("compact");
	TCase *tc = tcase_create("round_trip");
	TCase *bad = tcase_create("hostile");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, u64_fixed, 0, NSIZES);
	tcase_add_loop_test(tc, u64_growing, 0, NSIZES);
	tcase_add_loop_test(tc, packed_k21, 0, NSIZES);
	tcase_add_loop_test(tc, packed_widths, 0, 2);
	tcase_add_test(tc, packed_full_space);
	tcase_add_loop_test(tc, high_load, 0, 2);
	tcase_add_test(tc, huge_counts);
	tcase_add_test(tc, smaller);
	tcase_add_test(tc, late_keys_u64);
	tcase_add_test(tc, late_keys_packed);
	tcase_add_test(tc, reversed_run);
	tcase_add_test(tc, other_kinds);
	tcase_add_loop_test(tc, parts_same_bytes, 0, 6);
	tcase_add_test(tc, stream_sparse);
	tcase_add_loop_test(tc, stream_moved, 0, 3);
	tcase_add_loop_test(tc, parts_late_keys, 0, 2);
	suite_add_tcase(s, tc);
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, truncated);
	tcase_add_test(bad, header_fields);
	tcase_add_loop_test(bad, body_garbage, 0, 2);
	suite_add_tcase(s, bad);
	return s;
}
