/* SPDX-License-Identifier: MIT */
/*
 * iter.c - walking the entries of a live table, and the raw view of its
 * regions for zero-copy readers.  Each slot is visited
 * once in slot order; keys never move, so no key is returned twice, and
 * byte keys are read only through an acquired ref (design.md G2).
 */
#include <stdlib.h>
#include <string.h>

#include "hc_internal.h"

struct hc_iter {
	const struct hc_table *t;
	uint64_t pos; /* next slot or dense counter */
	int zero_done; /* u64 kind: header zero_count reported */
};

int hc_iter_create(const hc_table *t, hc_iter **out)
{
	struct hc_iter *it;

	if (!t || !out)
		return HC_EINVAL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return HC_ENOMEM;
	it->t = t;
	it->zero_done = t->kind != HC_KEY_U64;
	*out = it;
	return HC_OK;
}

void hc_iter_destroy(hc_iter *it)
{
	free(it);
}

static void entry_set(hc_entry *e, uint64_t key, const void *bytes, size_t len,
		      uint64_t count)
{
	e->key = key;
	e->bytes = bytes;
	e->len = len;
	e->count = count;
}

int hc_iter_next(hc_iter *it, hc_entry *e)
{
	const struct hc_table *t;

	if (!it || !e)
		return HC_EINVAL;
	t = it->t;
	if (!it->zero_done) {
		/* ORDER: relaxed. A count publishes nothing (design.md G3). */
		uint64_t c = hc_atomic_load_relaxed(&t->hdr->zero_count);

		it->zero_done = 1;
		if (c) {
			entry_set(e, hc__unmix64(0, t->seed), NULL, 0, c);
			return 1;
		}
	}
	if (t->kind == HC_KEY_DENSE) {
		while (it->pos < t->capacity) {
			uint64_t k = it->pos++;
			/* ORDER: relaxed. A count publishes nothing (G3). */
			uint64_t c = hc_atomic_load_relaxed(&t->dense[k]);

			if (c) {
				entry_set(e, k, NULL, 0, c);
				return 1;
			}
		}
		return 0;
	}
	if (t->kind == HC_KEY_PACKED) {
		while (it->pos < t->capacity) {
			uint64_t i = it->pos++, k, c;
			/* ORDER: relaxed. Key part and count are one word,
			 * published by one CAS (design.md G1, G2). */
			uint64_t w = hc_atomic_load_relaxed(&t->packed[i]);
			int rc;

			if (w == 0)
				continue;
			rc = hc__packed_entry(t, i, w, &k, &c);
			if (rc) {
				it->pos = t->capacity; /* stop the walk */
				return rc;
			}
			if (c) {
				entry_set(e, k, NULL, 0, c);
				return 1;
			}
		}
		return 0;
	}
	while (it->pos < t->capacity) {
		const struct hc__slot *s = &t->slots[it->pos++];
		/* ORDER: acquire. Pairs with the release CAS in probe_u64()
		 * and probe_bytes() (slots.c): a byte key's bytes are visible
		 * before we read them (design.md G1, G2). */
		uint64_t w = hc_atomic_load_acquire(&s->word);
		uint64_t c;
		const void *k;
		size_t len;
		int rc;

		if (w == 0)
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&s->count);
		if (c == 0)
			continue; /* claimed, nothing added yet (P1) */
		if (t->kind == HC_KEY_U64) {
			entry_set(e, hc__unmix64(w, t->seed), NULL, 0, c);
			return 1;
		}
		rc = hc__arena_key(t, (w & HC_REF_OFFSET_MASK) << 3, &k, &len);
		if (rc) {
			it->pos = t->capacity; /* stop the walk */
			return rc;
		}
		entry_set(e, 0, k, len, c);
		return 1;
	}
	return 0;
}

int hc_table_view(const hc_table *t, hc_view *v)
{
	size_t size;

	if (!t || !v || v->size < sizeof(hc_view))
		return HC_EINVAL;
	size = v->size;
	memset(v, 0, sizeof(*v));
	v->size = size;
	v->key_kind = t->kind;
	v->seed = t->seed;
	v->capacity = t->capacity;
	if (t->kind == HC_KEY_DENSE) {
		v->slot_size = HC_DENSE_SLOT_SIZE;
		v->slots = (const void *)t->dense;
	} else if (t->kind == HC_KEY_PACKED) {
		v->slot_size = HC_PACK_SLOT_SIZE;
		v->slots = (const void *)t->packed;
	} else {
		v->slot_size = HC_SLOT_SIZE;
		v->slots = (const void *)t->slots;
	}
	if (t->kind == HC_KEY_U64) {
		v->zero_count = (const uint64_t *)&t->hdr->zero_count;
		v->zero_key = hc__unmix64(0, t->seed);
	}
	v->arena = t->arena;
	v->arena_bytes = t->arena_bytes;
	return HC_OK;
}
