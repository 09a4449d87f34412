/* SPDX-License-Identifier: MIT */
/*
 * plot.h - pictures of a count-of-counts: the k-mer spectrum with its
 * error valley and coverage peak marked, and the rank-frequency curve
 * with its Zipf fit.  Written as SVG by hand (it is text); PNG goes
 * through rsvg-convert (librsvg, which renders with cairo) when it is
 * installed.
 */
#ifndef HC_PLOT_H
#define HC_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "hogcount_model.h"

/*
 * What to draw.
 * @rank: 0 for the spectrum (frequency against count, log axes, with
 *	@g's valley, peak and half peak marked when @g is not NULL); 1 for
 *	the rank-frequency curve (count against rank, log axes, with the
 *	line of @zipf when not NULL).
 * @hist, @len: hc_histo() layout; the last bin is left out.
 * @title: the caption.
 */
struct plot {
	int rank;
	const uint64_t *hist;
	size_t len;
	const hcm_genome *g;
	const hcm_fit *zipf;
	const char *title;
};

void plot_svg(FILE *f, const struct plot *p);

/*
 * plot_write - write @p to @path: SVG, or PNG when @path ends in .png
 * (an SVG rendered by rsvg-convert).  Prints its errors; returns 0 or
 * -1.
 */
int plot_write(const char *path, const struct plot *p);

/* The most bins histo_load() makes: counts above it share the last. */
#define HISTO_MAX (UINT64_C(1) << 24)

/*
 * histo_load - the stats of @t into @st and its count-of-counts into a
 * new array *@hist of *@len bins (hc_histo() layout): one bin per count
 * up to the largest count (at most HISTO_MAX), at least @min_len bins
 * and, when @max_len is not 0, at most @max_len.  With @st NULL the
 * stats are not read (one pass over the table less): @min_len bins.  Prints its errors
 * naming @path; returns 0 or -1.
 */
int histo_load(hc_table *t, const char *path, size_t min_len, size_t max_len,
	       uint64_t **hist, size_t *len, hc_stats *st);

#endif /* HC_PLOT_H */
