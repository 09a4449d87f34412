/* SPDX-License-Identifier: MIT */
/*
 * cmd_dump.c - hogcount dump: one "key<TAB>count" line per key, in slot
 * order (fast), sorted by key (--sort), or the N most frequent (--top,
 * count descending, ties by key).  Keys are written as dump_key() says:
 * DNA bases, or escaped text (util.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tables.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hogcount dump [OPTIONS] TABLE\n"
		"Print one line per key: the key, a tab, its count.  Byte and\n"
		"word keys are text with \\\\ \\t \\n \\r and \\xHH "
		"escapes.\n" TABLE_HELP "\n"
		"  -L, --lower-count N  only keys counted at least N times\n"
		"  -U, --upper-count N  only keys counted at most N times\n"
		"  -n, --top N          the N most frequent keys, most first\n"
		"  -S, --sort           sort by key (default: table order)\n"
		"  -o, --output FILE    write to FILE instead of stdout\n"
		"  -h, --help           this help\n");
}

/* Order for --sort and for ties: integer keys by value (that is the
 * text order of k-mers and of short fragments), byte keys by bytes. */
static int key_cmp(const hc_entry *a, const hc_entry *b)
{
	if (a->bytes) {
		size_t n = a->len < b->len ? a->len : b->len;
		int c = memcmp(a->bytes, b->bytes, n);

		if (c)
			return c;
		return (a->len > b->len) - (a->len < b->len);
	}
	return (a->key > b->key) - (a->key < b->key);
}

static int sort_cmp(const void *pa, const void *pb)
{
	return key_cmp(pa, pb);
}

/* Negative if a ranks before b in --top. */
static int top_cmp(const hc_entry *a, const hc_entry *b)
{
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return key_cmp(a, b);
}

static int top_qcmp(const void *pa, const void *pb)
{
	return top_cmp(pa, pb);
}

/* Min-heap on rank: the root is the worst entry kept. */
static void heap_down(hc_entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		hc_entry tmp;

		if (l < n && top_cmp(&h[l], &h[w]) > 0)
			w = l;
		if (r < n && top_cmp(&h[r], &h[w]) > 0)
			w = r;
		if (w == i)
			return;
		tmp = h[i];
		h[i] = h[w];
		h[w] = tmp;
		i = w;
	}
}

static void heap_up(hc_entry *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		hc_entry tmp;

		if (top_cmp(&h[i], &h[p]) <= 0)
			return;
		tmp = h[i];
		h[i] = h[p];
		h[p] = tmp;
		i = p;
	}
}

static void put_line(FILE *f, const hck_meta *m, const hc_entry *e)
{
	key_write(f, m, e);
	fprintf(f, "\t%llu\n", (unsigned long long)e->count);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lower-count", required_argument, NULL, 'L' },
		{ "upper-count", required_argument, NULL, 'U' },
		{ "top", required_argument, NULL, 'n' },
		{ "sort", no_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t lo = 1, hi = UINT64_MAX, top = 0;
	const char *out = NULL;
	int sorted = 0, c, rc = 0;
	hc_entry *arr = NULL, e;
	size_t n = 0, cap = 0;
	struct tables ts;
	hck_meta m;
	hc_iter *it = NULL;
	FILE *f = stdout;
	struct out_file of = { 0 };

	opterr = 0;
	while ((c = getopt_long(argc, argv, "L:U:n:So:h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
		case 'U':
		case 'n': {
			uint64_t v;

			if (parse_u64(optarg, &v)) {
				cli_error(c == 'L'   ? "--lower-count"
					  : c == 'U' ? "--upper-count"
						     : "--top",
					  "invalid number '%s'", optarg);
				return EXIT_USAGE;
			}
			if (c == 'L')
				lo = v;
			else if (c == 'U')
				hi = v;
			else
				top = v;
			break;
		}
		case 'S':
			sorted = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_option(argv);
		}
	}
	if (optind != argc - 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (out && output_is_input(out, argv + optind, 1))
		return 1;
	if (tables_open(argv[optind], &ts))
		return 1;
	m = ts.m;
	/* A temporary file renamed when whole: a failed dump leaves no
	 * partial output. */
	if (out) {
		if (out_open(&of, out)) {
			tables_close(&ts);
			return 1;
		}
		f = of.f;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	/* A sharded table: the shards one after another (keys are in one
	 * shard each), then --sort and --top over the union. */
	for (size_t sh = 0; sh < ts.n && rc >= 0; sh++) {
		hc_iter_destroy(it);
		if (hc_iter_create(ts.t[sh], &it)) {
			cli_error(argv[optind], "out of memory");
			if (out)
				out_abort(&of);
			tables_close(&ts);
			return 1;
		}
		while ((rc = hc_iter_next(it, &e)) == 1) {
			if (e.count < lo || e.count > hi)
				continue;
			if (top) {
				if (n < top) {
					if (n == cap) {
						cap = cap ? cap * 2 : 1024;
						if (cap > top)
							cap = top;
						arr = xrealloc(
							arr,
							cap * sizeof(*arr));
					}
					arr[n] = e;
					heap_up(arr, n++);
				} else if (top_cmp(&e, &arr[0]) < 0) {
					arr[0] = e;
					heap_down(arr, n, 0);
				}
			} else if (sorted) {
				if (n == cap) {
					cap = cap ? cap * 2 : 1024;
					arr = xrealloc(arr, cap * sizeof(*arr));
				}
				arr[n++] = e;
			} else {
				put_line(f, &m, &e);
			}
		}
	}
	hc_iter_destroy(it);
	if (rc < 0) {
		cli_error(argv[optind], "%s", hc_strerror(rc));
		rc = 1;
	} else {
		rc = 0;
	}
	if (top || sorted) {
		qsort(arr, n, sizeof(*arr), top ? top_qcmp : sort_cmp);
		for (size_t i = 0; i < n; i++)
			put_line(f, &m, &arr[i]);
	}
	free(arr);
	if (out) {
		if (rc)
			out_abort(&of);
		else if (out_commit(&of))
			rc = 1;
	} else if (fflush(f) || ferror(f)) {
		cli_error("<stdout>", "%s", strerror(errno));
		rc = 1;
	}
	tables_close(&ts);
	return rc;
}
