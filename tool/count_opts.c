/* SPDX-License-Identifier: MIT */
/*
 * count_opts.c - the options of `hogcount count` and `hogcount-mpi
 * count`: one table of options, one parser, one help text, so that the
 * two tools cannot drift apart (count_opts.h).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "count_opts.h"

enum {
	OPT_BYTES = 256,
	OPT_WORDS,
	OPT_DNA,
	OPT_MODE,
	OPT_CHUNK,
	OPT_WIDE,
	OPT_MAX_SIZE,
	OPT_INTO,
	OPT_SHM,
	OPT_KEEP_SHM,
	OPT_NO_COMPACT,
	OPT_NO_IDS,
	OPT_EXCHANGE,
};

static void say(unsigned flags, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(unsigned flags, const char *what, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (flags & COUNT_OPTS_SILENT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error(what, "%s", msg);
}

int count_bound_parse(int c, const char *arg, uint64_t *v, unsigned flags)
{
	if (parse_u64(arg, v) || !*v) {
		say(flags, c == 'L' ? "--lower-count" : "--upper-count",
		    "invalid count '%s' (a whole number, at least 1)", arg);
		return -1;
	}
	return 0;
}

int count_range_check(uint64_t lower, uint64_t upper, unsigned flags)
{
	if (upper >= lower)
		return 0;
	say(flags, "--upper-count", "%llu is below --lower-count %llu",
	    (unsigned long long)upper, (unsigned long long)lower);
	return -1;
}

int count_filter(hc_table **t, uint64_t lower, uint64_t upper, uint64_t *kept)
{
	hc_stats st = { .size = sizeof(st) };
	hc_table *f = NULL;
	int rc;

	if (lower <= 1 && upper == UINT64_MAX) {
		rc = kept ? hc_table_stats(*t, &st) : 0;
	} else {
		rc = hck_table_filter(&f, *t, lower, upper);
		if (!rc && kept)
			rc = hc_table_stats(f, &st);
	}
	if (rc) {
		cli_error("table", "filtering by -L/-U: %s", hc_strerror(rc));
		hc_table_close(f);
		return -1;
	}
	if (f) {
		hc_table_close(*t);
		*t = f;
	}
	if (kept)
		*kept = st.distinct;
	return 0;
}

void count_opts_usage(FILE *f, unsigned flags)
{
	int mpi = flags & COUNT_OPTS_MPI;

	fprintf(f,
		"  -k, --order K        order: bytes, words or bases "
		"(required)\n"
		"      --bytes          byte fragments of K bytes (default)\n"
		"      --words          n-grams of K whitespace-separated "
		"words\n"
		"      --dna            k-mers of K bases, K <= 32 "
		"(FASTA/FASTQ)\n"
		"  -t, --tokens KIND    bytes, words or dna\n"
		"  -C, --canonical      dna: count a k-mer and its reverse\n"
		"                       complement as the smaller of the two\n"
		"  -o, --output FILE    %s (default counts.hc%s)\n",
		mpi ? "the manifest to write" : "table file to write",
		mpi ? ""
		    : ";\n                       none with --shm or --into");
	if (mpi)
		fprintf(f, "  -j, --workers N      accepted and ignored: each "
			   "rank is one\n"
			   "                       worker\n");
	else
		fprintf(f, "  -j, --workers N      worker processes (default: "
			   "cores)\n");
	fprintf(f,
		"  -s, --size N         expected distinct keys%s, a hint for "
		"the\n"
		"                       starting size (suffixes k M G; "
		"default:\n"
		"                       start small; %s)\n",
		mpi ? " in all" : "",
		mpi ? "node tables grow" : "the table grows");
	if (!mpi)
		fprintf(f,
			"      --into TABLE     add to the counts of TABLE "
			"(same tokens,\n"
			"                       k and -C), growing the file in "
			"place;\n"
			"                       runs at once add up (a compact "
			"TABLE is\n"
			"                       made live once, compact again "
			"at the end)\n"
			"      --shm NAME       count in the shared-memory "
			"table "
			"NAME,\n"
			"                       which readers open as shm:NAME "
			"while\n"
			"                       the count runs; removed at the "
			"end\n"
			"      --keep-shm       keep NAME after a count that "
			"succeeds\n");
	fprintf(f,
		"  -L, --lower-count N  save only the keys counted at least N "
		"times\n"
		"  -U, --upper-count N  save only the keys counted at most N "
		"times\n"
		"                       (the file is sized to the keys "
		"kept)\n");
	fprintf(f,
		"      --max-size N     stop growing at room for about N "
		"keys%s:\n"
		"                       beyond it the count fails\n"
		"      --mode MODE      exact (default) or hogwild\n"
		"      --chunk-size N   cut plain files into N-byte ranges\n"
		"                       (default: 1Mi..64Mi, 16 per %s)\n"
		"      --wide           16-byte slots even where narrow or "
		"packed\n"
		"                       ones fit (numpy views from Python)\n"
		"      --no-compact     write the live layout, which opens\n"
		"                       read-write and grows, instead of the\n"
		"                       compact read-only one (all but the\n"
		"                       dense counters of very short keys;\n"
		"                       several times larger)\n",
		mpi ? " in all" : "", mpi ? "rank" : "worker");
	if (mpi)
		fprintf(f, "      --no-ids         accepted: ranks count "
			   "the texts of word n-grams\n");
	else
		fprintf(f,
			"      --no-ids         word n-grams of order 2..4: "
			"count them\n"
			"                       as texts, not as integers of "
			"word ids\n"
			"                       (slower, the same keys and "
			"counts; ids are\n"
			"                       used only for a new compact "
			"-o file)\n");
	if (mpi)
		fprintf(f,
			"      --exchange HOW   how ranks send keys to their "
			"owners:\n"
			"                       p2p (default): non-blocking "
			"sends of\n"
			"                       bounded blocks, overlapped "
			"with\n"
			"                       tokenizing; alltoallv: rounds "
			"of\n"
			"                       MPI_Alltoallv\n"
			"  -q, --quiet          accepted: no progress line is "
			"printed\n"
			"  -v, --verbose        figures of the run on stderr "
			"(rank 0)\n");
	else
		fprintf(f,
			"  -q, --quiet          no progress line\n"
			"  -v, --verbose        print the table size and the "
			"time spent\n"
			"                       counting and saving on "
			"stderr (with\n"
			"                       word ids: the ids given, the "
			"n-grams of\n"
			"                       ids and those kept as "
			"texts)\n");
	fprintf(f, "  -h, --help           this help\n");
}

int count_opts_parse(struct count_opts *o, int argc, char **argv,
		     unsigned flags)
{
	static const struct option opts[] = {
		{ "order", required_argument, NULL, 'k' },
		{ "bytes", no_argument, NULL, OPT_BYTES },
		{ "words", no_argument, NULL, OPT_WORDS },
		{ "dna", no_argument, NULL, OPT_DNA },
		{ "tokens", required_argument, NULL, 't' },
		{ "canonical", no_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "workers", required_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "lower-count", required_argument, NULL, 'L' },
		{ "upper-count", required_argument, NULL, 'U' },
		{ "into", required_argument, NULL, OPT_INTO },
		{ "shm", required_argument, NULL, OPT_SHM },
		{ "keep-shm", no_argument, NULL, OPT_KEEP_SHM },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "chunk-size", required_argument, NULL, OPT_CHUNK },
		{ "wide", no_argument, NULL, OPT_WIDE },
		{ "no-compact", no_argument, NULL, OPT_NO_COMPACT },
		{ "no-ids", no_argument, NULL, OPT_NO_IDS },
		{ "exchange", required_argument, NULL, OPT_EXCHANGE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int mpi = flags & COUNT_OPTS_MPI, c;
	uint64_t k = 0;

	memset(o, 0, sizeof(*o));
	o->m.tokens = HCK_BYTES;
	o->out = "counts.hc";
	o->mode = HC_MODE_EXACT;
	o->compact = 1;
	o->ids = 1;
	o->lower = 1;
	o->upper = UINT64_MAX;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:t:Co:j:s:L:U:qvh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'L':
			if (count_bound_parse(c, optarg, &o->lower, flags))
				return EXIT_USAGE;
			break;
		case 'U':
			if (count_bound_parse(c, optarg, &o->upper, flags))
				return EXIT_USAGE;
			break;
		case 'k':
			if (parse_u64(optarg, &k) || k == 0 ||
			    k > HC_KEY_BYTES_MAX) {
				say(flags, "--order", "invalid order '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_BYTES:
			o->m.tokens = HCK_BYTES;
			break;
		case OPT_WORDS:
			o->m.tokens = HCK_WORDS;
			break;
		case OPT_DNA:
			o->m.tokens = HCK_DNA;
			break;
		case 't':
			if (hck_tokens_parse(optarg, &o->m.tokens)) {
				say(flags, "--tokens",
				    "'%s' is not bytes, words or dna", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
			o->m.canonical = 1;
			break;
		case OPT_WIDE:
			o->wide = 1;
			break;
		case 'o':
			o->out = optarg;
			o->out_given = 1;
			break;
		case 'j':
			if (parse_u64(optarg, &o->workers) || o->workers == 0 ||
			    o->workers > COUNT_MAX_WORKERS) {
				say(flags, "--workers",
				    "invalid worker count '%s' (1..%d)", optarg,
				    COUNT_MAX_WORKERS);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &o->size) || o->size == 0 ||
			    o->size > CLI_SIZE_MAX) {
				say(flags, "--size",
				    "invalid size '%s': give " CLI_SIZE_RANGE,
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_INTO:
			if (mpi) {
				say(flags, "--into",
				    "not with hogcount-mpi: merge the sharded "
				    "table into TABLE with hogcount merge");
				return EXIT_USAGE;
			}
			o->into = optarg;
			break;
		case OPT_SHM:
			if (mpi) {
				say(flags, "--shm",
				    "not with hogcount-mpi: its node tables "
				    "are named by the tool");
				return EXIT_USAGE;
			}
			o->shm_arg = optarg;
			if (shm_name("--shm", optarg, o->shm, sizeof(o->shm)))
				return EXIT_USAGE;
			break;
		case OPT_KEEP_SHM:
			o->keep_shm = 1;
			break;
		case OPT_NO_COMPACT:
			o->compact = 0;
			break;
		case OPT_NO_IDS:
			o->ids = 0;
			break;
		case OPT_EXCHANGE:
			if (!mpi) {
				say(flags, "--exchange",
				    "only with hogcount-mpi: count's workers "
				    "share one table");
				return EXIT_USAGE;
			}
			if (!strcmp(optarg, "alltoallv")) {
				o->exchange = COUNT_XCHG_ALLTOALLV;
			} else if (!strcmp(optarg, "p2p")) {
				o->exchange = COUNT_XCHG_P2P;
			} else {
				say(flags, "--exchange",
				    "'%s' is not p2p or alltoallv", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MAX_SIZE:
			if (parse_u64(optarg, &o->max_size) ||
			    o->max_size == 0 || o->max_size > CLI_SIZE_MAX) {
				say(flags, "--max-size",
				    "invalid size '%s': give " CLI_SIZE_RANGE,
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MODE:
			o->mode_given = 1;
			if (!strcmp(optarg, "exact")) {
				o->mode = HC_MODE_EXACT;
			} else if (!strcmp(optarg, "hogwild")) {
				o->mode = HC_MODE_HOGWILD;
			} else {
				say(flags, "--mode",
				    "'%s' is not exact or hogwild", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CHUNK:
			if (parse_u64(optarg, &o->chunk) || o->chunk == 0) {
				say(flags, "--chunk-size",
				    "invalid size '%s': give a number of "
				    "bytes, "
				    "at least 1 (suffixes as for --size)",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			return 1;
		default:
			if (flags & COUNT_OPTS_SILENT)
				return EXIT_USAGE;
			return bad_option(argv);
		}
	}
	if (!k) {
		say(flags, "--order", "missing: give the order with -k K");
		return EXIT_USAGE;
	}
	if (o->m.tokens == HCK_DNA && k > 32) {
		say(flags, "--order", "k-mers are at most 32 bases, not %llu",
		    (unsigned long long)k);
		return EXIT_USAGE;
	}
	if (o->m.tokens == HCK_WORDS && k > 1024) {
		say(flags, "--order", "word n-grams are at most 1024 words");
		return EXIT_USAGE;
	}
	if (o->m.canonical && o->m.tokens != HCK_DNA) {
		say(flags, "--canonical", "only for DNA k-mers (--dna)");
		return EXIT_USAGE;
	}
	o->m.k = (unsigned)k;
	if (optind == argc) {
		say(flags, NULL,
		    mpi ? "no input files"
			: "no input files (use - for standard input)");
		return EXIT_USAGE;
	}
	if (o->into && o->out_given) {
		say(flags, "--into", "writes TABLE itself: give no --output");
		return EXIT_USAGE;
	}
	if (o->into && o->shm_arg) {
		say(flags, "--into", "not with --shm: --into counts in TABLE");
		return EXIT_USAGE;
	}
	if (o->into && !strncmp(o->into, SHM_PREFIX, strlen(SHM_PREFIX))) {
		say(flags, "--into", "'%s': give a table file", o->into);
		return EXIT_USAGE;
	}
	if (o->keep_shm && !o->shm_arg) {
		say(flags, "--keep-shm", "only with --shm NAME");
		return EXIT_USAGE;
	}
	if (!o->out_given && (o->into || o->shm_arg))
		o->out = NULL;
	if (count_range_check(o->lower, o->upper, flags))
		return EXIT_USAGE;
	if (o->size && o->max_size && o->size > o->max_size) {
		say(flags, "--size", "larger than --max-size");
		return EXIT_USAGE;
	}
	return 0;
}
