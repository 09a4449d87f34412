/* SPDX-License-Identifier: MIT */
/*
 * check_error.c - error.c: hc_strerror, hc_errname, hc_version.
 * The expected strings come from the header's own HC_ERRNO_MAP, so the
 * test and the library cannot drift apart silently.
 */
#include <limits.h>
#include <string.h>

#include "hc_test.h"

struct code {
	int val;
	const char *name;
	const char *msg;
};

static const struct code codes[] = {
#define CODE(name, val, msg) { val, "HC_" #name, msg },
	HC_ERRNO_MAP(CODE)
#undef CODE
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

START_TEST(every_code_has_its_sentence)
{
	size_t i;

	for (i = 0; i < NCODES; i++) {
		const char *s = hc_strerror(codes[i].val);

		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s, codes[i].msg);
	}
}
END_TEST

START_TEST(every_code_has_its_name)
{
	size_t i;

	for (i = 0; i < NCODES; i++) {
		const char *s = hc_errname(codes[i].val);

		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s, codes[i].name);
	}
}
END_TEST

START_TEST(codes_are_distinct_negative_and_dense)
{
	size_t i, j;

	for (i = 0; i < NCODES; i++) {
		ck_assert_int_lt(codes[i].val, 0);
		/* Append only, never renumber: -1, -2, ... in order. */
		ck_assert_int_eq(codes[i].val, -(int)(i + 1));
		for (j = 0; j < i; j++)
			ck_assert_int_ne(codes[i].val, codes[j].val);
	}
	ck_assert_int_eq(HC_OK, 0);
	ck_assert_int_eq(HC_ERDONLY, -12);
	ck_assert_int_eq(HC_ENOSPC, -13);
	ck_assert_int_eq(HC_EBUSY, -14);
}
END_TEST

START_TEST(ok_has_a_sentence_and_name)
{
	const char *s = hc_strerror(HC_OK), *n = hc_errname(HC_OK);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_ne(s, "unknown error");
	ck_assert_str_eq(n, "HC_OK");
}
END_TEST

static const int unknown[] = { 1,	2,	 42,
			       -99,	-100,	 -(int)NCODES - 1,
			       INT_MAX, INT_MIN, INT_MIN + 1 };

START_TEST(unknown_codes)
{
	int c = unknown[_i];
	const char *s = hc_strerror(c), *n = hc_errname(c);
	size_t i;

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "unknown error");
	/* The name is not specified beyond "not a real code's name". */
	ck_assert_ptr_nonnull(n);
	for (i = 0; i < NCODES; i++)
		ck_assert_str_ne(n, codes[i].name);
	ck_assert_str_ne(n, "HC_OK");
}
END_TEST

START_TEST(version_string)
{
	const char *v = hc_version();

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, HC_VERSION_STRING);
}
END_TEST

Suite *hc_error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("strings");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, every_code_has_its_sentence);
	tcase_add_test(tc, every_code_has_its_name);
	tcase_add_test(tc, codes_are_distinct_negative_and_dense);
	tcase_add_test(tc, ok_has_a_sentence_and_name);
	tcase_add_loop_test(tc, unknown_codes, 0,
			    (int)(sizeof(unknown) / sizeof(unknown[0])));
	tcase_add_test(tc, version_string);
	suite_add_tcase(s, tc);
	return s;
}
