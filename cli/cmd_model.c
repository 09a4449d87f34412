/* SPDX-License-Identifier: MIT */
/*
 * cmd_model.c - hogcount model: an interpolated Kneser-Ney order-k
 * Markov model over the byte or word n-grams of a table written by
 * hogcount count, and the read API under it (docs/model.md).
 *
 *	hogcount model info TABLE
 *	hogcount model prob TABLE CONTEXT [NEXT...]
 *	hogcount model perplexity TABLE FILE...
 *	hogcount model sample [-n N] [--seed S] [--prime TEXT] TABLE
 *	hogcount model unseen TABLE
 *	hogcount model heaps TABLE FILE...
 *	hogcount model genome TABLE
 *	hogcount model walk TABLE [CONTEXT]
 *	hogcount model reduce [--drop last|first] [--distinct] -o OUT TABLE
 *
 * Keys and contexts are written with the escapes of hogcount dump.
 * info, unseen, heaps and genome take --json: one JSON object (tool/json.c).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "hogcount_input.h"
#include "tables.h"
#include "hogcount_model.h"
#include "json.h"
#include "plot.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hogcount model COMMAND [OPTIONS] TABLE [ARGS]\n"
		"An order-k Markov model (interpolated Kneser-Ney) over the "
		"byte\n"
		"fragments or word n-grams of TABLE, written by hogcount "
		"count\n"
		"--bytes|--words -k K; the lower orders are derived from "
		"it.\n" TABLE_HELP "\n"
		"Commands:\n"
		"  info TABLE               order, vocabulary, discounts, "
		"n-grams\n"
		"  prob TABLE CTX [NEXT..]  P(NEXT | CTX); without NEXT the "
		"most\n"
		"                           likely next tokens (--top N)\n"
		"  perplexity TABLE FILE..  cross-entropy and perplexity of "
		"held-out\n"
		"                           text (\"-\" is standard input)\n"
		"  sample TABLE             draw text from the model\n"
		"  unseen TABLE             Good-Turing unseen mass and Chao1 "
		"of\n"
		"                           any table, Zipf and Heaps fits\n"
		"  heaps TABLE FILE..       Heaps' law on real prefixes: the "
		"distinct\n"
		"                           keys of the first 2^10, 2^11, ... "
		"tokens\n"
		"                           of FILEs (TABLE's inputs, in "
		"order)\n"
		"  genome TABLE             k-mer tables: error threshold, "
		"coverage\n"
		"                           peak, genome size, diploid flag\n"
		"  walk TABLE [CTX]         the n-grams starting with CTX, and "
		"counts\n"
		"  reduce TABLE -o OUT      the order k-1 table: sum over the "
		"last\n"
		"                           token (--drop first: the first; "
		"--distinct:\n"
		"                           count distinct dropped tokens)\n"
		"\n"
		"Options:\n"
		"  -d, --discount D   Kneser-Ney discount in (0, 1] for every "
		"order\n"
		"                     (default: f1 / (f1 + 2 f2) per order)\n"
		"  -n, --top N        prob: how many next tokens (default 10)\n"
		"      --length N     sample: tokens to draw (default 100;\n"
		"                     its old name --tokens N works too)\n"
		"      --seed S       sample: random seed (default 1)\n"
		"      --prime TEXT   sample: start after TEXT\n"
		"  -o, --output FILE  reduce: table file to write\n"
		"      --drop END     reduce: last (default) or first\n"
		"      --distinct     reduce: add 1 per entry, not its count\n"
		"      --json         info, unseen, heaps, genome: one JSON "
		"object\n"
		"  -h, --help         this help\n"
		"\n"
		"CTX, NEXT and TEXT use the escapes of hogcount dump (\\n, "
		"\\t,\n"
		"\\xHH); words are separated by white space.\n");
}

struct opts {
	double discount;
	uint64_t top, ntokens, seed;
	const char *prime, *output;
	int drop_first, distinct, json, top_given;
};

/* Context text from the command line: unescaped, words normalised. */
static char *arg_text(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *buf = xmalloc(n + 1);
	long r;

	memcpy(buf, s, n + 1);
	r = hck_unescape(buf, n);
	if (r < 0) {
		cli_error(s, "bad escape (use \\\\, \\t, \\n, \\r or \\xHH)");
		free(buf);
		return NULL;
	}
	*len = (size_t)r;
	return buf;
}

static int open_model(const char *path, const struct opts *o, hc_table **t,
		      hcm_model **m)
{
	hcm_model_options mo;
	hck_meta meta;
	int rc;

	if (table_open_one(path, t, &meta))
		return -1;
	if (meta.tokens == HCK_DNA) {
		cli_error(path, "a k-mer table: the model takes --bytes or "
				"--words tables");
		hc_table_close(*t);
		return -1;
	}
	hcm_model_options_init(&mo);
	mo.discount = o->discount;
	rc = hcm_model_build(m, *t, &mo);
	if (rc) {
		cli_error(path, "cannot build the model: %s", hc_strerror(rc));
		hc_table_close(*t);
		return -1;
	}
	return 0;
}

static int run_info(const char *path, const struct opts *o)
{
	hcm_model_info info;
	hc_table *t;
	hcm_model *m;

	if (open_model(path, o, &t, &m))
		return 1;
	info.size = sizeof(info);
	hcm_model_info_get(m, &info);
	if (o->json) {
		struct json js;

		json_begin(&js, stdout);
		json_str(&js, "table", path);
		json_str(&js, "tokens", hck_tokens_name(info.kind.tokens));
		json_u64(&js, "order", info.kind.order);
		json_u64(&js, "vocabulary", info.vocab);
		json_u64(&js, "total", info.tokens);
		json_arr(&js, "orders");
		for (unsigned n = 1; n <= info.kind.order; n++) {
			json_obj(&js, NULL);
			json_u64(&js, "order", n);
			json_u64(&js, "grams", info.grams[n]);
			json_str(&js, "counts",
				 n == info.kind.order ? "n-grams"
						      : "continuations");
			json_dbl(&js, "discount", info.discount[n]);
			json_close(&js);
		}
		json_end(&js);
		hcm_model_free(m);
		hc_table_close(t);
		return 0;
	}
	printf("tokens\t%s\n", hck_tokens_name(info.kind.tokens));
	printf("order\t%u\n", info.kind.order);
	printf("vocabulary\t%llu\n", (unsigned long long)info.vocab);
	printf("total\t%llu\n", (unsigned long long)info.tokens);
	for (unsigned n = 1; n <= info.kind.order; n++)
		printf("order %u\t%llu %s, discount %.4f\n", n,
		       (unsigned long long)info.grams[n],
		       n == info.kind.order ? "n-grams" : "continuations",
		       info.discount[n]);
	hcm_model_free(m);
	hc_table_close(t);
	return 0;
}

struct top {
	const hcm_model *m;
	const char *ctx;
	size_t ctx_len;
	size_t n, cap;
	struct cand {
		const void *tok;
		size_t len;
		double p;
	} * c;
	double sum;
	int rc;
};

static int top_add(void *arg, const void *tok, size_t len)
{
	struct top *tp = arg;
	double p;
	size_t i;

	tp->rc = hcm_model_prob(tp->m, tp->ctx, tp->ctx_len, tok, len, &p);
	if (tp->rc)
		return 1;
	tp->sum += p;
	if (tp->n < tp->cap)
		i = tp->n++;
	else if (p > tp->c[tp->n - 1].p)
		i = tp->n - 1;
	else
		return 0;
	while (i > 0 && tp->c[i - 1].p < p) {
		tp->c[i] = tp->c[i - 1];
		i--;
	}
	tp->c[i].tok = tok;
	tp->c[i].len = len;
	tp->c[i].p = p;
	return 0;
}

static void print_token(const void *tok, size_t len)
{
	if (len)
		escape_write(stdout, tok, len);
	else
		fputs("<unk>", stdout);
}

static int run_prob(int argc, char **argv, const struct opts *o)
{
	char *ctx;
	size_t ctx_len;
	hc_table *t;
	hcm_model *m;
	int bad = 0, rc;

	if (argc < 2) {
		cli_error(NULL, "give a table and a context");
		return EXIT_USAGE;
	}
	ctx = arg_text(argv[1], &ctx_len);
	if (!ctx)
		return EXIT_USAGE;
	if (open_model(argv[0], o, &t, &m)) {
		free(ctx);
		return 1;
	}
	if (argc == 2) {
		struct top tp = { m, ctx, ctx_len, 0, o->top, NULL, 0, 0 };

		tp.c = xmalloc((o->top ? o->top : 1) * sizeof(*tp.c));
		rc = hcm_model_vocab_walk(m, top_add, &tp);
		if (rc == 1)
			rc = tp.rc;
		if (rc) {
			cli_error(argv[0], "%s", hc_strerror(rc));
			bad = 1;
		}
		for (size_t i = 0; !bad && i < tp.n; i++) {
			print_token(tp.c[i].tok, tp.c[i].len);
			printf("\t%.6g\t%.4f\n", tp.c[i].p, -log2(tp.c[i].p));
		}
		if (!bad)
			printf("# sum over the vocabulary: %.12f\n", tp.sum);
		free(tp.c);
	}
	for (int i = 2; i < argc && !bad; i++) {
		size_t len;
		char *w = arg_text(argv[i], &len);
		double p;

		if (!w) {
			bad = EXIT_USAGE;
			break;
		}
		rc = hcm_model_prob(m, ctx, ctx_len, w, len, &p);
		if (rc == HC_EINVAL) {
			cli_error(argv[i], "NEXT must be one byte on a byte "
					   "model");
			bad = EXIT_USAGE;
		} else if (rc) {
			cli_error(argv[0], "%s", hc_strerror(rc));
			bad = 1;
		} else {
			print_token(w, len);
			printf("\t%.6g\t%.4f\n", p, -log2(p));
		}
		free(w);
	}
	free(ctx);
	hcm_model_free(m);
	hc_table_close(t);
	return bad;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 20, n = 0, r;
	char *buf;

	if (!f) {
		cli_error(path, "%s", strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		cli_error(path, "read failed: %s", strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static int run_perplexity(int argc, char **argv, const struct opts *o)
{
	hcm_score s;
	hc_table *t;
	hcm_model *m;
	int bad = 0, rc;

	if (argc < 2) {
		cli_error(NULL, "give a table and held-out files");
		return EXIT_USAGE;
	}
	if (open_model(argv[0], o, &t, &m))
		return 1;
	hcm_score_init(&s);
	for (int i = 1; i < argc; i++) {
		size_t len;
		char *buf = read_all(argv[i], &len);

		if (!buf) {
			bad = 1;
			continue;
		}
		rc = hcm_model_score(m, buf, len, &s);
		free(buf);
		if (rc) {
			cli_error(argv[i], "%s", hc_strerror(rc));
			bad = 1;
		}
	}
	printf("tokens\t%llu\n", (unsigned long long)s.tokens);
	printf("oov\t%llu\n", (unsigned long long)s.oov);
	printf("cross_entropy\t%.6f bits/token\n", hcm_score_cross_entropy(&s));
	printf("perplexity\t%.6f\n", hcm_score_perplexity(&s));
	hcm_model_free(m);
	hc_table_close(t);
	return bad;
}

struct out {
	int words;
	size_t col;
};

static int sample_out(void *arg, const void *tok, size_t len)
{
	struct out *o = arg;

	if (!o->words) {
		fwrite(tok, 1, len, stdout);
		return 0;
	}
	if (o->col && o->col + 1 + len > 72) {
		putchar('\n');
		o->col = 0;
	} else if (o->col) {
		putchar(' ');
		o->col++;
	}
	fwrite(tok, 1, len, stdout);
	o->col += len;
	return 0;
}

static int run_sample(int argc, char **argv, const struct opts *o)
{
	hcm_model_info info;
	struct out out = { 0, 0 };
	char *prime = NULL;
	size_t prime_len = 0;
	uint64_t rng = o->seed;
	hc_table *t;
	hcm_model *m;
	int rc;

	if (argc != 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (o->top_given) {
		/* -n was the sample's length before one letter meant one
		 * thing in every subcommand: refuse it rather than ignore. */
		cli_error("--top", "is for prob; the sample's length is "
				   "--length N");
		return EXIT_USAGE;
	}
	if (o->prime) {
		prime = arg_text(o->prime, &prime_len);
		if (!prime)
			return EXIT_USAGE;
	}
	if (open_model(argv[0], o, &t, &m)) {
		free(prime);
		return 1;
	}
	info.size = sizeof(info);
	hcm_model_info_get(m, &info);
	out.words = info.kind.tokens == HCK_WORDS;
	if (prime_len)
		sample_out(&out, prime, prime_len);
	rc = hcm_model_sample(m, &rng, prime, prime_len, o->ntokens, sample_out,
			      &out);
	putchar('\n');
	if (rc)
		cli_error(argv[0], "%s", hc_strerror(rc));
	free(prime);
	hcm_model_free(m);
	hc_table_close(t);
	return rc ? 1 : 0;
}

/* Heaps' law on this many sample fractions, 1/2^(n-1) .. 1. */
#define HEAPS_POINTS 8

static int run_unseen(int argc, char **argv, const struct opts *o)
{
	double hn[HEAPS_POINTS], hv[HEAPS_POINTS];
	hcm_fit zipf = { .size = sizeof(zipf) };
	hcm_fit heaps = { .size = sizeof(heaps) };
	uint64_t *hist;
	hc_stats st;
	hcm_unseen u;
	hc_table *t;
	size_t len;
	int rc, zrc, hrc;

	if (argc != 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (table_open(argv[0], &t))
		return 1;
	if (table_check(argv[0], t)) {
		hc_table_close(t);
		return 1;
	}
	u.size = sizeof(u);
	rc = hcm_unseen_estimate(t, &u);
	if (rc) {
		cli_error(argv[0], "%s", hc_strerror(rc));
		hc_table_close(t);
		return 1;
	}
	if (histo_load(t, argv[0], 8, 0, &hist, &len, &st)) {
		hc_table_close(t);
		return 1;
	}
	hc_table_close(t);
	zrc = hcm_zipf_fit(hist, len, &zipf);
	hrc = hcm_heaps_fit(hist, len, st.total, HEAPS_POINTS, hn, hv, &heaps);
	free(hist);
	if (o->json) {
		struct json js;

		json_begin(&js, stdout);
		json_str(&js, "table", argv[0]);
		json_u64(&js, "distinct", u.distinct);
		json_u64(&js, "total", u.total);
		json_u64(&js, "f1", u.f1);
		json_u64(&js, "f2", u.f2);
		json_dbl(&js, "good_turing_unseen_mass", u.good_turing);
		json_dbl(&js, "chao1", u.chao1);
		json_dbl(&js, "chao1_unseen", u.unseen);
		json_obj(&js, "zipf");
		if (zrc == HC_OK) {
			json_dbl(&js, "exponent", -zipf.slope);
			json_dbl(&js, "log10_c", zipf.intercept);
			json_dbl(&js, "r2", zipf.r2);
		}
		json_u64(&js, "points", zipf.points);
		json_close(&js);
		json_obj(&js, "heaps");
		if (hrc == HC_OK) {
			json_dbl(&js, "beta", heaps.slope);
			json_dbl(&js, "k", pow(10, heaps.intercept));
			json_dbl(&js, "r2", heaps.r2);
		}
		json_str(&js, "method", "rarefaction");
		json_arr(&js, "points");
		for (int i = 0; i < HEAPS_POINTS; i++) {
			json_arr(&js, NULL);
			json_dbl(&js, NULL, hn[i]);
			json_dbl(&js, NULL, hv[i]);
			json_close(&js);
		}
		json_close(&js);
		json_close(&js);
		json_end(&js);
		return 0;
	}
	printf("distinct\t%llu\n", (unsigned long long)u.distinct);
	printf("total\t%llu\n", (unsigned long long)u.total);
	printf("f1\t%llu\n", (unsigned long long)u.f1);
	printf("f2\t%llu\n", (unsigned long long)u.f2);
	printf("good_turing_unseen_mass\t%.6g\n", u.good_turing);
	printf("chao1\t%.1f\n", u.chao1);
	printf("chao1_unseen\t%.1f\n", u.unseen);
	if (zrc == HC_OK)
		printf("zipf_exponent\t%.4f (r2 %.4f, %llu points)\n",
		       -zipf.slope, zipf.r2, (unsigned long long)zipf.points);
	if (hrc == HC_OK)
		printf("heaps_beta\t%.4f (K %.4g, r2 %.4f, rarefied)\n",
		       heaps.slope, pow(10, heaps.intercept), heaps.r2);
	return 0;
}

/*
 * hogcount model heaps TABLE FILE...: Heaps' law on real prefixes.  The
 * FILEs are read again in the order given, by one process, tokenized as
 * TABLE's keys into a private table; after the first 2^10, 2^11, ...
 * tokens (exactly: a batch is split at the boundary) and at the end,
 * the distinct keys are read off it.  unseen's fit rarefies the final
 * table instead, which knows no order.
 */
#define HEAPS_FIRST 1024
#define HEAPS_MAX 64

struct heaps {
	hc_table *t;
	uint64_t tokens, next;
	uint64_t n[HEAPS_MAX], v[HEAPS_MAX];
	size_t np;
};

static int heaps_point(struct heaps *h)
{
	hc_stats st = { .size = sizeof(st) };
	int rc;

	if (h->np && h->n[h->np - 1] == h->tokens)
		return 0;
	rc = hc_table_stats(h->t, &st);
	if (rc || h->np == HEAPS_MAX)
		return rc;
	h->n[h->np] = h->tokens;
	h->v[h->np++] = st.distinct;
	return 0;
}

/* The sink's function: add the batch, stopping at each checkpoint. */
static int heaps_add(void *arg, const uint64_t *keys, const void *const *ptrs,
		     const size_t *lens, size_t n)
{
	struct heaps *h = arg;
	size_t off = 0;

	while (off < n) {
		size_t m = n - off;
		int rc;

		if (h->tokens + m >= h->next)
			m = (size_t)(h->next - h->tokens);
		rc = keys ? hc_add_batch(h->t, keys + off, NULL, m, NULL)
			  : hc_add_bytes_batch(h->t, ptrs + off, lens + off,
					       NULL, m, NULL);
		if (rc)
			return rc;
		off += m;
		h->tokens += m;
		if (h->tokens == h->next) {
			rc = heaps_point(h);
			if (rc)
				return rc;
			h->next *= 2;
		}
	}
	return 0;
}

static int run_heaps(int argc, char **argv, const struct opts *o)
{
	hck_plan plan = { .size = sizeof(plan) };
	hc_stats st = { .size = sizeof(st) };
	hcm_fit fit = { .size = sizeof(fit) };
	struct heaps h = { .next = HEAPS_FIRST };
	hci_job *w = NULL;
	hci_stats jst = { .size = sizeof(jst) };
	const char *what, *msg;
	hck_sink *s = NULL;
	hck_tok *tk = NULL;
	hck_plan_in in;
	hck_meta meta;
	hc_table *t;
	int rc = 1, frc;

	if (argc < 2) {
		cli_error(NULL, "give a table and the files it was counted "
				"from, in order");
		return EXIT_USAGE;
	}
	if (table_open_one(argv[0], &t, &meta))
		return 1;
	frc = hc_table_stats(t, &st);
	hc_table_close(t);
	if (frc) {
		cli_error(argv[0], "%s", hc_strerror(frc));
		return 1;
	}
	frc = hci_job_create(&w, meta.tokens, UINT64_C(1) << 40);
	if (frc) {
		cli_error(NULL, "%s",
			  frc == HC_EIO ? strerror(errno) : hci_strerror(frc));
		goto out;
	}
	for (int i = 1; i < argc; i++)
		if (hci_job_add(w, argv[i])) {
			hci_job_error(w, &frc, &what, &msg);
			cli_error(*what ? what : NULL, "%s", msg);
			goto out;
		}
	hci_job_stats(w, &jst);
	hck_plan_in_init(&in);
	frc = hck_plan_table(&meta, &in, &plan);
	if (!frc)
		frc = hck_table_create(&h.t, &meta, &plan);
	if (!frc)
		frc = hck_sink_create_fn(&s, &meta, heaps_add, &h);
	if (!frc)
		frc = hck_tok_create(&tk, &meta, s);
	if (frc) {
		cli_error("table", "%s", hc_strerror(frc));
		goto out;
	}
	/* In order: the items of a file are its byte ranges, in turn. */
	for (size_t i = 0; i < jst.items; i++)
		if (hci_job_run(w, i, tk)) {
			hci_job_error(w, &frc, &what, &msg);
			cli_error(*what ? what : NULL, "%s", msg);
			goto out;
		}
	frc = hck_sink_flush(s);
	if (!frc)
		frc = heaps_point(&h);
	if (frc) {
		cli_error("table", "%s", hc_strerror(frc));
		goto out;
	}
	frc = hcm_heaps_fit_points(h.n, h.v, h.np, &fit);
	if (o->json) {
		struct json js;

		json_begin(&js, stdout);
		json_str(&js, "table", argv[0]);
		json_u64(&js, "tokens", h.tokens);
		json_u64(&js, "distinct", h.np ? h.v[h.np - 1] : 0);
		json_u64(&js, "table_distinct", st.distinct);
		json_obj(&js, "heaps");
		if (frc == HC_OK) {
			json_dbl(&js, "beta", fit.slope);
			json_dbl(&js, "k", pow(10, fit.intercept));
			json_dbl(&js, "r2", fit.r2);
		}
		json_str(&js, "method", "prefixes");
		json_arr(&js, "points");
		for (size_t i = 0; i < h.np; i++) {
			json_arr(&js, NULL);
			json_u64(&js, NULL, h.n[i]);
			json_u64(&js, NULL, h.v[i]);
			json_close(&js);
		}
		json_close(&js);
		json_close(&js);
		json_end(&js);
	} else {
		for (size_t i = 0; i < h.np; i++)
			printf("prefix\t%llu\t%llu\n",
			       (unsigned long long)h.n[i],
			       (unsigned long long)h.v[i]);
		if (frc == HC_OK)
			printf("heaps_beta\t%.4f (K %.4g, r2 %.4f, %zu "
			       "prefixes)\n",
			       fit.slope, pow(10, fit.intercept), fit.r2, h.np);
		else
			printf("heaps_beta\tnone (fewer than 2 prefixes: "
			       "under %d tokens)\n",
			       2 * HEAPS_FIRST);
	}
	/* The last prefix is the whole input: TABLE's vocabulary, when the
	 * FILEs are what TABLE was counted from. */
	if (h.np && h.v[h.np - 1] != st.distinct)
		fprintf(stderr,
			"hogcount model: warning: the files hold %llu distinct "
			"keys, %s holds %llu: are they its inputs?\n",
			(unsigned long long)h.v[h.np - 1], argv[0],
			(unsigned long long)st.distinct);
	rc = 0;
out:
	hck_tok_destroy(tk);
	hck_sink_destroy(s);
	hc_table_close(h.t);
	hci_job_destroy(w);
	return rc;
}

static int run_genome(int argc, char **argv, const struct opts *o)
{
	hcm_genome g = { .size = sizeof(g) };
	uint64_t *hist;
	hck_meta meta;
	hc_stats st;
	hc_table *t;
	size_t len;
	int rc;

	if (argc != 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (table_open_one(argv[0], &t, &meta))
		return 1;
	if (meta.tokens != HCK_DNA) {
		cli_error(argv[0], "not a k-mer table: genome takes a table "
				   "of hogcount count --tokens dna");
		hc_table_close(t);
		return 1;
	}
	if (histo_load(t, argv[0], 10002, 0, &hist, &len, &st)) {
		hc_table_close(t);
		return 1;
	}
	hc_table_close(t);
	rc = hcm_genome_estimate(hist, len, st.total, &g);
	free(hist);
	if (rc == HC_ERANGE) {
		cli_error(argv[0], "no coverage peak above the error valley "
				   "(coverage too low?)");
		return 1;
	}
	if (rc) {
		cli_error(argv[0], "%s", hc_strerror(rc));
		return 1;
	}
	if (o->json) {
		struct json js;

		json_begin(&js, stdout);
		json_str(&js, "table", argv[0]);
		json_u64(&js, "k", meta.k);
		json_bool(&js, "canonical", meta.canonical);
		json_u64(&js, "valley", g.valley);
		json_u64(&js, "peak", g.peak);
		json_dbl(&js, "coverage", g.coverage);
		json_dbl(&js, "genome_size", g.genome_size);
		json_u64(&js, "solid_distinct", g.solid_distinct);
		json_u64(&js, "solid_total", g.solid_total);
		json_u64(&js, "distinct", g.distinct);
		json_u64(&js, "total", g.total);
		json_dbl(&js, "error_distinct", g.error_distinct);
		json_dbl(&js, "error_total", g.error_total);
		json_bool(&js, "diploid", g.diploid);
		json_u64(&js, "half_peak", g.half_peak);
		json_dbl(&js, "half_ratio", g.half_ratio);
		json_end(&js);
		return 0;
	}
	printf("k\t%u%s\n", meta.k, meta.canonical ? " canonical" : "");
	printf("valley\t%llu\n", (unsigned long long)g.valley);
	printf("peak\t%llu\n", (unsigned long long)g.peak);
	printf("coverage\t%.3f\n", g.coverage);
	printf("genome_size\t%.0f\n", g.genome_size);
	printf("solid_distinct\t%llu\n", (unsigned long long)g.solid_distinct);
	printf("solid_total\t%llu\n", (unsigned long long)g.solid_total);
	printf("distinct\t%llu\n", (unsigned long long)g.distinct);
	printf("total\t%llu\n", (unsigned long long)g.total);
	printf("error_distinct\t%.4f\n", g.error_distinct);
	printf("error_total\t%.4f\n", g.error_total);
	printf("diploid\t%s\n", g.diploid ? "yes" : "no");
	if (g.diploid)
		printf("half_peak\t%llu (%.3f of the peak's height)\n",
		       (unsigned long long)g.half_peak, g.half_ratio);
	return 0;
}

static int walk_print(void *arg, const hcm_ngram *g)
{
	(void)arg;
	escape_write(stdout, g->text, g->len);
	printf("\t%llu\n", (unsigned long long)g->count);
	return 0;
}

static int run_walk(int argc, char **argv)
{
	hcm_ngram_kind kind;
	hck_meta meta;
	char *ctx = NULL;
	size_t ctx_len = 0;
	hc_table *t;
	int rc;

	if (argc < 1 || argc > 2) {
		cli_error(NULL, "give a table file and at most one context");
		return EXIT_USAGE;
	}
	if (argc == 2) {
		ctx = arg_text(argv[1], &ctx_len);
		if (!ctx)
			return EXIT_USAGE;
	}
	if (table_open_one(argv[0], &t, &meta)) {
		free(ctx);
		return 1;
	}
	rc = hcm_ngram_kind_get(t, &kind);
	if (!rc)
		rc = hcm_ngram_walk(t, &kind, ctx, ctx_len, walk_print, NULL);
	if (rc == HC_ERANGE)
		cli_error(argv[1], "context longer than the table's order");
	else if (rc)
		cli_error(argv[0], "%s", hc_strerror(rc));
	free(ctx);
	hc_table_close(t);
	if (fflush(stdout)) {
		cli_error("<stdout>", "write failed");
		return 1;
	}
	return rc == HC_ERANGE ? EXIT_USAGE : rc ? 1 : 0;
}

static int run_reduce(int argc, char **argv, const struct opts *o)
{
	hcm_ngram_kind kind;
	hck_meta meta;
	hc_table *t, *r;
	int rc;

	if (argc != 1) {
		cli_error(NULL, "give exactly one table file");
		return EXIT_USAGE;
	}
	if (!o->output) {
		cli_error("--output", "reduce needs an output file");
		return EXIT_USAGE;
	}
	if (output_is_input(o->output, argv, 1))
		return 1;
	if (table_open_one(argv[0], &t, &meta))
		return 1;
	rc = hcm_ngram_kind_get(t, &kind);
	if (!rc && kind.order < 2) {
		cli_error(argv[0], "an order-1 table has nothing to reduce");
		hc_table_close(t);
		return 1;
	}
	if (!rc)
		rc = hcm_ngram_reduce_new(
			t, &kind,
			(o->drop_first ? HCM_REDUCE_DROP_FIRST
				       : HCM_REDUCE_DROP_LAST) |
				(o->distinct ? HCM_REDUCE_DISTINCT
					     : HCM_REDUCE_SUM),
			&r);
	if (rc) {
		cli_error(argv[0], "%s", hc_strerror(rc));
		hc_table_close(t);
		return 1;
	}
	rc = hc_table_save(r, o->output);
	if (rc)
		save_error(o->output, rc);
	hc_table_close(r);
	hc_table_close(t);
	return rc ? 1 : 0;
}

/* Long options without a letter (docs/cli.md, "Option letters"). */
enum { OPT_LENGTH = 256, OPT_SEED, OPT_PRIME };

int cmd_model(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "discount", required_argument, NULL, 'd' },
		{ "top", required_argument, NULL, 'n' },
		{ "length", required_argument, NULL, OPT_LENGTH },
		/* The old name of --length, kept as it was. */
		{ "tokens", required_argument, NULL, OPT_LENGTH },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "prime", required_argument, NULL, OPT_PRIME },
		{ "output", required_argument, NULL, 'o' },
		{ "drop", required_argument, NULL, 'D' },
		{ "distinct", no_argument, NULL, 'X' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0, 10, 100, 1, NULL, NULL, 0, 0, 0, 0 };
	const char *sub;
	char *end;
	int c;

	if (argc < 2) {
		cli_error(NULL,
			  "give a command: info, prob, perplexity, "
			  "sample, unseen, heaps, genome, walk, reduce (try "
			  "--help)");
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(stdout);
		return 0;
	}
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			o.discount = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o.discount > 0 && o.discount <= 1)) {
				cli_error("--discount",
					  "invalid discount '%s' (0 < D <= 1)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
		case OPT_LENGTH:
		case OPT_SEED: {
			uint64_t v;

			if (parse_u64(optarg, &v) ||
			    (c == 'n' && (v == 0 || v > 1000000))) {
				cli_error(c == 'n'	    ? "--top"
					  : c == OPT_LENGTH ? "--length"
							    : "--seed",
					  "invalid number '%s'", optarg);
				return EXIT_USAGE;
			}
			if (c == 'n') {
				o.top = v;
				o.top_given = 1;
			} else if (c == OPT_LENGTH) {
				o.ntokens = v;
			} else {
				o.seed = v;
			}
			break;
		}
		case OPT_PRIME:
			o.prime = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'D':
			if (!strcmp(optarg, "first")) {
				o.drop_first = 1;
			} else if (!strcmp(optarg, "last")) {
				o.drop_first = 0;
			} else {
				cli_error("--drop", "'%s': use last or first",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'X':
			o.distinct = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_option(argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(sub, "info")) {
		if (argc != 1) {
			cli_error(NULL, "give exactly one table file");
			return EXIT_USAGE;
		}
		return run_info(argv[0], &o);
	}
	if (!strcmp(sub, "prob"))
		return run_prob(argc, argv, &o);
	if (!strcmp(sub, "perplexity"))
		return run_perplexity(argc, argv, &o);
	if (!strcmp(sub, "sample"))
		return run_sample(argc, argv, &o);
	if (!strcmp(sub, "unseen"))
		return run_unseen(argc, argv, &o);
	if (!strcmp(sub, "genome"))
		return run_genome(argc, argv, &o);
	if (!strcmp(sub, "heaps"))
		return run_heaps(argc, argv, &o);
	if (!strcmp(sub, "walk"))
		return run_walk(argc, argv);
	if (!strcmp(sub, "reduce"))
		return run_reduce(argc, argv, &o);
	cli_error(sub, "unknown command (try hogcount model --help)");
	return EXIT_USAGE;
}
