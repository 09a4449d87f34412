/* SPDX-License-Identifier: MIT */
/*
 * check_hash.c - hash.c: hc__mix64 is a bijection with hc__unmix64 as its
 * inverse, for any seed; hc__hash_bytes is deterministic and sees every
 * byte and the length; seeds: 0 means the fixed default.
 */
#include <string.h>
#include <stdlib.h>

#include "hc_test.h"
#include "hc_internal.h"

static const uint64_t edge_values[] = {
	0,
	1,
	2,
	UINT64_MAX,
	UINT64_MAX - 1,
	UINT64_C(1) << 63,
	(UINT64_C(1) << 63) - 1,
	UINT64_C(0x00000000ffffffff),
	UINT64_C(0xffffffff00000000),
	UINT64_C(0x0123456789abcdef),
	HC_DEFAULT_SEED,
};
#define NEDGE (sizeof(edge_values) / sizeof(edge_values[0]))

START_TEST(mix_unmix_inverse_random)
{
	uint64_t st = 12345 + (uint64_t)_i, i;

	for (i = 0; i < 200000; i++) {
		uint64_t k = hc_test_rand(&st), seed = hc_test_rand(&st);
		uint64_t m = hc__mix64(k, seed);

		hc_require(hc__unmix64(m, seed) == k,
			   "unmix(mix(%llx, %llx)) != key",
			   (unsigned long long)k, (unsigned long long)seed);
		hc_require(hc__mix64(hc__unmix64(k, seed), seed) == k,
			   "mix(unmix(%llx, %llx)) != value",
			   (unsigned long long)k, (unsigned long long)seed);
	}
}
END_TEST

START_TEST(mix_unmix_inverse_edges)
{
	size_t i, j;

	for (i = 0; i < NEDGE; i++)
		for (j = 0; j < NEDGE; j++) {
			uint64_t k = edge_values[i], seed = edge_values[j];

			ck_assert(hc__unmix64(hc__mix64(k, seed), seed) == k);
			ck_assert(hc__mix64(hc__unmix64(k, seed), seed) == k);
		}
}
END_TEST

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* A bijection maps distinct consecutive keys to distinct values, and the
 * values look spread (no two share the top 16 bits too often). */
START_TEST(mix_spreads_consecutive_keys)
{
	enum { N = 1 << 16 };
	static uint64_t v[N];
	uint64_t i, top_same = 0;

	for (i = 0; i < N; i++)
		v[i] = hc__mix64(i, HC_DEFAULT_SEED);
	qsort(v, N, sizeof(v[0]), u64_cmp);
	for (i = 1; i < N; i++) {
		hc_require(v[i] != v[i - 1], "mix64 not injective");
		top_same += (v[i] >> 48) == (v[i - 1] >> 48);
	}
	/* 65536 values in 65536 buckets: about N/e collisions expected. */
	hc_require(top_same < N / 2, "poorly spread: %llu",
		   (unsigned long long)top_same);
}
END_TEST

START_TEST(mix_depends_on_seed)
{
	uint64_t k, differ = 0;

	for (k = 0; k < 1000; k++)
		differ += hc__mix64(k, 1) != hc__mix64(k, 2);
	hc_assert_ge(differ, 990);
}
END_TEST

START_TEST(hash_bytes_deterministic_and_sensitive)
{
	unsigned char a[4096 + 8], b[sizeof(a)];
	uint64_t st = 99, h;
	size_t len, i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)hc_test_rand(&st);
	for (len = 1; len <= 4096; len = len < 64 ? len + 1 : len * 2) {
		memcpy(b, a, len);
		h = hc__hash_bytes(a, len, HC_DEFAULT_SEED);
		ck_assert(h == hc__hash_bytes(b, len, HC_DEFAULT_SEED));
		/* Flip the last and the first byte: the hash changes. */
		b[len - 1] ^= 1;
		hc_require(h != hc__hash_bytes(b, len, HC_DEFAULT_SEED),
			   "last byte ignored at len %zu", len);
		b[len - 1] ^= 1;
		b[0] ^= 0x80;
		hc_require(h != hc__hash_bytes(b, len, HC_DEFAULT_SEED),
			   "first byte ignored at len %zu", len);
		ck_assert(h != hc__hash_bytes(a, len, HC_DEFAULT_SEED + 1));
	}
}
END_TEST

START_TEST(hash_bytes_sees_length_and_nuls)
{
	static const unsigned char z[16];
	uint64_t h[16];
	size_t i, j;

	/* "\0", "\0\0", ...: only the length differs. */
	for (i = 1; i < 16; i++)
		h[i] = hc__hash_bytes(z, i, HC_DEFAULT_SEED);
	for (i = 1; i < 16; i++)
		for (j = 1; j < i; j++)
			hc_require(h[i] != h[j], "len %zu and %zu collide", i,
				   j);
	ck_assert(hc__hash_bytes("a", 1, 7) != hc__hash_bytes("a\0", 2, 7));
	ck_assert(hc__hash_bytes("a\0b", 3, 7) != hc__hash_bytes("a\0c", 3, 7));
}
END_TEST

START_TEST(hash_bytes_alignment_independent)
{
	unsigned char buf[64 + 8];
	const char *key = "the quick brown fox jumps over";
	size_t len = strlen(key), off;
	uint64_t h = hc__hash_bytes(key, len, 5);

	for (off = 0; off < 8; off++) {
		memcpy(buf + off, key, len);
		ck_assert(hc__hash_bytes(buf + off, len, 5) == h);
	}
}
END_TEST

START_TEST(seed_zero_is_default_and_reported)
{
	hc_options o, got;
	hc_table *t;

	hc_options_init(&o);
	o.capacity = 64;
	o.seed = 0;
	ck_assert_ok(hc_table_create(&t, &o));
	hc_options_init(&got);
	ck_assert_ok(hc_table_options(t, &got));
	/* "0 uses a fixed default": the same in every run.  The options
	 * may report 0 or the default itself. */
	hc_require(got.seed == 0 || got.seed == HC_DEFAULT_SEED,
		   "options report seed %llx for seed 0",
		   (unsigned long long)got.seed);
	hc_assert_eq(t->seed, HC_DEFAULT_SEED);
	ck_assert_ok(hc_table_close(t));

	o.seed = 0x1234;
	ck_assert_ok(hc_table_create(&t, &o));
	ck_assert_ok(hc_table_options(t, &got));
	hc_assert_eq(got.seed, 0x1234);
	hc_assert_eq(t->seed, 0x1234);
	ck_assert_ok(hc_table_close(t));
}
END_TEST

Suite *hc_hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("mix");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, mix_unmix_inverse_random, 0, 3);
	tcase_add_test(tc, mix_unmix_inverse_edges);
	tcase_add_test(tc, mix_spreads_consecutive_keys);
	tcase_add_test(tc, mix_depends_on_seed);
	suite_add_tcase(s, tc);

	tc = tcase_create("bytes");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, hash_bytes_deterministic_and_sensitive);
	tcase_add_test(tc, hash_bytes_sees_length_and_nuls);
	tcase_add_test(tc, hash_bytes_alignment_independent);
	suite_add_tcase(s, tc);

	tc = tcase_create("seed");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, seed_zero_is_default_and_reported);
	suite_add_tcase(s, tc);
	return s;
}
