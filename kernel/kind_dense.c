/* SPDX-License-Identifier: MIT */
/*
 * kind_dense.c - the dense kind: integer keys below 2^dense_bits, each
 * the index of its own 8-byte counter in one flat array.  No hashing,
 * no probing, no growth.  Its table of operations is hc__kind_dense
 * (design.md, "Kinds").
 */
#include "hc_internal.h"

static int dense_add(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	if (key >= t->capacity)
		return HC_ERANGE;
	return hc__count_add(t, &t->dense[key], delta, mode);
}

/* The batch: no hash, the key is its counter's index; keys out of range
 * prefetch counter 0 and fail in the update (HC_ERANGE). */
struct dense_batch {
	struct hc_table *t;
	const uint64_t *keys;
	const uint64_t *deltas;
	int mode;
};

static void dense_hash(void *ctx, const struct hc__gv *v, size_t base, size_t n,
		       uint64_t *homes)
{
	struct dense_batch *b = ctx;

	(void)v;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = b->keys[base + i];

		homes[i] = k < b->t->capacity ? k : 0;
	}
}

static const void *dense_addr(void *ctx, const struct hc__gv *v, uint64_t home)
{
	struct dense_batch *b = ctx;

	(void)v;
	return (const void *)&b->t->dense[home];
}

static int dense_update(void *ctx, const struct hc__gv *v, size_t base,
			size_t i, uint64_t home)
{
	struct dense_batch *b = ctx;
	uint64_t delta = b->deltas ? b->deltas[base + i] : 1;
	uint64_t k = b->keys[base + i];

	(void)v;
	(void)home;
	return k < b->t->capacity
		       ? hc__count_add(b->t, &b->t->dense[k], delta, b->mode)
		       : HC_ERANGE;
}

static int dense_add_batch(struct hc_table *t, const uint64_t *keys,
			   const uint64_t *deltas, size_t n, size_t *done,
			   int mode)
{
	static const struct hc__stage stage = { dense_hash, dense_addr,
						dense_update, 0, NULL };
	struct dense_batch b;

	b.t = t;
	b.keys = keys;
	b.deltas = deltas;
	b.mode = mode;
	return hc__staged(t, &b, n, done, &stage);
}

static int dense_get(struct hc_table *t, uint64_t key, uint64_t *count)
{
	if (key >= t->capacity)
		return HC_ERANGE;
	/* ORDER: relaxed. A count publishes nothing (design.md G3). */
	*count = hc_atomic_load_relaxed(&t->dense[key]);
	return HC_OK;
}

/* The view of generation 0 (grow.c) is the counter array: v->packed. */
static int dense_next(const struct hc_table *t, const struct hc__gv *v,
		      const struct hc__gv *older, uint64_t *pos, uint64_t end,
		      hc_entry *e)
{
	(void)t;
	(void)older;
	while (*pos < end) {
		uint64_t k = (*pos)++;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		uint64_t c = hc_atomic_load_relaxed(&v->packed[k]);

		if (c) {
			hc__entry_set(e, k, NULL, 0, c);
			return 1;
		}
	}
	return 0;
}

static int dense_scan(const struct hc_table *t, const struct hc__gv *v,
		      const struct hc__gv *older, hc__count_fn fn, void *ctx,
		      uint64_t *claimed)
{
	(void)t;
	(void)older;
	for (uint64_t i = 0; i < v->capacity; i++) {
		/* ORDER: relaxed. A count publishes nothing (G3). */
		uint64_t c = hc_atomic_load_relaxed(&v->packed[i]);

		*claimed += c != 0;
		fn(c, ctx);
	}
	return HC_OK;
}

static int dense_layout(const hc_options *opt, int grows, uint64_t *cap,
			struct hc__header *h)
{
	(void)grows;
	if (opt->dense_bits == 0 || opt->dense_bits > HC_DENSE_BITS_MAX)
		return HC_EINVAL;
	h->key_bits = opt->dense_bits;
	h->capacity = UINT64_C(1) << opt->dense_bits;
	*cap = h->capacity;
	return HC_OK;
}

static int dense_validate(const struct hc__header *h)
{
	if (h->key_bits == 0 || h->key_bits > HC_DENSE_BITS_MAX ||
	    h->capacity != UINT64_C(1) << h->key_bits || h->count_bits != 0 ||
	    h->arena_offset != 0 || h->arena_bytes != 0)
		return HC_ECORRUPT;
	return HC_OK;
}

static void dense_bind(struct hc_table *t, unsigned char *base,
		       const struct hc__header *h)
{
	t->dense = (hc_aword *)(base + h->slots_offset);
}

static void dense_options(const struct hc_table *t, hc_options *opt)
{
	opt->dense_bits = t->hdr->key_bits;
	opt->capacity = 0;
}

static uint64_t dense_key_max(const struct hc_table *t)
{
	return t->capacity - 1;
}

const struct hc__kind hc__kind_dense = {
	.slot_size = HC_DENSE_SLOT_SIZE,
	.probe_limit = 0,
	.flags = 0,
	.layout = dense_layout,
	.validate = dense_validate,
	.bind = dense_bind,
	.options = dense_options,
	.key_max = dense_key_max,
	.add = dense_add,
	.add_batch = dense_add_batch,
	.get = dense_get,
	.next = dense_next,
	.scan = dense_scan,
};
