/* SPDX-License-Identifier: MIT */
/*
 * check_genome.c - unit.genome: the spectrum estimators (genome.c) and
 * the Zipf and Heaps fits (fit.c) on count-of-counts made here from
 * their definitions: Poisson coverage peaks with a geometric error
 * tail, for a haploid genome, a haploid one with repeats, and diploid
 * ones whose heterozygous peak is the smaller or the larger; exact
 * power laws for the fits.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "hogcount_model.h"

#define LEN 1002

/* Add @keys keys whose counts follow Poisson(@lambda). */
static void add_poisson(uint64_t *h, double keys, double lambda)
{
	for (size_t c = 1; c < LEN - 1; c++) {
		double lp = (double)c * log(lambda) - lambda -
			    lgamma((double)c + 1);

		h[c] += (uint64_t)llround(keys * exp(lp));
	}
}

/* The error k-mers: @keys at count 1, a tenth of that at 2, ... */
static void add_errors(uint64_t *h, double keys)
{
	for (size_t c = 1; c < 8; c++, keys /= 10)
		h[c] += (uint64_t)llround(keys);
}

static uint64_t *spectrum(void)
{
	uint64_t *h = calloc(LEN, sizeof(*h));

	ck_assert_ptr_nonnull(h);
	return h;
}

START_TEST(test_haploid)
{
	/* 2 Mb at k-mer coverage 30, 3 M error k-mers; 1% of the genome's
	 * k-mers in two copies (true length: single + 2 x repeated). */
	static const double lambda[] = { 15, 30, 60 };
	double cov = lambda[_i], G = 2e6;
	uint64_t *h = spectrum();
	hcm_genome g = { .size = sizeof(g) };

	add_poisson(h, 0.98 * G, cov);
	add_poisson(h, 0.01 * G, 2 * cov);
	add_errors(h, 3e6);
	ck_assert_int_eq(hcm_genome_estimate(h, LEN, 0, &g), HC_OK);
	ck_assert_uint_ge(g.valley, 3);
	ck_assert_uint_lt(g.valley, (uint64_t)cov / 2);
	ck_assert_uint_ge(g.peak, (uint64_t)cov - 1);
	ck_assert_uint_le(g.peak, (uint64_t)cov);
	ck_assert_double_eq_tol(g.coverage, cov, 0.03 * cov);
	ck_assert_double_eq_tol(g.genome_size, G, 0.02 * G);
	ck_assert_int_eq(g.diploid, 0);
	ck_assert_uint_eq(g.half_peak, 0);
	ck_assert(g.error_distinct > 0.5 && g.error_distinct < 0.7);
	ck_assert(g.error_total > 0 && g.error_total < 0.2);
	free(h);
}
END_TEST

START_TEST(test_diploid)
{
	/* Haploid length G, a fraction het of its k-mers heterozygous:
	 * (1 - het) G k-mers at coverage c, 2 het G at c / 2.  Every
	 * position gives c k-mers in all, so the estimate is G.  het 0.1:
	 * the homozygous peak is the higher; het 0.4: the half one. */
	static const double het[] = { 0.1, 0.4 };
	double cov = 40, G = 1e6;
	uint64_t *h = spectrum();
	hcm_genome g = { .size = sizeof(g) };

	add_poisson(h, (1 - het[_i]) * G, cov);
	add_poisson(h, 2 * het[_i] * G, cov / 2);
	add_errors(h, 2e6);
	ck_assert_int_eq(hcm_genome_estimate(h, LEN, 0, &g), HC_OK);
	ck_assert_int_eq(g.diploid, 1);
	ck_assert_uint_ge(g.half_peak, 18);
	ck_assert_uint_le(g.half_peak, 20);
	ck_assert_uint_ge(g.peak, 38);
	ck_assert_uint_le(g.peak, 40);
	ck_assert_double_eq_tol(g.genome_size, G, 0.03 * G);
	ck_assert(_i == 0 ? g.half_ratio < 1 : g.half_ratio > 1);
	free(h);
}
END_TEST

START_TEST(test_no_peak)
{
	uint64_t *h = spectrum(), distinct = 0;
	hcm_genome g = { .size = sizeof(g) };

	/* Coverage too low: the spectrum only falls. */
	add_errors(h, 1e6);
	add_poisson(h, 1e5, 1.5);
	for (size_t c = 1; c < LEN; c++)
		distinct += h[c];
	ck_assert_int_eq(hcm_genome_estimate(h, LEN, 0, &g), HC_ERANGE);
	ck_assert_uint_eq(g.distinct, distinct);
	ck_assert_double_eq(g.genome_size, 0);
	ck_assert_int_eq(hcm_genome_estimate(h, 7, 0, &g), HC_EINVAL);
	ck_assert_int_eq(hcm_genome_estimate(NULL, LEN, 0, &g), HC_EINVAL);
	g.size = 8;
	ck_assert_int_eq(hcm_genome_estimate(h, LEN, 0, &g), HC_EINVAL);
	free(h);
}
END_TEST

START_TEST(test_total_given)
{
	/* Counts beyond the last bin: the given total is used, so the
	 * estimate grows by their weight over the coverage. */
	uint64_t *h = spectrum(), sum = 0;
	hcm_genome a = { .size = sizeof(a) }, b = { .size = sizeof(b) };

	add_poisson(h, 1e6, 30);
	add_errors(h, 1e6);
	for (size_t c = 1; c < LEN; c++)
		sum += c * h[c];
	ck_assert_int_eq(hcm_genome_estimate(h, LEN, 0, &a), HC_OK);
	ck_assert_uint_eq(a.total, sum);
	ck_assert_int_eq(hcm_genome_estimate(h, LEN, sum + 300000, &b), HC_OK);
	ck_assert_double_eq_tol(b.genome_size - a.genome_size,
				300000 / a.coverage, 1e-6);
	free(h);
}
END_TEST

START_TEST(test_zipf)
{
	/* c(r) = 1e6 / r^s for r = 1..1e5. */
	static const double s[] = { 0.8, 1.0, 1.3 };
	static uint64_t h[1000002];
	hcm_fit z = { .size = sizeof(z) };

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		h[i] = 0;
	for (uint64_t r = 1; r <= 100000; r++) {
		double c = floor(1e6 / pow((double)r, s[_i]));

		h[c < 1 ? 1 : (size_t)c]++;
	}
	ck_assert_int_eq(hcm_zipf_fit(h, 1000002, &z), HC_OK);
	ck_assert_double_eq_tol(-z.slope, s[_i], 0.05);
	ck_assert(z.r2 > 0.99);
	ck_assert_uint_ge(z.points, 100);
	ck_assert_uint_eq(hcm_rank_at(h, 1000002, 1), 1000000);
	ck_assert_uint_eq(hcm_rank_at(h, 1000002, 100001), 0);
}
END_TEST

START_TEST(test_rank_at)
{
	/* Counts 5, 3, 3, 1: ranks 1..4. */
	uint64_t h[8] = { 0, 1, 0, 2, 0, 1, 0, 0 };
	hcm_fit z = { .size = sizeof(z) };

	ck_assert_uint_eq(hcm_rank_at(h, 8, 0), 0);
	ck_assert_uint_eq(hcm_rank_at(h, 8, 1), 5);
	ck_assert_uint_eq(hcm_rank_at(h, 8, 2), 3);
	ck_assert_uint_eq(hcm_rank_at(h, 8, 3), 3);
	ck_assert_uint_eq(hcm_rank_at(h, 8, 4), 1);
	ck_assert_uint_eq(hcm_rank_at(h, 8, 5), 0);
	/* The last bin: counts of at least 7, ranked first. */
	h[7] = 1;
	ck_assert_uint_eq(hcm_rank_at(h, 8, 1), 7);
	ck_assert_uint_eq(hcm_rank_at(h, 8, 2), 5);
	ck_assert_int_eq(hcm_zipf_fit(h, 8, &z), HC_OK);
	ck_assert_uint_eq(z.points, 3);
	h[3] = h[5] = 0;
	ck_assert_int_eq(hcm_zipf_fit(h, 8, &z), HC_ERANGE);
}
END_TEST

START_TEST(test_heaps)
{
	/* n keys seen once: a sample of p N tokens holds p n of them, so
	 * beta = 1 and K = 1 exactly. */
	uint64_t h[4] = { 0, 1000, 0, 0 };
	double n[6], v[6];
	hcm_fit f = { .size = sizeof(f) };

	ck_assert_int_eq(hcm_heaps_fit(h, 4, 0, 6, n, v, &f), HC_OK);
	ck_assert_double_eq_tol(f.slope, 1, 1e-9);
	ck_assert_double_eq_tol(f.intercept, 0, 1e-9);
	ck_assert_double_eq_tol(n[0], 1000.0 / 32, 1e-9);
	ck_assert_double_eq_tol(v[5], 1000, 1e-9);
	/* One key seen 1000 times: almost any sample holds it. */
	h[1] = 0;
	h[3] = 1;
	ck_assert_double_eq_tol(hcm_heaps_vocab(h, 4, 0.5), 1 - 0.125, 1e-12);
	ck_assert_double_eq_tol(hcm_heaps_vocab(h, 4, 1), 1, 1e-12);
	ck_assert_double_eq(hcm_heaps_vocab(h, 4, 0), 0);
	/* A Zipf-like text grows slower than linearly. */
	{
		static uint64_t z[100002];

		for (uint64_t r = 1; r <= 20000; r++)
			z[(size_t)(100000 / r)]++;
		ck_assert_int_eq(hcm_heaps_fit(z, 100002, 0, 8, NULL, NULL, &f),
				 HC_OK);
		ck_assert_msg(f.slope > 0.3 && f.slope < 0.95, "beta %g r2 %g",
			      f.slope, f.r2);
		ck_assert_msg(f.r2 > 0.9, "beta %g r2 %g", f.slope, f.r2);
	}
	{
		/* Measured points on V = 3 n^0.5: beta 0.5, K 3. */
		uint64_t pn[5] = { 100, 400, 1600, 6400, 0 };
		uint64_t pv[5] = { 30, 60, 120, 240, 7 };

		ck_assert_int_eq(hcm_heaps_fit_points(pn, pv, 5, &f), HC_OK);
		ck_assert_uint_eq(f.points, 4);
		ck_assert_double_eq_tol(f.slope, 0.5, 1e-12);
		ck_assert_double_eq_tol(pow(10, f.intercept), 3, 1e-9);
		ck_assert_double_eq_tol(f.r2, 1, 1e-12);
		ck_assert_int_eq(hcm_heaps_fit_points(pn, pv, 1, &f),
				 HC_ERANGE);
		ck_assert_int_eq(hcm_heaps_fit_points(NULL, pv, 2, &f),
				 HC_EINVAL);
	}
	ck_assert_int_eq(hcm_heaps_fit(h, 4, 0, 1, NULL, NULL, &f), HC_EINVAL);
	ck_assert_int_eq(hcm_heaps_fit(h, 4, 0, 65, NULL, NULL, &f), HC_EINVAL);
}
END_TEST

static Suite *hcm_genome_suite(void)
{
	Suite *s = suite_create("genome");
	TCase *tc = tcase_create("spectrum");

	tcase_add_loop_test(tc, test_haploid, 0, 3);
	tcase_add_loop_test(tc, test_diploid, 0, 2);
	tcase_add_test(tc, test_no_peak);
	tcase_add_test(tc, test_total_given);
	suite_add_tcase(s, tc);
	tc = tcase_create("fit");
	tcase_add_loop_test(tc, test_zipf, 0, 3);
	tcase_add_test(tc, test_rank_at);
	tcase_add_test(tc, test_heaps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hcm_genome_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
