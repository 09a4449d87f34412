/* SPDX-License-Identifier: MIT */
/*
 * main.c - the hogcount dispatcher: hogcount COMMAND [OPTIONS] ...
 * Exit codes: 0 success, 1 failure, 2 bad usage, 128+N killed by
 * signal N (130 for Ctrl-C).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "count", cmd_count, "count n-grams or k-mers of files into a table" },
	{ "dump", cmd_dump, "print keys and counts (--top N: most frequent)" },
	{ "query", cmd_query, "print the counts of given keys" },
	{ "histo", cmd_histo, "count-of-counts histogram (jellyfish format)" },
	{ "stats", cmd_stats, "distinct, total, unique, max count, load" },
	{ "merge", cmd_merge, "add tables of the same kind into one" },
	{ "model", cmd_model,
	  "Markov model, perplexity, sampling, unseen mass" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hogcount COMMAND [OPTIONS] [ARGS]\n"
		   "       hogcount COMMAND --help\n"
		   "\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n  -h, --help     this help\n"
		   "  -V, --version  print the version\n"
		   "\nExample:\n"
		   "  hogcount count -k 4 --bytes *.txt -o model.hc\n"
		   "  hogcount dump --top 20 model.hc\n");
}

int main(int argc, char **argv)
{
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
			return commands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "hogcount: %s: unknown command (try hogcount --help)\n",
		argv[1]);
	return EXIT_USAGE;
}
