/* SPDX-License-Identifier: MIT */
/*
 * plot.c - SVG pictures of a count-of-counts (plot.h): log axes with a
 * tick per decade, the curve as one polyline, marks and a legend.  PNG
 * is that SVG rendered by rsvg-convert (Debian librsvg2-bin), run as a
 * child process; without it, PNG is refused with a message and SVG
 * still works.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"

#define W 800
#define H 500
#define ML 80 /* margins: left, right, top, bottom */
#define MR 30
#define MT 50
#define MB 60

/* Log10 axes: decades [x0, x1] and [y0, y1] onto the plot area. */
struct axes {
	double x0, x1, y0, y1;
};

static double px(const struct axes *a, double v)
{
	return ML + (log10(v) - a->x0) / (a->x1 - a->x0) * (W - ML - MR);
}

static double py(const struct axes *a, double v)
{
	return H - MB - (log10(v) - a->y0) / (a->y1 - a->y0) * (H - MT - MB);
}

static void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
}

static void decade_label(char *buf, size_t n, int e)
{
	if (e <= 4)
		snprintf(buf, n, "%.0f", pow(10, e));
	else
		snprintf(buf, n, "1e%d", e);
}

static void frame(FILE *f, const struct axes *a, const char *title,
		  const char *xlabel, const char *ylabel)
{
	char buf[32];

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans, Arial, sans-serif\" "
		"font-size=\"13\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		W, H, W, H);
	fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"16\">", ML);
	put_text(f, title);
	fputs("</text>\n", f);
	/* Grid and ticks: a line per decade, short ticks at 2..9. */
	for (int e = (int)a->x0; e <= (int)a->x1; e++) {
		for (int m = 1; m <= 9; m++) {
			double v = m * pow(10, e), x;

			if (log10(v) > a->x1 + 1e-9)
				break;
			x = px(a, v);
			if (m == 1) {
				decade_label(buf, sizeof(buf), e);
				fprintf(f,
					"<line x1=\"%.1f\" y1=\"%d\" "
					"x2=\"%.1f\" y2=\"%d\" "
					"stroke=\"#ddd\"/>\n"
					"<text x=\"%.1f\" y=\"%d\" "
					"text-anchor=\"middle\">%s</text>\n",
					x, MT, x, H - MB, x, H - MB + 18, buf);
			}
			fprintf(f,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%d\" stroke=\"#000\"/>\n",
				x, H - MB, x, H - MB + (m == 1 ? 6 : 3));
		}
	}
	for (int e = (int)a->y0; e <= (int)a->y1; e++) {
		for (int m = 1; m <= 9; m++) {
			double v = m * pow(10, e), y;

			if (log10(v) > a->y1 + 1e-9)
				break;
			y = py(a, v);
			if (m == 1) {
				decade_label(buf, sizeof(buf), e);
				fprintf(f,
					"<line x1=\"%d\" y1=\"%.1f\" "
					"x2=\"%d\" y2=\"%.1f\" "
					"stroke=\"#ddd\"/>\n"
					"<text x=\"%d\" y=\"%.1f\" "
					"text-anchor=\"end\">%s</text>\n",
					ML, y, W - MR, y, ML - 10, y + 4, buf);
			}
			fprintf(f,
				"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
				"y2=\"%.1f\" stroke=\"#000\"/>\n",
				ML - (m == 1 ? 6 : 3), y, ML, y);
		}
	}
	fprintf(f,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"#000\"/>\n",
		ML, MT, W - ML - MR, H - MT - MB);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		ML + (W - ML - MR) / 2, H - 15, xlabel);
	fprintf(f,
		"<text transform=\"translate(20 %d) rotate(-90)\" "
		"text-anchor=\"middle\">%s</text>\n",
		MT + (H - MT - MB) / 2, ylabel);
}

static double top_decade(double v)
{
	double e = ceil(log10(v > 1 ? v : 1) - 1e-9);

	return e < 1 ? 1 : e;
}

#define LEGEND_W 370 /* the legend's width */

/* The legend's white box for @lines lines, drawn under them. */
static void legend_box(FILE *f, int lines)
{
	fprintf(f,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n",
		W - MR - LEGEND_W - 8, MT + 5, LEGEND_W, 20 * lines + 6);
}

/* One line of the legend box, top right; @n counts the lines. */
static void legend(FILE *f, int *n, const char *color, int dashed,
		   const char *text)
{
	int y = MT + 20 + 20 * (*n)++;
	int x = W - MR - LEGEND_W;

	if (color)
		fprintf(f,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"%s\" stroke-width=\"2\"%s/>\n",
			x, y - 4, x + 24, y - 4, color,
			dashed ? " stroke-dasharray=\"6 3\"" : "");
	fprintf(f, "<text x=\"%d\" y=\"%d\">", x + 32, y);
	put_text(f, text);
	fputs("</text>\n", f);
}

static void vmark(FILE *f, const struct axes *a, double x, const char *color,
		  int dashed)
{
	fprintf(f,
		"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		"stroke=\"%s\" stroke-width=\"2\"%s/>\n",
		px(a, x), MT, px(a, x), H - MB, color,
		dashed ? " stroke-dasharray=\"6 3\"" : "");
}

static void spectrum(FILE *f, const struct plot *p)
{
	const uint64_t *h = p->hist;
	const hcm_genome *g = p->g;
	uint64_t ymax = 1;
	size_t xmax = 1;
	struct axes a;
	char buf[160];
	int n = 0, first = 1;

	for (size_t c = 1; c + 1 < p->len; c++)
		if (h[c]) {
			xmax = c;
			if (h[c] > ymax)
				ymax = h[c];
		}
	a.x0 = 0;
	a.x1 = top_decade((double)xmax + 1);
	a.y0 = 0;
	a.y1 = top_decade((double)ymax);
	frame(f, &a, p->title, "count (times a k-mer was seen)",
	      "k-mers with that count");
	if (g && g->valley > 1)
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\" fill=\"#fbe3e3\"/>\n",
			ML, MT + 1, px(&a, (double)g->valley) - ML,
			H - MT - MB - 2);
	fputs("<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"1.5\" "
	      "points=\"",
	      f);
	for (size_t c = 1; c <= xmax; c++) {
		if (!h[c])
			continue;
		fprintf(f, "%s%.1f,%.1f", first ? "" : " ", px(&a, (double)c),
			py(&a, (double)h[c]));
		first = 0;
	}
	fputs("\"/>\n", f);
	/* The marks first, then the legend over them. */
	if (g && g->peak) {
		vmark(f, &a, (double)g->valley, "#c0392b", 1);
		vmark(f, &a, g->coverage, "#1f6fb2", 0);
		if (g->diploid)
			vmark(f, &a, (double)g->half_peak, "#e67e22", 1);
	}
	legend_box(f, g && g->peak ? 4 + (g->diploid != 0) : 1);
	legend(f, &n, "#222", 0, "spectrum");
	if (g && g->peak) {
		snprintf(buf, sizeof(buf),
			 "solid threshold (valley): %llu; errors: %.1f%% of "
			 "keys",
			 (unsigned long long)g->valley,
			 100 * g->error_distinct);
		legend(f, &n, "#c0392b", 1, buf);
		snprintf(buf, sizeof(buf), "coverage peak: %llu (%.2f)",
			 (unsigned long long)g->peak, g->coverage);
		legend(f, &n, "#1f6fb2", 0, buf);
		if (g->diploid) {
			snprintf(buf, sizeof(buf),
				 "half-coverage peak: %llu (diploid?)",
				 (unsigned long long)g->half_peak);
			legend(f, &n, "#e67e22", 1, buf);
		}
		snprintf(buf, sizeof(buf), "genome size: %.0f bp",
			 g->genome_size);
		legend(f, &n, NULL, 0, buf);
	}
	fputs("</svg>\n", f);
}

static void rank(FILE *f, const struct plot *p)
{
	const uint64_t *h = p->hist;
	uint64_t distinct = 0, ymax;
	struct axes a;
	char buf[160];
	double lr, prev = 0;
	int n = 0, first = 1;

	for (size_t c = 1; c < p->len; c++)
		distinct += h[c];
	ymax = hcm_rank_at(h, p->len, 1);
	if (!distinct)
		distinct = 1;
	a.x0 = 0;
	a.x1 = top_decade((double)distinct);
	a.y0 = 0;
	a.y1 = top_decade((double)(ymax ? ymax : 1));
	frame(f, &a, p->title, "rank", "count");
	lr = log10((double)distinct);
	fputs("<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"1.5\" "
	      "points=\"",
	      f);
	for (int i = 0; i <= 500; i++) {
		double r = floor(pow(10, lr * i / 500) + 0.5);
		uint64_t v;

		if (r <= prev)
			continue;
		prev = r;
		v = hcm_rank_at(h, p->len, (uint64_t)r);
		if (!v)
			break;
		fprintf(f, "%s%.1f,%.1f", first ? "" : " ", px(&a, r),
			py(&a, (double)v));
		first = 0;
	}
	fputs("\"/>\n", f);
	if (p->zipf && p->zipf->points >= 2) {
		double r1 = (double)distinct, y1;

		/* Draw the line down to a count of 1 at most. */
		y1 = pow(10, p->zipf->intercept + p->zipf->slope * log10(r1));
		if (y1 < 1 && p->zipf->slope < 0)
			r1 = pow(10, -p->zipf->intercept / p->zipf->slope);
		y1 = pow(10, p->zipf->intercept + p->zipf->slope * log10(r1));
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#c0392b\" stroke-width=\"2\" "
			"stroke-dasharray=\"6 3\"/>\n",
			px(&a, 1), py(&a, pow(10, p->zipf->intercept)),
			px(&a, r1), py(&a, y1));
	}
	legend_box(f, p->zipf && p->zipf->points >= 2 ? 2 : 1);
	legend(f, &n, "#222", 0, "count of the key of each rank");
	if (p->zipf && p->zipf->points >= 2) {
		snprintf(buf, sizeof(buf), "Zipf fit: s = %.3f, R2 = %.3f",
			 -p->zipf->slope, p->zipf->r2);
		legend(f, &n, "#c0392b", 1, buf);
	}
	fputs("</svg>\n", f);
}

void plot_svg(FILE *f, const struct plot *p)
{
	if (p->rank)
		rank(f, p);
	else
		spectrum(f, p);
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcasecmp(s + n - m, tail);
}

/* rsvg-convert -o @png @svg; 0 or -1 with a message. */
static int to_png(const char *svg, const char *png)
{
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		cli_error(png, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execlp("rsvg-convert", "rsvg-convert", "-b", "white", "-o", png,
		       svg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0) {
		cli_error(png, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		cli_error(png, "PNG needs rsvg-convert (Debian librsvg2-bin); "
			       "write an .svg file instead");
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		cli_error(png, "rsvg-convert failed");
		return -1;
	}
	return 0;
}

int plot_write(const char *path, const struct plot *p)
{
	int png = ends_with(path, ".png"), rc = 0;
	char tmp[] = "/tmp/hogcount-plot-XXXXXX.svg";
	struct out_file o;
	FILE *f;

	/* The picture goes to a temporary name beside @path, renamed when
	 * whole (out_open()); a PNG is drawn from an SVG in /tmp. */
	if (out_open(&o, path))
		return -1;
	if (png) {
		int fd = mkstemps(tmp, 4);

		if (fd < 0) {
			cli_error(tmp, "%s", strerror(errno));
			out_abort(&o);
			return -1;
		}
		f = fdopen(fd, "w");
		if (!f) {
			cli_error(tmp, "%s", strerror(errno));
			close(fd);
			unlink(tmp);
			out_abort(&o);
			return -1;
		}
	} else {
		f = o.f;
	}
	plot_svg(f, p);
	if (png) {
		if (ferror(f) | fclose(f)) {
			cli_error(tmp, "write failed");
			rc = -1;
		}
		/* rsvg-convert writes the PNG over the temporary file. */
		if (!rc)
			rc = to_png(tmp, o.tmp ? o.tmp : path);
		unlink(tmp);
	}
	if (rc)
		out_abort(&o);
	else
		rc = out_commit(&o);
	return rc;
}

int histo_load(hc_table *t, const char *path, size_t min_len, size_t max_len,
	       uint64_t **hist, size_t *len, hc_stats *st)
{
	uint64_t top = 0;
	int rc;

	/* Without @st the bins are @min_len: no pass for the stats. */
	if (st) {
		st->size = sizeof(*st);
		rc = hc_table_stats(t, st);
		if (rc) {
			cli_error(path, "%s", hc_strerror(rc));
			return -1;
		}
		top = st->max_count < HISTO_MAX ? st->max_count : HISTO_MAX;
	}
	*len = (size_t)top + 2;
	if (*len < min_len)
		*len = min_len;
	if (max_len && *len > max_len)
		*len = max_len;
	*hist = calloc(*len, sizeof(**hist));
	if (!*hist) {
		cli_error(NULL, "out of memory");
		return -1;
	}
	rc = hc_histo(t, *hist, *len);
	if (rc) {
		cli_error(path, "%s", hc_strerror(rc));
		free(*hist);
		*hist = NULL;
		return -1;
	}
	return 0;
}
