/* SPDX-License-Identifier: MIT */
/*
 * cmd_count.c - hogcount count: N forked workers add the tokens of many
 * inputs into one table in an anonymous shared mapping, then the parent
 * writes it with hc_table_save() (temporary name, fsync, rename).
 *
 * Interrupted (SIGINT, SIGTERM): the workers are killed, nothing is
 * written, and the anonymous mapping dies with the processes, so no
 * shared-memory segment is left behind.  Workers die with the parent
 * (PR_SET_PDEATHSIG) if it is killed outright.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
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
		"  -s, --size N         expected distinct keys, suffixes k M "
		"G\n"
		"                       (default: a bound from the input "
		"sizes)\n"
		"      --mode MODE      exact (default) or hogwild\n"
		"      --chunk-size N   cut plain files into N-byte ranges\n"
		"                       (default: 1Mi..64Mi, 16 per worker)\n"
		"      --wide           16-byte slots even where packed "
		"8-byte\n"
		"                       ones fit (numpy views from Python)\n"
		"  -q, --quiet          no progress line\n"
		"  -v, --verbose        print the table size and the time "
		"spent\n"
		"                       counting and saving on stderr\n"
		"  -h, --help           this help\n");
}

static uint64_t phys_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psz <= 0)
		return UINT64_C(4) << 30;
	return (uint64_t)pages * (uint64_t)psz;
}

/* Distinct keys the inputs can hold at most (before the load factor);
 * *bytes gets the estimated number of input bytes. */
static uint64_t key_bound(const struct work *w, const hck_meta *m,
			  double *bytes)
{
	double est = 0, space;

	for (size_t i = 0; i < w->nin; i++) {
		const struct input *in = &w->in[i];
		double b = (double)in->size;

		if (!strcmp(in->path, "-") || !in->size)
			b = (double)(UINT64_C(1) << 24); /* unknown: 16 MiB */
		else if (in->stream && in->expand)
			b *= in->expand; /* compressed (input.c) */
		if (m->tokens == HCK_DNA && in->fmt == HCK_FMT_FASTQ)
			b /= 2;
		if (m->tokens == HCK_WORDS)
			b /= 2;
		est += b;
		*bytes += in->stream ? b : (double)in->size;
	}
	/* The key space: 2^bits integer keys. */
	if (hck_key_bits(m) && hck_key_bits(m) < 64)
		space = ldexp(1, (int)hck_key_bits(m));
	else
		space = 1e30;
	if (est > space)
		est = space;
	return (uint64_t)est;
}

static void format_size(double keys, char *buf, size_t cap)
{
	if (keys >= 1e9)
		snprintf(buf, cap, "%.0fG", ceil(keys / 1e9));
	else if (keys >= 1e6)
		snprintf(buf, cap, "%.0fM", ceil(keys / 1e6));
	else
		snprintf(buf, cap, "%.0fk", ceil(keys / 1e3));
}

/*
 * Count a sample of about SAMPLE_BYTES spread over the plain inputs in a
 * private table, and extrapolate its distinct keys to all the input by
 * Heaps' law, distinct ~ bytes^a, with a from the distinct keys after
 * half and all of the sample (a = 1, linear, for reads, whose new
 * k-mers come at a steady rate; about 0.5 for text).  It is an estimate,
 * not a bound: SAMPLE_MARGIN adds room, and a table that fills anyway
 * says which --size would fit.  Returns @bound if sampling is not
 * possible, and never more than @bound.
 */
#define SAMPLE_BYTES (UINT64_C(8) << 20)
#define SAMPLE_MARGIN 1.25

static uint64_t sample_keys(struct work *w, const hck_meta *m, uint64_t bound,
			    double bytes, uint64_t *per_key)
{
	hc_stats st = { .size = sizeof(st) };
	uint64_t sampled = 0, half = 0, half_keys = 0, est = bound;
	hck_plan_in in;
	hck_plan plan = { .size = sizeof(plan) };
	hck_sink *s = NULL;
	hck_tok *tk = NULL;
	hc_table *t;

	/* A private table of about 4 M slots, never packed. */
	hck_plan_in_init(&in);
	in.keys = UINT64_C(3) << 20;
	in.wide = 1;
	if (hck_plan_table(m, &in, &plan) || hc_table_create(&t, &plan.opt))
		return bound;
	if (hck_sink_create(&s, t, m, 0) || hck_tok_create(&tk, m, s))
		goto out;
	if (!work_sample(w, tk, t, SAMPLE_BYTES, &sampled, &half, &half_keys) &&
	    sampled && !hc_table_stats(t, &st)) {
		double e = (double)st.distinct, a = 1;

		if (half && half_keys && half < sampled &&
		    st.distinct > half_keys)
			a = log((double)st.distinct / (double)half_keys) /
			    log((double)sampled / (double)half);
		else if (half && half_keys && st.distinct <= half_keys)
			a = 0; /* saturated: no new keys in the second half */
		if (a > 1)
			a = 1;
		if ((double)sampled < bytes)
			e = e * pow(bytes / (double)sampled, a) * SAMPLE_MARGIN;
		e += 4096;
		if (e < (double)bound)
			est = (uint64_t)e;
		/* Key-area bytes a key took, with room for longer ones. */
		if (!hck_int_keys(m) && st.distinct) {
			uint64_t per = st.arena_used / st.distinct + 8;

			if (per > *per_key)
				*per_key = per;
		}
	}
out:
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(t);
	/* Forget the sample's progress and any error it met. */
	atomic_store(&w->sh->done, 0);
	atomic_store(&w->sh->failed, 0);
	atomic_store(&w->sh->ready, 0);
	return est;
}

/* The table is full: say which --size would fit. */
static void report_full(const struct work *w, hc_table *t, uint64_t size)
{
	hc_stats st = { .size = sizeof(st) };
	double frac = 0.5, need;
	uint64_t done = atomic_load(&w->sh->done);
	char buf[32];

	if (hc_table_stats(t, &st))
		st.claimed = size;
	if (w->total && !w->have_stdin && done > 0)
		frac = (double)done / (double)w->total;
	if (frac > 1)
		frac = 1;
	if (frac < 0.01)
		frac = 0.01;
	need = (double)st.claimed / frac * 1.25;
	if (need < 2.0 * (double)size)
		need = 2.0 * (double)size;
	format_size(need, buf, sizeof(buf));
	cli_error("--size",
		  "table full after %llu distinct keys (%.0f%% of the input "
		  "read); nothing was written: rerun with --size %s",
		  (unsigned long long)st.claimed, frac * 100, buf);
}

/* Up to this size a table lives in the caches, and a worker sums the
 * repeats of each batch before adding them (HCK_SINK_COMBINE). */
#define COMBINE_MAX_BYTES (UINT64_C(4) << 20)

static int table_in_cache(const hc_table *t)
{
	hc_view v = { .size = sizeof(v) };

	return !hc_table_view(t, &v) &&
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
		       unsigned nworkers, int quiet, uint64_t size)
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
			report_full(w, t, size);
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
 * The table for this job, from the key layer's plan (hck_plan).  What
 * the CLI adds is the number of keys to plan for: --size, or a bound
 * from the input sizes refined by counting a sample.  Once tables grow
 * by themselves this estimate goes and the plan's start size stays.
 */
static int plan_table(struct work *w, const hck_meta *m, uint64_t size,
		      int mode, int wide, hck_plan *plan)
{
	hck_plan_in in;
	double bytes = 0;
	uint64_t per = 0;

	hck_plan_in_init(&in);
	in.mode = mode;
	in.wide = wide;
	in.keys = size ? size : key_bound(w, m, &bytes);
	if (!size) {
		unsigned bits = hck_key_bits(m);

		/* Up to 16 bits the table is dense: nothing to size. */
		if (!bits || bits > 16) {
			per = m->tokens == HCK_WORDS ? 16 + 8 * (uint64_t)m->k
						     : 8 + ((m->k + 7) & ~7u);
			in.keys = sample_keys(w, m, in.keys, bytes, &per);
		}
		in.max_capacity = phys_bytes() / 4 / 16;
	}
	in.key_bytes = per;
	return hck_plan_table(m, &in, plan) ? -1 : 0;
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

enum { OPT_BYTES = 256, OPT_WORDS, OPT_DNA, OPT_MODE, OPT_CHUNK, OPT_WIDE };

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
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "chunk-size", required_argument, NULL, OPT_CHUNK },
		{ "wide", no_argument, NULL, OPT_WIDE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	hck_meta m = { .tokens = HCK_BYTES };
	const char *out = "counts.hc";
	uint64_t k = 0, workers = 0, size = 0, chunk = 0;
	int mode = HC_MODE_EXACT, quiet = 0, verbose = 0, wide = 0, c, rc;
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
		case 'o':
			out = optarg;
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
	if (plan_table(&w, &m, size, mode, wide, &plan)) {
		work_free(&w);
		return 1;
	}
	opt = plan.opt;
	if (!size)
		size = plan.size_hint;
	if (got_signal) {
		cli_error(NULL, "interrupted; nothing was written");
		work_free(&w);
		return 128 + got_signal;
	}
	rc = hck_table_create(&t, &m, &plan);
	if (rc) {
		cli_error("table", "%s", hc_strerror(rc));
		if (rc == HC_ENOMEM || rc == HC_EINVAL)
			fprintf(stderr, "hint: a smaller --size\n");
		hc_table_close(t);
		work_free(&w);
		return 1;
	}

	if (workers > w.nitems)
		workers = w.nitems ? w.nitems : 1;
	if (verbose)
		fprintf(stderr,
			"hogcount count: %u workers, %zu work items, %s table "
			"of %llu slots\n",
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
	rc = w.nitems ? run_workers(&w, t, &m, (unsigned)workers, quiet, size)
		      : 0;
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
		rc = hc_table_save(t, out);
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
