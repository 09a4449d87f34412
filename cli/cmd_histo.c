/* SPDX-License-Identifier: MIT */
/*
 * cmd_histo.c - hogcount histo: count-of-counts as "count frequency"
 * lines, the format and binning of jellyfish histo: bins low..high, one
 * bin low-1 for the counts below low and one bin high+1 for the counts
 * above high; bins that are zero are left out unless --full.  --json
 * prints the same bins as one JSON object; --plot draws the whole
 * spectrum (k-mers) or the rank-frequency curve (bytes, words) into an
 * SVG or PNG file (plot.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "plot.h"
#include "tables.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hogcount histo [OPTIONS] TABLE\n"
		"Print \"count frequency\" lines: how many keys have each "
		"count.\n" TABLE_HELP "\n"
		"  -l, --low N   lowest bin (default 1)\n"
		"      --high N  highest bin (default 10000; jellyfish's -h,\n"
		"                which is --help here)\n"
		"  -f, --full    print the zero bins too\n"
		"      --json    print one JSON object instead of lines\n"
		"  -p, --plot FILE  draw the histogram into FILE: SVG, or PNG\n"
		"                if FILE ends in .png (needs rsvg-convert)\n"
		"      --plot-kind spectrum|rank\n"
		"                frequency against count with the error "
		"valley\n"
		"                and coverage peak (default for k-mers), or\n"
		"                count against rank with the Zipf fit "
		"(default\n"
		"                for bytes and words)\n"
		"  -h, --help    this help\n");
}

/* Long options without a letter. */
enum { OPT_HIGH = 256 };

int cmd_histo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "low", required_argument, NULL, 'l' },
		{ "high", required_argument, NULL, OPT_HIGH },
		{ "full", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "plot-kind", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t low = 1, high = 10000, below = 0, above = 0, *hist;
	int full = 0, json = 0, rank = -1, c, rc = 0;
	const char *plot = NULL;
	struct json js;
	struct tables ts;
	hck_meta m;
	hc_stats st;
	size_t len;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "l:fp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
		case OPT_HIGH: {
			uint64_t v;

			if (parse_u64(optarg, &v) || v == 0 ||
			    v > (UINT64_C(1) << 28)) {
				cli_error(c == 'l' ? "--low" : "--high",
					  "invalid bin '%s'", optarg);
				return EXIT_USAGE;
			}
			if (c == 'l')
				low = v;
			else
				high = v;
			break;
		}
		case 'f':
			full = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'p':
			plot = optarg;
			break;
		case 'K':
			if (strcmp(optarg, "spectrum") &&
			    strcmp(optarg, "rank")) {
				cli_error("--plot-kind",
					  "'%s': use spectrum or rank", optarg);
				return EXIT_USAGE;
			}
			rank = !strcmp(optarg, "rank");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_option(argv);
		}
	}
	if (low > high) {
		cli_error("--low", "must not be above --high");
		return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (plot && output_is_input(plot, argv + optind, 1))
		return 1;
	if (tables_open(argv[optind], &ts))
		return 1;
	m = ts.m;
	if (tables_histo(&ts, argv[optind], high + 2, plot ? 0 : high + 2,
			 &hist, &len, json || plot ? &st : NULL)) {
		tables_close(&ts);
		return 1;
	}
	for (uint64_t b = 1; b < low; b++)
		below += hist[b];
	for (uint64_t b = high + 1; b < len; b++)
		above += hist[b];
	if (json) {
		json_begin(&js, stdout);
		json_str(&js, "table", argv[optind]);
		json_str(&js, "tokens", hck_tokens_name(m.tokens));
		json_u64(&js, "k", m.k);
		json_u64(&js, "low", low);
		json_u64(&js, "high", high);
		json_u64(&js, "distinct", st.distinct);
		json_u64(&js, "total", st.total);
		json_u64(&js, "max_count", st.max_count);
		json_arr(&js, "bins");
	}
	for (uint64_t b = low - 1; b <= high + 1; b++) {
		uint64_t v = b == low - 1    ? below
			     : b == high + 1 ? above
					     : hist[b];

		if (!v && !full)
			continue;
		if (json) {
			json_arr(&js, NULL);
			json_u64(&js, NULL, b);
			json_u64(&js, NULL, v);
			json_close(&js);
		} else {
			printf("%llu %llu\n", (unsigned long long)b,
			       (unsigned long long)v);
		}
	}
	if (json)
		json_end(&js);
	if (plot) {
		hcm_genome g = { .size = sizeof(g) };
		hcm_fit z = { .size = sizeof(z) };
		struct plot p = { 0, hist, len, NULL, NULL, argv[optind] };

		p.rank = rank >= 0 ? rank : m.tokens != HCK_DNA;
		if (!p.rank && m.tokens == HCK_DNA &&
		    hcm_genome_estimate(hist, len, st.total, &g) == HC_OK)
			p.g = &g;
		if (p.rank && hcm_zipf_fit(hist, len, &z) == HC_OK)
			p.zipf = &z;
		if (plot_write(plot, &p))
			rc = 1;
	}
	free(hist);
	tables_close(&ts);
	if (fflush(stdout)) {
		cli_error("<stdout>", "write failed");
		return 1;
	}
	return rc;
}
