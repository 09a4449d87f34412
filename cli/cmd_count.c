/* SPDX-License-Identifier: MIT */
/*
 * cmd_count.c - hogcount count: N forked workers add the tokens of many
 * inputs into one table in an anonymous shared mapping, then the parent
 * writes it with hc_table_save_compact() (or hc_table_save() with
 * --no-compact; temporary name, fsync, rename).
 *
 * Interrupted (SIGINT, SIGTERM): the workers are killed, nothing is
 * written, and the anonymous mapping dies with the processes, so no
 * shared-memory segment is left behind.  Workers die with the parent
 * (PR_SET_PDEATHSIG) if it is killed outright.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "progress.h"
#include "work.h"

#define DEFAULT_CHUNK (UINT64_C(64) << 20)
#define MIN_CHUNK (UINT64_C(1) << 20)
#define MAX_WORKERS 256

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hogcount count [OPTIONS] FILE...\n"
		"Count byte fragments, word n-grams or DNA k-mers of order K "
		"in\n"
		"FILEs (plain, FASTA, FASTQ; gzip, xz, bzip2 or zstd; \"-\" "
		"is\n"
		"standard input)\n"
		"with N worker processes adding into one shared table.\n"
		"\n"
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
		"  -o, --output FILE    table file to write (default "
		"counts.hc)\n"
		"  -j, --workers N      worker processes (default: cores)\n"
		"  -s, --size N         expected distinct keys, a hint for "
		"the\n"
		"                       starting size (suffixes k M G; "
		"default:\n"
		"                       start small; the table grows)\n"
		"      --into TABLE     add to the counts of TABLE (same "
		"tokens,\n"
		"                       k and -C) and replace it when done\n"
		"      --max-size N     stop growing at room for about N "
		"keys:\n"
		"                       beyond it the count fails\n"
		"      --mode MODE      exact (default) or hogwild\n"
		"      --chunk-size N   cut plain files into N-byte ranges\n"
		"                       (default: 1Mi..64Mi, 16 per worker)\n"
		"      --wide           16-byte slots even where packed "
		"8-byte\n"
		"                       ones fit (numpy views from Python)\n"
		"      --no-compact     write the live layout, which opens\n"
		"                       read-write and grows, instead of the\n"
		"                       compact read-only one (k-mers and\n"
		"                       fragments of up to 8 bytes; several\n"
		"                       times larger)\n"
		"  -q, --quiet          no progress line\n"
		"  -v, --verbose        print the table size and the time "
		"spent\n"
		"                       counting and saving on stderr\n"
		"  -h, --help           this help\n");
}

/* Up to this size a table lives in the caches, and a worker sums the
 * repeats of each batch before adding them (HCK_SINK_COMBINE).  Only a
 * dense table has a size known up front: a hashed one starts small and
 * grows, so its first size says nothing of where it ends, and it never
 * combines. */
#define COMBINE_MAX_BYTES (UINT64_C(4) << 20)

static int table_in_cache(const hc_table *t)
{
	hc_view v = { .size = sizeof(v) };

	return !hc_table_view(t, &v) && v.key_kind == HC_KEY_DENSE &&
	       v.capacity * v.slot_size <= COMBINE_MAX_BYTES;
}

static void worker_main(struct work *w, hc_table *t, const hck_meta *m,
			pid_t parent)
{
	hck_sink *s;
	hck_tok *tk;
	long i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (hck_sink_create(&s, t, m,
			    table_in_cache(t) ? HCK_SINK_COMBINE : 0) ||
	    hck_tok_create(&tk, m, s)) {
		work_fail(w, HC_ENOMEM, NULL, "%s", hc_strerror(HC_ENOMEM));
		_exit(1);
	}
	/* Map the whole table into this process in one pass: faulting it
	 * in one random add at a time costs several times more. */
	(void)hc_table_prefault(t);
	while ((i = work_next(w)) >= 0)
		if (work_item_run(w, (size_t)i, tk))
			_exit(1);
	/* ORDER: relaxed; read by the parent after waitpid(). */
	atomic_fetch_add_explicit(&w->sh->skipped,
				  m->tokens == HCK_DNA
					  ? hck_tok_skipped_bytes(tk)
					  : hck_tok_skipped(tk),
				  memory_order_relaxed);
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	_exit(0);
}

/* Fork the workers and wait for them.  Returns 0, or 1 if one failed
 * (the message is printed), or 128 + signal if interrupted. */
static int run_workers(struct work *w, hc_table *t, const hck_meta *m,
		       unsigned nworkers, int quiet)
{
	pid_t pids[MAX_WORKERS], parent = getpid();
	unsigned alive = 0, i;
	struct progress pr;
	int failed = 0, status;
	char why[128] = "";

	fflush(NULL);
	for (i = 0; i < nworkers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			snprintf(why, sizeof(why), "fork: %s", strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0)
			worker_main(w, t, m, parent);
		pids[i] = pid;
		alive++;
	}
	nworkers = i;
	progress_start(&pr, quiet);
	while (alive) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			for (i = 0; i < nworkers; i++)
				if (pids[i] == pid)
					pids[i] = 0;
			alive--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				if (!failed && WIFSIGNALED(status))
					snprintf(why, sizeof(why),
						 "worker killed by signal %d",
						 WTERMSIG(status));
				else if (!failed)
					snprintf(why, sizeof(why),
						 "worker exited with status %d",
						 WEXITSTATUS(status));
				failed = 1;
			}
		} else if (pid < 0 && errno != EINTR) {
			break;
		} else if (pid == 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			progress_update(&pr, atomic_load(&w->sh->done),
					w->have_stdin ? 0 : w->total);
		}
		if (failed || got_signal)
			for (i = 0; i < nworkers; i++)
				if (pids[i])
					kill(pids[i], SIGKILL);
	}
	progress_end(&pr);
	if (got_signal) {
		cli_error(NULL, "interrupted; nothing was written");
		return 128 + got_signal;
	}
	if (!failed)
		return 0;
	/* ORDER: acquire.  Pairs with the release store in work_fail(). */
	if (atomic_load_explicit(&w->sh->ready, memory_order_acquire)) {
		if (w->sh->code == HC_EFULL)
			cli_error("--max-size",
				  "table full at the limit of --max-size; "
				  "nothing was written");
		else if (w->sh->code)
			cli_error("table", "%s", w->sh->msg);
		else
			cli_error(w->sh->what, "%s", w->sh->msg);
	} else {
		cli_error(NULL, "%s", why);
	}
	return 1;
}

/*
 * The table for this job, from the key layer's plan (hck_plan): the kind
 * and a starting size only, as tables grow.  --size is a hint for the
 * start, --max-size a limit on the growth.
 */
static int plan_table(const hck_meta *m, uint64_t size, uint64_t max_size,
		      int mode, int wide, hck_plan *plan)
{
	hck_plan_in in;

	hck_plan_in_init(&in);
	in.mode = mode;
	in.wide = wide;
	in.keys = size;
	if (max_size)
		in.max_capacity = (uint64_t)((double)max_size / 0.8) + 1;
	return hck_plan_table(m, &in, plan) ? -1 : 0;
}

/*
 * --into TABLE: read the record of TABLE and refuse a count of other
 * tokens, order or canonical flag, as merge does.  The old counts are
 * merged into the new live table before the workers start, and the
 * result replaces TABLE by hc_table_save() (temporary name, fsync,
 * rename): TABLE itself is only read, so a kill at any point leaves it
 * as it was.  The start size is TABLE's distinct keys (or --size).
 */
static int open_into(const char *path, const hck_meta *want, hc_table **t,
		     uint64_t *size, int *wide)
{
	hc_stats st = { .size = sizeof(st) };
	hc_options o;
	hck_meta m;
	int rc;

	if (table_open_meta(path, t, &m))
		return -1;
	if (m.tokens != want->tokens || m.k != want->k ||
	    m.canonical != want->canonical) {
		cli_error(path, "holds %s k=%u%s, not %s k=%u%s as asked",
			  hck_tokens_name(m.tokens), m.k,
			  m.canonical ? " canonical" : "",
			  hck_tokens_name(want->tokens), want->k,
			  want->canonical ? " canonical" : "");
		goto fail;
	}
	rc = hc_table_stats(*t, &st);
	if (rc) {
		cli_error(path, "%s", hc_strerror(rc));
		goto fail;
	}
	hc_options_init(&o);
	hc_table_options(*t, &o);
	if (o.key_kind == HC_KEY_U64)
		*wide = 1; /* a --wide table stays wide */
	if (!*size)
		*size = st.distinct;
	return 0;
fail:
	hc_table_close(*t);
	*t = NULL;
	return -1;
}

static int check_output_dir(const char *out)
{
	char *copy = strdup(out), *dir;
	int ok;

	if (!copy)
		return -1;
	dir = dirname(copy);
	ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		cli_error(out, "%s", strerror(errno));
	free(copy);
	return ok ? 0 : -1;
}

/* What the tokenizers skipped: a warning line, never silence. */
static void warn_skipped(const struct work *w, const hck_meta *m)
{
	uint64_t n = atomic_load(&w->sh->skipped);
	const char *what = w->nin == 1 ? w->in[0].path : NULL;

	if (!n)
		return;
	if (m->tokens == HCK_DNA)
		fprintf(stderr,
			"hogcount count: %s%swarning: %llu bytes skipped: not "
			"bases nor sequence letters (is the input FASTA, FASTQ "
			"or sequence lines?)\n",
			what ? what : "", what ? ": " : "",
			(unsigned long long)n);
	else
		fprintf(stderr,
			"hogcount count: %s%swarning: %llu n-grams skipped: "
			"longer than %u bytes\n",
			what ? what : "", what ? ": " : "",
			(unsigned long long)n, HC_KEY_BYTES_MAX);
}

enum {
	OPT_BYTES = 256,
	OPT_WORDS,
	OPT_DNA,
	OPT_MODE,
	OPT_CHUNK,
	OPT_WIDE,
	OPT_MAX_SIZE,
	OPT_INTO,
	OPT_NO_COMPACT,
};

int cmd_count(int argc, char **argv)
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
		{ "into", required_argument, NULL, OPT_INTO },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "chunk-size", required_argument, NULL, OPT_CHUNK },
		{ "wide", no_argument, NULL, OPT_WIDE },
		{ "no-compact", no_argument, NULL, OPT_NO_COMPACT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	hck_meta m = { .tokens = HCK_BYTES };
	const char *out = "counts.hc", *into = NULL;
	uint64_t k = 0, workers = 0, size = 0, max_size = 0, chunk = 0;
	int mode = HC_MODE_EXACT, quiet = 0, verbose = 0, wide = 0, c, rc;
	int out_given = 0, compact = 1;
	hc_table *prev = NULL;
	double t0, t1, t2;
	struct work w = { 0 };
	struct sigaction sa;
	hc_options opt;
	hck_plan plan = { .size = sizeof(plan) };
	hc_table *t = NULL;
	sigset_t block, old;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:t:Co:j:s:qvh", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'k':
			if (parse_u64(optarg, &k) || k == 0 ||
			    k > HC_KEY_BYTES_MAX) {
				cli_error("--order", "invalid order '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_BYTES:
			m.tokens = HCK_BYTES;
			break;
		case OPT_WORDS:
			m.tokens = HCK_WORDS;
			break;
		case OPT_DNA:
			m.tokens = HCK_DNA;
			break;
		case 't':
			if (hck_tokens_parse(optarg, &m.tokens)) {
				cli_error("--tokens",
					  "'%s' is not bytes, words or dna",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
			m.canonical = 1;
			break;
		case OPT_WIDE:
			wide = 1;
			break;
		case OPT_NO_COMPACT:
			compact = 0;
			break;
		case 'o':
			out = optarg;
			out_given = 1;
			break;
		case 'j':
			if (parse_u64(optarg, &workers) || workers == 0 ||
			    workers > MAX_WORKERS) {
				cli_error("--workers",
					  "invalid worker count '%s' (1..%d)",
					  optarg, MAX_WORKERS);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &size) || size == 0 ||
			    size > HC_CAPACITY_MAX / 2) {
				cli_error("--size", "invalid size '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_INTO:
			into = optarg;
			break;
		case OPT_MAX_SIZE:
			if (parse_u64(optarg, &max_size) || max_size == 0 ||
			    max_size > HC_CAPACITY_MAX / 2) {
				cli_error("--max-size", "invalid size '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "exact")) {
				mode = HC_MODE_EXACT;
			} else if (!strcmp(optarg, "hogwild")) {
				mode = HC_MODE_HOGWILD;
			} else {
				cli_error("--mode",
					  "'%s' is not exact or hogwild",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CHUNK:
			if (parse_u64(optarg, &chunk) || chunk == 0) {
				cli_error("--chunk-size", "invalid size '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_option(argv);
		}
	}
	if (!k) {
		cli_error("--order", "missing: give the order with -k K");
		return EXIT_USAGE;
	}
	if (m.tokens == HCK_DNA && k > 32) {
		cli_error("--order", "k-mers are at most 32 bases, not %llu",
			  (unsigned long long)k);
		return EXIT_USAGE;
	}
	if (m.tokens == HCK_WORDS && k > 1024) {
		cli_error("--order", "word n-grams are at most 1024 words");
		return EXIT_USAGE;
	}
	if (m.canonical && m.tokens != HCK_DNA) {
		cli_error("--canonical", "only for DNA k-mers (--dna)");
		return EXIT_USAGE;
	}
	if (optind == argc) {
		cli_error(NULL, "no input files (use - for standard input)");
		return EXIT_USAGE;
	}
	if (into && out_given) {
		cli_error("--into", "writes TABLE itself: give no --output");
		return EXIT_USAGE;
	}
	if (into)
		out = into;
	m.k = (unsigned)k;
	if (!workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		workers = n > 0 ? (uint64_t)n : 1;
		if (workers > MAX_WORKERS)
			workers = MAX_WORKERS;
	}

	if (!chunk) {
		/* About 16 items a worker, so that all finish together. */
		uint64_t total = 0;
		struct stat st;

		for (int i = optind; i < argc; i++)
			if (!stat(argv[i], &st) && S_ISREG(st.st_mode))
				total += (uint64_t)st.st_size;
		chunk = total / (workers * 16);
		if (chunk < MIN_CHUNK)
			chunk = MIN_CHUNK;
		if (chunk > DEFAULT_CHUNK)
			chunk = DEFAULT_CHUNK;
	}
	for (int i = optind; i < argc; i++)
		if (work_add_input(&w, argv[i], m.tokens, chunk)) {
			work_free(&w);
			return 1;
		}
	if (check_output_dir(out) ||
	    output_is_input(out, argv + optind, (size_t)(argc - optind))) {
		work_free(&w);
		return 1;
	}

	/* From here on a signal is noted, and acted on between phases. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (work_shared_map(&w)) {
		cli_error(NULL, "mmap: %s", strerror(errno));
		work_free(&w);
		return 1;
	}
	if (size && max_size && size > max_size) {
		cli_error("--size", "larger than --max-size");
		work_free(&w);
		return EXIT_USAGE;
	}
	if (into && open_into(into, &m, &prev, &size, &wide)) {
		work_free(&w);
		return 1;
	}
	if (max_size && size > max_size)
		size = max_size;
	if (plan_table(&m, size, max_size, mode, wide, &plan)) {
		cli_error("table", "%s", hc_strerror(HC_EINVAL));
		hc_table_close(prev);
		work_free(&w);
		return 1;
	}
	opt = plan.opt;
	if (got_signal) {
		cli_error(NULL, "interrupted; nothing was written");
		hc_table_close(prev);
		work_free(&w);
		return 128 + got_signal;
	}
	rc = hck_table_create(&t, &m, &plan);
	if (!rc && prev) {
		/* --into: the old counts first, into the new live table. */
		rc = hc_table_merge(t, prev);
		hc_table_close(prev);
		prev = NULL;
	}
	if (rc) {
		cli_error("table", "%s", hc_strerror(rc));
		if (rc == HC_ENOMEM || rc == HC_EINVAL)
			fprintf(stderr, "hint: a smaller --size, or none\n");
		hc_table_close(t);
		hc_table_close(prev);
		work_free(&w);
		return 1;
	}

	if (workers > w.nitems)
		workers = w.nitems ? w.nitems : 1;
	if (verbose)
		fprintf(stderr,
			"hogcount count: %u workers, %zu work items, %s table "
			"of %llu slots (grows)\n",
			(unsigned)workers, w.nitems,
			opt.key_kind == HC_KEY_DENSE	? "dense"
			: opt.key_kind == HC_KEY_BYTES	? "byte-key"
			: opt.key_kind == HC_KEY_PACKED ? "packed"
							: "u64",
			(unsigned long long)(opt.key_kind == HC_KEY_DENSE
						     ? UINT64_C(1)
							       << opt.dense_bits
						     : opt.capacity));
	t0 = now_seconds();
	rc = w.nitems ? run_workers(&w, t, &m, (unsigned)workers, quiet) : 0;
	if (!rc)
		warn_skipped(&w, &m);
	if (!rc) {
		/* A signal now waits until the file is whole and renamed. */
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigprocmask(SIG_BLOCK, &block, &old);
		t1 = now_seconds();
		/* Compact where the kind has the layout (the library
		 * writes the others as they are). */
		rc = compact ? hc_table_save_compact(t, out)
			     : hc_table_save(t, out);
		t2 = now_seconds();
		if (verbose && !rc)
			fprintf(stderr,
				"hogcount count: counted in %.2f s, saved in "
				"%.2f s\n",
				t1 - t0, t2 - t1);
		if (rc) {
			cli_error(out, "%s",
				  rc == HC_EIO ? strerror(errno)
					       : hc_strerror(rc));
			rc = 1;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	hc_table_close(t);
	work_free(&w);
	return rc;
}
