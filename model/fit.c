/* SPDX-License-Identifier: MIT */
/*
 * fit.c - Zipf's law on the rank-frequency curve and Heaps' law on the
 * vocabulary growth, read off a count-of-counts array or, for Heaps,
 * fitted on measured prefixes (docs/model.md, "Zipf and Heaps").  Pure functions; nothing here
 * touches a table.
 */
#include <math.h>

#include "hogcount_model.h"

/* Least squares y = a + b x over @n points. */
struct line {
	double n, sx, sy, sxx, sxy, syy;
};

static void line_add(struct line *l, double x, double y)
{
	l->n += 1;
	l->sx += x;
	l->sy += y;
	l->sxx += x * x;
	l->sxy += x * y;
	l->syy += y * y;
}

static int line_fit(const struct line *l, hcm_fit *fit)
{
	double vx = l->n * l->sxx - l->sx * l->sx;
	double vy = l->n * l->syy - l->sy * l->sy;
	double cxy = l->n * l->sxy - l->sx * l->sy;

	fit->points = (uint64_t)l->n;
	if (l->n < 2 || vx <= 0) {
		fit->slope = fit->intercept = fit->r2 = 0;
		return HC_ERANGE;
	}
	fit->slope = cxy / vx;
	fit->intercept = (l->sy - fit->slope * l->sx) / l->n;
	fit->r2 = vy > 0 ? cxy * cxy / (vx * vy) : 1;
	return HC_OK;
}

int hcm_zipf_fit(const uint64_t *hist, size_t len, hcm_fit *fit)
{
	struct line l = { 0, 0, 0, 0, 0, 0 };
	uint64_t above;

	if (!hist || !fit || len < 3 || fit->size < sizeof(*fit))
		return HC_EINVAL;
	/* The keys of the last bin (count >= len - 1) take the first
	 * ranks; their counts are unknown, so they give no point. */
	above = hist[len - 1];
	for (size_t c = len - 2; c >= 1; c--) {
		double lo, hi;

		if (!hist[c])
			continue;
		lo = (double)above + 1;
		hi = (double)(above + hist[c]);
		line_add(&l, log10(sqrt(lo * hi)), log10((double)c));
		above += hist[c];
	}
	return line_fit(&l, fit);
}

uint64_t hcm_rank_at(const uint64_t *hist, size_t len, uint64_t rank)
{
	uint64_t above;

	if (!hist || len < 3 || rank == 0)
		return 0;
	above = hist[len - 1];
	if (rank <= above)
		return len - 1;
	for (size_t c = len - 2; c >= 1; c--) {
		above += hist[c];
		if (rank <= above)
			return c;
	}
	return 0;
}

double hcm_heaps_vocab(const uint64_t *hist, size_t len, double p)
{
	double v = 0, lq;

	if (!hist || len < 2 || !(p > 0))
		return 0;
	if (p >= 1) {
		for (size_t c = 1; c < len; c++)
			v += (double)hist[c];
		return v;
	}
	lq = log1p(-p);
	for (size_t c = 1; c < len; c++)
		if (hist[c])
			v += (double)hist[c] * -expm1((double)c * lq);
	return v;
}

int hcm_heaps_fit(const uint64_t *hist, size_t len, uint64_t total,
		  unsigned npoints, double *n, double *v, hcm_fit *fit)
{
	struct line l = { 0, 0, 0, 0, 0, 0 };

	if (!hist || !fit || len < 2 || fit->size < sizeof(*fit) ||
	    npoints < 2 || npoints > 64)
		return HC_EINVAL;
	if (!total)
		for (size_t c = 1; c < len; c++)
			total += (uint64_t)c * hist[c];
	for (unsigned i = 0; i < npoints; i++) {
		double p = ldexp(1.0, -(int)(npoints - 1 - i));
		double ni = p * (double)total;
		double vi = hcm_heaps_vocab(hist, len, p);

		if (n)
			n[i] = ni;
		if (v)
			v[i] = vi;
		if (ni > 0 && vi > 0)
			line_add(&l, log10(ni), log10(vi));
	}
	return line_fit(&l, fit);
}

int hcm_heaps_fit_points(const uint64_t *n, const uint64_t *v, size_t npoints,
			 hcm_fit *fit)
{
	struct line l = { 0, 0, 0, 0, 0, 0 };

	if (!fit || fit->size < sizeof(*fit) || (npoints && (!n || !v)))
		return HC_EINVAL;
	for (size_t i = 0; i < npoints; i++)
		if (n[i] && v[i])
			line_add(&l, log10((double)n[i]), log10((double)v[i]));
	return line_fit(&l, fit);
}
