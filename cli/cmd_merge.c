/* SPDX-License-Identifier: MIT */
/*
 * cmd_merge.c - hogcount merge: add tables that hold the same kind of
 * key (same tokens, order and canonical flag) into a new table file.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "count_opts.h"
#include "tables.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hogcount merge [OPTIONS] -o OUT TABLE...\n"
		"Add the counts of TABLEs, made by hogcount count with the\n"
		"same tokens, order and --canonical, into the table OUT.\n"
		"\n"
		"  -o, --output FILE    table to write (required)\n"
		"  -s, --size N         expected distinct keys, a hint for "
		"the\n"
		"                       starting size (default: the largest\n"
		"                       input's; the output grows)\n"
		"  -L, --lower-count N  keep only the keys counted at least N\n"
		"                       times in all\n"
		"  -U, --upper-count N  keep only the keys counted at most N\n"
		"                       times in all (the file is sized to "
		"the\n"
		"                       keys kept)\n"
		"      --no-compact     write the live layout (read-write,\n"
		"                       grows) instead of the compact one\n"
		"  -h, --help           this help\n");
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "lower-count", required_argument, NULL, 'L' },
		{ "upper-count", required_argument, NULL, 'U' },
		{ "no-compact", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	hc_lock *out_lock = NULL;
	uint64_t size = 0, distinct = 0, arena = 0, lower = 1,
		 upper = UINT64_MAX;
	struct tables *in;
	char *first;
	hc_table *dst = NULL;
	hck_meta m0, m;
	hc_options o0 = { 0 };
	hck_plan_in pin;
	hck_plan plan = { .size = sizeof(plan) };
	int c, n, rc = 1, all_u64 = 1, compact = 1;
	sigset_t block, old;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:s:L:U:h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
		case 'U':
			if (count_bound_parse(c, optarg,
					      c == 'L' ? &lower : &upper, 0))
				return EXIT_USAGE;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &size) || !size ||
			    size > CLI_SIZE_MAX) {
				cli_error("--size",
					  "invalid size '%s': "
					  "give " CLI_SIZE_RANGE,
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'N':
			compact = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_option(argv);
		}
	}
	if (!out) {
		cli_error("--output", "missing: give the table to write");
		return EXIT_USAGE;
	}
	if (count_range_check(lower, upper, 0))
		return EXIT_USAGE;
	if (optind >= argc) {
		cli_error(NULL, "no tables to merge");
		return EXIT_USAGE;
	}
	if (output_is_input(out, argv + optind, (size_t)(argc - optind)))
		return 1;
	/* Never over a table another process writes (design.md L3). */
	if (out_lock_take(out, &out_lock))
		return 1;
	n = argc - optind;
	in = calloc((size_t)n, sizeof(*in));
	first = malloc(strlen(argv[optind]) + sizeof(" does"));
	if (!in || !first) {
		free(in);
		free(first);
		cli_error(NULL, "out of memory");
		return 1;
	}
	sprintf(first, "%s does", argv[optind]);
	for (int i = 0; i < n; i++) {
		const char *path = argv[optind + i];
		hc_stats st = { .size = sizeof(st) };
		hc_options o;

		/* A sharded table (a manifest) merges as its shards. */
		if (tables_open(path, &in[i]))
			goto out;
		*(i ? &m : &m0) = in[i].m;
		if (i && meta_refuse(path, &m, &m0, first))
			goto out;
		hc_options_init(&o);
		hc_table_options(in[i].t[0], &o);
		if (!i)
			o0 = o;
		all_u64 &= o.key_kind == HC_KEY_U64;
		if (tables_stats(&in[i], path, &st))
			goto out;
		if (st.distinct > distinct)
			distinct = st.distinct;
		if (st.arena_used > arena)
			arena = st.arena_used;
	}
	/* The key layer plans the output for the keys of the inputs;
	 * --wide inputs (u64 where packed would fit) stay wide.  The
	 * output grows, so it starts at the largest input (the least the
	 * merge can hold) rather than their sum (overlapping inputs would
	 * leave it half empty); --size is only a hint. */
	hck_plan_in_init(&pin);
	pin.mode = o0.mode;
	pin.keys = size ? size : distinct;
	pin.wide = all_u64;
	if (o0.key_kind == HC_KEY_BYTES)
		pin.arena_bytes =
			arena + arena / 8 + 4096 + (size ? size * 32 : 0);
	c = hck_plan_table(&m0, &pin, &plan);
	if (!c)
		c = hck_table_create(&dst, &m0, &plan);
	if (c) {
		cli_error("table", "%s", hc_strerror(c));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		c = 0;
		for (size_t sh = 0; sh < in[i].n && !c; sh++)
			c = hc_table_merge(dst, in[i].t[sh]);
		if (c == HC_EFULL) {
			cli_error("table",
				  "could not grow while adding %s (out of "
				  "memory?); nothing was written",
				  argv[optind + i]);
			goto out;
		}
		if (c) {
			cli_error(argv[optind + i], "%s", hc_strerror(c));
			goto out;
		}
	}
	/* -L/-U: save a copy of the keys kept, sized to them. */
	if (count_filter(&dst, lower, upper, NULL))
		goto out;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	c = compact ? hc_table_save_compact(dst, out) : hc_table_save(dst, out);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (c) {
		save_error(out, c);
		goto out;
	}
	rc = 0;
out:
	hc_lock_release(out_lock);
	hc_table_close(dst);
	for (int i = 0; i < n; i++)
		tables_close(&in[i]);
	free(in);
	free(first);
	return rc;
}
