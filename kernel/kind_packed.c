/* SPDX-License-Identifier: MIT */
/*
 * kind_packed.c - the packed kind: integer keys below 2^key_bits in
 * 8-byte slots, half the memory of the u64 kind (docs/format.md, "Packed
 * slots"; docs/design.md, "Packed slots").  Its table of operations is
 * hc__kind_packed (design.md, "Kinds"); the packed fields of the handle
 * (hc_internal.h) are its own state.
 *
 * A key is mixed by a bijection on key_bits bits (mixk) into mk, whose
 * home slot is (mk * capacity) >> key_bits.  Linear probing as for the
 * other kinds, over at most HC_PACK_PROBE_LIMIT slots.  A slot is one
 * word:
 *
 *   | 0 | quotient: qbits | d + 1: HC_PACK_DISP_BITS | F | count: cbits |
 *
 * where d is the slot's distance from the home and the quotient is the
 * low qbits of mk: home, d and quotient give back mk, and unmixk the key.
 * The word is 0 when empty and never 0 once claimed (d + 1 > 0); its key
 * part never changes after the claim.  F is the frozen bit of a slot
 * being moved to the next generation (design.md M3); a word of F alone
 * is a frozen empty slot.  cbits is fixed when the table is created; a
 * larger generation has fewer quotient bits and leaves the top ones 0.
 * A count that reaches the largest value of its field (cmask) stays
 * there, saturated, and the rest of it is kept in the overflow area:
 * 16-byte slots {mk << 1 | 1, count}, shared by every generation (mk
 * does not depend on the capacity), so it never migrates.
 */
#include "hc_internal.h"

/*
 * The packed geometry, in this one place: a generation of @capacity
 * slots (a power of two or not) keeps the low qbits of mk in a word; its
 * home gives the rest.
 */
static unsigned qbits_of(unsigned key_bits, uint64_t capacity)
{
	unsigned l = 63u - (unsigned)__builtin_clzll(capacity);

	return key_bits > l ? key_bits - l : 0;
}

/* The quotient and count bits of a table created with @capacity slots;
 * HC_EINVAL where no count field of HC_PACK_COUNT_BITS_MIN fits. */
static int packed_geometry(unsigned key_bits, uint64_t capacity,
			   unsigned *qbits, unsigned *cbits)
{
	unsigned q;

	if (key_bits == 0 || key_bits > HC_PACK_KEY_BITS_MAX || capacity == 0)
		return HC_EINVAL;
	q = qbits_of(key_bits, capacity);
	if (q + HC_PACK_DISP_BITS + HC_PACK_COUNT_BITS_MIN > 64u)
		return HC_EINVAL;
	*qbits = q;
	*cbits = 64u - HC_PACK_DISP_BITS - q;
	return HC_OK;
}

static uint64_t ovf_capacity(uint64_t capacity)
{
	uint64_t n = capacity / HC_PACK_OVF_DIV;

	return n < HC_PACK_OVF_MIN ? HC_PACK_OVF_MIN : n;
}

/* The overflow area of a table of @capacity that may grow to @max (0:
 * unbounded, sized as for 2^24 slots; untouched pages cost nothing). */
static uint64_t ovf_for(uint64_t capacity, uint64_t max)
{
	if (max == 0)
		max = UINT64_C(1) << 24;
	return ovf_capacity(max > capacity ? max : capacity);
}

uint64_t hc__packed_mixk(const struct hc_table *t, uint64_t key)
{
	return hc__mixk(t, key);
}

/* The home slot of mk in packed generation @v: monotone in mk. */
static inline uint64_t packed_home(const struct hc_table *t,
				   const struct hc__gv *v, uint64_t mk)
{
	return (uint64_t)(((unsigned __int128)mk * v->capacity) >> t->key_bits);
}

/* The distance d from its home of the key in packed word @w (non-zero,
 * not a frozen empty slot); at most HC_PACK_PROBE_LIMIT - 1 in a word
 * an add wrote. */
static inline uint64_t packed_disp(const struct hc_table *t, uint64_t w)
{
	return ((w >> (t->cbits + t->fshift)) &
		((UINT64_C(1) << HC_PACK_DISP_BITS) - 1)) -
	       1;
}

/* The key part of the word of mk at its home (distance 0); each slot
 * further adds v->pstep, one more in the displacement field. */
static inline uint64_t prefix0(const struct hc_table *t, const struct hc__gv *v,
			       uint64_t mk)
{
	return ((mk & v->qmask) << HC_PACK_DISP_BITS | 1)
	       << (t->cbits + t->fshift);
}

/* The key part of a word: all but the count and the frozen bit. */
static inline uint64_t key_part(const struct hc__gv *v, uint64_t w)
{
	return w & v->kpmask;
}

/*
 * mk back from its home and quotient.  The keys with home h are the
 * interval [ceil(h 2^b / cap), ceil((h + 1) 2^b / cap)), no longer than
 * 2^qbits because cap >= 2^(b - qbits); so its low qbits pick one.
 */
static uint64_t recover(const struct hc_table *t, const struct hc__gv *v,
			uint64_t home, uint64_t q)
{
	unsigned __int128 top;
	uint64_t lo, a, r, r2, s;

	if (v->capacity == UINT64_C(1) << v->lg && t->key_bits >= v->lg) {
		/* A generation that doubled: the interval starts at home's
		 * multiple of 2^(key_bits - lg), and q is its offset. */
		lo = home << (t->key_bits - v->lg);
		return lo + ((q - lo) & v->qmask);
	}
	if (t->key_bits >= v->lg && v->lg <= 31u && v->prcp) {
		/* A rung between doublings (design.md M1): home 2^lg =
		 * a cap + r, so the start is 2^s a + ceil(2^s r / cap),
		 * s = key_bits - lg, in 64-bit steps (home 2^lg < 2^63,
		 * 2^s r < 2^(key_bits + 1)). */
		s = t->key_bits - v->lg;
		a = hc__div_rcp(home << v->lg, v->capacity, v->prcp, &r);
		lo = (a << s) + hc__div_rcp((r << s) + v->capacity - 1,
					    v->capacity, v->prcp, &r2);
		return lo + ((q - lo) & v->qmask);
	}
	top = (unsigned __int128)home << t->key_bits;
	lo = (uint64_t)((top + v->capacity - 1) / v->capacity);
	return lo + ((q - lo) & v->qmask);
}

/* ---- the overflow area ----------------------------------------------- */

/*
 * The overflow count word of mk in the area of @cap 16-byte slots at
 * @ovf: found, or claimed where @claim, within @limit slots of its home
 * (else HC_EFULL; HC_ENOENT when absent).  Ordinary 16-byte slots with
 * linear probing, keyed by mk << 1 | 1 (never 0); slots are never freed,
 * so a lookup stops at the first empty one.  The packed kind's area is
 * shared by every generation, the narrow kind's one per generation
 * (kind_narrow.c).
 */
int hc__ovf_locate(struct hc__slot *ovf, uint64_t cap, uint64_t mk, int claim,
		   uint64_t limit, hc_aword **count)
{
	uint64_t k = mk << 1 | 1, i = hc__home(hc__mix64(k, 0), cap);

	if (limit > cap)
		limit = cap;
	for (uint64_t n = 0; n < limit; n++) {
		/* ORDER: relaxed. The word is the whole key, published by
		 * one CAS; nothing else to observe (design.md G1). */
		uint64_t w = hc_atomic_load_relaxed(&ovf[i].word);

		if (w == 0) {
			if (!claim)
				return HC_ENOENT;
			/* ORDER: relaxed CAS; as probe_u64() in kind_u64.c:
			 * one process moves a word from 0, so mk has one
			 * overflow slot in the area. Packed: nothing else is
			 * published (G1). Narrow: its existence is what a
			 * saturated word promises a copier, which claims it
			 * again if it sees none (kind_narrow.c, ovf_freeze),
			 * so no order is needed. Killed after it: an entry
			 * of count 0, which adds nothing. */
			w = hc_atomic_cas_relaxed(&ovf[i].word, 0, k);
			if (w == 0)
				w = k;
		}
		if (w == k) {
			*count = &ovf[i].count;
			return HC_OK;
		}
		if (++i == cap)
			i = 0;
	}
	return claim ? HC_EFULL : HC_ENOENT;
}

static int ovf_locate(const struct hc_table *t, uint64_t mk, int claim,
		      hc_aword **count)
{
	return hc__ovf_locate(t->ovf, t->ovf_capacity, mk, claim,
			      t->ovf_capacity, count);
}

/* The count of the slot word @w holding mk. */
static uint64_t word_count(const struct hc_table *t, uint64_t w, uint64_t mk)
{
	uint64_t c = w & t->cmask;
	hc_aword *oc;

	if (c != t->cmask || ovf_locate(t, mk, 0, &oc) != HC_OK)
		return c;
	/* ORDER: relaxed. A count publishes nothing (design.md G3). */
	return c + hc_atomic_load_relaxed(oc);
}

/* ---- adds ----------------------------------------------------------- */

/*
 * Add @delta to the slot @s, whose word @w (as last read) holds mk.
 * Exact: a CAS loop, so that a count never carries into the key part;
 * every failed CAS means another process's succeeded (lock-free).  A
 * count about to pass cmask saturates at cmask and the rest goes to the
 * overflow area, whose slot is claimed first so that a full overflow
 * area refuses the add before anything changed.  A frozen word refuses
 * the add (HC__EMIGRATE), unless the count is saturated: the overflow
 * area does not migrate, so its count is kept whatever the slot (M3).
 */
static int add_word(struct hc_table *t, hc_aword *s, uint64_t w, uint64_t mk,
		    uint64_t delta, int mode)
{
	uint64_t cm = t->cmask;

	for (;;) {
		uint64_t c = w & cm, old;
		hc_aword *oc;
		int rc;

		if (t->fbit && (w & t->fbit) && c != cm)
			return HC__EMIGRATE;
		if (c != cm && delta < cm - c) {
			if (mode == HC_MODE_HOGWILD) {
				/* ORDER: relaxed store of a word read relaxed,
				 * no locked instruction (design.md H1). Its
				 * key part is the one already there, so a
				 * race loses counts, never keys; racing a
				 * freeze it may clear F, which loses this
				 * delta only (M6). */
				hc_atomic_store_relaxed(s, w + delta);
				return HC_OK;
			}
			/* ORDER: relaxed CAS. Atomicity makes the sum exact
			 * (design.md G3); nothing is published. It fails on
			 * a frozen word (M3). Killed before it: this delta
			 * is lost; after: kept (P1). */
			old = hc_atomic_cas_relaxed(s, w, w + delta);
			if (old == w)
				return HC_OK;
			w = old;
			continue;
		}
		rc = ovf_locate(t, mk, 1, &oc);
		if (rc)
			return rc;
		if (c != cm) {
			/* ORDER: relaxed CAS; saturates the field, and fails
			 * on a frozen word (M3). Killed after it and before
			 * the overflow add: the part of this delta above
			 * cmask - c is lost (P1). */
			old = hc_atomic_cas_relaxed(s, w, w | cm);
			if (old != w) {
				w = old;
				continue;
			}
			delta -= cm - c;
		}
		/* ORDER: relaxed fetch-and-add, as for any count (G3). */
		hc_atomic_fetch_add_relaxed(oc, delta);
		return HC_OK;
	}
}

/*
 * Find or claim mk's slot in generation @v from @home and add @delta.  A
 * claim stores the key part and the first delta (or cmask, the rest going
 * to overflow) in one CAS.
 */
static inline __attribute__((always_inline)) int
probe_add(struct hc_table *t, const struct hc__gv *v, uint64_t mk,
	  uint64_t home, uint64_t delta, int mode)
{
	hc_aword *s = v->packed;
	uint64_t i = home, cm = t->cmask, p = prefix0(t, v, mk);

	for (uint64_t d = 0; d < v->max_probe; d++, p += v->pstep) {
		/* ORDER: relaxed. The key part of a word is published by
		 * one CAS and never changes; nothing else to observe
		 * (design.md G1). */
		uint64_t w = hc_atomic_load_relaxed(&s[i]);

		if (w == 0) {
			uint64_t first = delta < cm ? delta : cm;
			hc_aword *oc = NULL;
			int rc;

			if (delta >= cm) {
				rc = ovf_locate(t, mk, 1, &oc);
				if (rc)
					return rc;
			}
			hc__debug_yield();
			/* ORDER: relaxed CAS. Claims the empty slot with the
			 * key part and first count in one word: one process
			 * can, so a key has one slot (design.md G1); a frozen
			 * empty word (F) refuses it (M3). Nothing else is
			 * published. Killed before it: nothing; after it and
			 * before the overflow add: the rest of this delta. */
			w = hc_atomic_cas_relaxed(&s[i], 0, p | first);
			if (w == 0) {
				hc__note_claim(t, v);
				if (oc)
					/* ORDER: relaxed; a count (G3). */
					hc_atomic_fetch_add_relaxed(oc,
								    delta - cm);
				return HC_OK;
			}
		}
		if (key_part(v, w) == p)
			return add_word(t, &s[i], w, mk, delta, mode);
		if (t->fbit && w == t->fbit)
			return HC__EMIGRATE; /* frozen empty */
		if (++i == v->capacity)
			i = 0;
	}
	return HC_EFULL;
}

static int packed_add(struct hc_table *t, uint64_t key, uint64_t delta,
		      int mode)
{
	struct hc__gv v;
	uint64_t mk;
	int rc, pin;

	if (!hc__valid_mode(mode))
		return HC_EINVAL;
	if (key > t->kmask)
		return HC_ERANGE;
	mk = hc__mixk(t, key);
	pin = hc__pin(t);
	for (;;) {
		rc = hc__view_now(t, &v, 1, pin);
		if (rc)
			break;
		rc = probe_add(t, &v, mk, packed_home(t, &v, mk), delta, mode);
		if (rc == HC_OK)
			break;
		rc = hc__after_fail(t, v.g, rc, pin);
		if (rc)
			break;
	}
	hc__unpin(t, pin);
	return rc;
}

struct packed_batch {
	struct hc_table *t;
	const uint64_t *keys;
	const uint64_t *deltas;
	int mode;
	uint64_t mk[HC_BATCH];
};

static void packed_hash(void *ctx, const struct hc__gv *v, size_t base,
			size_t n, uint64_t *homes)
{
	struct packed_batch *b = ctx;

	for (size_t i = 0; i < n; i++) {
		b->mk[i] = hc__mixk(b->t, b->keys[base + i] & b->t->kmask);
		homes[i] = packed_home(b->t, v, b->mk[i]);
	}
}

static const void *packed_addr(void *ctx, const struct hc__gv *v, uint64_t home)
{
	(void)ctx;
	return (const void *)&v->packed[home];
}

static int packed_update(void *ctx, const struct hc__gv *v, size_t base,
			 size_t i, uint64_t home)
{
	struct packed_batch *b = ctx;

	if (b->keys[base + i] > b->t->kmask)
		return HC_ERANGE;
	return probe_add(b->t, v, b->mk[i], home,
			 b->deltas ? b->deltas[base + i] : 1, b->mode);
}

/* Batched adds through the staged pipeline (hc__staged). */
static int packed_add_batch(struct hc_table *t, const uint64_t *keys,
			    const uint64_t *deltas, size_t n, size_t *done,
			    int mode)
{
	static const struct hc__stage stage = { packed_hash, packed_addr,
						packed_update, 1, NULL };
	struct packed_batch b;

	b.t = t;
	b.keys = keys;
	b.deltas = deltas;
	b.mode = mode;
	return hc__staged(t, &b, n, done, &stage);
}

/* ---- reads ---------------------------------------------------------- */

/* The word of mk in generation @v into *w: 1 if there, 0 if not. */
static int packed_find(const struct hc_table *t, const struct hc__gv *v,
		       uint64_t mk, uint64_t *w)
{
	uint64_t i = packed_home(t, v, mk), p = prefix0(t, v, mk);

	for (uint64_t d = 0; d < v->max_probe; d++, p += v->pstep) {
		/* ORDER: relaxed. Key part and count are one word (G1). */
		uint64_t x = hc_atomic_load_relaxed(&v->packed[i]);

		if (x == 0 || (t->fbit && x == t->fbit))
			return 0; /* keys are never deleted: absent */
		if (key_part(v, x) == p) {
			*w = x;
			return 1;
		}
		if (++i == v->capacity)
			i = 0;
	}
	return 0;
}

static int packed_get(struct hc_table *t, uint64_t key, uint64_t *count)
{
	struct hc__gv v;
	unsigned cur, top;
	uint64_t mk, w;
	int rc, pin;

	if (key > t->kmask)
		return HC_ERANGE;
	mk = hc__mixk(t, key);
	/* The newer generation first, then the older one (M4). */
	pin = hc__pin(t);
	rc = hc__gen_bounds(t, &cur, &top);
	for (unsigned g = top + 1; !rc && g-- > cur;) {
		rc = hc__gen_view(t, g, &v);
		if (!rc && packed_find(t, &v, mk, &w)) {
			*count = word_count(t, w, mk);
			break;
		}
	}
	hc__unpin(t, pin);
	return rc;
}

/* mk and the home slot of the key in slot @i, whose word @w is a key. */
static inline int packed_locate(const struct hc_table *t,
				const struct hc__gv *v, uint64_t i, uint64_t w,
				uint64_t *mk, uint64_t *home)
{
	unsigned qsh = t->cbits + t->fshift + HC_PACK_DISP_BITS;
	uint64_t d = packed_disp(t, w);

	if (d >= v->max_probe)
		return HC_ECORRUPT;
	*home = i >= d ? i - d : i + v->capacity - d;
	*mk = recover(t, v, *home,
		      qsh < 64 ? w >> qsh : 0); /* else no quotient bits */
	return HC_OK;
}

static inline int packed_mk(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t i, uint64_t w, uint64_t *mk)
{
	uint64_t home;

	return packed_locate(t, v, i, w, mk, &home);
}

/*
 * The entry in slot @i of generation @v, whose word @w is non-zero: its
 * key and count.  HC_ECORRUPT for a word no add can write (a displacement
 * past the probe limit): the walk stops rather than report a wrong key.
 */
static int packed_entry(const struct hc_table *t, const struct hc__gv *v,
			uint64_t i, uint64_t w, uint64_t *key, uint64_t *count)
{
	uint64_t mk;
	int rc = packed_mk(t, v, i, w, &mk);

	if (rc)
		return rc;
	*key = hc__unmixk(t, mk);
	*count = word_count(t, w, mk);
	return HC_OK;
}

/*
 * The entries of slots [@s, @e) of generation @v, in slot order, for a
 * writer that walks a whole generation (compact.c): each claimed slot
 * whose count is above 0 as {mk, count, home, slot}: packed_locate()
 * and word_count() inlined in one loop instead of a call a slot.  *n
 * gets the number written (at most @e - @s).  HC_ECORRUPT for a
 * displacement past the probe limit.
 */
static int packed_cx_decode(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t s, uint64_t e, struct hc__ent *out,
			    uint64_t *n)
{
	const uint64_t cm = t->cmask;
	uint64_t k = 0;

	for (uint64_t i = s; i < e; i++) {
		/* ORDER: relaxed. Key part and count are one word
		 * (design.md G1, G2). */
		uint64_t w = hc_atomic_load_relaxed(&v->packed[i]);
		uint64_t home, mk, c;

		if (w == 0 || (t->fbit && w == t->fbit))
			continue;
		if (packed_locate(t, v, i, w, &mk, &home))
			return HC_ECORRUPT;
		c = w & cm;
		if (c == cm)
			c = word_count(t, w, mk);
		if (c == 0)
			continue; /* claimed, nothing added (P1) */
		out[k].h = mk;
		out[k].c = c;
		out[k].home = home;
		out[k].slot = i;
		k++;
	}
	*n = k;
	return HC_OK;
}

/*
 * Freeze slot @i of generation @o and copy it into @n (design.md M3): a
 * CAS sets F, which fixes the word to copy; the key is decoded from the
 * old geometry and claimed in the new one with the same count field if
 * absent.  A second copier finds it and stops.
 */
static inline int packed_migrate_slot(struct hc_table *t,
				      const struct hc__gv *o,
				      const struct hc__gv *n, uint64_t i,
				      uint64_t *copied)
{
	hc_aword *s = &o->packed[i];
	uint64_t w, seen, mk, j, p;
	int rc;

	/* ORDER: relaxed. A first guess for the freeze CAS. */
	w = hc_atomic_load_relaxed(s);
	while (!(w & t->fbit)) {
		/* ORDER: relaxed CAS. Freezes the word: from here no add
		 * or claim changes it (they CAS and refuse F), so its count
		 * field is the key's last in this generation (the overflow
		 * part lives on, shared). Key and count are this one word,
		 * so nothing else needs ordering (M3). Killed after it: the
		 * block's next migrator copies it (M5). */
		seen = hc_atomic_cas_relaxed(s, w, w | t->fbit);
		if (seen == w) {
			w |= t->fbit;
			break;
		}
		w = seen;
	}
	if (w == t->fbit)
		return HC_OK; /* frozen empty */
	rc = packed_mk(t, o, i, w, &mk);
	if (rc)
		return rc;
	j = packed_home(t, n, mk);
	p = prefix0(t, n, mk);
	for (uint64_t d = 0; d < n->max_probe; d++, p += n->pstep) {
		/* ORDER: relaxed. Only copies claim in the new generation
		 * while it is filled, each with one CAS (M3). */
		uint64_t x = hc_atomic_load_relaxed(&n->packed[j]);

		if (x == 0) {
			/* ORDER: relaxed CAS. Copies key and count field
			 * in one word: all or nothing, so a copier killed
			 * anywhere loses nothing and a second one finds the
			 * key and stops (M3). */
			x = hc_atomic_cas_relaxed(&n->packed[j], 0,
						  p | (w & t->cmask));
			if (x == 0) {
				(*copied)++;
				return HC_OK;
			}
		}
		if (key_part(n, x) == p) {
			(*copied)++;
			return HC_OK;
		}
		if (++j == n->capacity)
			j = 0;
	}
	return HC_EFULL;
}

static int packed_migrate(struct hc_table *t, const struct hc__gv *o,
			  const struct hc__gv *n, uint64_t lo, uint64_t hi,
			  uint64_t *copied)
{
	for (uint64_t i = lo; i < hi; i++) {
		int rc;

		hc__migrate_visit(i);
		rc = packed_migrate_slot(t, o, n, i, copied);
		if (rc)
			return rc;
	}
	return HC_OK;
}

/* ---- iteration and export ------------------------------------------- */

static int packed_next(const struct hc_table *t, const struct hc__gv *v,
		       const struct hc__gv *older, uint64_t *pos, uint64_t end,
		       hc_entry *e)
{
	while (*pos < end) {
		uint64_t i = (*pos)++, k, c, mk, x;
		/* ORDER: relaxed. Key part and count are one word,
		 * published by one CAS (design.md G1, G2). */
		uint64_t w = hc_atomic_load_relaxed(&v->packed[i]);
		int rc;

		if (w == 0 || (t->fbit && w == t->fbit))
			continue;
		rc = packed_mk(t, v, i, w, &mk);
		/* Pass 2 reports only keys the older generation does not
		 * hold: those were reported (or added behind the cursor) in
		 * pass 1 (M4). */
		if (!rc && older && packed_find(t, older, mk, &x))
			continue;
		if (!rc)
			rc = packed_entry(t, v, i, w, &k, &c);
		if (rc)
			return rc;
		if (c) {
			hc__entry_set(e, k, NULL, 0, c);
			return 1;
		}
	}
	return 0;
}

static int packed_scan(const struct hc_table *t, const struct hc__gv *v,
		       const struct hc__gv *older, hc__count_fn fn, void *ctx,
		       uint64_t *claimed)
{
	for (uint64_t i = 0; i < v->capacity; i++) {
		/* ORDER: relaxed. Key part and count are one word (design.md
		 * G1, G2). */
		uint64_t w = hc_atomic_load_relaxed(&v->packed[i]), c, x, mk;

		if (w == 0 || (t->fbit && w == t->fbit))
			continue;
		c = w & t->cmask;
		if (older && (packed_mk(t, v, i, w, &mk) ||
			      packed_find(t, older, mk, &x)))
			continue;
		/* A saturated count continues in the overflow area, found
		 * by the key. */
		if (c == t->cmask && packed_entry(t, v, i, w, &x, &c))
			c = t->cmask;
		(*claimed)++;
		fn(c, ctx);
	}
	return HC_OK;
}

/* The overflow area (seal.c). */
static int packed_regions(struct hc_table *t, uint64_t arena_used,
			  struct hc__region *r, unsigned *n)
{
	(void)arena_used;
	r[(*n)++] = (struct hc__region){ HC_REGION_OVERFLOW, 0,
					 (const unsigned char *)t->ovf,
					 t->ovf_capacity * HC_SLOT_SIZE };
	return HC_OK;
}

/* ---- layout --------------------------------------------------------- */

static int packed_layout(const hc_options *opt, int grows, uint64_t *cap,
			 struct hc__header *h)
{
	unsigned qb, cb;

	/* A growing table given no size starts where its count field is
	 * wide enough. */
	if (grows && opt->capacity == 0 && opt->key_bits > 35 &&
	    opt->key_bits <= HC_PACK_KEY_BITS_MAX &&
	    *cap < UINT64_C(1) << (opt->key_bits - 35))
		*cap = UINT64_C(1) << (opt->key_bits - 35);
	if (grows && *cap > HC_CAPACITY_MAX)
		return HC_EINVAL;
	if (*cap == 0 || *cap > HC_CAPACITY_MAX ||
	    packed_geometry(opt->key_bits, *cap, &qb, &cb))
		return HC_EINVAL;
	h->key_bits = opt->key_bits;
	/* A growing table gives one count bit to the frozen bit. */
	h->count_bits = grows ? cb - 1 : cb;
	if (h->count_bits < HC_PACK_COUNT_BITS_MIN)
		return HC_EINVAL;
	return HC_OK;
}

/* The overflow area takes the key area's place. */
static int packed_area(const hc_options *opt, int grows, uint64_t cap,
		       const struct hc__header *h, uint64_t *bytes)
{
	(void)opt;
	*bytes = ovf_for(cap, grows ? h->max_capacity : cap) * HC_SLOT_SIZE;
	return HC_OK;
}

static int packed_validate(const struct hc__header *h)
{
	uint64_t end = HC_HEADER_SIZE + h->slots_bytes;
	unsigned qb, cb;

	/* count_bits is fixed when the table is created; a saved copy
	 * of a grown table has fewer quotient bits (design.md, "Packed slots"). */
	if (packed_geometry(h->key_bits, h->capacity, &qb, &cb) ||
	    h->count_bits < HC_PACK_COUNT_BITS_MIN ||
	    h->count_bits + (h->max_capacity != h->capacity) > cb)
		return HC_ECORRUPT;
	if (h->arena_offset != (end + 63) / 64 * 64 ||
	    h->arena_bytes < HC_PACK_OVF_MIN * HC_SLOT_SIZE ||
	    h->arena_bytes > (UINT64_C(1) << 40) ||
	    h->arena_bytes % HC_SLOT_SIZE)
		return HC_ECORRUPT;
	return HC_OK;
}

static void packed_geom(struct hc_table *t, const struct hc__header *h)
{
	t->key_bits = h->key_bits;
	t->kmask = (UINT64_C(1) << h->key_bits) - 1;
	t->cbits = h->count_bits;
	t->cmask = (UINT64_C(1) << t->cbits) - 1;
	t->fshift = h->max_capacity != h->capacity;
	t->fbit = (uint64_t)t->fshift << t->cbits;
	t->qbits = qbits_of(h->key_bits, h->capacity);
}

void hc__packed_bind(struct hc_table *t, unsigned char *base,
		     const struct hc__header *h)
{
	t->packed = (hc_aword *)(base + h->slots_offset);
	t->ovf = (struct hc__slot *)(base + h->arena_offset);
	t->ovf_capacity = h->arena_bytes / HC_SLOT_SIZE;
}

void hc__packed_options(const struct hc_table *t, hc_options *opt)
{
	opt->key_bits = t->key_bits;
}

uint64_t hc__packed_key_max(const struct hc_table *t)
{
	return t->kmask;
}

/* The packed part of a generation's view (grow.c): the quotient bits
 * of its capacity and the masks of its words. */
static int packed_view(const struct hc_table *t, struct hc__gv *v)
{
	v->qbits = qbits_of(t->key_bits, v->capacity);
	v->qmask = v->qbits ? ~UINT64_C(0) >> (64 - v->qbits) : 0;
	v->prcp = UINT64_MAX / v->capacity;
	v->pstep = (t->cmask + 1) << t->fshift;
	v->kpmask = ~(t->cmask | t->fbit);
	return v->qbits + HC_PACK_DISP_BITS + t->fshift + t->cbits <= 64u
		       ? HC_OK
		       : HC_ECORRUPT;
}

/* ---- compact files -------------------------------------------------- */

int hc__packed_cx_check(const struct hc__cheader *h)
{
	if (h->key_bits == 0 || h->key_bits > HC_PACK_KEY_BITS_MAX ||
	    h->hash_bits != h->key_bits)
		return HC_ECORRUPT;
	return HC_OK;
}

void hc__packed_cx_geom(struct hc_table *t, const struct hc__cheader *h)
{
	t->key_bits = h->key_bits;
	t->kmask = (UINT64_C(1) << h->key_bits) - 1;
}

static unsigned packed_cx_bits(const struct hc_table *t)
{
	return t->key_bits;
}

uint64_t hc__packed_cx_key(const struct hc_table *t, uint64_t h)
{
	return hc__unmixk(t, h);
}

/* The census of slots [lo, hi) (hc__census_put): every word decoded,
 * for its hash's bin. */
static int packed_cx_census(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t lo, uint64_t hi, struct hc__census *cs)
{
	for (uint64_t i = lo; i < hi; i++) {
		/* ORDER: relaxed. Key part and count are one word (G1). */
		uint64_t w = hc_atomic_load_relaxed(&v->packed[i]), c, mk, d;

		if (w == 0 || (t->fbit && w == t->fbit))
			continue;
		d = packed_disp(t, w);
		cs->maxd = d > cs->maxd ? d : cs->maxd;
		if (packed_mk(t, v, i, w, &mk))
			return HC_ECORRUPT;
		c = word_count(t, w, mk);
		if (c)
			hc__census_put(cs, mk, t->key_bits, c);
	}
	return HC_OK;
}

const struct hc__kind hc__kind_packed = {
	.slot_size = HC_PACK_SLOT_SIZE,
	.probe_limit = HC_PACK_PROBE_LIMIT,
	.flags = HC_KIND_GROWS,
	.layout = packed_layout,
	.area = packed_area,
	.validate = packed_validate,
	.geom = packed_geom,
	.bind = hc__packed_bind,
	.options = hc__packed_options,
	.key_max = hc__packed_key_max,
	.view = packed_view,
	.add = packed_add,
	.add_batch = packed_add_batch,
	.get = packed_get,
	.migrate = packed_migrate,
	.next = packed_next,
	.scan = packed_scan,
	.regions = packed_regions,
	.cx_check = hc__packed_cx_check,
	.cx_geom = hc__packed_cx_geom,
	.cx_bits = packed_cx_bits,
	.cx_hash = hc__packed_mixk,
	.cx_key = hc__packed_cx_key,
	.cx_home = packed_home,
	.cx_decode = packed_cx_decode,
	.cx_census = packed_cx_census,
};
