/* SPDX-License-Identifier: MIT */
/*
 * count_opts.h - the options of a count, parsed once for both tools
 * that count: `hogcount count` (cmd_count.c) and `hogcount-mpi count`
 * (mpi/count_mpi.c).  An option one tool cannot honour is refused by
 * the parser with one line, never silently ignored.
 */
#ifndef HC_COUNT_OPTS_H
#define HC_COUNT_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* The most worker processes of one count. */
#define COUNT_MAX_WORKERS 256

/* Flags of count_opts_parse() and count_opts_usage(). */
enum {
	/* hogcount-mpi: every rank is one worker (-j is accepted and
	 * ignored), the output is a sharded table, and --into is refused. */
	COUNT_OPTS_MPI = 1,
	/* Print no error (the MPI ranks other than 0). */
	COUNT_OPTS_SILENT = 2,
};

struct count_opts {
	hck_meta m; /* tokens, k, canonical */
	const char *out; /* default "counts.hc" */
	int out_given; /* -o was given */
	const char *into; /* --into TABLE, or NULL */
	uint64_t workers; /* 0: the caller picks */
	uint64_t size; /* --size, 0: none */
	uint64_t max_size; /* --max-size, 0: none */
	uint64_t chunk; /* --chunk-size, 0: the caller picks */
	int mode; /* HC_MODE_EXACT or HC_MODE_HOGWILD */
	int wide, quiet, verbose;
};

/*
 * count_opts_parse - parse the options of a count (argv[0] is the
 * subcommand) into @o and check them together.  The inputs are
 * argv[optind..argc-1], at least one.  Returns 0 to count, 1 after
 * --help (the caller prints its usage and exits 0), or EXIT_USAGE
 * after printing one line (none with COUNT_OPTS_SILENT).
 */
int count_opts_parse(struct count_opts *o, int argc, char **argv,
		     unsigned flags);

/* count_opts_usage - the option lines of --help for the tool @flags
 * names (COUNT_OPTS_MPI or 0). */
void count_opts_usage(FILE *f, unsigned flags);

#endif /* HC_COUNT_OPTS_H */
