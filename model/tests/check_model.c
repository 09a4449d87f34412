/* SPDX-License-Identifier: MIT */
/*
 * check_model.c - unit.model: the n-gram read API (walks by context,
 * reductions), the unseen-mass estimates and the Kneser-Ney model.
 *
 * The oracle for the model is a reference written here from the
 * definitions, with no hogcount table: n-grams as strings in plain
 * arrays, continuation counts taken straight from the order-k windows
 * of the corpus, and the recursion written out.  The model must agree
 * with it to 1e-9 on every probability and on the perplexity.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hogcount_model.h"

/* ---- tables made the way hogcount count makes them ------------------ */

/* Tokens of a document: bytes, or words split on white space. */
struct toks {
	size_t n;
	const char *p[4096];
	size_t len[4096];
};

static int is_sp(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static void tokenize(int tokens, const char *doc, struct toks *t)
{
	size_t i = 0, n = strlen(doc);

	t->n = 0;
	while (i < n) {
		if (tokens == HCK_BYTES) {
			t->p[t->n] = doc + i;
			t->len[t->n++] = 1;
			i++;
			continue;
		}
		while (i < n && is_sp((unsigned char)doc[i]))
			i++;
		if (i == n)
			break;
		t->p[t->n] = doc + i;
		while (i < n && !is_sp((unsigned char)doc[i]))
			i++;
		t->len[t->n] = (size_t)(doc + i - t->p[t->n]);
		t->n++;
	}
}

/* The text form of tokens [a, b) into @buf; returns its length. */
static size_t join(int tokens, const struct toks *t, size_t a, size_t b,
		   char *buf)
{
	size_t o = 0;

	for (size_t i = a; i < b; i++) {
		if (i > a && tokens == HCK_WORDS)
			buf[o++] = ' ';
		memcpy(buf + o, t->p[i], t->len[i]);
		o += t->len[i];
	}
	buf[o] = 0;
	return o;
}

static hc_table *count_docs(int tokens, unsigned k, const char *const *docs,
			    size_t ndocs)
{
	hcm_ngram_kind kind = { tokens, k };
	static struct toks t;
	hc_options opt;
	hc_table *tab;
	char buf[8192];

	hc_options_init(&opt);
	opt.key_kind = hcm_ngram_key_kind(&kind);
	opt.capacity = 1 << 14;
	ck_assert_int_eq(hc_table_create(&tab, &opt), HC_OK);
	ck_assert_int_eq(hcm_ngram_kind_set(tab, &kind), HC_OK);
	for (size_t d = 0; d < ndocs; d++) {
		tokenize(tokens, docs[d], &t);
		for (size_t i = 0; i + k <= t.n; i++) {
			size_t len = join(tokens, &t, i, i + k, buf);

			if (opt.key_kind == HC_KEY_U64) {
				uint64_t v = 0;

				for (size_t j = 0; j < len; j++)
					v = v << 8 | (unsigned char)buf[j];
				ck_assert_int_eq(hc_add(tab, v, 1), HC_OK);
			} else {
				ck_assert_int_eq(hc_add_bytes(tab, buf, len, 1),
						 HC_OK);
			}
		}
	}
	return tab;
}

/* ---- the reference: strings in arrays ------------------------------- */

struct gram {
	char *s;
	uint64_t c;
};

struct grams {
	size_t n;
	struct gram g[8192];
};

static void grams_add(struct grams *g, const char *s, uint64_t c)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->g[i].s, s)) {
			g->g[i].c += c;
			return;
		}
	ck_assert_uint_lt(g->n, 8192);
	g->g[g->n].s = strdup(s);
	g->g[g->n++].c = c;
}

static uint64_t grams_get(const struct grams *g, const char *s)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->g[i].s, s))
			return g->g[i].c;
	return 0;
}

static void grams_free(struct grams *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->g[i].s);
	g->n = 0;
}

struct ref {
	int tokens;
	unsigned k;
	struct grams a[12]; /* a_n, n = 1..k */
	double d[12];
	size_t vocab; /* |V| */
	struct grams words;
};

/* a_k: counts of the order-k windows.  a_n, n < k: N1+(. v), the number
 * of distinct (n+1)-grams u v among the (n+1)-suffixes of the windows. */
static void ref_build(struct ref *r, int tokens, unsigned k,
		      const char *const *docs, size_t ndocs, double fixed)
{
	static struct toks t;
	static struct grams suff;
	char buf[8192];

	memset(r, 0, sizeof(*r));
	r->tokens = tokens;
	r->k = k;
	for (unsigned n = 1; n < k; n++) {
		grams_free(&suff);
		for (size_t d = 0; d < ndocs; d++) {
			tokenize(tokens, docs[d], &t);
			for (size_t i = 0; i + k <= t.n; i++) {
				join(tokens, &t, i + k - (n + 1), i + k, buf);
				if (!grams_get(&suff, buf))
					grams_add(&suff, buf, 1);
			}
		}
		for (size_t i = 0; i < suff.n; i++) {
			/* v = the suffix without its first token. */
			const char *s = suff.g[i].s;
			const char *v = tokens == HCK_BYTES
						? s + 1
						: strchr(s, ' ') + 1;

			grams_add(&r->a[n], v, 1);
		}
	}
	for (size_t d = 0; d < ndocs; d++) {
		tokenize(tokens, docs[d], &t);
		for (size_t i = 0; i + k <= t.n; i++) {
			join(tokens, &t, i, i + k, buf);
			grams_add(&r->a[k], buf, 1);
			for (size_t j = i; j < i + k && tokens == HCK_WORDS;
			     j++) {
				join(tokens, &t, j, j + 1, buf);
				if (!grams_get(&r->words, buf))
					grams_add(&r->words, buf, 1);
			}
		}
	}
	r->vocab = tokens == HCK_BYTES ? 256 : r->words.n + 1;
	for (unsigned n = 1; n <= k; n++) {
		uint64_t f1 = 0, f2 = 0;

		for (size_t i = 0; i < r->a[n].n; i++) {
			f1 += r->a[n].g[i].c == 1;
			f2 += r->a[n].g[i].c == 2;
		}
		r->d[n] = fixed > 0 ? fixed
			  : f1 == 0 ? 0.5
				    : (double)f1 /
					      ((double)f1 + 2.0 * (double)f2);
	}
}

static void ref_free(struct ref *r)
{
	for (unsigned n = 1; n <= r->k; n++)
		grams_free(&r->a[n]);
	grams_free(&r->words);
}

/* P_n(w | h), h the text of n-1 tokens; the recursion as written. */
static double ref_p(const struct ref *r, unsigned n, const struct toks *t,
		    size_t h0, size_t w)
{
	double s = 0, u = 0, lower, a;
	char hb[8192], gb[8192];
	size_t hl;

	if (n == 0)
		return 1.0 / (double)r->vocab;
	lower = ref_p(r, n - 1, t, h0 + 1, w);
	hl = join(r->tokens, t, h0, w, hb);
	for (size_t i = 0; i < r->a[n].n; i++) {
		const char *g = r->a[n].g[i].s;
		size_t gl = strlen(g);

		/* Entries h x: the context, then (words) a space, then one
		 * token. */
		if (n > 1 && (gl <= hl || memcmp(g, hb, hl)))
			continue;
		if (n > 1 && r->tokens == HCK_WORDS &&
		    (g[hl] != ' ' || strchr(g + hl + 1, ' ')))
			continue;
		if (n > 1 && r->tokens == HCK_BYTES && gl != hl + 1)
			continue;
		s += (double)r->a[n].g[i].c;
		u += 1;
	}
	if (s == 0)
		return lower;
	join(r->tokens, t, h0, w + 1, gb);
	a = (double)grams_get(&r->a[n], gb);
	return fmax(a - r->d[n], 0) / s + r->d[n] * u / s * lower;
}

/* ---- tests ---------------------------------------------------------- */

static int count_fn(void *arg, const hcm_ngram *g)
{
	struct {
		int n;
		uint64_t sum;
	} *acc = arg;

	acc->n++;
	acc->sum += g->count;
	return 0;
}

START_TEST(test_walk_context)
{
	static const char *doc[] = { "abracadabra" };
	hcm_ngram_kind kind = { HCK_BYTES, 3 };
	hc_table *t = count_docs(HCK_BYTES, 3, doc, 1);
	uint64_t c = 0;
	struct {
		int n;
		uint64_t sum;
	} acc = { 0, 0 };

	ck_assert_int_eq(hcm_ngram_get(t, &kind, "abr", 3, &c), HC_OK);
	ck_assert_uint_eq(c, 2);
	ck_assert_int_eq(hcm_ngram_get(t, &kind, "ab", 2, &c), HC_ERANGE);
	ck_assert_int_eq(hcm_ngram_walk(t, &kind, "a", 1, count_fn, &acc),
			 HC_OK);
	/* abr x2, aca, ada */
	ck_assert_int_eq(acc.n, 3);
	ck_assert_uint_eq(acc.sum, 4);
	acc.n = 0;
	acc.sum = 0;
	ck_assert_int_eq(hcm_ngram_walk(t, &kind, NULL, 0, count_fn, &acc),
			 HC_OK);
	ck_assert_int_eq(acc.n, 7);
	ck_assert_uint_eq(acc.sum, 9);
	ck_assert_int_eq(hcm_ngram_walk(t, &kind, "abra", 4, count_fn, &acc),
			 HC_ERANGE);
	hc_table_close(t);
}
END_TEST

static int collect(void *arg, const hcm_ngram *g)
{
	struct grams *gs = arg;
	char buf[256];

	memcpy(buf, g->text, g->len);
	buf[g->len] = 0;
	grams_add(gs, buf, g->count);
	return 0;
}

START_TEST(test_walk_words)
{
	static const char *doc[] = { "the cat sat on the mat the cat ran",
				     "the cathode" };
	hcm_ngram_kind kind = { HCK_WORDS, 2 };
	hc_table *t = count_docs(HCK_WORDS, 2, doc, 2);
	static struct grams g;

	ck_assert_int_eq(hcm_ngram_walk(t, &kind, "the cat", 7, collect, &g),
			 HC_OK);
	/* "the cat" itself, not "the cathode". */
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(grams_get(&g, "the cat"), 2);
	grams_free(&g);
	ck_assert_int_eq(hcm_ngram_walk(t, &kind, "the", 3, collect, &g),
			 HC_OK);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(grams_get(&g, "the mat"), 1);
	ck_assert_uint_eq(grams_get(&g, "the cathode"), 1);
	grams_free(&g);
	hc_table_close(t);
}
END_TEST

/* Reductions against the windows, for packed, byte and word keys. */
static void check_reduce(int tokens, unsigned k, const char *const *docs,
			 size_t ndocs)
{
	hcm_ngram_kind kind = { tokens, k }, sub = { tokens, k - 1 };
	hc_table *t = count_docs(tokens, k, docs, ndocs), *r;
	static struct grams want, got;
	static struct toks tk;
	char buf[8192];
	hcm_ngram_kind rk;

	for (int how = 0; how < 4; how++) {
		int last = how & 1, distinct = how & 2;
		static struct grams seen;

		grams_free(&want);
		grams_free(&got);
		grams_free(&seen);
		for (size_t d = 0; d < ndocs; d++) {
			tokenize(tokens, docs[d], &tk);
			for (size_t i = 0; i + k <= tk.n; i++) {
				join(tokens, &tk, i, i + k, buf);
				if (distinct && grams_get(&seen, buf))
					continue;
				grams_add(&seen, buf, 1);
				join(tokens, &tk, last ? i : i + 1,
				     last ? i + k - 1 : i + k, buf);
				grams_add(&want, buf, 1);
			}
		}
		ck_assert_int_eq(hcm_ngram_reduce_new(
					 t, &kind,
					 (last ? HCM_REDUCE_DROP_LAST
					       : HCM_REDUCE_DROP_FIRST) |
						 (distinct ? HCM_REDUCE_DISTINCT
							   : HCM_REDUCE_SUM),
					 &r),
				 HC_OK);
		ck_assert_int_eq(hcm_ngram_kind_get(r, &rk), HC_OK);
		ck_assert_int_eq(rk.order, sub.order);
		ck_assert_int_eq(
			hcm_ngram_walk(r, &sub, NULL, 0, collect, &got), HC_OK);
		ck_assert_uint_eq(got.n, want.n);
		for (size_t i = 0; i < want.n; i++)
			ck_assert_msg(grams_get(&got, want.g[i].s) ==
					      want.g[i].c,
				      "%s: want %llu", want.g[i].s,
				      (unsigned long long)want.g[i].c);
		hc_table_close(r);
		grams_free(&seen);
	}
	grams_free(&want);
	grams_free(&got);
	hc_table_close(t);
}

static const char *const corpus_bytes[] = {
	"the cat sat on the mat.\nthe cat ran after the rat.\n",
	"a rat sat; a cat sat.\n",
	"that hat.\n",
};

static const char *const corpus_words[] = {
	"the cat sat on the mat the cat ran after the rat",
	"a rat sat a cat sat on a hat",
	"that hat is the hat of the cat",
	"cat",
};

START_TEST(test_reduce)
{
	check_reduce(HCK_BYTES, 3, corpus_bytes, 3);
	check_reduce(HCK_BYTES, 9, corpus_bytes, 3); /* bytes -> u64 */
	check_reduce(HCK_BYTES, 11, corpus_bytes, 3);
	check_reduce(HCK_WORDS, 2, corpus_words, 4);
	check_reduce(HCK_WORDS, 3, corpus_words, 4);
}
END_TEST

START_TEST(test_reduce_errors)
{
	hcm_ngram_kind kind = { HCK_BYTES, 3 }, one = { HCK_BYTES, 1 };
	hc_table *t = count_docs(HCK_BYTES, 3, corpus_bytes, 1), *w;
	hc_options opt;

	hc_options_init(&opt);
	opt.key_kind = HC_KEY_BYTES;
	ck_assert_int_eq(hc_table_create(&w, &opt), HC_OK);
	ck_assert_int_eq(hcm_ngram_reduce(t, &kind,
					  HCM_REDUCE_DROP_LAST | HCM_REDUCE_SUM,
					  w),
			 HC_EKIND);
	ck_assert_int_eq(hcm_ngram_reduce(t, &kind, HCM_REDUCE_SUM, w),
			 HC_EINVAL);
	ck_assert_int_eq(hcm_ngram_reduce(t, &one,
					  HCM_REDUCE_DROP_LAST | HCM_REDUCE_SUM,
					  w),
			 HC_EINVAL);
	hc_table_close(w);
	hc_table_close(t);
}
END_TEST

START_TEST(test_unseen)
{
	hc_table *t;
	hcm_unseen u;
	static const uint64_t c[] = { 1, 1, 1, 2, 2, 5 };

	ck_assert_int_eq(hc_table_create(&t, NULL), HC_OK);
	for (uint64_t i = 0; i < 6; i++)
		ck_assert_int_eq(hc_add(t, i * 977, c[i]), HC_OK);
	u.size = sizeof(u);
	ck_assert_int_eq(hcm_unseen_estimate(t, &u), HC_OK);
	ck_assert_uint_eq(u.distinct, 6);
	ck_assert_uint_eq(u.total, 12);
	ck_assert_uint_eq(u.f1, 3);
	ck_assert_uint_eq(u.f2, 2);
	ck_assert_double_eq_tol(u.good_turing, 0.25, 1e-12);
	/* 6 + 3^2 / (2 * 2) */
	ck_assert_double_eq_tol(u.chao1, 8.25, 1e-12);
	ck_assert_double_eq_tol(u.unseen, 2.25, 1e-12);
	hc_table_close(t);
}
END_TEST

/*
 * The toy corpus "abab", bytes, order 2, D = 0.5, by hand:
 *   a_2: ab 2, ba 1.   a_1 = N1+(. w): b 1 (from ab), a 1 (from ba).
 *   S_1 = 2, U_1 = 2;  S_2(a) = 2, U_2(a) = 1;  S_2(b) = 1, U_2(b) = 1.
 *   P_1(a) = P_1(b) = (1 - .5) / 2 + .5 * 2 / 2 / 256 = 1/4 + 1/512
 *   P(b | a) = (2 - .5) / 2 + .5 * 1 / 2 * P_1(b) = 0.81298828125
 *   P(a | b) = (1 - .5) / 1 + .5 * 1 / 1 * P_1(a) = 0.6259765625
 *   P(c | a) = .5 * 1 / 2 * (.5 * 2 / 2 / 256) = 1/2048
 * Held-out "abab" scores b|a, a|b, b|a: perplexity
 *   2^(-(2 log2 0.81298828125 + log2 0.6259765625) / 3) = 1.342016
 */
START_TEST(test_toy_by_hand)
{
	static const char *doc[] = { "abab" };
	hc_table *t = count_docs(HCK_BYTES, 2, doc, 1);
	hcm_model_options mo;
	hcm_model *m;
	hcm_score s;
	double p, want;

	hcm_model_options_init(&mo);
	mo.discount = 0.5;
	ck_assert_int_eq(hcm_model_build(&m, t, &mo), HC_OK);
	ck_assert_int_eq(hcm_model_prob(m, "a", 1, "b", 1, &p), HC_OK);
	ck_assert_double_eq_tol(p, 0.81298828125, 1e-15);
	ck_assert_int_eq(hcm_model_prob(m, "xyzb", 4, "a", 1, &p), HC_OK);
	ck_assert_double_eq_tol(p, 0.6259765625, 1e-15);
	ck_assert_int_eq(hcm_model_prob(m, "a", 1, "c", 1, &p), HC_OK);
	ck_assert_double_eq_tol(p, 1.0 / 2048, 1e-15);
	ck_assert_int_eq(hcm_model_prob(m, "", 0, "a", 1, &p), HC_OK);
	ck_assert_double_eq_tol(p, 0.25 + 1.0 / 512, 1e-15);
	ck_assert_int_eq(hcm_model_prob(m, "a", 1, "bc", 2, &p), HC_EINVAL);
	hcm_score_init(&s);
	ck_assert_int_eq(hcm_model_score(m, "abab", 4, &s), HC_OK);
	ck_assert_uint_eq(s.tokens, 3);
	want = exp2(-(2 * log2(0.81298828125) + log2(0.6259765625)) / 3);
	ck_assert_double_eq_tol(hcm_score_perplexity(&s), want, 1e-12);
	ck_assert_double_eq_tol(want, 1.342016, 1e-6);
	hcm_model_free(m);
	hc_table_close(t);
}
END_TEST

struct sum {
	const hcm_model *m;
	const char *ctx;
	size_t ctx_len;
	double sum;
	const struct ref *r;
	int checked;
};

static int sum_one(void *arg, const void *tok, size_t len)
{
	struct sum *s = arg;
	double p;

	ck_assert_int_eq(hcm_model_prob(s->m, s->ctx, s->ctx_len, tok, len, &p),
			 HC_OK);
	ck_assert(p > 0);
	s->sum += p;
	/* The reference keeps C strings: no NUL bytes. */
	if (s->r && !(len == 1 && !*(const char *)tok)) {
		/* The same probability from the reference. */
		static struct toks t;
		static char doc[8192];
		const struct ref *r = s->r;
		double want;
		size_t o = s->ctx_len;

		memcpy(doc, s->ctx, s->ctx_len);
		if (r->tokens == HCK_WORDS)
			doc[o++] = ' ';
		if (len) {
			memcpy(doc + o, tok, len);
			o += len;
		} else {
			memcpy(doc + o, "<never-seen>", 12);
			o += 12;
		}
		doc[o] = 0;
		tokenize(r->tokens, doc, &t);
		if (t.n > r->k) {
			memmove(t.p, t.p + t.n - r->k, r->k * sizeof(*t.p));
			memmove(t.len, t.len + t.n - r->k,
				r->k * sizeof(*t.len));
			t.n = r->k;
		}
		want = ref_p(r, (unsigned)t.n, &t, 0, t.n - 1);
		ck_assert_msg(fabs(p - want) < 1e-12 * fmax(1, want),
			      "P(%.*s | %.*s) = %.17g, reference %.17g",
			      (int)len, (const char *)tok, (int)s->ctx_len,
			      s->ctx, p, want);
		s->checked++;
	}
	return 0;
}

struct ctxs {
	const hcm_model *m;
	const struct ref *r;
	int contexts;
};

/* For every order-k n-gram, its context (the first k-1 tokens). */
static int each_context(void *arg, const hcm_ngram *g)
{
	struct ctxs *c = arg;
	struct sum s = { c->m, (const char *)g->text, g->len, 0, NULL, 0 };
	size_t i = g->len;

	/* Every context sums to one; the first 40 are also compared with
	 * the reference, token by token (the reference is slow). */
	if (c->contexts < 40)
		s.r = c->r;
	if (c->r->tokens == HCK_BYTES) {
		s.ctx_len = g->len - 1;
	} else {
		while (i > 0 && g->text[i - 1] != ' ')
			i--;
		s.ctx_len = i ? i - 1 : 0;
	}
	ck_assert_int_eq(hcm_model_vocab_walk(c->m, sum_one, &s), HC_OK);
	ck_assert_msg(fabs(s.sum - 1) < 1e-9, "sum %.15f for '%.*s'", s.sum,
		      (int)s.ctx_len, s.ctx);
	c->contexts++;
	return 0;
}

/* Every context of the table, and a few unseen ones: sums to one, and
 * agrees with the reference; then the perplexity of held-out text. */
static void check_model(int tokens, unsigned k, const char *const *docs,
			size_t ndocs, double fixed, const char *heldout)
{
	hc_table *t = count_docs(tokens, k, docs, ndocs);
	hcm_ngram_kind kind = { tokens, k };
	static struct ref r;
	static struct toks ht;
	hcm_model_options mo;
	hcm_model_info info;
	hcm_model *m;
	struct ctxs c;
	hcm_score s;
	double lsum = 0;
	uint64_t n = 0;
	static const char *unseen[] = { "", "zq", "the dog", "q", "cat zz" };

	hcm_model_options_init(&mo);
	mo.discount = fixed;
	ck_assert_int_eq(hcm_model_build(&m, t, &mo), HC_OK);
	ref_build(&r, tokens, k, docs, ndocs, fixed);
	info.size = sizeof(info);
	ck_assert_int_eq(hcm_model_info_get(m, &info), HC_OK);
	ck_assert_uint_eq(info.vocab, r.vocab);
	for (unsigned i = 1; i <= k; i++) {
		ck_assert_double_eq_tol(info.discount[i], r.d[i], 1e-15);
		ck_assert_uint_eq(info.grams[i], r.a[i].n);
	}
	c.m = m;
	c.r = &r;
	c.contexts = 0;
	ck_assert_int_eq(hcm_ngram_walk(t, &kind, NULL, 0, each_context, &c),
			 HC_OK);
	ck_assert_int_gt(c.contexts, 0);
	for (size_t i = 0; i < sizeof(unseen) / sizeof(*unseen); i++) {
		struct sum su = { m, unseen[i], strlen(unseen[i]), 0, &r, 0 };

		ck_assert_int_eq(hcm_model_vocab_walk(m, sum_one, &su), HC_OK);
		ck_assert_double_eq_tol(su.sum, 1.0, 1e-9);
	}
	/* Perplexity: tokens with k-1 predecessors, as the reference. */
	hcm_score_init(&s);
	ck_assert_int_eq(hcm_model_score(m, heldout, strlen(heldout), &s),
			 HC_OK);
	tokenize(tokens, heldout, &ht);
	for (size_t i = k - 1; i < ht.n; i++) {
		static struct toks w;

		w.n = k;
		for (size_t j = 0; j < k; j++) {
			w.p[j] = ht.p[i + 1 - k + j];
			w.len[j] = ht.len[i + 1 - k + j];
		}
		lsum += log2(ref_p(&r, k, &w, 0, k - 1));
		n++;
	}
	ck_assert_uint_eq(s.tokens, n);
	ck_assert_double_eq_tol(s.log2_sum, lsum, 1e-9);
	ck_assert(hcm_score_perplexity(&s) > 1);
	ref_free(&r);
	hcm_model_free(m);
	hc_table_close(t);
}

START_TEST(test_model_bytes)
{
	const char *held = "the rat sat on a cat.\nzebra!\n";

	for (unsigned k = 1; k <= 4; k++) {
		check_model(HCK_BYTES, k, corpus_bytes, 3, 0, held);
		check_model(HCK_BYTES, k, corpus_bytes, 3, 0.75, held);
	}
	/* Byte keys at the top, u64 keys from order 8 down. */
	check_model(HCK_BYTES, 9, corpus_bytes, 3, 0, held);
}
END_TEST

START_TEST(test_model_words)
{
	const char *held = "the cat sat on the hat and the dog ran";

	for (unsigned k = 1; k <= 4; k++) {
		check_model(HCK_WORDS, k, corpus_words, 4, 0, held);
		check_model(HCK_WORDS, k, corpus_words, 4, 0.6, held);
	}
}
END_TEST

/* A random corpus over a small alphabet, against the reference. */
START_TEST(test_model_random)
{
	static char docs[3][400];
	const char *dp[3] = { docs[0], docs[1], docs[2] };
	uint64_t x = 12345 + (uint64_t)_i;

	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < 399; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			docs[d][i] = "abcab  \nd"[(x >> 33) % 9];
		}
		docs[d][399] = 0;
	}
	check_model(HCK_BYTES, 1 + (unsigned)_i % 5, dp, 3, 0, "abcd ab\nca");
	check_model(HCK_WORDS, 1 + (unsigned)_i % 3, dp, 3, 0,
		    "ab ca bb a\nd c");
}
END_TEST

struct collect_out {
	char buf[65536];
	size_t n;
};

static int out_tok(void *arg, const void *tok, size_t len)
{
	struct collect_out *o = arg;

	ck_assert_uint_lt(o->n + len + 1, sizeof(o->buf));
	memcpy(o->buf + o->n, tok, len);
	o->n += len;
	return 0;
}

START_TEST(test_sample)
{
	static const char *doc[] = { "abab" };
	static const char *wdocs[] = { "the cat sat on the mat",
				       "the dog sat on the cat" };
	hc_table *t = count_docs(HCK_BYTES, 2, doc, 1), *wt;
	static struct collect_out o1, o2;
	hcm_model_options mo;
	hcm_model *m;
	uint64_t rng = 7;
	size_t ab = 0, a = 0;

	hcm_model_options_init(&mo);
	mo.discount = 0.5;
	ck_assert_int_eq(hcm_model_build(&m, t, &mo), HC_OK);
	o1.n = 0;
	ck_assert_int_eq(hcm_model_sample(m, &rng, "a", 1, 20000, out_tok, &o1),
			 HC_OK);
	ck_assert_uint_eq(o1.n, 20000);
	/* P(b | a) = 0.81298828125 (test_toy_by_hand). */
	for (size_t i = 0; i + 1 < o1.n; i++)
		if (o1.buf[i] == 'a') {
			a++;
			ab += o1.buf[i + 1] == 'b';
		}
	ck_assert_int_gt(a, 1000);
	ck_assert_double_eq_tol((double)ab / (double)a, 0.81298828125, 0.03);
	/* Same seed, same text; no prime: starts with a drawn context. */
	rng = 99;
	o1.n = 0;
	ck_assert_int_eq(hcm_model_sample(m, &rng, NULL, 0, 50, out_tok, &o1),
			 HC_OK);
	ck_assert_uint_eq(o1.n, 51);
	rng = 99;
	o2.n = 0;
	ck_assert_int_eq(hcm_model_sample(m, &rng, NULL, 0, 50, out_tok, &o2),
			 HC_OK);
	ck_assert(o1.n == o2.n && !memcmp(o1.buf, o2.buf, o1.n));
	hcm_model_free(m);
	hc_table_close(t);

	wt = count_docs(HCK_WORDS, 3, wdocs, 2);
	ck_assert_int_eq(hcm_model_build(&m, wt, &mo), HC_OK);
	rng = 3;
	o1.n = 0;
	ck_assert_int_eq(hcm_model_sample(m, &rng, NULL, 0, 200, out_tok, &o1),
			 HC_OK);
	ck_assert_uint_gt(o1.n, 200);
	hcm_model_free(m);
	hc_table_close(wt);
}
END_TEST

START_TEST(test_model_errors)
{
	hc_table *t;
	hcm_model *m;
	hcm_model_options mo;
	static const char *doc[] = { "abab" };

	/* No CLI record. */
	ck_assert_int_eq(hc_table_create(&t, NULL), HC_OK);
	ck_assert_int_eq(hcm_model_build(&m, t, NULL), HC_ECORRUPT);
	ck_assert_int_eq(hc_table_set_user(t,
					   "hogcount-cli 1 tokens=dna k=21 "
					   "canonical=0",
					   42),
			 HC_OK);
	ck_assert_int_eq(hcm_model_build(&m, t, NULL), HC_EKIND);
	hc_table_close(t);
	t = count_docs(HCK_BYTES, 2, doc, 1);
	hcm_model_options_init(&mo);
	mo.discount = 1.5;
	ck_assert_int_eq(hcm_model_build(&m, t, &mo), HC_EINVAL);
	hc_table_close(t);
}
END_TEST

static Suite *hcm_model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("ngram");

	tcase_add_test(tc, test_walk_context);
	tcase_add_test(tc, test_walk_words);
	tcase_add_test(tc, test_reduce);
	tcase_add_test(tc, test_reduce_errors);
	tcase_add_test(tc, test_unseen);
	suite_add_tcase(s, tc);
	tc = tcase_create("kn");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_toy_by_hand);
	tcase_add_test(tc, test_model_bytes);
	tcase_add_test(tc, test_model_words);
	tcase_add_loop_test(tc, test_model_random, 0, 4);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_model_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hcm_model_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
