/* SPDX-License-Identifier: MIT */
/*
 * count_opts.h - the options of a count, parsed once for both tools
 * that count: `hogcount count` (cmd_count.c) and `hogcount-mpi count`
 * (mpi/count_mpi.c).  An option one tool cannot honour is refused by
 * the parser with one line, never silently ignored.
 */
#ifndef HC_COUNT_OPTS_H
#define HC_COUNT_OPTS_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* The most worker processes of one count. */
#define COUNT_MAX_WORKERS 256

/* Flags of count_opts_parse() and count_opts_usage(). */
enum {
	/* hogcount-mpi: every rank is one worker (-j is accepted and
	 * ignored), the output is a sharded table, and --into and --shm
	 * are refused. */
	COUNT_OPTS_MPI = 1,
	/* Print no error (the MPI ranks other than 0). */
	COUNT_OPTS_SILENT = 2,
};

struct count_opts {
	hck_meta m; /* tokens, k, canonical */
	const char *out; /* default "counts.hc"; none with --shm or --into */
	int out_given; /* -o was given */
	const char *into; /* --into TABLE, or NULL (then out is NULL) */
	const char *shm_arg; /* --shm NAME as given, or NULL */
	char shm[NAME_MAX + 2]; /* --shm: "/NAME" (shm_name()) */
	int keep_shm; /* --keep-shm */
	int mode_given; /* --mode was given */
	uint64_t workers; /* 0: the caller picks */
	uint64_t size; /* --size, 0: none */
	uint64_t max_size; /* --max-size, 0: none */
	uint64_t chunk; /* --chunk-size, 0: the caller picks */
	int mode; /* HC_MODE_EXACT or HC_MODE_HOGWILD */
	int wide, quiet, verbose;
	int compact; /* 1 unless --no-compact: save compact files */
	int ids; /* 1 unless --no-ids: word n-grams by ids where they fit */
	/* -L, -U: save only the keys counted lower..upper times (1 and
	 * UINT64_MAX: all); see count_filter(). */
	uint64_t lower, upper;
	int exchange; /* hogcount-mpi --exchange: enum count_xchg */
};

/* hogcount-mpi: how ranks move keys to their owners (mpi/count_mpi.c). */
enum count_xchg {
	COUNT_XCHG_P2P = 0, /* the default */
	COUNT_XCHG_ALLTOALLV = 1,
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

/*
 * count_bound_parse - the value @arg of -L/--lower-count (@c 'L') or
 * -U/--upper-count ('U'), a count of at least 1, into @v.  Prints one
 * line (none with COUNT_OPTS_SILENT) and returns -1 if it is not one.
 * count_range_check - -1 after one line if @upper < @lower.  count and
 * merge both take -L/-U through these.
 */
int count_bound_parse(int c, const char *arg, uint64_t *v, unsigned flags);
int count_range_check(uint64_t lower, uint64_t upper, unsigned flags);

/*
 * count_filter - when [@lower, @upper] is not every count, replace *@t
 * by its copy that keeps only the keys counted that many times, sized
 * to them (hck_table_filter), and close the original.  @kept gets the
 * distinct keys left (if not NULL).  Prints the error and returns -1 on
 * failure (*@t is then unchanged).
 */
int count_filter(hc_table **t, uint64_t lower, uint64_t upper, uint64_t *kept);

/* count_opts_usage - the option lines of --help for the tool @flags
 * names (COUNT_OPTS_MPI or 0). */
void count_opts_usage(FILE *f, unsigned flags);

#endif /* HC_COUNT_OPTS_H */
