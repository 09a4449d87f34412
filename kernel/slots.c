/* SPDX-License-Identifier: MIT */
/*
 * slots.c - the hot path: probing, claiming a slot, adding to a count,
 * single and batched adds (the batch hashes ahead and prefetches), and
 * lookups.  Layout in hc_internal.h; the argument in docs/design.md.
 *
 * Linear probing from hc__home(hash) over at most max_probe slots.  Keys
 * never move and are never deleted, so a slot, once claimed, holds the
 * same key for the life of the table (design.md G1).
 */
#define _GNU_SOURCE
#include <string.h>

#include "hc_internal.h"

#ifdef HC_DEBUG_YIELD
#include <sched.h>
void hc__debug_yield(void)
{
	static _Thread_local unsigned x = 12345;

	x = x * 1103515245u + 12345u;
	if ((x >> 16) % 8 == 0)
		sched_yield();
}
#endif

/*
 * Add @delta to the count word @c in @mode.  A table that grows refuses a
 * frozen count (HC__EMIGRATE: the caller helps the migration and adds in
 * the new generation); one that does not adds as format 1 did.
 */
static inline int count_add(const struct hc_table *t, hc_aword *c,
			    uint64_t delta, int mode)
{
	uint64_t v, seen;

	if (mode == HC_MODE_HOGWILD) {
		/* ORDER: relaxed load and relaxed store, no locked
		 * instruction. Lost updates are accepted and measured
		 * (design.md H1); nothing else is derived from this word.
		 * Killed between the two: this one update is lost (P1). */
		v = hc_atomic_load_relaxed(c);
		if (t->grows && (v & HC_FROZEN))
			return HC__EMIGRATE;
		/* ORDER: relaxed; see the load just above. A store racing
		 * a freeze may clear the frozen bit: that loses this delta
		 * only, never a key or another count (design.md M6). */
		hc_atomic_store_relaxed(c, (v + delta) & t->count_mask);
		return HC_OK;
	}
	if (!t->grows) {
		/* ORDER: relaxed fetch-and-add. Atomicity alone makes the sum
		 * of counts the sum of deltas (design.md G3); no other memory
		 * is published by a count, so no ordering is needed. Killed
		 * before it: this one delta is lost; after: it is kept (P1). */
		hc_atomic_fetch_add_relaxed(c, delta);
		return HC_OK;
	}
	/* ORDER: relaxed. A first guess for the CAS, which checks it. */
	v = hc_atomic_load_relaxed(c);
	for (;;) {
		if (v & HC_FROZEN)
			return HC__EMIGRATE;
		/* ORDER: relaxed CAS. Atomicity makes the sum exact (G3); it
		 * fails on a frozen count, so no delta lands in a slot after
		 * its count was copied (design.md M3). Every failure is
		 * another process's success (P1). Killed before it: this
		 * delta is lost; after: kept. */
		seen = hc_atomic_cas_relaxed(c, v, (v + delta) & HC_COUNT_MASK);
		if (seen == v)
			return HC_OK;
		v = seen;
	}
}

static inline int check_write(const struct hc_table *t, int kind_ok)
{
	if (!t)
		return HC_EINVAL;
	if (!kind_ok)
		return HC_EMISUSE;
	if (!t->writable)
		return HC_ERDONLY;
	return HC_OK;
}

static inline int valid_mode(int mode)
{
	return mode == HC_MODE_EXACT || mode == HC_MODE_HOGWILD;
}

/* ---- integer keys --------------------------------------------------- */

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

/*
 * After a failed add in generation @g: HC__EMIGRATE helps the migration
 * in flight, HC_EFULL starts a growth (M1); both then retry.  Any other
 * status, or a growth refused (limit, memory), goes back to the caller.
 */
int hc__after_fail(struct hc_table *t, unsigned g, int rc)
{
	if (rc == HC__EMIGRATE)
		return hc__help(t, g);
	if (rc == HC_EFULL && t->grows) {
		int r = hc__grow(t, g);

		return r == HC_ENOMEM ? HC_EFULL : r;
	}
	return rc;
}

/* One integer add in generation @v (hashed kinds); the zero key counts
 * in the header and never migrates. */
static inline int add_one_u64(struct hc_table *t, const struct hc__gv *v,
			      uint64_t m, uint64_t home, uint64_t delta,
			      int mode)
{
	hc_aword *count;
	int rc;

	if (m == 0)
		return count_add(t, &t->hdr->zero_count, delta, mode);
	rc = probe_u64(t, v, m, home, delta, &count);
	if (rc || !count)
		return rc;
	return count_add(t, count, delta, mode);
}

int hc__add_u64(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	struct hc__gv v;
	uint64_t m;
	int rc, pin;

	rc = check_write(t, t && t->kind != HC_KEY_BYTES);
	if (rc)
		return rc;
	if (t->kind == HC_KEY_PACKED)
		return valid_mode(mode) ? hc__packed_add(t, key, delta, mode)
					: HC_EINVAL;
	if (t->kind == HC_KEY_DENSE) {
		if (key >= t->capacity)
			return HC_ERANGE;
		return count_add(t, &t->dense[key], delta, mode);
	}
	m = hc__mix64(key, t->seed);
	pin = hc__pin(t);
	for (;;) {
		rc = hc__view_now(t, &v, 1);
		if (rc)
			break;
		rc = add_one_u64(t, &v, m, hc__home(m, v.capacity), delta,
				 mode);
		if (rc == HC_OK)
			break;
		rc = hc__after_fail(t, v.g, rc);
		if (rc)
			break;
	}
	hc__unpin(t, pin);
	return rc;
}

int hc_add(hc_table *t, uint64_t key, uint64_t delta)
{
	return hc__add_u64(t, key, delta, t ? t->mode : HC_MODE_EXACT);
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
		uint64_t k = b->keys[base + i];

		if (b->t->kind == HC_KEY_DENSE) {
			b->ms[i] = homes[i] = k < b->t->capacity ? k : 0;
			continue;
		}
		b->ms[i] = hc__mix64(k, b->t->seed);
		homes[i] = hc__home(b->ms[i], v->capacity);
	}
}

static const void *u64_addr(void *ctx, const struct hc__gv *v, uint64_t home)
{
	struct u64_batch *b = ctx;

	if (b->t->kind == HC_KEY_DENSE)
		return (const void *)&b->t->dense[home];
	return (const void *)&v->slots[home];
}

static int u64_update(void *ctx, const struct hc__gv *v, size_t base, size_t i,
		      uint64_t home)
{
	struct u64_batch *b = ctx;
	uint64_t delta = b->deltas ? b->deltas[base + i] : 1;
	uint64_t k = b->keys[base + i];

	if (b->t->kind == HC_KEY_DENSE)
		return k < b->t->capacity ? count_add(b->t, &b->t->dense[k],
						      delta, b->mode)
					  : HC_ERANGE;
	return add_one_u64(b->t, v, b->ms[i], home, delta, b->mode);
}

int hc_add_batch_mode(hc_table *t, const uint64_t *keys, const uint64_t *deltas,
		      size_t n, size_t *done, int mode)
{
	static const struct hc__stage stage = { u64_hash, u64_addr,
						u64_update };
	struct u64_batch b;
	int rc;

	if (done)
		*done = 0;
	rc = check_write(t, t && t->kind != HC_KEY_BYTES);
	if (rc)
		return rc;
	if ((!keys && n) || !valid_mode(mode))
		return HC_EINVAL;
	if (t->kind == HC_KEY_PACKED)
		return hc__packed_add_batch(t, keys, deltas, n, done, mode);
	b.t = t;
	b.keys = keys;
	b.deltas = deltas;
	b.mode = mode;
	return hc__staged(t, &b, n, done, &stage);
}

int hc_add_batch(hc_table *t, const uint64_t *keys, const uint64_t *deltas,
		 size_t n, size_t *done)
{
	return hc_add_batch_mode(t, keys, deltas, n, done,
				 t ? t->mode : HC_MODE_EXACT);
}

/*
 * The count of the mixed key @m in generation @v: 1 and *count if it is
 * there (a frozen count read without its frozen bit: the value it was
 * frozen at), 0 if not.  Never writes, never waits (M4).
 */
int hc__u64_find(const struct hc__gv *v, uint64_t m, uint64_t *count)
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

/*
 * Freeze slot @i of generation @o and copy it into @n (design.md M3):
 * the count is frozen by a CAS that sets HC_FROZEN, which fixes the
 * value c0 to copy; the copy is a claim of {word, c0} in one pair CAS if
 * the word is absent from @n.  A second copier finds the word and stops,
 * so a slot is never copied twice.  *copied counts the keys of the block.
 */
static inline int u64_migrate_slot(struct hc_table *t, const struct hc__gv *o,
				   const struct hc__gv *n, uint64_t i,
				   uint64_t *copied)
{
	struct hc__slot *s = &o->slots[i];
	uint64_t c, w, seen, j;

	/* ORDER: relaxed. A first guess for the freeze CAS, which checks
	 * it. */
	c = hc_atomic_load_relaxed(&s->count);
	while (!(c & HC_FROZEN)) {
		/* ORDER: full CAS. Freezes the count at c0 = c: from here
		 * exact adds (a CAS that refuses a frozen count) and claims
		 * (a pair CAS from {0, 0}) leave the slot alone, so c0 is
		 * the key's last count in this generation. Acquire: the word
		 * loaded below is at least the one claimed with this count.
		 * Killed after it: the slot is frozen and not yet copied;
		 * whoever migrates the block copies it from c0 (M3, M5). */
		seen = hc_atomic_cas_full(&s->count, c, c | HC_FROZEN);
		if (seen == c) {
			c |= HC_FROZEN;
			break;
		}
		c = seen;
	}
	/* ORDER: acquire. Ordered after the freeze CAS above (M3); for
	 * byte keys, pairs with the release claim in probe_bytes(): the key
	 * bytes hashed below are whole (G1). */
	w = hc_atomic_load_acquire(&s->word);
	if (w == 0)
		return HC_OK; /* frozen empty: no late claim can land here */
#if HC_HAVE_PAIR_CAS
	if (t->kind == HC_KEY_BYTES) {
		/* A byte key's home comes from its bytes; the ref word is
		 * copied as it is, so a copy is found by the word (M10). */
		uint64_t h;
		int rc = hc__ref_hash(t, w, &h);

		if (rc)
			return rc;
		j = hc__home(h, n->capacity);
	} else {
		j = hc__home(w, n->capacity);
	}
	for (uint32_t p = 0; p < n->max_probe; p++) {
		/* ORDER: relaxed. Only copies claim in the new generation
		 * while it is being filled, each with one pair CAS (M3). */
		uint64_t ww = hc_atomic_load_relaxed(&n->slots[j].word);

		if (ww == 0) {
			/* ORDER: release pair CAS. Copies {w, c0} in one
			 * instruction: the key appears in the new generation
			 * with its whole count or not at all, so a copier
			 * killed anywhere loses nothing, and a second copier
			 * finds w and stops (M3). */
			if (hc_atomic_claim_pair_release(&n->slots[j].word, w,
							 c & HC_COUNT_MASK)) {
				(*copied)++;
				return HC_OK;
			}
			/* ORDER: relaxed; the winner's key (G1). */
			ww = hc_atomic_load_relaxed(&n->slots[j].word);
		}
		if (ww == w) {
			(*copied)++;
			return HC_OK;
		}
		if (++j == n->capacity)
			j = 0;
	}
	return HC_EFULL;
#else
	(void)t;
	(void)n;
	(void)j;
	(void)copied;
	return HC_ECORRUPT; /* hashed tables do not grow here (M8) */
#endif
}

int hc__u64_migrate(struct hc_table *t, const struct hc__gv *o,
		    const struct hc__gv *n, uint64_t lo, uint64_t hi,
		    uint64_t *copied)
{
	for (uint64_t i = lo; i < hi; i++) {
		int rc;

		hc__migrate_visit(i);
		rc = u64_migrate_slot(t, o, n, i, copied);
		if (rc)
			return rc;
	}
	return HC_OK;
}

int hc_get(const hc_table *ct, uint64_t key, uint64_t *count)
{
	/* The handle may map a newly published generation (grow.c); the
	 * table itself is only read. */
	struct hc_table *t = (struct hc_table *)ct;
	struct hc__gv v;
	unsigned cur, top;
	uint64_t m, c;
	int rc, pin;

	if (!t || !count)
		return HC_EINVAL;
	*count = 0;
	if (t->kind == HC_KEY_BYTES)
		return HC_EMISUSE;
	if (t->cx)
		return hc__compact_get(t, key, count);
	if (t->kind == HC_KEY_PACKED)
		return hc__packed_get(t, key, count);
	if (t->kind == HC_KEY_DENSE) {
		if (key >= t->capacity)
			return HC_ERANGE;
		/* ORDER: relaxed. A count publishes nothing (design.md G3). */
		*count = hc_atomic_load_relaxed(&t->dense[key]);
		return HC_OK;
	}
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
		if (!rc && hc__u64_find(&v, m, &c)) {
			*count = c & t->count_mask;
			break;
		}
	}
	hc__unpin(t, pin);
	return rc;
}

/* ---- byte-string keys ----------------------------------------------- */

/* The tag kept beside the key-area offset: the low 24 bits of the
 * hash, independent of the top bits that choose the home slot, so all
 * 24 discriminate whatever the capacity (design.md, "Slots"). */
static inline uint64_t ref_tag(uint64_t h)
{
	return h & ((UINT64_C(1) << (64 - HC_REF_OFFSET_BITS)) - 1);
}

/* Does the slot word @w (non-zero, acquired) hold @key?  1, 0 or error. */
static inline int ref_matches(const struct hc_table *t, uint64_t w,
			      uint64_t tag, const void *key, size_t len)
{
	const void *k;
	size_t klen;
	int rc;

	if ((w >> HC_REF_OFFSET_BITS) != tag)
		return 0;
	rc = hc__arena_key(t, (w & HC_REF_OFFSET_MASK) << 3, &k, &klen);
	if (rc)
		return rc;
	return klen == len && memcmp(k, key, len) == 0;
}

/*
 * Find or claim the slot of byte key @key (hash @h) in generation @v.
 * *count as in probe_u64(): NULL when the claim stored @delta itself.
 */
static int probe_bytes(struct hc_table *t, const struct hc__gv *v,
		       const void *key, size_t len, uint64_t h, uint64_t delta,
		       hc_aword **count)
{
	struct hc__slot *s = v->slots;
	uint64_t tag = ref_tag(h), ref = 0, off, i = hc__home(h, v->capacity);
	uint32_t n;
	int rc;

	for (n = 0; n < v->max_probe; n++) {
		/* ORDER: acquire. Pairs with the release CAS below, in the
		 * process that claimed this slot: its key bytes, written to
		 * the key area before that CAS, are visible once we see the
		 * ref, so we never compare against a torn key (design.md G1). */
		uint64_t w = hc_atomic_load_acquire(&s[i].word);

		if (w == 0) {
			if (!ref) {
				rc = hc__arena_append(t, key, len, (uint32_t)h,
						      &off);
				if (rc)
					return rc;
				ref = tag << HC_REF_OFFSET_BITS | off >> 3;
			}
			hc__debug_yield();
#if HC_HAVE_PAIR_CAS
			/* ORDER: release pair CAS. Publishes the key bytes
			 * copied into the key area by hc__arena_append();
			 * pairs with the acquire load above and in
			 * hc_get_bytes() and iter.c. Claims {ref, delta} in
			 * one instruction, as probe_u64() does, so a frozen
			 * empty slot {0, FROZEN} refuses it (M3). Killed
			 * before it: the bytes are unreachable and the slot
			 * stays empty (design.md G1, P1). */
			if (hc_atomic_claim_pair_release(&s[i].word, ref,
							 delta)) {
				*count = NULL;
				hc__note_claim(t, v);
				return HC_OK;
			}
			/* ORDER: acquire. The failed CAS was relaxed; reload
			 * to see the winner's key bytes (design.md G1). Our
			 * own appended bytes stay unreachable. */
			w = hc_atomic_load_acquire(&s[i].word);
			if (w == 0)
				return HC__EMIGRATE; /* {0, FROZEN} */
#else
			/* ORDER: release CAS. Publishes the key bytes copied
			 * into the key area by hc__arena_append(); pairs with
			 * the acquire load above and in hc_get_bytes() and
			 * iter.c. No growth on this path (M8). Killed before
			 * it: the bytes are unreachable and the slot stays
			 * empty (design.md G1, P1). */
			w = hc_atomic_cas_release(&s[i].word, 0, ref);
			if (w == 0) {
				*count = &s[i].count;
				return HC_OK;
			}
			/* ORDER: acquire. The failed CAS was relaxed; reload
			 * to see the winner's key bytes (design.md G1). Our
			 * own appended bytes stay unreachable. */
			w = hc_atomic_load_acquire(&s[i].word);
#endif
		}
		rc = ref_matches(t, w, tag, key, len);
		if (rc < 0)
			return rc;
		if (rc) {
			*count = &s[i].count;
			return HC_OK;
		}
		if (++i == v->capacity)
			i = 0;
	}
	(void)delta;
	return HC_EFULL;
}

/*
 * The slot of byte key @key in generation @v, by its hash: 1 with its
 * word and count, 0 if absent, or an error.  Never writes (M4).
 */
int hc__bytes_find(const struct hc_table *t, const struct hc__gv *v,
		   const void *key, size_t len, uint64_t h, uint64_t *word,
		   uint64_t *count)
{
	uint64_t tag = ref_tag(h), i = hc__home(h, v->capacity);
	int rc;

	for (uint32_t n = 0; n < v->max_probe; n++) {
		/* ORDER: acquire. Pairs with the release CAS in
		 * probe_bytes(): the key bytes are visible (design.md G1). */
		uint64_t w = hc_atomic_load_acquire(&v->slots[i].word);

		if (w == 0)
			return 0;
		rc = ref_matches(t, w, tag, key, len);
		if (rc < 0)
			return rc;
		if (rc) {
			/* ORDER: relaxed. A count publishes nothing (G3). */
			*count = hc_atomic_load_relaxed(&v->slots[i].count);
			*word = w;
			return 1;
		}
		if (++i == v->capacity)
			i = 0;
	}
	return 0;
}

/*
 * Whether generation @v holds the ref word @w (a byte key copied there
 * keeps its ref): 1, 0, or an error from reading the key.
 */
int hc__ref_find(const struct hc_table *t, const struct hc__gv *v, uint64_t w)
{
	uint64_t h, i;
	int rc = hc__ref_hash(t, w, &h);

	if (rc)
		return rc;
	i = hc__home(h, v->capacity);
	for (uint32_t n = 0; n < v->max_probe; n++) {
		/* ORDER: relaxed. Only the word's value is compared; no key
		 * bytes are read through it (design.md M4). */
		uint64_t x = hc_atomic_load_relaxed(&v->slots[i].word);

		if (x == 0)
			return 0;
		if (x == w)
			return 1;
		if (++i == v->capacity)
			i = 0;
	}
	return 0;
}

/* The hash of the key behind ref word @w (to find its home). */
int hc__ref_hash(const struct hc_table *t, uint64_t w, uint64_t *h)
{
	const void *k;
	size_t len;
	int rc = hc__arena_key(t, (w & HC_REF_OFFSET_MASK) << 3, &k, &len);

	if (!rc)
		*h = hc__hash_bytes(k, len, t->seed);
	return rc;
}

static inline int check_bytes_key(const void *key, size_t len)
{
	if (!key && len)
		return HC_EINVAL;
	if (len == 0 || len > HC_KEY_BYTES_MAX)
		return HC_ERANGE;
	return HC_OK;
}

int hc__add_bytes(struct hc_table *t, const void *key, size_t len,
		  uint64_t delta, int mode)
{
	struct hc__gv v;
	hc_aword *count;
	uint64_t h;
	int rc, pin;

	rc = check_write(t, t && t->kind == HC_KEY_BYTES);
	if (!rc)
		rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	if (!valid_mode(mode))
		return HC_EINVAL;
	h = hc__hash_bytes(key, len, t->seed);
	pin = hc__pin(t);
	for (;;) {
		rc = hc__view_now(t, &v, 1);
		if (rc)
			break;
		rc = probe_bytes(t, &v, key, len, h, delta, &count);
		if (!rc && count)
			rc = count_add(t, count, delta, mode);
		if (rc == HC_OK)
			break;
		rc = hc__after_fail(t, v.g, rc);
		if (rc)
			break;
	}
	hc__unpin(t, pin);
	return rc;
}

int hc_add_bytes(hc_table *t, const void *key, size_t len, uint64_t delta)
{
	return hc__add_bytes(t, key, len, delta, t ? t->mode : HC_MODE_EXACT);
}

struct bytes_batch {
	struct hc_table *t;
	const void *const *keys;
	const size_t *lens;
	const uint64_t *deltas;
	int mode;
	uint64_t hs[HC_BATCH];
};

static void bytes_hash(void *ctx, const struct hc__gv *v, size_t base, size_t n,
		       uint64_t *homes)
{
	struct bytes_batch *b = ctx;

	for (size_t i = 0; i < n; i++) {
		b->hs[i] = hc__hash_bytes(b->keys[base + i], b->lens[base + i],
					  b->t->seed);
		homes[i] = hc__home(b->hs[i], v->capacity);
	}
}

static const void *bytes_addr(void *ctx, const struct hc__gv *v, uint64_t home)
{
	(void)ctx;
	return (const void *)&v->slots[home];
}

static int bytes_update(void *ctx, const struct hc__gv *v, size_t base,
			size_t i, uint64_t home)
{
	struct bytes_batch *b = ctx;
	hc_aword *count;
	int rc;

	uint64_t delta = b->deltas ? b->deltas[base + i] : 1;

	(void)home;
	rc = probe_bytes(b->t, v, b->keys[base + i], b->lens[base + i],
			 b->hs[i], delta, &count);
	if (rc || !count)
		return rc;
	return count_add(b->t, count, delta, b->mode);
}

int hc_add_bytes_batch_mode(hc_table *t, const void *const *keys,
			    const size_t *lens, const uint64_t *deltas,
			    size_t n, size_t *done, int mode)
{
	static const struct hc__stage stage = { bytes_hash, bytes_addr,
						bytes_update };
	struct bytes_batch b;
	size_t i;
	int rc, bad = HC_OK;

	if (done)
		*done = 0;
	rc = check_write(t, t && t->kind == HC_KEY_BYTES);
	if (rc)
		return rc;
	if (((!keys || !lens) && n) || !valid_mode(mode))
		return HC_EINVAL;
	for (i = 0; i < n; i++) {
		bad = check_bytes_key(keys[i], lens[i]);
		if (bad) {
			n = i; /* add the valid prefix, then report */
			break;
		}
	}
	b.t = t;
	b.keys = keys;
	b.lens = lens;
	b.deltas = deltas;
	b.mode = mode;
	rc = hc__staged(t, &b, n, done, &stage);
	return rc ? rc : bad;
}

int hc_add_bytes_batch(hc_table *t, const void *const *keys, const size_t *lens,
		       const uint64_t *deltas, size_t n, size_t *done)
{
	return hc_add_bytes_batch_mode(t, keys, lens, deltas, n, done,
				       t ? t->mode : HC_MODE_EXACT);
}

int hc_get_bytes(const hc_table *ct, const void *key, size_t len,
		 uint64_t *count)
{
	struct hc_table *t = (struct hc_table *)ct; /* may map more */
	struct hc__gv v;
	unsigned cur, top;
	uint64_t h, w, c;
	int rc, pin;

	if (!t || !count)
		return HC_EINVAL;
	*count = 0;
	if (t->kind != HC_KEY_BYTES)
		return HC_EMISUSE;
	rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	h = hc__hash_bytes(key, len, t->seed);
	/* The newer generation first, then the older one (M4). */
	pin = hc__pin(t);
	rc = hc__gen_bounds(t, &cur, &top);
	for (unsigned g = top + 1; !rc && g-- > cur;) {
		rc = hc__gen_view(t, g, &v);
		if (!rc)
			rc = hc__bytes_find(t, &v, key, len, h, &w, &c);
		if (rc == 1) {
			*count = c & t->count_mask;
			rc = HC_OK;
			break;
		}
	}
	hc__unpin(t, pin);
	return rc;
}
