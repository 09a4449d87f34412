/* SPDX-License-Identifier: MIT */
/*
 * cmd_verify.c - hogcount verify: check table files against their body
 * checksums (hc_table_verify), one line per file, or per shard of a
 * sharded table's manifest.  Exit 1 if any is damaged, unreadable, or
 * not sealed with no writer left.  --reseal seals such a file again
 * (hc_table_reseal) after walking its structure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tables.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount verify [--reseal] TABLE...\n"
		   "Check each table file (or each shard of a sharded table)\n"
		   "against its body checksums and print one line for it:\n"
		   "  OK                          every region matches\n"
		   "  no checksum (live)          a process has it open for\n"
		   "                              writing (named)\n"
		   "  not sealed: its last writer died\n"
		   "                              counts unchecked: see "
		   "--reseal\n"
		   "  no checksum (older file)    written before format 2.1\n"
		   "  damaged: REGION             header, slots of generation\n"
		   "                              G, overflow area, key area\n"
		   "                              chunk C\n"
		   "Exit status 1 if any table is damaged, unreadable, or not\n"
		   "sealed with no writer left.\n"
		   "\n"
		   "  -r, --reseal  seal a file whose last writer died again:\n"
		   "                walk every entry (a damaged structure is\n"
		   "                refused), then write the checksums; its\n"
		   "                counts are taken as the writers left them\n"
		   "  -h, --help    this help\n");
}

/* --reseal one file: its line, 0 if it ends sealed, else 1. */
static int reseal_one(const char *path)
{
	hc_verdict v = { .size = sizeof(v) };
	char where[64], who[256];
	int rc = hc_table_reseal(path, &v);

	switch (rc) {
	case HC_OK:
		printf("%s: %s\n", path,
		       v.state == HC_SEAL_NONE ? "no checksum (older file)"
					       : "OK");
		return 0;
	case HC_ECORRUPT:
		if (v.state == HC_SEAL_DAMAGED) {
			verdict_where(&v, where, sizeof(where));
			printf("%s: damaged: %s (not resealed)\n", path, where);
		} else {
			printf("%s: damaged: an entry out of place (not "
			       "resealed)\n",
			       path);
		}
		return 1;
	case HC_EBUSY:
		lock_holders(path, who, sizeof(who));
		cli_error(path, "in use: %s writes it; not resealed", who);
		return 1;
	case HC_ERDONLY:
		printf("%s: OK\n", path); /* compact: sealed when written */
		return 0;
	default:
		cli_error(path, "%s",
			  rc == HC_EIO || rc == HC_ENOENT
				  ? strerror(rc == HC_ENOENT ? ENOENT : errno)
				  : hc_strerror(rc));
		return 1;
	}
}

/* Check one table file; prints its line.  0 good or unsealed, 1 not. */
static int verify_one(const char *path)
{
	hc_verdict v = { .size = sizeof(v) };
	char where[64];
	hc_table *t;
	int rc;

	cli_sigbus_table(path);
	rc = hc_table_open(&t, path, HC_OPEN_RDONLY);
	if (rc == HC_ECORRUPT) {
		printf("%s: damaged: header (%s)\n", path, hc_strerror(rc));
		return 1;
	}
	if (rc) {
		cli_error(path, "%s",
			  rc == HC_EIO || rc == HC_ENOENT
				  ? strerror(errno ? errno : ENOENT)
				  : hc_strerror(rc));
		return 1;
	}
	rc = hc_table_verify(t, &v);
	hc_table_close(t);
	if (rc && rc != HC_ECORRUPT) {
		cli_error(path, "cannot check it: %s", hc_strerror(rc));
		return 1;
	}
	switch (v.state) {
	case HC_SEAL_OK:
		printf("%s: OK\n", path);
		return 0;
	case HC_SEAL_LIVE:
		printf("%s: no checksum (live)\n", path);
		return 0;
	case HC_SEAL_DEAD:
		printf("%s: not sealed: its last writer died (hogcount verify "
		       "--reseal checks and seals it)\n",
		       path);
		return 1;
	case HC_SEAL_NONE:
		printf("%s: no checksum (older file)\n", path);
		return 0;
	default:
		verdict_where(&v, where, sizeof(where));
		printf("%s: damaged: %s\n", path, where);
		return 1;
	}
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "reseal", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0, reseal = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hr", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'r') {
			reseal = 1;
			continue;
		}
		return bad_option(argv);
	}
	if (optind >= argc) {
		cli_error(NULL, "give at least one table file");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		struct tables ts;

		if (!hck_manifest_is(argv[i])) {
			bad |= reseal ? reseal_one(argv[i])
				      : verify_one(argv[i]);
			continue;
		}
		/* The shards as the manifest names them, each checked here
		 * rather than refused by the opener. */
		cli_unchecked = 1;
		if (tables_open(argv[i], &ts)) {
			bad = 1;
			continue;
		}
		for (size_t s = 0; s < ts.n; s++)
			bad |= reseal ? reseal_one(ts.path[s])
				      : verify_one(ts.path[s]);
		tables_close(&ts);
	}
	fflush(stdout);
	return bad ? 1 : 0;
}
