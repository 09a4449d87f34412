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

#define LOAD 0.75

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount merge [OPTIONS] -o OUT TABLE...\n"
		   "Add the counts of TABLEs, made by hogcount count with the\n"
		   "same tokens, order and --canonical, into the table OUT.\n"
		   "\n"
		   "  -o, --output FILE  table to write (required)\n"
		   "  -s, --size N       expected distinct keys (default: the\n"
		   "                     sum of the inputs' distinct keys)\n"
		   "  -h, --help         this help\n");
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	uint64_t size = 0, distinct = 0, arena = 0;
	hc_table **in, *dst = NULL;
	struct meta m0, m;
	hc_options o0, opt;
	int c, n, rc = 1, all_dense = 1, all_packed = 1;
	sigset_t block, old;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &size) || !size) {
				cli_error("--size", "invalid size '%s'",
					  optarg);
				return EXIT_USAGE;
			}
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
	if (optind >= argc) {
		cli_error(NULL, "no tables to merge");
		return EXIT_USAGE;
	}
	n = argc - optind;
	in = calloc((size_t)n, sizeof(*in));
	if (!in) {
		cli_error(NULL, "out of memory");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const char *path = argv[optind + i];
		hc_stats st = { .size = sizeof(st) };
		hc_options o;

		if (table_open_meta(path, &in[i], i ? &m : &m0))
			goto out;
		if (i && (m.tokens != m0.tokens || m.k != m0.k ||
			  m.canonical != m0.canonical)) {
			cli_error(path,
				  "holds %s k=%u%s, not %s k=%u%s as %s does",
				  tok_name(m.tokens), m.k,
				  m.canonical ? " canonical" : "",
				  tok_name(m0.tokens), m0.k,
				  m0.canonical ? " canonical" : "",
				  argv[optind]);
			goto out;
		}
		hc_table_options(in[i], i ? &o : &o0);
		if (i) {
			all_dense &= o.key_kind == HC_KEY_DENSE &&
				     o.dense_bits == o0.dense_bits;
			all_packed &= o.key_kind == HC_KEY_PACKED &&
				      o.key_bits == o0.key_bits;
		}
		rc = hc_table_stats(in[i], &st);
		if (rc) {
			cli_error(path, "%s", hc_strerror(rc));
			rc = 1;
			goto out;
		}
		rc = 1;
		distinct += st.distinct;
		arena += st.arena_used;
	}
	all_dense &= o0.key_kind == HC_KEY_DENSE;
	all_packed &= o0.key_kind == HC_KEY_PACKED;
	hc_options_init(&opt);
	opt.mode = o0.mode;
	if (all_dense) {
		opt.key_kind = HC_KEY_DENSE;
		opt.dense_bits = o0.dense_bits;
	} else {
		uint64_t keys = size ? size : distinct;

		opt.key_kind =
			o0.key_kind == HC_KEY_BYTES ? HC_KEY_BYTES : HC_KEY_U64;
		opt.capacity = (uint64_t)((double)keys / LOAD) + 1024;
		if (opt.key_kind == HC_KEY_BYTES)
			opt.arena_bytes = arena + arena / 8 + 4096 +
					  (size ? size * 32 : 0);
		if (all_packed) {
			opt.key_kind = HC_KEY_PACKED;
			opt.key_bits = o0.key_bits;
		}
	}
	c = hc_table_create(&dst, &opt);
	if (c == HC_EINVAL && opt.key_kind == HC_KEY_PACKED) {
		/* A capacity too small for packed slots of these keys. */
		opt.key_kind = HC_KEY_U64;
		c = hc_table_create(&dst, &opt);
	}
	if (!c)
		c = meta_store(dst, &m0);
	if (c) {
		cli_error("table", "%s", hc_strerror(c));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		c = hc_table_merge(dst, in[i]);
		if (c == HC_EFULL) {
			cli_error("--size",
				  "table full while adding %s; nothing was "
				  "written: give a larger --size",
				  argv[optind + i]);
			goto out;
		}
		if (c) {
			cli_error(argv[optind + i], "%s", hc_strerror(c));
			goto out;
		}
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	c = hc_table_save(dst, out);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (c) {
		cli_error(out, "%s",
			  c == HC_EIO ? strerror(errno) : hc_strerror(c));
		goto out;
	}
	rc = 0;
out:
	hc_table_close(dst);
	for (int i = 0; i < n; i++)
		hc_table_close(in[i]);
	free(in);
	return rc;
}
