/* SPDX-License-Identifier: MIT */
/*
 * export.c - figures computed from the live table in one pass (stats,
 * count-of-counts histogram) and merge of one table into another.
 */
#include <stdlib.h>
#include <string.h>

#include "hc_internal.h"

/*
 * Call @fn(count, ctx) for every claimed slot (count may be 0), the
 * header-held key and every dense counter; returns the number of keys
 * held (claimed slots plus the header-held key if counted).  Keys are not read,
 * so this never touches the key area.
 */
static uint64_t scan_counts(const struct hc_table *t,
			    void (*fn)(uint64_t, void *), void *ctx)
{
	uint64_t i, claimed = 0;

	if (t->kind == HC_KEY_DENSE) {
		for (i = 0; i < t->capacity; i++) {
			/* ORDER: relaxed. A count publishes nothing (G3). */
			uint64_t c = hc_atomic_load_relaxed(&t->dense[i]);

			claimed += c != 0;
			fn(c, ctx);
		}
		return claimed;
	}
	if (t->kind == HC_KEY_PACKED) {
		for (i = 0; i < t->capacity; i++) {
			/* ORDER: relaxed. Key part and count are one word
			 * (design.md G1, G2). */
			uint64_t w = hc_atomic_load_relaxed(&t->packed[i]);
			uint64_t c = w & t->cmask, k;

			if (w == 0)
				continue;
			claimed++;
			/* A saturated count continues in the overflow
			 * area, found by the key (packed.c). */
			if (c == t->cmask && hc__packed_entry(t, i, w, &k, &c))
				c = t->cmask;
			fn(c, ctx);
		}
		return claimed;
	}
	if (t->kind == HC_KEY_U64) {
		/* ORDER: relaxed. A count publishes nothing (G3). */
		uint64_t c = hc_atomic_load_relaxed(&t->hdr->zero_count);

		if (c) {
			claimed++;
			fn(c, ctx);
		}
	}
	for (i = 0; i < t->capacity; i++) {
		/* ORDER: relaxed. Only whether the slot is claimed matters
		 * here, not the key it holds (design.md G2). */
		if (hc_atomic_load_relaxed(&t->slots[i].word) == 0)
			continue;
		claimed++;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		fn(hc_atomic_load_relaxed(&t->slots[i].count), ctx);
	}
	return claimed;
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

int hc_table_stats(const hc_table *t, hc_stats *st)
{
	size_t size;

	if (!t || !st || st->size < sizeof(hc_stats))
		return HC_EINVAL;
	size = st->size;
	memset(st, 0, sizeof(*st));
	st->size = size;
	st->key_kind = t->kind;
	st->mode = t->mode;
	st->capacity = t->capacity;
	st->claimed = scan_counts(t, stats_fn, st);
	st->load = (double)st->claimed / (double)t->capacity;
	st->mapped_bytes = t->map_bytes;
	if (t->kind == HC_KEY_BYTES) {
		/* ORDER: relaxed. A figure for the report; it publishes
		 * nothing (design.md G2). */
		uint64_t au = hc_atomic_load_relaxed(&t->hdr->arena_used);

		st->arena_used = au < t->arena_bytes ? au : t->arena_bytes;
		st->arena_bytes = t->arena_bytes;
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

	if (!t || !hist || len < 2)
		return HC_EINVAL;
	memset(hist, 0, len * sizeof(*hist));
	scan_counts(t, histo_fn, &h);
	return HC_OK;
}

#define MERGE_BATCH 1024

static int merge_flush(hc_table *dst, uint64_t *keys, const void **bytes,
		       size_t *lens, uint64_t *counts, size_t n)
{
	if (dst->kind == HC_KEY_BYTES)
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
	if ((dst->kind == HC_KEY_BYTES) != (src->kind == HC_KEY_BYTES))
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
