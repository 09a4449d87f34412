/* SPDX-License-Identifier: MIT */
/*
 * cmd_query.c - hogcount query: the count of each key given as an
 * argument, or of each line of standard input.  Keys are written as dump
 * writes them; a k-mer of a canonical table is looked up as its
 * canonical form.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tables.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount query [OPTIONS] TABLE [KEY...]\n"
		   "Print \"key<TAB>count\" for each KEY, or for each line of\n"
		   "standard input when no KEY is given.  Keys are written as\n"
		   "hogcount dump writes them (escapes for byte and word "
		   "keys).\n" TABLE_HELP "\n"
		   "  -h, --help  this help\n");
}

/* Returns 0, or 1 if the key was rejected (the message is printed). */
static int query_one(const struct tables *ts, const hck_meta *m,
		     const char *text, size_t len)
{
	char *buf = xmalloc(len + 1);
	const char *why = NULL;
	uint64_t key = 0, count = 0;
	size_t klen = 0;
	int rc;

	memcpy(buf, text, len);
	buf[len] = 0;
	if (hck_key_parse(m, buf, len, &key, &klen, &why)) {
		char *shown = xmalloc(len + 1);

		memcpy(shown, text, len);
		shown[len] = 0;
		cli_error(shown, "%s", why);
		free(shown);
		free(buf);
		return 1;
	}
	if (!hck_int_keys(m))
		rc = hc_get_bytes(tables_owner(ts, 0, buf, klen), buf, klen,
				  &count);
	else
		rc = hc_get(tables_owner(ts, key, NULL, 0), key, &count);
	free(buf);
	if (rc) {
		cli_error("table", "%s", hc_strerror(rc));
		return 1;
	}
	fwrite(text, 1, len, stdout);
	printf("\t%llu\n", (unsigned long long)count);
	return 0;
}

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tables ts;
	int c, bad = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		return bad_option(argv);
	}
	if (optind >= argc) {
		cli_error(NULL, "give a table file");
		return EXIT_USAGE;
	}
	if (tables_open(argv[optind], &ts))
		return 1;
	if (optind + 1 < argc) {
		for (int i = optind + 1; i < argc; i++)
			bad |= query_one(&ts, &ts.m, argv[i], strlen(argv[i]));
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;

		while ((len = getline(&line, &cap, stdin)) >= 0) {
			if (len && line[len - 1] == '\n')
				len--;
			if (len && line[len - 1] == '\r')
				len--;
			bad |= query_one(&ts, &ts.m, line, (size_t)len);
		}
		free(line);
	}
	tables_close(&ts);
	return bad;
}
