/* SPDX-License-Identifier: MIT */
/*
 * kn.c - the interpolated Kneser-Ney model of order k (Chen and Goodman
 * 1999, one discount per order), built from one order-k hogcount table
 * and tables derived from it by reduction (docs/model.md).
 *
 * For order n, context h (n-1 tokens) and token w:
 *
 *	P_n(w | h) = max(a_n(h w) - D_n, 0) / S_n(h)
 *		     + D_n U_n(h) / S_n(h) * P_{n-1}(w | h')
 *
 * where h' is h without its first token, a_k is the raw count, a_n for
 * n < k the continuation count N1+(. h w) (distinct tokens seen before
 * h w), S_n(h) = sum over w of a_n(h w), U_n(h) = the number of w with
 * a_n(h w) > 0, and P_0 = 1 / |V|.  A context with S_n(h) = 0 takes
 * P_n = P_{n-1}; if h is unseen at order n it is unseen at every higher
 * order (a_n is a reduction of a_{n+1}), so the recursion stops there.
 * Since 0 < D_n <= 1 <= a for every stored a, the terms sum to
 * (S - D U) / S + D U / S = 1 over V, for every context.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcm_internal.h"

#define UNK "<unk>"

struct tref {
	const unsigned char *p;
	size_t len;
};

/* A sorted copy of one order's entries, for sampling. */
struct ent {
	const unsigned char *p; /* NULL: the text is inl */
	uint32_t len;
	unsigned char inl[8];
	uint64_t count;
};

struct sidx {
	size_t n;
	struct ent *e;
};

struct hcm_model {
	hcm_ngram_kind kind;
	unsigned k;
	const hc_table *num[HCM_NGRAM_ORDER_MAX + 1]; /* a_n */
	hc_table *own[HCM_NGRAM_ORDER_MAX + 1]; /* derived a_n, n < k */
	hc_table *csum[HCM_NGRAM_ORDER_MAX + 1]; /* S_n, n >= 2 */
	hc_table *cdist[HCM_NGRAM_ORDER_MAX + 1]; /* U_n, n >= 2 */
	uint64_t sum1, dist1; /* S_1, U_1 */
	double d[HCM_NGRAM_ORDER_MAX + 1];
	uint64_t grams[HCM_NGRAM_ORDER_MAX + 1];
	uint64_t tokens;
	hc_table *vocab; /* words: every word of the order-k keys */
	uint64_t nvocab; /* |V| */
	/* Sampling, built on first use. */
	struct sidx idx[HCM_NGRAM_ORDER_MAX + 1];
	struct tref *vlist;
	unsigned char bytes[256];
};

void hcm_model_options_init(hcm_model_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->size = sizeof(*opt);
}

static int get_stats(const hc_table *t, hc_stats *st)
{
	st->size = sizeof(*st);
	return hc_table_stats(t, st);
}

/* D = f1 / (f1 + 2 f2) from the count-of-counts of @t. */
static int discount(const hc_table *t, double fixed, double *d)
{
	uint64_t hist[4];
	int rc;

	if (fixed > 0) {
		*d = fixed;
		return HC_OK;
	}
	rc = hc_histo(t, hist, 4);
	if (rc)
		return rc;
	if (hist[1] == 0)
		*d = 0.5;
	else
		*d = (double)hist[1] /
		     ((double)hist[1] + 2.0 * (double)hist[2]);
	return HC_OK;
}

struct vocab_fill {
	hc_table *v;
	int rc;
};

static int vocab_add(void *arg, const hcm_ngram *g)
{
	struct vocab_fill *f = arg;
	size_t i = 0;

	while (i < g->len) {
		size_t j = i;

		while (j < g->len && g->text[j] != ' ')
			j++;
		if (j > i) {
			f->rc = hc_add_bytes(f->v, g->text + i, j - i, 1);
			if (f->rc)
				return 1;
		}
		i = j + 1;
	}
	return 0;
}

static int build_vocab(hcm_model *m, const hc_stats *st)
{
	uint64_t cap = st->distinct + st->distinct / 3 + 1024;
	uint64_t arena = st->arena_used + 8192;

	for (int tries = 0; tries < 8; tries++) {
		struct vocab_fill f = { NULL, 0 };
		hc_options opt;
		hc_stats vs;
		int rc;

		hc_options_init(&opt);
		opt.key_kind = HC_KEY_BYTES;
		opt.capacity = cap;
		opt.arena_bytes = (arena + 7) & ~UINT64_C(7);
		rc = hc_table_create(&f.v, &opt);
		if (rc)
			return rc;
		rc = hcm_ngram_walk(m->num[m->k], &m->kind, NULL, 0, vocab_add,
				    &f);
		if (rc == 1)
			rc = f.rc;
		if (rc == HC_EFULL) {
			/* More distinct words than n-grams: grow. */
			hc_table_close(f.v);
			cap *= 2;
			arena *= 2;
			continue;
		}
		if (!rc)
			rc = get_stats(f.v, &vs);
		if (rc) {
			hc_table_close(f.v);
			return rc;
		}
		m->vocab = f.v;
		m->nvocab = vs.distinct + 1;
		return HC_OK;
	}
	return HC_EFULL;
}

int hcm_model_build(hcm_model **out, const hc_table *t,
		    const hcm_model_options *opt)
{
	hcm_model_options def;
	hcm_model *m;
	hc_stats st;
	double fixed;
	int rc;

	if (!out || !t)
		return HC_EINVAL;
	if (!opt) {
		hcm_model_options_init(&def);
		opt = &def;
	}
	if (opt->size < sizeof(*opt) || opt->discount < 0 ||
	    opt->discount > 1 || opt->discount != opt->discount)
		return HC_EINVAL;
	fixed = opt->discount;
	m = calloc(1, sizeof(*m));
	if (!m)
		return HC_ENOMEM;
	for (int i = 0; i < 256; i++)
		m->bytes[i] = (unsigned char)i;
	rc = hcm_ngram_kind_get(t, &m->kind);
	if (rc)
		goto fail;
	m->k = m->kind.order;
	m->num[m->k] = t;
	rc = get_stats(t, &st);
	if (rc)
		goto fail;
	m->tokens = st.total;
	/* Continuation counts, top down: a_n = N1+(. v) over a_{n+1}. */
	for (unsigned n = m->k - 1; n >= 1; n--) {
		hcm_ngram_kind kn = { m->kind.tokens, n + 1 };

		rc = hcm_ngram_reduce_new(m->num[n + 1], &kn,
					  HCM_REDUCE_DROP_FIRST |
						  HCM_REDUCE_DISTINCT,
					  &m->own[n]);
		if (rc)
			goto fail;
		m->num[n] = m->own[n];
	}
	for (unsigned n = 1; n <= m->k; n++) {
		hcm_ngram_kind kn = { m->kind.tokens, n };
		hc_stats ns;

		rc = get_stats(m->num[n], &ns);
		if (!rc)
			rc = discount(m->num[n], fixed, &m->d[n]);
		if (rc)
			goto fail;
		m->grams[n] = ns.distinct;
		if (n == 1) {
			m->sum1 = ns.total;
			m->dist1 = ns.distinct;
			continue;
		}
		rc = hcm_ngram_reduce_new(m->num[n], &kn,
					  HCM_REDUCE_DROP_LAST | HCM_REDUCE_SUM,
					  &m->csum[n]);
		if (!rc)
			rc = hcm_ngram_reduce_new(m->num[n], &kn,
						  HCM_REDUCE_DROP_LAST |
							  HCM_REDUCE_DISTINCT,
						  &m->cdist[n]);
		if (rc)
			goto fail;
	}
	if (m->kind.tokens == HCK_WORDS) {
		rc = build_vocab(m, &st);
		if (rc)
			goto fail;
	} else {
		m->nvocab = 256;
	}
	*out = m;
	return HC_OK;
fail:
	hcm_model_free(m);
	return rc;
}

void hcm_model_free(hcm_model *m)
{
	if (!m)
		return;
	for (unsigned n = 0; n <= HCM_NGRAM_ORDER_MAX; n++) {
		hc_table_close(m->own[n]);
		hc_table_close(m->csum[n]);
		hc_table_close(m->cdist[n]);
		free(m->idx[n].e);
	}
	hc_table_close(m->vocab);
	free(m->vlist);
	free(m);
}

int hcm_model_info_get(const hcm_model *m, hcm_model_info *info)
{
	if (!m || !info || info->size < sizeof(*info))
		return HC_EINVAL;
	memset((char *)info + sizeof(info->size), 0,
	       sizeof(*info) - sizeof(info->size));
	info->kind = m->kind;
	info->vocab = m->nvocab;
	info->tokens = m->tokens;
	for (unsigned n = 1; n <= m->k; n++) {
		info->discount[n] = m->d[n];
		info->grams[n] = m->grams[n];
	}
	return HC_OK;
}

/* ---- probabilities ------------------------------------------------- */

/* Join tokens into @buf as the text form: bytes back to back, words
 * with one space between. */
static size_t join(const hcm_model *m, const struct tref *t, size_t n,
		   unsigned char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i && m->kind.tokens == HCK_WORDS)
			buf[o++] = ' ';
		memcpy(buf + o, t[i].p, t[i].len);
		o += t[i].len;
	}
	return o;
}

/* S_n(h) and U_n(h) for the context text @h of order n-1. */
static int ctx_counts(const hcm_model *m, unsigned n, const unsigned char *h,
		      size_t hl, uint64_t *s, uint64_t *u)
{
	int rc;

	if (n == 1) {
		*s = m->sum1;
		*u = m->dist1;
		return HC_OK;
	}
	rc = hcm__count(m->csum[n], m->kind.tokens, n - 1, h, hl, s);
	if (!rc && *s)
		rc = hcm__count(m->cdist[n], m->kind.tokens, n - 1, h, hl, u);
	return rc;
}

/*
 * P(@w | @ctx), @nctx tokens of context (at most k-1 are used), into
 * @p.  @w->len 0 is the unknown word.  @buf holds any n-gram of these
 * tokens.
 */
static int prob_refs(const hcm_model *m, const struct tref *ctx, size_t nctx,
		     const struct tref *w, unsigned char *buf, double *p)
{
	double pr = 1.0 / (double)m->nvocab;
	int rc;

	if (nctx > m->k - 1) {
		ctx += nctx - (m->k - 1);
		nctx = m->k - 1;
	}
	for (unsigned n = 1; n <= nctx + 1; n++) {
		const struct tref *h = ctx + nctx - (n - 1);
		uint64_t s = 0, u = 0, a = 0;
		size_t hl, gl;
		double d = m->d[n];

		hl = join(m, h, n - 1, buf);
		rc = ctx_counts(m, n, buf, hl, &s, &u);
		if (rc)
			return rc;
		if (s == 0)
			break;
		if (w->len) {
			gl = hl;
			if (n > 1 && m->kind.tokens == HCK_WORDS)
				buf[gl++] = ' ';
			memcpy(buf + gl, w->p, w->len);
			gl += w->len;
			rc = hcm__count(m->num[n], m->kind.tokens, n, buf, gl,
					&a);
			if (rc)
				return rc;
		}
		pr = ((double)a > d ? (double)a - d : 0.0) / (double)s +
		     d * (double)u / (double)s * pr;
	}
	*p = pr;
	return HC_OK;
}

/* Split @text into at most @max tokens from the end (the last ones). */
static size_t split_tail(const hcm_model *m, const unsigned char *text,
			 size_t len, struct tref *out, size_t max)
{
	size_t n = 0, i = len;

	if (m->kind.tokens == HCK_BYTES) {
		n = len < max ? len : max;
		for (size_t j = 0; j < n; j++) {
			out[j].p = text + len - n + j;
			out[j].len = 1;
		}
		return n;
	}
	/* Words, right to left, then reverse. */
	while (n < max) {
		size_t e;

		while (i > 0 && hck_is_space(text[i - 1]))
			i--;
		if (i == 0)
			break;
		e = i;
		while (i > 0 && !hck_is_space(text[i - 1]))
			i--;
		out[n].p = text + i;
		out[n].len = e - i;
		n++;
	}
	for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
		struct tref x = out[a];

		out[a] = out[b];
		out[b] = x;
	}
	return n;
}

/* Words: is @w in the vocabulary?  (Unknown words score as UNK.) */
static int known(const hcm_model *m, const struct tref *w, int *yes)
{
	uint64_t c = 0;
	int rc;

	if (m->kind.tokens == HCK_BYTES) {
		*yes = 1;
		return HC_OK;
	}
	if (!w->len) {
		*yes = 0;
		return HC_OK;
	}
	rc = hc_get_bytes(m->vocab, w->p, w->len, &c);
	*yes = c != 0;
	return rc;
}

int hcm_model_prob(const hcm_model *m, const void *ctx, size_t ctx_len,
		   const void *next, size_t next_len, double *p)
{
	struct tref t[HCM_NGRAM_ORDER_MAX], w;
	unsigned char *buf;
	size_t nctx, cap;
	int rc, yes;

	if (!m || !p || (ctx_len && !ctx) || (next_len && !next))
		return HC_EINVAL;
	if (m->kind.tokens == HCK_BYTES && next_len != 1)
		return HC_EINVAL;
	nctx = split_tail(m, ctx, ctx_len, t, m->k - 1);
	w.p = next;
	w.len = next_len;
	rc = known(m, &w, &yes);
	if (rc)
		return rc;
	if (!yes)
		w.len = 0;
	cap = ctx_len + next_len + m->k + 1;
	buf = malloc(cap);
	if (!buf)
		return HC_ENOMEM;
	rc = prob_refs(m, t, nctx, &w, buf, p);
	free(buf);
	return rc;
}

int hcm_model_vocab_walk(const hcm_model *m, hcm_model_token_fn fn, void *arg)
{
	hc_iter *it;
	hc_entry e;
	int rc, stop = 0;

	if (!m || !fn)
		return HC_EINVAL;
	if (m->kind.tokens == HCK_BYTES) {
		for (int i = 0; i < 256; i++) {
			stop = fn(arg, &m->bytes[i], 1);
			if (stop)
				return stop;
		}
		return HC_OK;
	}
	rc = hc_iter_create(m->vocab, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		stop = fn(arg, e.bytes, e.len);
		if (stop)
			break;
	}
	hc_iter_destroy(it);
	if (stop)
		return stop;
	if (rc < 0)
		return rc;
	return fn(arg, NULL, 0);
}

/* ---- scoring held-out text ----------------------------------------- */

void hcm_score_init(hcm_score *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
}

double hcm_score_cross_entropy(const hcm_score *s)
{
	return s->tokens ? -s->log2_sum / (double)s->tokens : 0.0;
}

double hcm_score_perplexity(const hcm_score *s)
{
	return exp2(hcm_score_cross_entropy(s));
}

int hcm_model_score(const hcm_model *m, const void *text, size_t len,
		    hcm_score *acc)
{
	const unsigned char *s = text;
	struct tref win[HCM_NGRAM_ORDER_MAX];
	unsigned char *buf = NULL;
	size_t have = 0, cap = 0, i = 0;
	const size_t need = m ? m->k - 1 : 0;
	int rc = HC_OK;

	if (!m || !acc || acc->size < sizeof(*acc) || (len && !text))
		return HC_EINVAL;
	if (m->kind.tokens == HCK_BYTES) {
		cap = m->k + 1;
		buf = malloc(cap);
		if (!buf)
			return HC_ENOMEM;
	}
	while (i < len) {
		struct tref w;
		double p;
		int yes;

		if (m->kind.tokens == HCK_BYTES) {
			w.p = s + i++;
			w.len = 1;
		} else {
			while (i < len && hck_is_space(s[i]))
				i++;
			if (i == len)
				break;
			w.p = s + i;
			while (i < len && !hck_is_space(s[i]))
				i++;
			w.len = (size_t)(s + i - w.p);
		}
		if (have == need) {
			struct tref q = w;

			if (m->kind.tokens == HCK_WORDS) {
				size_t want = w.len + 1;

				for (size_t j = 0; j < have; j++)
					want += win[j].len + 1;
				if (want > cap) {
					unsigned char *nb;

					cap = want * 2;
					nb = realloc(buf, cap);
					if (!nb) {
						rc = HC_ENOMEM;
						break;
					}
					buf = nb;
				}
			}
			rc = known(m, &q, &yes);
			if (rc)
				break;
			if (!yes) {
				q.len = 0;
				acc->oov++;
			}
			rc = prob_refs(m, win, have, &q, buf, &p);
			if (rc)
				break;
			acc->tokens++;
			acc->log2_sum += log2(p);
		}
		/* Slide the window of the last k-1 tokens. */
		if (need == 0)
			continue;
		if (have == need) {
			memmove(win, win + 1, (need - 1) * sizeof(*win));
			have--;
		}
		win[have++] = w;
	}
	free(buf);
	return rc;
}

/* ---- sampling ------------------------------------------------------ */

static const unsigned char *ent_text(const struct ent *e)
{
	return e->p ? e->p : e->inl;
}

static int ent_cmp_text(const unsigned char *a, size_t al,
			const unsigned char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;

	return ent_cmp_text(ent_text(a), a->len, ent_text(b), b->len);
}

struct idx_fill {
	struct sidx *s;
	size_t cap;
	int packed;
	int rc;
};

static int idx_add(void *arg, const hcm_ngram *g)
{
	struct idx_fill *f = arg;
	struct ent *e;

	if (f->s->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		struct ent *ne = realloc(f->s->e, cap * sizeof(*ne));

		if (!ne) {
			f->rc = HC_ENOMEM;
			return 1;
		}
		f->s->e = ne;
		f->cap = cap;
	}
	e = &f->s->e[f->s->n++];
	e->len = (uint32_t)g->len;
	e->count = g->count;
	if (f->packed) {
		/* u64 keys are decoded into the walk's buffer: keep a copy. */
		e->p = NULL;
		memcpy(e->inl, g->text, g->len);
	} else {
		e->p = g->text;
	}
	return 0;
}

static int build_index(hcm_model *m)
{
	for (unsigned n = 1; n <= m->k; n++) {
		hcm_ngram_kind kn = { m->kind.tokens, n };
		struct idx_fill f = { &m->idx[n], 0,
				      hcm__packed(m->kind.tokens, n), 0 };
		int rc;

		if (m->idx[n].e)
			continue;
		rc = hcm_ngram_walk(m->num[n], &kn, NULL, 0, idx_add, &f);
		if (rc == 1)
			rc = f.rc;
		if (rc)
			return rc;
		qsort(m->idx[n].e, m->idx[n].n, sizeof(struct ent), ent_cmp);
	}
	if (m->kind.tokens == HCK_WORDS && !m->vlist) {
		hc_iter *it;
		hc_entry e;
		size_t i = 0;
		int rc;

		m->vlist = calloc(m->nvocab, sizeof(*m->vlist));
		if (!m->vlist)
			return HC_ENOMEM;
		rc = hc_iter_create(m->vocab, &it);
		if (rc)
			return rc;
		while (i + 1 < m->nvocab && (rc = hc_iter_next(it, &e)) == 1) {
			m->vlist[i].p = e.bytes;
			m->vlist[i++].len = e.len;
		}
		hc_iter_destroy(it);
		if (rc < 0)
			return rc;
		m->vlist[m->nvocab - 1].p = (const unsigned char *)UNK;
		m->vlist[m->nvocab - 1].len = strlen(UNK);
	}
	return HC_OK;
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double uniform(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

/* The first entry of order n whose text is >= @pre. */
static size_t lower_bound(const struct sidx *s, const unsigned char *pre,
			  size_t pl)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ent *e = &s->e[mid];

		if (ent_cmp_text(ent_text(e), e->len, pre, pl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The last token of an entry's text. */
static struct tref last_token(const hcm_model *m, const struct ent *e)
{
	const unsigned char *t = ent_text(e);
	struct tref r;
	size_t i = e->len;

	if (m->kind.tokens == HCK_BYTES) {
		r.p = &m->bytes[t[e->len - 1]];
		r.len = 1;
		return r;
	}
	while (i > 0 && t[i - 1] != ' ')
		i--;
	/* Word keys are never inline: the text is in the mapping. */
	r.p = t + i;
	r.len = e->len - i;
	return r;
}

/* Draw one token after the context @h of @nh tokens (at most k-1). */
static int draw(const hcm_model *m, uint64_t *rng, const struct tref *h,
		size_t nh, unsigned char *buf, struct tref *out)
{
	double u = uniform(rng);
	unsigned top = (unsigned)nh + 1;

	for (unsigned n = top; n >= 1; n--) {
		const struct tref *c = h + nh - (n - 1);
		const struct sidx *s = &m->idx[n];
		double d = m->d[n], gamma;
		uint64_t cs = 0, cu = 0;
		size_t hl, i;
		int rc;

		hl = join(m, c, n - 1, buf);
		rc = ctx_counts(m, n, buf, hl, &cs, &cu);
		if (rc)
			return rc;
		if (cs == 0)
			continue;
		if (n > 1 && m->kind.tokens == HCK_WORDS)
			buf[hl++] = ' ';
		for (i = n > 1 ? lower_bound(s, buf, hl) : 0; i < s->n; i++) {
			const struct ent *e = &s->e[i];
			double mass;

			if (e->len < hl || memcmp(ent_text(e), buf, hl))
				break;
			mass = ((double)e->count > d ? (double)e->count - d
						     : 0.0) /
			       (double)cs;
			if (u < mass) {
				*out = last_token(m, e);
				return HC_OK;
			}
			u -= mass;
		}
		gamma = d * (double)cu / (double)cs;
		u = gamma > 0 ? u / gamma : 0;
		if (u >= 1.0)
			u = nextafter(1.0, 0.0);
		if (u < 0)
			u = 0;
	}
	{
		uint64_t j = (uint64_t)(u * (double)m->nvocab);

		if (j >= m->nvocab)
			j = m->nvocab - 1;
		if (m->kind.tokens == HCK_BYTES) {
			out->p = &m->bytes[j];
			out->len = 1;
		} else {
			*out = m->vlist[j];
		}
	}
	return HC_OK;
}

/* The first k-1 tokens of an order-k entry drawn by its count. */
static int draw_start(const hcm_model *m, uint64_t *rng, struct tref *h,
		      size_t *nh)
{
	const struct sidx *s = &m->idx[m->k];
	uint64_t total = 0, r;
	size_t i;

	*nh = 0;
	if (m->k == 1 || s->n == 0)
		return HC_OK;
	for (i = 0; i < s->n; i++)
		total += s->e[i].count;
	r = (uint64_t)(uniform(rng) * (double)total);
	for (i = 0; i + 1 < s->n && r >= s->e[i].count; i++)
		r -= s->e[i].count;
	{
		const struct ent *e = &s->e[i];
		const unsigned char *t = ent_text(e);

		if (m->kind.tokens == HCK_BYTES) {
			for (size_t j = 0; j + 1 < m->k; j++) {
				h[j].p = &m->bytes[t[j]];
				h[j].len = 1;
			}
			*nh = m->k - 1;
			return HC_OK;
		}
		/* Words: the entry's text lies in the mapping (stable). */
		for (size_t j = 0, a = 0; j + 1 < m->k && a < e->len; j++) {
			size_t b = a;

			while (b < e->len && t[b] != ' ')
				b++;
			h[j].p = t + a;
			h[j].len = b - a;
			*nh = j + 1;
			a = b + 1;
		}
	}
	return HC_OK;
}

int hcm_model_sample(hcm_model *m, uint64_t *rng, const void *prime,
		     size_t prime_len, size_t ntokens, hcm_model_token_fn fn,
		     void *arg)
{
	struct tref h[HCM_NGRAM_ORDER_MAX];
	unsigned char *buf = NULL;
	size_t nh = 0, cap = 0;
	int rc;

	if (!m || !rng || !fn || (prime_len && !prime))
		return HC_EINVAL;
	rc = build_index(m);
	if (rc)
		return rc;
	if (prime_len) {
		nh = split_tail(m, prime, prime_len, h, m->k - 1);
	} else {
		rc = draw_start(m, rng, h, &nh);
		if (rc)
			return rc;
		for (size_t j = 0; j < nh; j++) {
			rc = fn(arg, h[j].p, h[j].len);
			if (rc)
				return rc;
		}
	}
	for (size_t i = 0; i < ntokens; i++) {
		struct tref w;
		size_t want = 2;

		for (size_t j = 0; j < nh; j++)
			want += h[j].len + 1;
		if (want > cap) {
			unsigned char *nb = realloc(buf, want * 2);

			if (!nb) {
				rc = HC_ENOMEM;
				break;
			}
			buf = nb;
			cap = want * 2;
		}
		rc = draw(m, rng, h, nh, buf, &w);
		if (rc)
			break;
		rc = fn(arg, w.p, w.len);
		if (rc)
			break;
		if (m->k == 1)
			continue;
		if (nh == m->k - 1) {
			memmove(h, h + 1, (nh - 1) * sizeof(*h));
			nh--;
		}
		h[nh++] = w;
	}
	free(buf);
	return rc;
}
