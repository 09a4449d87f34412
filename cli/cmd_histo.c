/* SPDX-License-Identifier: MIT */
/*
 * cmd_histo.c - hogcount histo: count-of-counts as "count frequency"
 * lines, the format and binning of jellyfish histo: bins low..high, one
 * bin low-1 for the counts below low and one bin high+1 for the counts
 * above high; bins that are zero are left out unless --full.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount histo [OPTIONS] TABLE\n"
		   "Print \"count frequency\" lines: how many keys have each "
		   "count.\n"
		   "\n"
		   "  -l, --low N   lowest bin (default 1)\n"
		   "  -h, --high N  highest bin (default 10000)\n"
		   "  -f, --full    print the zero bins too\n"
		   "      --help    this help\n");
}

int cmd_histo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "low", required_argument, NULL, 'l' },
		{ "high", required_argument, NULL, 'h' },
		{ "full", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t low = 1, high = 10000, below = 0, *hist;
	int full = 0, c, rc;
	hck_meta m;
	hc_table *t;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "l:h:f", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
		case 'h': {
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
		case 'H':
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
	if (table_open_meta(argv[optind], &t, &m))
		return 1;
	hist = calloc(high + 2, sizeof(*hist));
	if (!hist) {
		cli_error(NULL, "out of memory");
		hc_table_close(t);
		return 1;
	}
	rc = hc_histo(t, hist, high + 2);
	if (rc) {
		cli_error(argv[optind], "%s", hc_strerror(rc));
		free(hist);
		hc_table_close(t);
		return 1;
	}
	for (uint64_t b = 1; b < low; b++)
		below += hist[b];
	for (uint64_t b = low - 1; b <= high + 1; b++) {
		uint64_t v = b == low - 1 ? below : hist[b];

		if (v || full)
			printf("%llu %llu\n", (unsigned long long)b,
			       (unsigned long long)v);
	}
	free(hist);
	hc_table_close(t);
	if (fflush(stdout)) {
		cli_error("<stdout>", "write failed");
		return 1;
	}
	return 0;
}
