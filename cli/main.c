/* SPDX-License-Identifier: MIT */
/*
 * main.c - the hogcount dispatcher: hogcount COMMAND [OPTIONS] ...
 * Exit codes: 0 success, 1 failure, 2 bad usage, 128+N killed by
 * signal N (130 for Ctrl-C).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tables.h"

/* @reads: the command reads table files, refuses a damaged one
 * (tables.c: table_check) and takes --unchecked. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
	int reads;
} commands[] = {
	{ "count", cmd_count, "count n-grams or k-mers of files into a table",
	  1 },
	{ "dump", cmd_dump, "print keys and counts (--top N: most frequent)",
	  1 },
	{ "query", cmd_query, "print the counts of given keys", 1 },
	{ "histo", cmd_histo, "count-of-counts histogram (jellyfish format)",
	  1 },
	{ "stats", cmd_stats, "distinct, total, unique, max count, load", 1 },
	{ "merge", cmd_merge, "add tables of the same kind into one", 1 },
	{ "model", cmd_model, "Markov model, perplexity, sampling, unseen mass",
	  1 },
	{ "verify", cmd_verify, "check tables against their checksums", 0 },
};

/*
 * Take --unchecked off the command line of a command that reads tables
 * (up to a "--"), once for all of them: tables.c skips the checksum.
 */
static int take_unchecked(int argc, char **argv)
{
	int n = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--unchecked")) {
			cli_unchecked = 1;
			continue;
		}
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount COMMAND [OPTIONS] [ARGS]\n"
		   "       hogcount COMMAND --help\n"
		   "\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].what);
	fprintf(f,
		"\n  -h, --help     this help\n"
		"  -V, --version  print the version\n"
		"  --unchecked    (after a command that reads tables) read a\n"
		"                 table whose checksum fails, for salvage\n"
		"\nExample:\n"
		"  hogcount count -k 4 --bytes *.txt -o model.hc\n"
		"  hogcount dump --top 20 model.hc\n");
}

int main(int argc, char **argv)
{
	cli_sigbus_install();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *args[] = { argv[2], "--help", NULL };

			for (size_t i = 0;
			     i < sizeof(commands) / sizeof(commands[0]); i++)
				if (!strcmp(argv[2], commands[i].name)) {
					cli_cmd = commands[i].name;
					return commands[i].fn(2, args);
				}
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("hogcount %s (library %s, table format %d)\n",
		       HC_VERSION_STRING, hc_version(), HC_FORMAT_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			cli_cmd = commands[i].name;
			if (commands[i].reads)
				argc = take_unchecked(argc - 1, argv + 1) + 1;
			return commands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "hogcount: %s: unknown command (try hogcount --help)\n",
		argv[1]);
	return EXIT_USAGE;
}
