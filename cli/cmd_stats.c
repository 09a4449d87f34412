/* SPDX-License-Identifier: MIT */
/*
 * cmd_stats.c - hogcount stats: the first four lines as jellyfish stats
 * prints them (Unique, Distinct, Total, Max_count), then the table's
 * capacity, load and what its keys are; --json prints the same as one
 * JSON object.  A compact file has no empty slots: its capacity and load
 * are those of the table it was saved from, while it was live.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "json.h"
#include "tables.h"

/*
 * 1 if every shard of @ts is a compact file (hc_table_view shows no
 * slots), with the capacities of the live tables they were saved from
 * (hc_table_options: the saved generation's) summed into @capacity.
 */
static int compact_live(const struct tables *ts, uint64_t *capacity)
{
	*capacity = 0;
	for (size_t i = 0; i < ts->n; i++) {
		hc_view v = { .size = sizeof(v) };
		hc_options o;

		hc_options_init(&o);
		if (hc_table_view(ts->t[i], &v) || v.slot_size ||
		    hc_table_options(ts->t[i], &o))
			return 0;
		*capacity += o.capacity;
	}
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount stats [--json] TABLE\n"
		   "Print unique (count 1), distinct and total keys, the\n"
		   "largest count, the capacity and load of the "
		   "table (of a compact file: while it was live).\n" TABLE_HELP
		   "\n"
		   "      --json  print one JSON object instead of lines\n"
		   "  -h, --help  this help\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	hc_stats st = { .size = sizeof(st) };
	struct tables ts;
	hck_meta m;
	struct json js;
	uint64_t live_capacity;
	int c, rc, json = 0, compact;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
			continue;
		}
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		return bad_option(argv);
	}
	if (optind != argc - 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (tables_open(argv[optind], &ts))
		return 1;
	m = ts.m;
	rc = tables_stats(&ts, argv[optind], &st);
	if (rc) {
		tables_close(&ts);
		return 1;
	}
	/* A compact file's own capacity is its entries, and its load 1:
	 * report the live table's, which the header keeps.  Its distinct
	 * keys are the live table's claimed slots, less any a killed
	 * worker claimed and never counted (not saved). */
	compact = compact_live(&ts, &live_capacity);
	if (compact) {
		st.capacity = live_capacity;
		st.load = live_capacity
				  ? (double)st.distinct / (double)live_capacity
				  : 0;
	}
	if (json) {
		json_begin(&js, stdout);
		json_str(&js, "table", argv[optind]);
		json_u64(&js, "unique", st.unique);
		json_u64(&js, "distinct", st.distinct);
		json_u64(&js, "total", st.total);
		json_u64(&js, "max_count", st.max_count);
		json_u64(&js, "capacity", st.capacity);
		json_dbl(&js, "load", st.load);
		json_str(&js, "tokens", hck_tokens_name(m.tokens));
		json_u64(&js, "k", m.k);
		json_bool(&js, "canonical", m.canonical);
		json_str(&js, "keys", hck_kind_name(st.key_kind));
		json_str(&js, "mode",
			 st.mode == HC_MODE_HOGWILD ? "hogwild" : "exact");
		json_str(&js, "layout", compact ? "compact" : "live");
		json_end(&js);
		tables_close(&ts);
		return 0;
	}
	printf("Unique:    %llu\n", (unsigned long long)st.unique);
	printf("Distinct:  %llu\n", (unsigned long long)st.distinct);
	printf("Total:     %llu\n", (unsigned long long)st.total);
	printf("Max_count: %llu\n", (unsigned long long)st.max_count);
	printf("Capacity:  %llu%s\n", (unsigned long long)st.capacity,
	       compact ? " while live" : "");
	printf("Load:      %.4f%s\n", st.load, compact ? " while live" : "");
	printf("Tokens:    %s k=%u%s\n", hck_tokens_name(m.tokens), m.k,
	       m.canonical ? " canonical" : "");
	printf("Keys:      %s, %s mode\n", hck_kind_name(st.key_kind),
	       st.mode == HC_MODE_HOGWILD ? "hogwild" : "exact");
	printf("Layout:    %s\n",
	       compact ? "compact, read-only (count --into makes it live, "
			 "then compact again)"
		       : "live");
	tables_close(&ts);
	return 0;
}
