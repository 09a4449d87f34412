/* SPDX-License-Identifier: MIT */
/*
 * ngram.c - reading n-gram tables in place: the CLI's user record, the
 * text form of keys, walks by context, and reductions of an order-n
 * table to an order-(n-1) one (hc_model.h, docs/model.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_model_internal.h"

#define META_TAG "hogcount-cli 1"
#define BATCH 4096u

int hc_ngram_key_kind(const hc_ngram_kind *kind)
{
	return hcm_packed(kind->tokens, kind->order) ? HC_KEY_U64
						     : HC_KEY_BYTES;
}

static int kind_valid(const hc_ngram_kind *kind)
{
	return kind &&
	       (kind->tokens == HC_NGRAM_BYTES ||
		kind->tokens == HC_NGRAM_WORDS) &&
	       kind->order >= 1 && kind->order <= HC_NGRAM_ORDER_MAX;
}

/* Packed n-grams may also sit in a dense table (the CLI picks one when
 * the key space is small). */
static int key_kind_fits(int key_kind, const hc_ngram_kind *kind)
{
	int want = hc_ngram_key_kind(kind);

	return key_kind == want ||
	       (want == HC_KEY_U64 && key_kind == HC_KEY_DENSE);
}

int hc_ngram_kind_get(const hc_table *t, hc_ngram_kind *kind)
{
	char buf[HC_USER_MAX + 1], name[16];
	size_t len = 0;
	int rc, canon, used = 0;
	unsigned k;
	hc_options opt;

	if (!t || !kind)
		return HC_EINVAL;
	rc = hc_table_get_user(t, buf, HC_USER_MAX, &len);
	if (rc)
		return rc == HC_EINVAL ? HC_ECORRUPT : rc;
	buf[len] = 0;
	if (sscanf(buf, META_TAG " tokens=%15[a-z] k=%u canonical=%d%n", name,
		   &k, &canon, &used) != 3 ||
	    (size_t)used != len)
		return HC_ECORRUPT;
	if (!strcmp(name, "bytes"))
		kind->tokens = HC_NGRAM_BYTES;
	else if (!strcmp(name, "words"))
		kind->tokens = HC_NGRAM_WORDS;
	else if (!strcmp(name, "dna"))
		return HC_EKIND;
	else
		return HC_ECORRUPT;
	if (k < 1 || k > HC_NGRAM_ORDER_MAX || canon != 0)
		return k < 1 || canon != 0 ? HC_ECORRUPT : HC_EKIND;
	kind->order = k;
	hc_options_init(&opt);
	rc = hc_table_options(t, &opt);
	if (rc)
		return rc;
	if (!key_kind_fits(opt.key_kind, kind))
		return HC_EKIND;
	return HC_OK;
}

int hc_ngram_kind_set(hc_table *t, const hc_ngram_kind *kind)
{
	char buf[HC_USER_MAX];
	int n;

	if (!t || !kind_valid(kind))
		return HC_EINVAL;
	n = snprintf(buf, sizeof(buf), META_TAG " tokens=%s k=%u canonical=0",
		     kind->tokens == HC_NGRAM_BYTES ? "bytes" : "words",
		     kind->order);
	return hc_table_set_user(t, buf, (size_t)n);
}

uint64_t hcm_pack(const unsigned char *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

void hcm_unpack(uint64_t key, unsigned order, unsigned char *out)
{
	for (unsigned i = 0; i < order; i++)
		out[i] = (unsigned char)(key >> (8 * (order - 1 - i)));
}

int hcm_count(const hc_table *t, int tokens, unsigned order,
	      const unsigned char *text, size_t len, uint64_t *count)
{
	if (hcm_packed(tokens, order)) {
		if (len != order)
			return HC_ERANGE;
		return hc_get(t, hcm_pack(text, len), count);
	}
	return hc_get_bytes(t, text, len, count);
}

static size_t count_words(const unsigned char *p, size_t len)
{
	size_t n = 0;
	int in = 0;

	for (size_t i = 0; i < len; i++) {
		int sp = hcm_is_space(p[i]);

		n += !sp && !in;
		in = !sp;
	}
	return n;
}

int hc_ngram_get(const hc_table *t, const hc_ngram_kind *kind, const void *text,
		 size_t len, uint64_t *count)
{
	if (!t || !kind_valid(kind) || !count || (len && !text))
		return HC_EINVAL;
	if (kind->tokens == HC_NGRAM_BYTES
		    ? len != kind->order
		    : count_words(text, len) != kind->order)
		return HC_ERANGE;
	return hcm_count(t, kind->tokens, kind->order, text, len, count);
}

int hc_ngram_walk(const hc_table *t, const hc_ngram_kind *kind, const void *ctx,
		  size_t ctx_len, hc_ngram_fn fn, void *arg)
{
	const unsigned char *c = ctx;
	const int packed =
		kind_valid(kind) && hcm_packed(kind->tokens, kind->order);
	unsigned char buf[8];
	uint64_t lo = 0, hi = UINT64_MAX;
	hc_iter *it;
	hc_entry e;
	int rc, stop = 0;

	if (!t || !kind_valid(kind) || !fn || (ctx_len && !ctx))
		return HC_EINVAL;
	if (kind->tokens == HC_NGRAM_BYTES
		    ? ctx_len > kind->order
		    : count_words(c, ctx_len) > kind->order)
		return HC_ERANGE;
	if (packed && ctx_len) {
		/* The key range of the context: its bytes are the top
		 * ctx_len bytes of the order-byte key. */
		unsigned s = 8 * (kind->order - (unsigned)ctx_len);

		lo = s < 64 ? hcm_pack(c, ctx_len) << s : 0;
		hi = lo | (s < 64 ? (UINT64_C(1) << s) - 1 : UINT64_MAX);
	}
	rc = hc_iter_create(t, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		hc_ngram g;

		g.count = e.count;
		if (packed) {
			if (e.bytes || e.key < lo || e.key > hi)
				continue;
			hcm_unpack(e.key, kind->order, buf);
			g.text = buf;
			g.len = kind->order;
			g.key = e.key;
		} else {
			if (!e.bytes)
				continue;
			g.text = e.bytes;
			g.len = e.len;
			g.key = 0;
			if (ctx_len &&
			    (g.len < ctx_len || memcmp(g.text, c, ctx_len) ||
			     (kind->tokens == HC_NGRAM_WORDS &&
			      g.len > ctx_len && g.text[ctx_len] != ' ')))
				continue;
		}
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
int hcm_drop(int tokens, int last, const unsigned char *text, size_t len,
	     const unsigned char **sub, size_t *sub_len)
{
	if (tokens == HC_NGRAM_BYTES) {
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

int hc_ngram_reduce(const hc_table *src, const hc_ngram_kind *kind, int how,
		    hc_table *dst)
{
	const int drop = how & (HC_REDUCE_DROP_LAST | HC_REDUCE_DROP_FIRST);
	const int agg = how & (HC_REDUCE_SUM | HC_REDUCE_DISTINCT);
	hc_ngram_kind sub;
	struct batch *b;
	hc_options opt;
	hc_iter *it;
	hc_entry e;
	unsigned n;
	int rc, src_packed;

	if (!src || !dst || !kind_valid(kind) || kind->order < 2 ||
	    (drop != HC_REDUCE_DROP_LAST && drop != HC_REDUCE_DROP_FIRST) ||
	    (agg != HC_REDUCE_SUM && agg != HC_REDUCE_DISTINCT) ||
	    (how & ~(drop | agg)))
		return HC_EINVAL;
	n = kind->order;
	sub.tokens = kind->tokens;
	sub.order = n - 1;
	hc_options_init(&opt);
	rc = hc_table_options(dst, &opt);
	if (rc)
		return rc;
	if (!key_kind_fits(opt.key_kind, &sub))
		return HC_EKIND;
	b = malloc(sizeof(*b));
	if (!b)
		return HC_ENOMEM;
	b->dst = dst;
	b->n = 0;
	b->packed = opt.key_kind != HC_KEY_BYTES;
	src_packed = hcm_packed(kind->tokens, n);
	rc = hc_iter_create(src, &it);
	if (rc) {
		free(b);
		return rc;
	}
	while ((rc = hc_iter_next(it, &e)) == 1) {
		uint64_t delta = agg == HC_REDUCE_SUM ? e.count : 1;

		if (src_packed) {
			if (e.bytes) {
				rc = HC_EKIND;
				break;
			}
			b->keys[b->n] = drop == HC_REDUCE_DROP_LAST
						? e.key >> 8
						: e.key & ((UINT64_C(1)
							    << (8 * (n - 1))) -
							   1);
		} else {
			const unsigned char *s;
			size_t len;

			if (!e.bytes ||
			    (kind->tokens == HC_NGRAM_BYTES && e.len != n)) {
				rc = e.bytes ? HC_ECORRUPT : HC_EKIND;
				break;
			}
			rc = hcm_drop(kind->tokens, drop == HC_REDUCE_DROP_LAST,
				      e.bytes, e.len, &s, &len);
			if (rc)
				break;
			if (b->packed) {
				b->keys[b->n] = hcm_pack(s, len);
			} else {
				/* Zero copy: the sub-key lies in @src's
				 * mapping, which outlives the batch. */
				b->ptrs[b->n] = s;
				b->lens[b->n] = len;
			}
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

int hc_ngram_reduce_new(const hc_table *src, const hc_ngram_kind *kind, int how,
			hc_table **out)
{
	hc_ngram_kind sub;
	hc_options opt;
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
	hc_options_init(&opt);
	opt.key_kind = hc_ngram_key_kind(&sub);
	/* At most one key per source key; a load of 3/4 at most. */
	opt.capacity = st.distinct + st.distinct / 3 + 1024;
	if (opt.key_kind == HC_KEY_BYTES)
		/* Each key is shorter than the source key it came from. */
		opt.arena_bytes = ((st.arena_used + 8192) + 7) & ~UINT64_C(7);
	rc = hc_table_create(&t, &opt);
	if (rc)
		return rc;
	rc = hc_ngram_kind_set(t, &sub);
	if (!rc)
		rc = hc_ngram_reduce(src, kind, how, t);
	if (rc) {
		hc_table_close(t);
		return rc;
	}
	*out = t;
	return HC_OK;
}

int hc_unseen_estimate(const hc_table *t, hc_unseen *u)
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
