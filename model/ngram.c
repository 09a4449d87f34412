/* SPDX-License-Identifier: MIT */
/*
 * ngram.c - reading n-gram tables in place: walks by context, and
 * reductions of an order-n table to an order-(n-1) one (hogcount_model.h,
 * docs/model.md).  The record and the text form of keys come from the
 * key layer (hogcount_keys.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcm_internal.h"

#define BATCH 4096u

int hcm_ngram_key_kind(const hcm_ngram_kind *kind)
{
	hck_meta m = hcm__meta(kind->tokens, kind->order);

	return hck_int_keys(&m) ? HC_KEY_U64 : HC_KEY_BYTES;
}

static int kind_valid(const hcm_ngram_kind *kind)
{
	return kind &&
	       (kind->tokens == HCK_BYTES || kind->tokens == HCK_WORDS) &&
	       kind->order >= 1 && kind->order <= HCM_NGRAM_ORDER_MAX;
}

int hcm_ngram_kind_get(const hc_table *t, hcm_ngram_kind *kind)
{
	hck_meta m;
	int rc;

	if (!t || !kind)
		return HC_EINVAL;
	/* The record and whether the table's key kind holds its keys. */
	rc = hck_meta_load(t, &m);
	if (rc)
		return rc;
	if (m.tokens == HCK_DNA || m.k > HCM_NGRAM_ORDER_MAX)
		return HC_EKIND;
	kind->tokens = m.tokens;
	kind->order = m.k;
	return HC_OK;
}

int hcm_ngram_kind_set(hc_table *t, const hcm_ngram_kind *kind)
{
	hck_meta m;

	if (!t || !kind_valid(kind))
		return HC_EINVAL;
	m = hcm__meta(kind->tokens, kind->order);
	return hck_meta_store(t, &m);
}

int hcm__count(const hc_table *t, int tokens, unsigned order,
	       const unsigned char *text, size_t len, uint64_t *count)
{
	hck_meta m = hcm__meta(tokens, order);

	return hck_get_text(t, &m, text, len, count);
}

static size_t count_words(const unsigned char *p, size_t len)
{
	size_t n = 0;
	int in = 0;

	for (size_t i = 0; i < len; i++) {
		int sp = hck_is_space(p[i]);

		n += !sp && !in;
		in = !sp;
	}
	return n;
}

int hcm_ngram_get(const hc_table *t, const hcm_ngram_kind *kind,
		  const void *text, size_t len, uint64_t *count)
{
	if (!t || !kind_valid(kind) || !count || (len && !text))
		return HC_EINVAL;
	if (kind->tokens == HCK_BYTES ? len != kind->order
				      : count_words(text, len) != kind->order)
		return HC_ERANGE;
	return hcm__count(t, kind->tokens, kind->order, text, len, count);
}

int hcm_ngram_walk(const hc_table *t, const hcm_ngram_kind *kind,
		   const void *ctx, size_t ctx_len, hcm_ngram_fn fn, void *arg)
{
	const unsigned char *c = ctx;
	unsigned char buf[HCK_INT_TEXT_MAX];
	hck_meta m;
	hc_iter *it;
	hc_entry e;
	int rc, stop = 0;

	if (!t || !kind_valid(kind) || !fn || (ctx_len && !ctx))
		return HC_EINVAL;
	if (kind->tokens == HCK_BYTES ? ctx_len > kind->order
				      : count_words(c, ctx_len) > kind->order)
		return HC_ERANGE;
	m = hcm__meta(kind->tokens, kind->order);
	rc = hc_iter_create(t, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		hcm_ngram g;

		/* The text form, whatever the slot kind (key layer). */
		if (hck_entry_text(&m, &e, buf, &g.text, &g.len))
			continue;
		g.count = e.count;
		g.key = e.bytes ? 0 : e.key;
		if (ctx_len && (g.len < ctx_len || memcmp(g.text, c, ctx_len) ||
				(kind->tokens == HCK_WORDS && g.len > ctx_len &&
				 g.text[ctx_len] != ' ')))
			continue;
		stop = fn(arg, &g);
		if (stop)
			break;
	}
	hc_iter_destroy(it);
	if (stop)
		return stop;
	return rc < 0 ? rc : HC_OK;
}

/* The order-(n-1) text of @text (order n) with one end dropped. */
int hcm__drop(int tokens, int last, const unsigned char *text, size_t len,
	      const unsigned char **sub, size_t *sub_len)
{
	if (tokens == HCK_BYTES) {
		if (len < 2)
			return HC_ECORRUPT;
		*sub = last ? text : text + 1;
		*sub_len = len - 1;
		return HC_OK;
	}
	if (last) {
		size_t i = len;

		while (i > 0 && text[i - 1] != ' ')
			i--;
		if (i < 2)
			return HC_ECORRUPT;
		*sub = text;
		*sub_len = i - 1;
	} else {
		const unsigned char *sp = memchr(text, ' ', len);

		if (!sp || (size_t)(sp - text) + 1 >= len)
			return HC_ECORRUPT;
		*sub = sp + 1;
		*sub_len = len - (size_t)(sp - text) - 1;
	}
	return HC_OK;
}

struct batch {
	hc_table *dst;
	int packed;
	size_t n;
	uint64_t keys[BATCH];
	uint64_t deltas[BATCH];
	const void *ptrs[BATCH];
	size_t lens[BATCH];
};

static int batch_flush(struct batch *b)
{
	int rc = HC_OK;

	if (b->n)
		rc = b->packed ? hc_add_batch(b->dst, b->keys, b->deltas, b->n,
					      NULL)
			       : hc_add_bytes_batch(b->dst, b->ptrs, b->lens,
						    b->deltas, b->n, NULL);
	b->n = 0;
	return rc;
}

int hcm_ngram_reduce(const hc_table *src, const hcm_ngram_kind *kind, int how,
		     hc_table *dst)
{
	const int drop = how & (HCM_REDUCE_DROP_LAST | HCM_REDUCE_DROP_FIRST);
	const int agg = how & (HCM_REDUCE_SUM | HCM_REDUCE_DISTINCT);
	unsigned char buf[HCK_INT_TEXT_MAX];
	hcm_ngram_kind sub;
	hck_meta m, msub;
	struct batch *b;
	hc_options opt;
	hc_iter *it;
	hc_entry e;
	unsigned n;
	int rc;

	if (!src || !dst || !kind_valid(kind) || kind->order < 2 ||
	    (drop != HCM_REDUCE_DROP_LAST && drop != HCM_REDUCE_DROP_FIRST) ||
	    (agg != HCM_REDUCE_SUM && agg != HCM_REDUCE_DISTINCT) ||
	    (how & ~(drop | agg)))
		return HC_EINVAL;
	n = kind->order;
	sub.tokens = kind->tokens;
	sub.order = n - 1;
	hc_options_init(&opt);
	rc = hc_table_options(dst, &opt);
	if (rc)
		return rc;
	msub = hcm__meta(sub.tokens, sub.order);
	if (!hck_kind_fits(&msub, opt.key_kind))
		return HC_EKIND;
	b = malloc(sizeof(*b));
	if (!b)
		return HC_ENOMEM;
	b->dst = dst;
	b->n = 0;
	b->packed = opt.key_kind != HC_KEY_BYTES;
	m = hcm__meta(kind->tokens, n);
	msub = hcm__meta(kind->tokens, n - 1);
	rc = hc_iter_create(src, &it);
	if (rc) {
		free(b);
		return rc;
	}
	while ((rc = hc_iter_next(it, &e)) == 1) {
		uint64_t delta = agg == HCM_REDUCE_SUM ? e.count : 1;
		const unsigned char *text, *s;
		size_t len, tlen;

		/* The entry's text, its order-(n-1) part, and that part's
		 * key: all through the key layer's codec. */
		rc = hck_entry_text(&m, &e, buf, &text, &tlen);
		if (rc)
			break;
		if (kind->tokens == HCK_BYTES && tlen != n) {
			rc = HC_ECORRUPT;
			break;
		}
		rc = hcm__drop(kind->tokens, drop == HCM_REDUCE_DROP_LAST, text,
			       tlen, &s, &len);
		if (rc)
			break;
		if (b->packed) {
			rc = hck_key_encode(&msub, s, len, &b->keys[b->n]);
			if (rc)
				break;
		} else {
			/* Zero copy: the sub-key lies in @src's mapping,
			 * which outlives the batch. */
			b->ptrs[b->n] = s;
			b->lens[b->n] = len;
		}
		b->deltas[b->n++] = delta;
		if (b->n == BATCH) {
			rc = batch_flush(b);
			if (rc)
				break;
		}
	}
	hc_iter_destroy(it);
	if (rc == 0)
		rc = batch_flush(b);
	free(b);
	return rc == 1 ? HC_OK : rc;
}

int hcm_ngram_reduce_new(const hc_table *src, const hcm_ngram_kind *kind,
			 int how, hc_table **out)
{
	hcm_ngram_kind sub;
	hck_plan_in in;
	hck_plan plan;
	hck_meta m;
	hc_stats st;
	hc_table *t;
	int rc;

	if (!src || !out || !kind_valid(kind) || kind->order < 2)
		return HC_EINVAL;
	st.size = sizeof(st);
	rc = hc_table_stats(src, &st);
	if (rc)
		return rc;
	sub.tokens = kind->tokens;
	sub.order = kind->order - 1;
	m = hcm__meta(sub.tokens, sub.order);
	/* At most one key per source key; each key is shorter than the
	 * source key it came from. */
	hck_plan_in_init(&in);
	in.keys = st.distinct;
	in.arena_bytes = st.arena_used + 8192;
	plan.size = sizeof(plan);
	rc = hck_plan_table(&m, &in, &plan);
	if (rc)
		return rc;
	rc = hck_table_create(&t, &m, &plan);
	if (rc)
		return rc;
	rc = hcm_ngram_reduce(src, kind, how, t);
	if (rc) {
		hc_table_close(t);
		return rc;
	}
	*out = t;
	return HC_OK;
}

int hcm_unseen_estimate(const hc_table *t, hcm_unseen *u)
{
	uint64_t hist[4];
	hc_stats st;
	double f1, f2, s;
	int rc;

	if (!t || !u || u->size < sizeof(*u))
		return HC_EINVAL;
	st.size = sizeof(st);
	rc = hc_table_stats(t, &st);
	if (!rc)
		rc = hc_histo(t, hist, 4);
	if (rc)
		return rc;
	memset((char *)u + sizeof(u->size), 0, sizeof(*u) - sizeof(u->size));
	u->distinct = st.distinct;
	u->total = st.total;
	u->f1 = hist[1];
	u->f2 = hist[2];
	f1 = (double)u->f1;
	f2 = (double)u->f2;
	s = (double)u->distinct;
	u->good_turing = u->total ? f1 / (double)u->total : 0.0;
	u->chao1 = f2 > 0 ? s + f1 * f1 / (2 * f2) : s + f1 * (f1 - 1) / 2;
	u->unseen = u->chao1 - s;
	return HC_OK;
}
