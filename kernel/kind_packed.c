/* SPDX-License-Identifier: MIT */
/*
 * packed.c - the packed kind: integer keys below 2^key_bits in 8-byte
 * slots, half the memory of the u64 kind (docs/format.md, "Packed
 * slots"; docs/design.md, "Packed slots").
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

int hc__packed_geometry(unsigned key_bits, uint64_t capacity, unsigned *qbits,
			unsigned *cbits)
{
	unsigned l = 63u - (unsigned)__builtin_clzll(capacity), q;

	if (key_bits == 0 || key_bits > HC_PACK_KEY_BITS_MAX || capacity == 0)
		return HC_EINVAL;
	q = key_bits > l ? key_bits - l : 0;
	if (q + HC_PACK_DISP_BITS + HC_PACK_COUNT_BITS_MIN > 64u)
		return HC_EINVAL;
	*qbits = q;
	*cbits = 64u - HC_PACK_DISP_BITS - q;
	return HC_OK;
}

uint64_t hc__packed_ovf_capacity(uint64_t capacity)
{
	uint64_t n = capacity / HC_PACK_OVF_DIV;

	return n < HC_PACK_OVF_MIN ? HC_PACK_OVF_MIN : n;
}

/* The overflow area of a table of @capacity that may grow to @max (0:
 * unbounded, sized as for 2^24 slots; untouched pages cost nothing). */
uint64_t hc__packed_ovf_for(uint64_t capacity, uint64_t max)
{
	if (max == 0)
		max = UINT64_C(1) << 24;
	return hc__packed_ovf_capacity(max > capacity ? max : capacity);
}

/* ---- the key_bits-bit bijection -------------------------------------- */

/* x ^= x >> s, undone: (1 + S)^-1 = (1 + S)(1 + S^2)(1 + S^4)... */
static inline uint64_t unxorshift(uint64_t x, unsigned s, unsigned b)
{
	for (unsigned sh = s; sh < b; sh <<= 1)
		x ^= x >> sh;
	return x;
}

/* fmix64's shape on b bits: xor-shifts and odd multiplies mod 2^b. */
static inline uint64_t mixk(const struct hc_table *t, uint64_t key)
{
	uint64_t m = t->kmask, x = (key ^ t->seed) & m;
	unsigned s = (t->key_bits + 1) / 2;

	x ^= x >> s;
	x = (x * HC_MIX_C1) & m;
	x ^= x >> s;
	x = (x * HC_MIX_C2) & m;
	x ^= x >> s;
	return x;
}

static inline uint64_t unmixk(const struct hc_table *t, uint64_t x)
{
	uint64_t m = t->kmask;
	unsigned s = (t->key_bits + 1) / 2, b = t->key_bits;

	x = unxorshift(x, s, b);
	x = (x * HC_MIX_C2_INV) & m;
	x = unxorshift(x, s, b);
	x = (x * HC_MIX_C1_INV) & m;
	x = unxorshift(x, s, b);
	return (x ^ t->seed) & m;
}

uint64_t hc__packed_mixk(const struct hc_table *t, uint64_t key)
{
	return mixk(t, key);
}

uint64_t hc__packed_unmixk(const struct hc_table *t, uint64_t mk)
{
	return unmixk(t, mk);
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
	uint64_t lo;

	if (v->capacity == UINT64_C(1) << v->lg && t->key_bits >= v->lg) {
		/* Every grown generation: the interval starts at home's
		 * multiple of 2^(key_bits - lg), and q is its offset. */
		lo = home << (t->key_bits - v->lg);
		return lo + ((q - lo) & v->qmask);
	}
	top = (unsigned __int128)home << t->key_bits;
	lo = (uint64_t)((top + v->capacity - 1) / v->capacity);
	return lo + ((q - lo) & v->qmask);
}

/* ---- the overflow area ----------------------------------------------- */

/*
 * The overflow count word of mk, claimed if absent.  Ordinary 16-byte
 * slots with linear probing, keyed by mk << 1 | 1 (never 0).
 */
static int ovf_locate(const struct hc_table *t, uint64_t mk, int claim,
		      hc_aword **count)
{
	uint64_t k = mk << 1 | 1,
		 i = hc__home(hc__mix64(k, 0), t->ovf_capacity);

	for (uint64_t n = 0; n < t->ovf_capacity; n++) {
		/* ORDER: relaxed. The word is the whole key, published by
		 * one CAS; nothing else to observe (design.md G1). */
		uint64_t w = hc_atomic_load_relaxed(&t->ovf[i].word);

		if (w == 0) {
			if (!claim)
				return HC_ENOENT;
			/* ORDER: relaxed CAS; as probe_u64() in slots.c:
			 * one process moves a word from 0, so mk has one
			 * overflow slot; nothing is published (G1). */
			w = hc_atomic_cas_relaxed(&t->ovf[i].word, 0, k);
			if (w == 0)
				w = k;
		}
		if (w == k) {
			*count = &t->ovf[i].count;
			return HC_OK;
		}
		if (++i == t->ovf_capacity)
			i = 0;
	}
	return claim ? HC_EFULL : HC_ENOENT;
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

uint64_t hc__packed_count(const struct hc_table *t, uint64_t w, uint64_t mk)
{
	return word_count(t, w, mk);
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

int hc__packed_add(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	struct hc__gv v;
	uint64_t mk;
	int rc, pin;

	if (key > t->kmask)
		return HC_ERANGE;
	mk = mixk(t, key);
	pin = hc__pin(t);
	for (;;) {
		rc = hc__view_now(t, &v, 1);
		if (rc)
			break;
		rc = probe_add(t, &v, mk, hc__packed_home(t, &v, mk), delta,
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
		b->mk[i] = mixk(b->t, b->keys[base + i] & b->t->kmask);
		homes[i] = hc__packed_home(b->t, v, b->mk[i]);
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
int hc__packed_add_batch(struct hc_table *t, const uint64_t *keys,
			 const uint64_t *deltas, size_t n, size_t *done,
			 int mode)
{
	static const struct hc__stage stage = { packed_hash, packed_addr,
						packed_update };
	struct packed_batch b;

	b.t = t;
	b.keys = keys;
	b.deltas = deltas;
	b.mode = mode;
	return hc__staged(t, &b, n, done, &stage);
}

/* ---- reads ---------------------------------------------------------- */

/* The word of mk in generation @v into *w: 1 if there, 0 if not. */
int hc__packed_find(const struct hc_table *t, const struct hc__gv *v,
		    uint64_t mk, uint64_t *w)
{
	uint64_t i = hc__packed_home(t, v, mk), p = prefix0(t, v, mk);

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

int hc__packed_get(const struct hc_table *ct, uint64_t key, uint64_t *count)
{
	struct hc_table *t = (struct hc_table *)ct; /* may map more */
	struct hc__gv v;
	unsigned cur, top;
	uint64_t mk, w;
	int rc, pin;

	*count = 0;
	if (key > t->kmask)
		return HC_ERANGE;
	mk = mixk(t, key);
	/* The newer generation first, then the older one (M4). */
	pin = hc__pin(t);
	rc = hc__gen_bounds(t, &cur, &top);
	for (unsigned g = top + 1; !rc && g-- > cur;) {
		rc = hc__gen_view(t, g, &v);
		if (!rc && hc__packed_find(t, &v, mk, &w)) {
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
	uint64_t d = hc__packed_disp(t, w);

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

int hc__packed_mk(const struct hc_table *t, const struct hc__gv *v, uint64_t i,
		  uint64_t w, uint64_t *mk)
{
	return packed_mk(t, v, i, w, mk);
}

/*
 * The entry in slot @i of generation @v, whose word @w is non-zero: its
 * key and count.  HC_ECORRUPT for a word no add can write (a displacement
 * past the probe limit): the walk stops rather than report a wrong key.
 */
int hc__packed_entry(const struct hc_table *t, const struct hc__gv *v,
		     uint64_t i, uint64_t w, uint64_t *key, uint64_t *count)
{
	uint64_t mk;
	int rc = hc__packed_mk(t, v, i, w, &mk);

	if (rc)
		return rc;
	*key = unmixk(t, mk);
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
int hc__packed_decode(const struct hc_table *t, const struct hc__gv *v,
		      uint64_t s, uint64_t e, struct hc__ent *out, uint64_t *n)
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
	j = hc__packed_home(t, n, mk);
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

int hc__packed_migrate(struct hc_table *t, const struct hc__gv *o,
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
