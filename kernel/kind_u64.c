/* SPDX-License-Identifier: MIT */
/*
 * kind_u64.c - the u64 kind: any 64-bit integer key in a 16-byte slot
 * {mix64(key, seed), count} (hc_internal.h, "Hashed slot"); the key
 * whose mix is 0 counts in the header's zero_count.  Its table of
 * operations is hc__kind_u64 (design.md, "Kinds").
 *
 * Linear probing from hc__home(hash) over at most max_probe slots.  Keys
 * never move and are never deleted, so a slot, once claimed, holds the
 * same key for the life of the table (design.md G1).
 */
#include <string.h>

#include "hc_internal.h"

/*
 * Find or claim the slot of the mixed key @m (never 0) in generation @v,
 * starting at @home.  On return *count is the slot's count word, to
 * which the caller adds @delta; or NULL when the claim itself stored
 * @delta (one locked instruction for a new key instead of two).
 * HC__EMIGRATE: the path met a frozen empty slot (M3).
 */
static inline int probe_u64(struct hc_table *t, const struct hc__gv *v,
			    uint64_t m, uint64_t home, uint64_t delta,
			    hc_aword **count)
{
	struct hc__slot *s = v->slots;
	uint64_t i = home;
	uint32_t n;

	for (n = 0; n < v->max_probe; n++) {
		/* ORDER: relaxed. For integer keys the word is the whole key,
		 * published by one CAS: there is nothing further to observe
		 * and no torn value to fear (design.md G1). */
		uint64_t w = hc_atomic_load_relaxed(&s[i].word);

		if (w == 0) {
			hc__debug_yield();
#if HC_HAVE_PAIR_CAS
			/* ORDER: release pair CAS (cmpxchg16b). Moves the
			 * slot from {0, 0} to {key, delta}: only one process
			 * can, so a key has one slot, and the key appears
			 * with its first delta already counted. Release is
			 * not needed for integer keys (nothing else is
			 * published). A count is never written before its
			 * word, so an empty word means an empty pair; a
			 * frozen empty slot {0, FROZEN} refuses it (M3).
			 * Killed before it: the slot stays empty (G1, P1). */
			if (hc_atomic_claim_pair_release(&s[i].word, m,
							 delta)) {
				*count = NULL;
				hc__note_claim(t, v);
				return HC_OK;
			}
			/* ORDER: relaxed; the key of the winner (G1). */
			w = hc_atomic_load_relaxed(&s[i].word);
			if (w == 0)
				return HC__EMIGRATE; /* {0, FROZEN} */
#else
			/* ORDER: relaxed CAS (a locked cmpxchg on x86-64).
			 * Claims the empty slot for @m; only one process
			 * can move a word from 0, so a key has one slot.
			 * Nothing is published: integer keys are one word.
			 * Killed after it: the key is present with count 0
			 * and is not reported (design.md G1, P1). No growth
			 * on this path (M8), so no slot is ever frozen. */
			w = hc_atomic_cas_relaxed(&s[i].word, 0, m);
			if (w == 0) {
				w = m;
				hc__note_claim(t, v);
			}
#endif
		}
		if (w == m) {
			*count = &s[i].count;
			return HC_OK;
		}
		if (++i == v->capacity)
			i = 0;
	}
	(void)delta;
	return HC_EFULL;
}

/* One integer add in generation @v; the zero key counts in the header
 * and never migrates. */
static inline int add_one_u64(struct hc_table *t, const struct hc__gv *v,
			      uint64_t m, uint64_t home, uint64_t delta,
			      int mode)
{
	hc_aword *count;
	int rc;

	if (m == 0)
		return hc__count_add(t, &t->hdr->zero_count, delta, mode);
	rc = probe_u64(t, v, m, home, delta, &count);
	if (rc || !count)
		return rc;
	return hc__count_add(t, count, delta, mode);
}

static int u64_add(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	struct hc__gv v;
	uint64_t m = hc__mix64(key, t->seed);
	int rc, pin = hc__pin(t);

	for (;;) {
		rc = hc__view_now(t, &v, 1, pin);
		if (rc)
			break;
		rc = add_one_u64(t, &v, m, hc__home(m, v.capacity), delta,
				 mode);
		if (rc == HC_OK)
			break;
		rc = hc__after_fail(t, v.g, rc, pin);
		if (rc)
			break;
	}
	hc__unpin(t, pin);
	return rc;
}

/*
 * Batched adds, in chunks of HC_BATCH keys: all of a chunk's keys are
 * hashed first, then updated in order while the home slot of key
 * i + HC_PREFETCH_DIST is prefetched, so that many cache misses are in
 * flight at once instead of one.  Hashing apart keeps the arithmetic off
 * the path between a prefetch and its use: on a VM this was worth 10-40%.
 * A growth in the middle of a chunk re-hashes the rest of it for the new
 * generation (hc__staged).
 */

struct u64_batch {
	struct hc_table *t;
	const uint64_t *keys;
	const uint64_t *deltas;
	int mode;
	uint64_t ms[HC_BATCH];
};

static void u64_hash(void *ctx, const struct hc__gv *v, size_t base, size_t n,
		     uint64_t *homes)
{
	struct u64_batch *b = ctx;

	for (size_t i = 0; i < n; i++) {
		b->ms[i] = hc__mix64(b->keys[base + i], b->t->seed);
		homes[i] = hc__home(b->ms[i], v->capacity);
	}
}

static const void *u64_addr(void *ctx, const struct hc__gv *v, uint64_t home)
{
	(void)ctx;
	return (const void *)&v->slots[home];
}

static int u64_update(void *ctx, const struct hc__gv *v, size_t base, size_t i,
		      uint64_t home)
{
	struct u64_batch *b = ctx;
	uint64_t delta = b->deltas ? b->deltas[base + i] : 1;

	return add_one_u64(b->t, v, b->ms[i], home, delta, b->mode);
}

static int u64_add_batch(struct hc_table *t, const uint64_t *keys,
			 const uint64_t *deltas, size_t n, size_t *done,
			 int mode)
{
	static const struct hc__stage stage = { u64_hash, u64_addr, u64_update,
						1, NULL };
	struct u64_batch b;

	b.t = t;
	b.keys = keys;
	b.deltas = deltas;
	b.mode = mode;
	return hc__staged(t, &b, n, done, &stage);
}

/*
 * The count of the mixed key @m in generation @v: 1 and *count if it is
 * there (a frozen count read without its frozen bit: the value it was
 * frozen at), 0 if not.  Never writes, never waits (M4).
 */
static int u64_find(const struct hc__gv *v, uint64_t m, uint64_t *count)
{
	uint64_t i = hc__home(m, v->capacity);

	for (uint32_t n = 0; n < v->max_probe; n++) {
		/* ORDER: relaxed. The word is the whole key (design.md G1). */
		uint64_t w = hc_atomic_load_relaxed(&v->slots[i].word);

		if (w == 0)
			return 0; /* keys are never deleted: absent */
		if (w == m) {
			/* ORDER: relaxed. A count publishes nothing (G3). */
			*count = hc_atomic_load_relaxed(&v->slots[i].count);
			return 1;
		}
		if (++i == v->capacity)
			i = 0;
	}
	return 0;
}

static int u64_get(struct hc_table *t, uint64_t key, uint64_t *count)
{
	struct hc__gv v;
	unsigned cur, top;
	uint64_t m, c;
	int rc, pin;

	m = hc__mix64(key, t->seed);
	if (m == 0) {
		/* ORDER: relaxed. A count publishes nothing (design.md G3). */
		*count = hc_atomic_load_relaxed(&t->hdr->zero_count) &
			 t->count_mask;
		return HC_OK;
	}
	/* The newer generation first, then the older one (M4). */
	pin = hc__pin(t);
	rc = hc__gen_bounds(t, &cur, &top);
	for (unsigned g = top + 1; !rc && g-- > cur;) {
		rc = hc__gen_view(t, g, &v);
		if (!rc && u64_find(&v, m, &c)) {
			*count = c & t->count_mask;
			break;
		}
	}
	hc__unpin(t, pin);
	return rc;
}

static int u64_migrate(struct hc_table *t, const struct hc__gv *o,
		       const struct hc__gv *n, uint64_t lo, uint64_t hi,
		       uint64_t *copied)
{
	(void)t;
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t c, w;
		int rc;

		hc__migrate_visit(i);
		w = hc__slot_freeze(&o->slots[i], &c);
		if (w == 0)
			continue; /* frozen empty: no late claim lands here */
		rc = hc__slot_copy(n, hc__home(w, n->capacity), w, c, copied);
		if (rc)
			return rc;
	}
	return HC_OK;
}

/* ---- iteration and export ------------------------------------------- */

static int u64_next(const struct hc_table *t, const struct hc__gv *v,
		    const struct hc__gv *older, uint64_t *pos, uint64_t end,
		    hc_entry *e)
{
	uint64_t x;

	while (*pos < end) {
		const struct hc__slot *s = &v->slots[(*pos)++];
		/* ORDER: acquire. Pairs with the release CAS in probe_u64()
		 * (kind_u64.c) and probe_bytes() (kind_bytes.c): a byte
		 * key's bytes are visible before we read them (design.md
		 * G1, G2). */
		uint64_t w = hc_atomic_load_acquire(&s->word);
		uint64_t c;

		if (w == 0)
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&s->count) & t->count_mask;
		if (c == 0)
			continue; /* claimed, nothing added yet (P1) */
		/* Pass 2 reports only keys the older generation does not
		 * hold: those were reported (or added behind the cursor) in
		 * pass 1 (M4). */
		if (older && u64_find(older, w, &x))
			continue;
		hc__entry_set(e, hc__unmix64(w, t->seed), NULL, 0, c);
		return 1;
	}
	return 0;
}

static int u64_scan(const struct hc_table *t, const struct hc__gv *v,
		    const struct hc__gv *older, hc__count_fn fn, void *ctx,
		    uint64_t *claimed)
{
	for (uint64_t i = 0; i < v->capacity; i++) {
		/* ORDER: acquire. Pairs with the release claim of a byte key
		 * (kind_bytes.c): the second pass reads the key bytes behind
		 * the ref to find it in the older generation (M10). For u64
		 * the word is the key (design.md G2). */
		uint64_t w = hc_atomic_load_acquire(&v->slots[i].word), c, x;

		if (w == 0)
			continue;
		if (older && u64_find(older, w, &x))
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&v->slots[i].count) & t->count_mask;
		(*claimed)++;
		fn(c, ctx);
	}
	return HC_OK;
}

/* ---- layout --------------------------------------------------------- */

static int u64_validate(const struct hc__header *h)
{
	if (h->key_bits != 0 || h->count_bits != 0 || h->arena_offset != 0 ||
	    h->arena_bytes != 0)
		return HC_ECORRUPT;
	return HC_OK;
}

static void u64_bind(struct hc_table *t, unsigned char *base,
		     const struct hc__header *h)
{
	t->slots = (struct hc__slot *)(base + h->slots_offset);
}

static uint64_t u64_key_max(const struct hc_table *t)
{
	(void)t;
	return UINT64_MAX;
}

/* ---- compact files -------------------------------------------------- */

static int u64_cx_check(const struct hc__cheader *h)
{
	return h->key_bits != 0 || h->hash_bits != 64 ? HC_ECORRUPT : HC_OK;
}

static unsigned u64_cx_bits(const struct hc_table *t)
{
	(void)t;
	return 64;
}

static uint64_t u64_cx_hash(const struct hc_table *t, uint64_t key)
{
	return hc__mix64(key, t->seed);
}

static uint64_t u64_cx_key(const struct hc_table *t, uint64_t h)
{
	return hc__unmix64(h, t->seed);
}

static uint64_t u64_cx_home(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t h)
{
	(void)t;
	return hc__home(h, v->capacity);
}

/*
 * The entries of slots [@s, @e) of @v with a count above 0, in slot
 * order, into @out (room for @e - @s); *n gets how many.
 */
static int u64_cx_decode(const struct hc_table *t, const struct hc__gv *v,
			 uint64_t s, uint64_t e, struct hc__ent *out,
			 uint64_t *n)
{
	uint64_t k = 0;

	for (uint64_t i = s; i < e; i++) {
		/* ORDER: relaxed. A u64 slot's word is the key itself: no
		 * bytes hang off it (design.md G2). */
		uint64_t w = hc_atomic_load_relaxed(&v->slots[i].word), c;

		if (w == 0)
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&v->slots[i].count) & t->count_mask;
		if (c == 0)
			continue; /* claimed, nothing added (P1) */
		out[k].h = w;
		out[k].c = c;
		out[k].home = hc__home(w, v->capacity);
		out[k].slot = i;
		k++;
	}
	*n = k;
	return HC_OK;
}

static int u64_cx_census(const struct hc_table *t, const struct hc__gv *v,
			 uint64_t lo, uint64_t hi, struct hc__census *cs)
{
	for (uint64_t i = lo; i < hi; i++) {
		/* ORDER: relaxed, as in u64_cx_decode(). */
		uint64_t w = hc_atomic_load_relaxed(&v->slots[i].word);
		uint64_t c, d;

		if (w == 0)
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&v->slots[i].count) & t->count_mask;
		if (!c)
			continue;
		hc__census_put(cs, w, 64, c);
		d = hc__disp(v, i, hc__home(w, v->capacity));
		cs->maxd = d > cs->maxd ? d : cs->maxd;
	}
	return HC_OK;
}

const struct hc__kind hc__kind_u64 = {
	.slot_size = HC_SLOT_SIZE,
	.probe_limit = HC_PROBE_LIMIT,
	.flags = HC_KIND_GROWS | HC_KIND_GROWS_PAIR | HC_KIND_ZERO,
	.validate = u64_validate,
	.bind = u64_bind,
	.key_max = u64_key_max,
	.add = u64_add,
	.add_batch = u64_add_batch,
	.get = u64_get,
	.migrate = u64_migrate,
	.next = u64_next,
	.scan = u64_scan,
	.cx_check = u64_cx_check,
	.cx_bits = u64_cx_bits,
	.cx_hash = u64_cx_hash,
	.cx_key = u64_cx_key,
	.cx_home = u64_cx_home,
	.cx_decode = u64_cx_decode,
	.cx_census = u64_cx_census,
};
