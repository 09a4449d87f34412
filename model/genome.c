/* SPDX-License-Identifier: MIT */
/*
 * genome.c - the k-mer spectrum read the way a genome assembler's user
 * reads it: the valley that separates error k-mers from solid ones, the
 * coverage peak, the genome size as solid k-mers weighted by count over
 * the coverage, and a flag for a heterozygous diploid's half-coverage
 * peak (docs/model.md, "Genome size").  Pure functions over a
 * count-of-counts array; nothing here touches a table.
 */
#include <math.h>
#include <stdlib.h>

#include "hogcount_model.h"

/* The spectrum smoothed over a window that widens with the count:
 * counts are Poisson-like, so the noise of bin c spans about sqrt(c)
 * neighbours; a width of c/8 keeps the error tail and the valley
 * (small c) untouched and flattens the sparse high bins. */
static double smooth_at(const uint64_t *h, size_t last, size_t c)
{
	size_t w = c / 8, lo = c > w ? c - w : 1, hi = c + w;
	double s = 0;

	if (lo < 1)
		lo = 1;
	if (hi > last)
		hi = last;
	for (size_t i = lo; i <= hi; i++)
		s += (double)h[i];
	return s / (double)(hi - lo + 1);
}

/* The highest smoothed bin in [lo, hi] if it is a local maximum inside
 * the range (not at either end), else 0. */
static size_t local_peak(const double *s, size_t lo, size_t hi)
{
	size_t best = lo;

	if (hi < lo + 2)
		return 0;
	for (size_t c = lo; c <= hi; c++)
		if (s[c] > s[best])
			best = c;
	if (best == lo || best == hi)
		return 0;
	return best;
}

/* The coverage as a real number: the vertex of the least-squares
 * parabola through log h[c] on [p - w, p + w], plus 1/2 for the gap
 * between a Poisson's mode and its mean.  Falls back on p itself when a
 * bin is empty or the fit is not a cap. */
static double refine(const uint64_t *h, size_t last, size_t p)
{
	size_t w = (size_t)sqrt((double)p) / 2;
	double n = 0, sx2 = 0, sx4 = 0, sy = 0, sxy = 0, sx2y = 0, b, d, det;

	if (w < 1)
		w = 1;
	if (p <= w || p + w > last)
		return (double)p;
	for (size_t c = p - w; c <= p + w; c++) {
		double x = (double)c - (double)p, y;

		if (!h[c])
			return (double)p;
		y = log((double)h[c]);
		n += 1;
		sx2 += x * x;
		sx4 += x * x * x * x;
		sy += y;
		sxy += x * y;
		sx2y += x * x * y;
	}
	/* x is symmetric about 0: the odd sums vanish, b stands alone and
	 * (a, d) solve [n sx2; sx2 sx4] (a d)' = (sy sx2y)'. */
	b = sxy / sx2;
	det = n * sx4 - sx2 * sx2;
	if (det == 0)
		return (double)p;
	d = (n * sx2y - sx2 * sy) / det;
	if (!(d < 0) || fabs(b / (2 * d)) > (double)w)
		return (double)p;
	return (double)p - b / (2 * d) + 0.5;
}

int hcm_genome_estimate(const uint64_t *hist, size_t len, uint64_t total,
			hcm_genome *g)
{
	size_t last, valley = 0, peak = 0, half = 0, hom;
	uint64_t err_keys = 0, err_total = 0;
	double *s;

	if (!hist || !g || len < 8 || g->size < sizeof(*g))
		return HC_EINVAL;
	last = len - 2; /* the highest bin that holds one count */
	g->valley = g->peak = g->half_peak = 0;
	g->coverage = g->genome_size = g->half_ratio = 0;
	g->error_distinct = g->error_total = 0;
	g->solid_distinct = g->solid_total = 0;
	g->diploid = 0;
	g->distinct = 0;
	for (size_t c = 1; c < len; c++)
		g->distinct += hist[c];
	if (!total)
		for (size_t c = 1; c < len; c++)
			total += (uint64_t)c * hist[c];
	g->total = total;

	s = malloc((last + 2) * sizeof(*s));
	if (!s)
		return HC_ENOMEM;
	s[0] = 0;
	for (size_t c = 1; c <= last; c++)
		s[c] = smooth_at(hist, last, c);
	s[last + 1] = 0;

	/* The valley: the first bin after which the spectrum rises. */
	for (size_t c = 1; c < last; c++)
		if (s[c + 1] > s[c]) {
			valley = c;
			break;
		}
	if (valley) {
		peak = valley;
		for (size_t c = valley; c <= last; c++)
			if (s[c] > s[peak])
				peak = c;
		/* A rise of noise in a falling tail is no peak. */
		if (s[peak] < 1.25 * s[valley] || s[peak] < 10 ||
		    peak == valley || peak == last)
			peak = 0;
	}
	if (!peak) {
		free(s);
		return HC_ERANGE;
	}

	/* Which peak is the homozygous one?  A peak near twice this one
	 * means we found the half-coverage (heterozygous) peak; else look
	 * for one near half of it. */
	hom = peak;
	{
		size_t lo = peak * 16 / 10, hi = peak * 24 / 10, q;

		if (hi > last)
			hi = last;
		q = lo < hi ? local_peak(s, lo, hi) : 0;
		if (q && s[q] >= 0.1 * s[peak]) {
			hom = q;
			half = peak;
		} else {
			lo = peak * 35 / 100;
			hi = peak * 65 / 100;
			if (lo <= valley)
				lo = valley + 1;
			q = lo < hi ? local_peak(s, lo, hi) : 0;
			if (q && s[q] >= 0.05 * s[peak])
				half = q;
		}
	}
	/* The mode in the raw bins near the smoothed one. */
	{
		size_t w = hom / 8, lo = hom > w ? hom - w : 1;
		size_t hi = hom + w > last ? last : hom + w, best = hom;

		for (size_t c = lo; c <= hi; c++)
			if (hist[c] > hist[best])
				best = c;
		hom = best;
	}
	free(s);

	for (size_t c = 1; c < valley; c++) {
		err_keys += hist[c];
		err_total += (uint64_t)c * hist[c];
	}
	g->valley = valley;
	g->peak = hom;
	g->coverage = refine(hist, last, hom);
	g->solid_distinct = g->distinct - err_keys;
	g->solid_total = total > err_total ? total - err_total : 0;
	g->genome_size = (double)g->solid_total / g->coverage;
	g->error_distinct =
		g->distinct ? (double)err_keys / (double)g->distinct : 0;
	g->error_total = total ? (double)err_total / (double)total : 0;
	if (half) {
		g->diploid = 1;
		g->half_peak = half;
		g->half_ratio =
			hist[hom] ? (double)hist[half] / (double)hist[hom] : 0;
	}
	return HC_OK;
}
