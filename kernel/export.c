/* SPDX-License-Identifier: MIT */
/*
 * export.c - figures computed from the live table in one pass (stats,
 * count-of-counts histogram) and merge of one table into another.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hc_internal.h"

/*
 * Call @fn(count, ctx) for every claimed slot (count may be 0), the
 * header-held key and every dense counter; returns the number of keys
 * held (claimed slots plus the header-held key if counted).  Keys are not read,
 * so this never touches the key area.  A writable handle helps a growth
 * in flight to its end first (hc__walk_bounds); a read-only one walks
 * the older generation, then the keys of the newer one it does not hold
 * (M4).
 * *@gen receives the generation walked last, *@growing whether a growth
 * was in flight at the start.
 */
static int scan_walk(struct hc_table *t, hc__count_fn fn, void *ctx,
		     uint64_t *claimed_out, struct hc__gv *last, int *growing);

/* The walk below, with its generations pinned (design.md M9). */
static int scan_counts(struct hc_table *t, hc__count_fn fn, void *ctx,
		       uint64_t *claimed_out, struct hc__gv *last, int *growing)
{
	int pin = hc__pin(t);
	int rc = scan_walk(t, fn, ctx, claimed_out, last, growing);

	hc__unpin(t, pin);
	return rc;
}

static int scan_walk(struct hc_table *t, hc__count_fn fn, void *ctx,
		     uint64_t *claimed_out, struct hc__gv *last, int *growing)
{
	uint64_t i, claimed = 0, x0;
	struct hc__gv gv[2];
	unsigned cur, top;
	int rc;

	*growing = 0;
	if (t->cx) {
		/* Compact: every entry is counted; one pass over the
		 * counts, none over the keys. */
		for (i = 0, x0 = 0; i < t->cx->n; i++) {
			uint64_t c;

			rc = hc__compact_count(t->cx, i, &x0, &c);
			if (rc)
				return rc;
			fn(c, ctx);
		}
		*claimed_out = t->cx->n;
		last->capacity = t->cx->n;
		last->g = 0;
		return HC_OK;
	}
	rc = hc__walk_bounds(t, &cur, &top);
	if (!rc)
		rc = hc__gen_view(t, cur, &gv[0]);
	if (!rc && top != cur)
		rc = hc__gen_view(t, top, &gv[1]);
	if (rc)
		return rc;
	*growing = top != cur;
	if (t->ops->flags & HC_KIND_ZERO) {
		/* ORDER: relaxed. A count publishes nothing (G3). */
		uint64_t c = hc_atomic_load_relaxed(&t->hdr->zero_count) &
			     t->count_mask;

		if (c) {
			claimed++;
			fn(c, ctx);
		}
	}
	/* The older generation, then the keys of the newer one that the
	 * older one does not hold (M4); dense: the counters. */
	for (unsigned p = 0; p <= top - cur; p++) {
		*last = gv[p];
		rc = t->ops->scan(t, &gv[p], p ? &gv[0] : NULL, fn, ctx,
				  &claimed);
		if (rc)
			return rc;
	}
	*claimed_out = claimed;
	return HC_OK;
}

static void stats_fn(uint64_t c, void *ctx)
{
	hc_stats *st = ctx;

	if (!c)
		return;
	st->distinct++;
	st->total += c;
	st->unique += c == 1;
	if (c > st->max_count)
		st->max_count = c;
}

int hc_table_stats(const hc_table *ct, hc_stats *st)
{
	struct hc_table *t = (struct hc_table *)ct; /* may map more */
	struct hc__gv last;
	size_t size;
	int rc, growing;

	if (!t || !st || st->size < offsetof(hc_stats, generation))
		return HC_EINVAL;
	size = st->size < sizeof(hc_stats) ? st->size : sizeof(hc_stats);
	memset(st, 0, size);
	st->size = size;
	st->key_kind = t->kind;
	st->mode = t->mode;
	rc = scan_counts(t, stats_fn, st, &st->claimed, &last, &growing);
	if (rc)
		return rc;
	st->capacity = last.capacity;
	st->load = last.capacity ? (double)st->claimed / (double)last.capacity
				 : 0.0; /* an empty compact table */
	/* ORDER: acquire. The process-local mapping mark (grow.c). */
	st->mapped_bytes = hc_atomic_load_acquire(&t->mapped);
	if (size >= sizeof(hc_stats)) {
		st->generation = last.g;
		st->growing = growing;
	}
	if (t->cx) {
		/* A compact byte-key file: its front-coded key stream
		 * (compact_bytes.c) stands for the key area. */
		st->arena_used = st->arena_bytes = t->cx->key_bytes;
	} else if (t->ops->flags & HC_KIND_ARENA) {
		/* ORDER: relaxed. A figure for the report; it publishes
		 * nothing (design.md G2). */
		uint64_t au = hc_atomic_load_relaxed(&t->hdr->arena_used);
		uint64_t start, len;

		if (!t->grows && au > t->arena_bytes)
			au = t->arena_bytes;
		st->arena_used = au;
		/* The logical end of the chunk the bump pointer is in. */
		hc__arena_chunk(t, au ? au - 1 : 0, &start, &len);
		st->arena_bytes = t->grows ? start + len : t->arena_bytes;
	}
	return HC_OK;
}

struct histo_ctx {
	uint64_t *hist;
	size_t len;
};

static void histo_fn(uint64_t c, void *ctx)
{
	struct histo_ctx *h = ctx;

	if (!c)
		return;
	h->hist[c < h->len - 1 ? c : h->len - 1]++;
}

int hc_histo(const hc_table *t, uint64_t *hist, size_t len)
{
	struct histo_ctx h = { hist, len };
	struct hc__gv last;
	uint64_t claimed;
	int growing;

	if (!t || !hist || len < 2)
		return HC_EINVAL;
	memset(hist, 0, len * sizeof(*hist));
	return scan_counts((struct hc_table *)t, histo_fn, &h, &claimed, &last,
			   &growing);
}

#define MERGE_BATCH 1024

static int merge_flush(hc_table *dst, uint64_t *keys, const void **bytes,
		       size_t *lens, uint64_t *counts, size_t n)
{
	if (dst->ops->flags & HC_KIND_BYTES)
		return hc_add_bytes_batch(dst, bytes, lens, counts, n, NULL);
	return hc_add_batch(dst, keys, counts, n, NULL);
}

int hc_table_merge(hc_table *dst, const hc_table *src)
{
	uint64_t keys[MERGE_BATCH], counts[MERGE_BATCH];
	const void *bytes[MERGE_BATCH];
	size_t lens[MERGE_BATCH], n = 0;
	hc_iter *it;
	hc_entry e;
	int rc;

	if (!dst || !src)
		return HC_EINVAL;
	if ((dst->ops->flags ^ src->ops->flags) & HC_KIND_BYTES)
		return HC_EKIND;
	if (!dst->writable)
		return HC_ERDONLY;
	rc = hc_iter_create(src, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		keys[n] = e.key;
		bytes[n] = e.bytes;
		lens[n] = e.len;
		counts[n] = e.count;
		if (++n == MERGE_BATCH) {
			rc = merge_flush(dst, keys, bytes, lens, counts, n);
			n = 0;
			if (rc)
				break;
		}
	}
	if (rc == 0 && n)
		rc = merge_flush(dst, keys, bytes, lens, counts, n);
	hc_iter_destroy(it);
	return rc;
}
