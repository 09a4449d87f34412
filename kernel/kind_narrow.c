/* SPDX-License-Identifier: MIT */
/*
 * kind_narrow.c - the narrow kind: integer keys below 2^key_bits (16..62)
 * in quotiented slots of 4 bytes where the quotient leaves room, else 8,
 * chosen per generation (docs/format.md, "Narrow slots"; docs/design.md,
 * "Narrow slots").  Its table of operations is hc__kind_narrow.
 *
 * A key is mixed by the packed kind's bijection on K = key_bits bits
 * (hc__mixk) into mk.  A generation has N buckets of HC_NARROW_BUCKET
 * slots, 2^L <= N < 2^(L + 1) (a power of two or not): mk's home bucket
 * is mk * N >> K (monotone in mk; its top L bits where N = 2^L), and
 * its low q = K - L bits are its quotient: the keys of one home bucket
 * are a run of at most 2^q mk values, so the quotient says which.  A
 * key takes the first free
 * slot of its home bucket or of the 2^D - 2 buckets after it, and its
 * slot keeps the bucket's distance d: the slot's bucket, d and the
 * quotient give back mk, and hc__unmixk the key.  A slot is one word of
 * W = 32 or 64 bits, D = 4 or 8:
 *
 *   | 0 | quotient: q | d + 1: D | F | count: C |
 *
 * 0 when empty, never 0 once claimed (d + 1 > 0); the key part never
 * changes after the claim.  F is the frozen bit of a slot being moved to
 * the next generation (M3); F alone is a frozen empty slot.  W and C
 * depend on the generation (narrow_geom): 4-byte slots once q <= 27 -
 * HC_NARROW_COUNT_BITS_MIN, with C = 27 - q, one more bit each doubling.
 * Before that, and for keys too wide to reach them by 2^28 slots, 8-byte
 * slots.  A count that reaches the largest value of its field (C ones)
 * stays there, saturated, and the rest is kept in the generation's
 * overflow area, 16-byte slots {mk << 1 | 1, count}; the count word's
 * top bit (HC_FROZEN) freezes it with its slot.  A migration moves
 * both and splits the sum again for the new generation's field.  Its
 * compact files are the packed kind's, read by the same operations.
 */
#include "hc_internal.h"

/* Overflow slots an add probes before it calls the area full (the
 * table grows); a migration's copy and a lookup go on to the end. */
#define OVF_PROBE 64u

/* ---- geometry --------------------------------------------------------- */

struct ngeom {
	unsigned q; /* quotient bits */
	unsigned c; /* count bits */
	unsigned d; /* bucket distance bits */
	unsigned w; /* word bits: 32 or 64 */
};

static unsigned log2_floor(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* Keys of @K bits take 4-byte slots from 2^(K - 16) slots on
 * (HC_NARROW_COUNT_BITS_MIN of 7): do they by 2^HC_NARROW_SWITCH_LG? */
static int switches(unsigned K)
{
	return K + HC_NARROW_BUCKET_LG <= HC_NARROW_SWITCH_LG + 32u - 1u -
						  HC_NARROW_DISP_BITS -
						  HC_NARROW_COUNT_BITS_MIN;
}

/*
 * The geometry of a generation of @cap slots of @K-bit keys, in this one
 * place; -1 where there is none (not whole buckets, fewer slots than a
 * bucket, more buckets than keys, or no count field of
 * HC_NARROW_COUNT_BITS_MIN bits left).  The count field never narrows as
 * a table grows: 8-byte slots of a growing table that switches keep the
 * 4-byte slots' first width (@m, the header's count_bits), and every
 * later generation has one bit more.  @m 0: 8-byte slots take every bit
 * the quotient leaves (tables that do not switch, or do not grow).
 */
static int narrow_geom(unsigned K, uint64_t cap, unsigned m, struct ngeom *g)
{
	const unsigned over = 1u + HC_NARROW_DISP_BITS; /* F, d + 1 */
	const unsigned wide = 1u + HC_NARROW_DISP_BITS_WIDE;
	unsigned L;

	if (K < HC_NARROW_KEY_BITS_MIN || K > HC_NARROW_KEY_BITS_MAX ||
	    cap < HC_NARROW_BUCKET || cap > HC_CAPACITY_MAX ||
	    cap % HC_NARROW_BUCKET)
		return -1;
	L = log2_floor(cap) - HC_NARROW_BUCKET_LG;
	if (L > K)
		return -1;
	g->q = K - L;
	if (switches(K) && g->q + over + HC_NARROW_COUNT_BITS_MIN <= 32u) {
		g->w = 32u;
		g->d = HC_NARROW_DISP_BITS;
		g->c = 32u - over - g->q;
	} else if (g->q + wide + HC_NARROW_COUNT_BITS_MIN <= 64u) {
		g->w = 64u;
		g->d = HC_NARROW_DISP_BITS_WIDE;
		g->c = m ? m : 64u - wide - g->q;
	} else {
		return -1;
	}
	return 0;
}

/* The width does not depend on the count rule; 0 where there is no
 * geometry (a growth stops short of it: gen_limit). */
static uint32_t narrow_slot_bytes(unsigned K, uint64_t cap)
{
	struct ngeom g;

	return narrow_geom(K, cap, 0, &g) ? 0u : g.w / 8u;
}

static uint64_t ovf_slots(uint64_t cap)
{
	uint64_t n = cap / HC_NARROW_OVF_DIV;

	return n < HC_NARROW_OVF_MIN ? HC_NARROW_OVF_MIN : n;
}

/* The overflow area of a generation of @cap slots. */
static uint64_t narrow_gen_area(unsigned K, uint64_t cap)
{
	(void)K;
	return ovf_slots(cap) * HC_SLOT_SIZE;
}

/* ---- words ------------------------------------------------------------ */

/*
 * Slot @i of generation @v, as a word of its width @W (v->ssize; the
 * adds' probe passes a constant, so that each width has its own code).
 * These accessors and nscan's loads are the kind's only atomic accesses
 * to slots; each call site says what it publishes or observes.
 */
static inline __attribute__((always_inline)) uint64_t
nload_w(const struct hc__gv *v, uint64_t i, unsigned W)
{
	/* ORDER: relaxed. Every call site needs atomicity only: a slot's
	 * key part and count are one word, published by one CAS (G1); a
	 * saturated word's overflow part is found by the key, and a
	 * copier claims it again where it sees none (ovf_freeze). */
	if (W == 4)
		return hc_atomic32_load_relaxed(&v->w32[i]);
	/* ORDER: relaxed. As above, for 8-byte slots. */
	return hc_atomic_load_relaxed(&v->packed[i]);
}

static inline uint64_t nload(const struct hc__gv *v, uint64_t i)
{
	return nload_w(v, i, v->ssize);
}

static inline __attribute__((always_inline)) uint64_t
ncas_w(const struct hc__gv *v, uint64_t i, uint64_t e, uint64_t d, unsigned W)
{
	/* ORDER: relaxed CAS. One indivisible update of one word; the call
	 * sites argue why nothing else needs ordering (G1, G3, M3). */
	if (W == 4)
		return hc_atomic32_cas_relaxed(&v->w32[i], (uint32_t)e,
					       (uint32_t)d);
	/* ORDER: relaxed CAS. As above, for 8-byte slots. */
	return hc_atomic_cas_relaxed(&v->packed[i], e, d);
}

static inline uint64_t ncas(const struct hc__gv *v, uint64_t i, uint64_t e,
			    uint64_t d)
{
	return ncas_w(v, i, e, d, v->ssize);
}

static inline void nstore(const struct hc__gv *v, uint64_t i, uint64_t x)
{
	/* ORDER: relaxed store. HogWild's increment only (H1). */
	if (v->ssize == 4)
		hc_atomic32_store_relaxed(&v->w32[i], (uint32_t)x);
	else
		/* ORDER: relaxed store. As above, for 8-byte slots. */
		hc_atomic_store_relaxed(&v->packed[i], x);
}

static inline const void *naddr(const struct hc__gv *v, uint64_t i)
{
	return (const unsigned char *)v->packed + i * v->ssize;
}

/* The first slot of mk's home bucket, mk * nbk >> K: mk's top bits
 * where nbk is a power of two, and keys spread evenly over the buckets
 * where it is not. */
static inline uint64_t nhome(const struct hc__gv *v, uint64_t mk)
{
	return (uint64_t)((unsigned __int128)mk * v->nbk >> (v->qbits + v->lbk))
	       << HC_NARROW_BUCKET_LG;
}

/* The first slot of the bucket after the one at slot @b (< capacity),
 * wrapping at the end: a probe's buckets are home, nnext(home), ... */
static inline uint64_t nnext(const struct hc__gv *v, uint64_t b)
{
	return b + HC_NARROW_BUCKET < v->capacity
		       ? b + HC_NARROW_BUCKET
		       : b + HC_NARROW_BUCKET - v->capacity;
}

/* @y / nbk, by the reciprocal nrcp (low by at most one, then put
 * right), @r its remainder. */
static inline uint64_t ndiv(const struct hc__gv *v, uint64_t y, uint64_t *r)
{
	return hc__div_rcp(y, v->nbk, v->nrcp, r);
}

/* The mk whose home bucket is @hb and whose low qbits are @lo, into
 * *mk; -1 where there is none.  The keys of one home bucket are a run
 * of at most 2^qbits mk values from ceil(hb * 2^K / nbk), so the low
 * bits say which (the packed kind's way, kind_packed.c).  That start is
 * 2^q * a + ceil(2^q * r / nbk), where hb * 2^lbk = a * nbk + r: two
 * divisions of 64-bit values while lbk <= 31, 2^35 buckets.  A walk
 * meets the keys of a home bucket together: @c (or NULL) keeps the last
 * start for the next. */
struct nstart {
	uint64_t hb; /* the home bucket of start, or UINT64_MAX */
	unsigned __int128 start;
};
#define NSTART_NONE           \
	{                     \
		UINT64_MAX, 0 \
	}

static inline __attribute__((always_inline)) int
nhome_inv(const struct hc__gv *v, uint64_t hb, uint64_t lo, uint64_t *mk,
	  struct nstart *c)
{
	const unsigned q = v->qbits;
	unsigned __int128 start;
	uint64_t a, r, r2, x;

	if (v->npow2) {
		*mk = hb << q | lo;
		return 0;
	}
	if (c && c->hb == hb) {
		start = c->start;
	} else if (v->lbk <= 31u) {
		a = ndiv(v, hb << v->lbk, &r);
		x = ndiv(v, (r << q) + v->nbk - 1, &r2);
		start = ((unsigned __int128)a << q) + x;
	} else {
		start = (((unsigned __int128)hb << (q + v->lbk)) + v->nbk - 1) /
			v->nbk;
	}
	if (c) {
		c->hb = hb;
		c->start = start;
	}
	x = (uint64_t)start + ((lo - (uint64_t)start) & v->qmask);
	if (start >> 64 || x >> (q + v->lbk) ||
	    nhome(v, x) != hb << HC_NARROW_BUCKET_LG)
		return -1;
	*mk = x;
	return 0;
}

/* The key part of the word of mk in its home bucket; each bucket further
 * adds v->pstep. */
static inline uint64_t prefix0(const struct hc__gv *v, uint64_t mk)
{
	return ((mk & v->qmask) << v->dbits | 1) << v->dshift;
}

/* Buckets a probe visits: 15 (4-byte slots) or 255, or all of a small
 * table. */
static inline uint64_t nprobe(const struct hc__gv *v)
{
	return v->nprobe;
}

/*
 * mk and the home slot of the key in slot @i of @v, whose word @w is
 * claimed.  HC_ECORRUPT for a word no add writes (a bucket distance of
 * 0 or past the probe): a walk stops rather than report a wrong key.
 */
static inline __attribute__((always_inline)) int
nlocate(const struct hc__gv *v, uint64_t i, uint64_t w, uint64_t *mk,
	uint64_t *home, struct nstart *c)
{
	/* the bucket distance d: d + 1 of 0 wraps past the probe */
	uint64_t d = ((w >> v->dshift) & v->dmask) - 1,
		 b = i >> HC_NARROW_BUCKET_LG, hb;

	if (d >= nprobe(v))
		return HC_ECORRUPT;
	hb = b >= d ? b - d : b + v->nbk - d;
	if (nhome_inv(v, hb, (w >> v->qshift) & v->qmask, mk, c))
		return HC_ECORRUPT; /* no key has that home and quotient */
	*home = hb << HC_NARROW_BUCKET_LG;
	return HC_OK;
}

static inline int nclaimed(const struct hc__gv *v, uint64_t w)
{
	return w != 0 && w != v->fbit;
}

/* Slots a scan reads at a time: 16 bytes of 4-byte slots. */
#define NSCAN 4u
_Static_assert(HC_NARROW_BUCKET % NSCAN == 0, "buckets of whole scans");

/* What a scan compares with, set once a bucket (nkey_set): the shift
 * past a word's count and F, and the 32 bits of the key part above it. */
struct nkey {
#if HC_HAVE_VEC_LOAD
	__m128i cnt, pv;
#else
	int none;
#endif
};

static inline __attribute__((always_inline)) void
nkey_set(const struct hc__gv *v, uint64_t p, struct nkey *k)
{
#if HC_HAVE_VEC_LOAD
	k->cnt = _mm_cvtsi32_si128((int)v->dshift);
	k->pv = _mm_set1_epi32((int)(uint32_t)(p >> v->dshift));
#else
	(void)v;
	(void)p;
	k->none = 0;
#endif
}

/*
 * The slots from slot @i (a multiple of NSCAN) to i + NSCAN - 1 where a
 * probe for the key part @k may stop, as bits (bit j: slot i + j): its
 * own, or an empty or frozen empty one, and now and then another key's
 * (only 32 key bits are compared).  Every slot left out was claimed by
 * another key, and a key part never changes (G1), so a probe passes it
 * without a second look.  A probe reads the slots it stops at again, one
 * by one: what it does there is decided by those loads, as without the
 * scan.  Vector loads compare the 32 bits above a word's count and F
 * (its bucket distance d + 1 first, never 0 once claimed, then the
 * quotient's low bits); without them, every slot is a stop.
 */
static inline __attribute__((always_inline)) uint32_t
nscan(const struct hc__gv *v, uint64_t i, const struct nkey *k, unsigned W)
{
#if HC_HAVE_VEC_LOAD
	const __m128i cnt = k->cnt, pv = k->pv;
	__m128i y;

	if (W == 4) {
		/* ORDER: relaxed snapshot of 4 slots, each read whole: a
		 * key part seen is the slot's for good (G1); the stops are
		 * read again. */
		y = _mm_srl_epi32(hc_atomic_load16_relaxed(&v->w32[i]), cnt);
	} else {
		/* ORDER: relaxed snapshots of 2 slots each, as above. */
		__m128i y0 = _mm_srl_epi64(
				hc_atomic_load16_relaxed(&v->packed[i]), cnt),
			y1 = _mm_srl_epi64(
				hc_atomic_load16_relaxed(&v->packed[i + 2]),
				cnt);

		/* the low halves: 32 key bits of each of the 4 slots */
		y = _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(y0),
						    _mm_castsi128_ps(y1),
						    _MM_SHUFFLE(2, 0, 2, 0)));
	}
	return (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(
		_mm_or_si128(_mm_cmpeq_epi32(y, pv),
			     _mm_cmpeq_epi32(y, _mm_setzero_si128()))));
#else
	(void)v;
	(void)i;
	(void)k;
	(void)W;
	return (1u << NSCAN) - 1u;
#endif
}

/* ---- the overflow area ------------------------------------------------ */

/* The overflow count word of mk in @v's area (hc__ovf_locate): claimed
 * by an add within OVF_PROBE slots (else HC_EFULL, and the table grows),
 * by a copy anywhere. */
static int ovf_locate(const struct hc__gv *v, uint64_t mk, int claim,
		      uint64_t limit, hc_aword **count)
{
	return hc__ovf_locate(v->ovf, v->ovf_cap, mk, claim, limit, count);
}

/* The saturated field @c of mk in @v plus its overflow count. */
static uint64_t ovf_count(const struct hc__gv *v, uint64_t c, uint64_t mk)
{
	hc_aword *oc;

	if (ovf_locate(v, mk, 0, v->ovf_cap, &oc) != HC_OK)
		return c;
	/* ORDER: relaxed. A count publishes nothing (design.md G3). */
	return c + (hc_atomic_load_relaxed(oc) & HC_COUNT_MASK);
}

/* The count of mk, whose word in @v is @w: the field, and the overflow
 * area where it is saturated (rare: out of line). */
static inline __attribute__((always_inline)) uint64_t
word_count(const struct hc__gv *v, uint64_t w, uint64_t mk)
{
	uint64_t c = w & v->cmask;

	return __builtin_expect(c != v->cmask, 1) ? c : ovf_count(v, c, mk);
}

/* Add @delta to the overflow count @oc; HC__EMIGRATE once it is frozen
 * (its slot is being moved, and it with it). */
static int ovf_add(hc_aword *oc, uint64_t delta)
{
	/* ORDER: relaxed. A first guess for the CAS. */
	uint64_t x = hc_atomic_load_relaxed(oc);

	for (;;) {
		uint64_t seen;

		if (x & HC_FROZEN)
			return HC__EMIGRATE;
		/* ORDER: relaxed CAS. A count (G3); it fails on a frozen
		 * word, whose count the migration has taken (M3). Killed
		 * before it: this delta is lost; after: kept (P1). */
		seen = hc_atomic_cas_relaxed(oc, x,
					     (x + delta) & HC_COUNT_MASK);
		if (seen == x)
			return HC_OK;
		x = seen;
	}
}

/* ---- adds ------------------------------------------------------------- */

/*
 * Add @delta to slot @i of @v, whose word @w (as last read) holds mk.
 * Exact: a CAS loop, so that a count never carries into the key part.
 * A count about to pass cmask saturates at cmask and the rest goes to
 * the overflow area, whose slot is claimed first: a saturated slot has
 * one (a copier that does not see it claims it: ovf_freeze).  A frozen
 * word or overflow count refuses the add (HC__EMIGRATE).
 */
static int add_word(const struct hc__gv *v, uint64_t i, uint64_t w, uint64_t mk,
		    uint64_t *deltap, int mode)
{
	uint64_t cm = v->cmask, delta = *deltap;

	for (;;) {
		uint64_t c = w & cm, old;
		hc_aword *oc;
		int rc;

		if (w & v->fbit)
			return HC__EMIGRATE;
		if (c != cm && delta < cm - c) {
			if (mode == HC_MODE_HOGWILD) {
				/* A relaxed store of a word read relaxed, no
				 * locked instruction (design.md H1): a race
				 * loses counts, never keys; racing a freeze
				 * it may clear F, which loses this delta
				 * only (M6). */
				nstore(v, i, w + delta);
				return HC_OK;
			}
			/* Atomicity makes the sum exact (G3); nothing is
			 * published. It fails on a frozen word (M3). Killed
			 * before it: this delta is lost; after: kept (P1). */
			old = ncas(v, i, w, w + delta);
			if (old == w)
				return HC_OK;
			w = old;
			continue;
		}
		rc = ovf_locate(v, mk, 1, OVF_PROBE, &oc);
		if (rc)
			return rc;
		if (c != cm) {
			/* Saturates the field, and fails on a frozen word
			 * (M3). Killed after it and before the overflow
			 * add: the part of this delta above cmask - c is
			 * lost (P1). */
			old = ncas(v, i, w, w | cm);
			if (old != w) {
				w = old;
				continue;
			}
			delta -= cm - c;
			*deltap = delta; /* a retry adds the rest only */
		}
		return ovf_add(oc, delta);
	}
}

/*
 * Find or claim mk's slot in @v from its home slot @home and add @delta.
 * A claim stores the key part and the first delta (or cmask, the rest
 * going to the overflow area, claimed first) in one CAS.  *@deltap is
 * what is left to add where HC__EMIGRATE comes after part of it was
 * (the overflow count froze between the field and it): the retry in the
 * next generation adds that much.  A claim adds one to *@claims, which
 * the caller counts in @v's generation (hc__note_claims).
 */
static inline __attribute__((always_inline)) int
probe_add_w(const struct hc__gv *v, uint64_t mk, uint64_t home,
	    uint64_t *deltap, int mode, uint64_t *claims, unsigned W)
{
	uint64_t nb = nprobe(v), cm = v->cmask, p = prefix0(v, mk),
		 delta = *deltap, b = home;

	for (uint64_t d = 0; d < nb; d++, p += v->pstep, b = nnext(v, b)) {
		struct nkey k;

		nkey_set(v, p, &k);
		for (uint64_t g = b; g < b + HC_NARROW_BUCKET; g += NSCAN)
			for (uint32_t m = nscan(v, g, &k, W); m; m &= m - 1) {
				uint64_t i = g + (unsigned)__builtin_ctz(m);
				/* The key part of a word is published by one CAS
			 * and never changes (design.md G1). */
				uint64_t w = nload_w(v, i, W);

				if (w == 0) {
					uint64_t first =
						delta < cm ? delta : cm;
					hc_aword *oc = NULL;
					int rc;

					if (delta >= cm) {
						rc = ovf_locate(v, mk, 1,
								OVF_PROBE, &oc);
						if (rc)
							return rc;
					}
					hc__debug_yield();
					/* Claims the empty slot with the key part and
				 * first count in one word: one process can, so
				 * a key has one slot (G1); a frozen empty word
				 * refuses it (M3). Killed before it: nothing;
				 * after it and before the overflow add: the
				 * rest of this delta. */
					w = ncas_w(v, i, 0, p | first, W);
					if (w == 0) {
						(*claims)++;
						if (!oc)
							return HC_OK;
						*deltap = delta - cm;
						return ovf_add(oc, delta - cm);
					}
				}
				if ((w & v->kpmask) == p) {
					/* add_word's first exact try, inline: a CAS
				 * that fails on a frozen word (M3) and never
				 * carries out of the field (G3). */
					if (mode != HC_MODE_HOGWILD &&
					    !(w & v->fbit) &&
					    delta < cm - (w & cm)) {
						uint64_t seen = ncas_w(
							v, i, w, w + delta, W);

						if (seen == w)
							return HC_OK;
						w = seen; /* add_word goes on */
					}
					return add_word(v, i, w, mk, deltap,
							mode);
				}
				if (w == v->fbit)
					return HC__EMIGRATE; /* frozen empty */
			}
	}
	return HC_EFULL;
}

/* The probe for this generation's width: each its own code. */
static inline __attribute__((always_inline)) int
probe_add(const struct hc__gv *v, uint64_t mk, uint64_t home, uint64_t *deltap,
	  int mode, uint64_t *claims)
{
	return v->ssize == 4
		       ? probe_add_w(v, mk, home, deltap, mode, claims, 4)
		       : probe_add_w(v, mk, home, deltap, mode, claims, 8);
}

static int narrow_add(struct hc_table *t, uint64_t key, uint64_t delta,
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
		uint64_t claims = 0;

		rc = hc__view_now(t, &v, 1, pin);
		if (rc)
			break;
		rc = probe_add(&v, mk, nhome(&v, mk), &delta, mode, &claims);
		hc__note_claims(t, v.g, v.capacity, claims);
		if (rc == HC_OK)
			break;
		rc = hc__after_fail(t, v.g, rc, pin);
		if (rc)
			break;
	}
	hc__unpin(t, pin);
	return rc;
}

#define NARROW_BAD UINT64_MAX /* narrow_batch.mk of a key out of range */

struct narrow_batch {
	struct hc_table *t;
	const uint64_t *keys;
	const uint64_t *deltas;
	int mode;
	size_t rest_at; /* the key whose retry adds only @rest, + 1; or 0 */
	uint64_t rest;
	/* claims not yet counted, in generation claims_g of claims_cap
	 * slots: counted once a chunk, not once a claim */
	uint64_t claims, claims_cap;
	unsigned claims_g;
	uint64_t mk[HC_BATCH];
};

/* Count the claims of the chunk before (hc__note_claims). */
static void narrow_flush(struct narrow_batch *b)
{
	hc__note_claims(b->t, b->claims_g, b->claims_cap, b->claims);
	b->claims = 0;
}

/* The homes of a chunk, in view @v, its claims counted in v's
 * generation; the claims of the one before are counted first. */
static void narrow_hash(void *ctx, const struct hc__gv *v, size_t base,
			size_t n, uint64_t *homes)
{
	struct narrow_batch *b = ctx;

	narrow_flush(b);
	b->claims_g = v->g;
	b->claims_cap = v->capacity;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = b->keys[base + i];

		/* NARROW_BAD, never a mix (62 bits at most): out of range */
		b->mk[i] = k > b->t->kmask ? NARROW_BAD : hc__mixk(b->t, k);
		homes[i] = nhome(v, b->mk[i] & b->t->kmask);
	}
}

static const void *narrow_addr(void *ctx, const struct hc__gv *v, uint64_t home)
{
	(void)ctx;
	return naddr(v, home);
}

/* The cache line after the home bucket's first: its second half where
 * slots are 8 bytes (128 bytes a bucket), else the next bucket, where a
 * probe goes on from a full one. */
static const void *narrow_addr2(void *ctx, const struct hc__gv *v,
				uint64_t home)
{
	(void)ctx;
	return (const unsigned char *)naddr(v, home) + 64;
}

static int narrow_update(void *ctx, const struct hc__gv *v, size_t base,
			 size_t i, uint64_t home)
{
	struct narrow_batch *b = ctx;
	uint64_t delta = b->deltas ? b->deltas[base + i] : 1, d;
	int rc, rest = b->rest_at == base + i + 1;

	if (__builtin_expect(b->mk[i] == NARROW_BAD, 0))
		return HC_ERANGE;
	if (__builtin_expect(rest, 0))
		delta = b->rest;
	d = delta;
	rc = probe_add(v, b->mk[i], home, &d, b->mode, &b->claims);
	if (__builtin_expect(rc == HC_OK, 1)) {
		if (__builtin_expect(rest, 0))
			b->rest_at = 0;
	} else if (d != delta) {
		/* part was added: a retry adds the rest only, whatever
		 * failed after it */
		b->rest_at = base + i + 1;
		b->rest = d;
	}
	return rc;
}

/* Batched adds through the staged pipeline (hc__staged). */
static int narrow_add_batch(struct hc_table *t, const uint64_t *keys,
			    const uint64_t *deltas, size_t n, size_t *done,
			    int mode)
{
	static const struct hc__stage stage = { narrow_hash, narrow_addr,
						narrow_update, 1,
						narrow_addr2 };
	struct narrow_batch b;
	int rc;

	b.t = t;
	b.keys = keys;
	b.deltas = deltas;
	b.mode = mode;
	b.rest_at = 0;
	b.rest = 0;
	b.claims = 0;
	b.claims_cap = 0;
	b.claims_g = 0;
	rc = hc__staged(t, &b, n, done, &stage);
	if (b.claims) {
		/* under a pin, as every claim count (M1, M9) */
		int pin = hc__pin(t);

		narrow_flush(&b);
		hc__unpin(t, pin);
	}
	return rc;
}

/* ---- reads ------------------------------------------------------------ */

/* The slot of mk in @v into *slot and its word into *w: 1 if there. */
static int narrow_find(const struct hc__gv *v, uint64_t mk, uint64_t *slot,
		       uint64_t *w)
{
	uint64_t nb = nprobe(v), b = nhome(v, mk), p = prefix0(v, mk);

	for (uint64_t d = 0; d < nb; d++, p += v->pstep, b = nnext(v, b)) {
		struct nkey k;

		nkey_set(v, p, &k);
		for (uint64_t g = b; g < b + HC_NARROW_BUCKET; g += NSCAN)
			for (uint32_t m = nscan(v, g, &k, v->ssize); m;
			     m &= m - 1) {
				uint64_t i = g + (unsigned)__builtin_ctz(m);
				/* Key part and count are one word (G1). */
				uint64_t x = nload(v, i);

				if (!nclaimed(v, x))
					return 0; /* keys are never deleted */
				if ((x & v->kpmask) == p) {
					*slot = i;
					*w = x;
					return 1;
				}
			}
	}
	return 0;
}

static int narrow_get(struct hc_table *t, uint64_t key, uint64_t *count)
{
	struct hc__gv v;
	unsigned cur, top;
	uint64_t mk, w, i;
	int rc, pin;

	if (key > t->kmask)
		return HC_ERANGE;
	mk = hc__mixk(t, key);
	/* The newer generation first, then the older one (M4). */
	pin = hc__pin(t);
	rc = hc__gen_bounds(t, &cur, &top);
	for (unsigned g = top + 1; !rc && g-- > cur;) {
		rc = hc__gen_view(t, g, &v);
		if (!rc && narrow_find(&v, mk, &i, &w)) {
			*count = word_count(&v, w, mk);
			break;
		}
	}
	hc__unpin(t, pin);
	return rc;
}

/*
 * The entries of slots [@s, @e) of @v in slot order, for a writer that
 * walks a whole generation (compact.c): each claimed slot whose count is
 * above 0 as {mk, count, home, slot}.  HC_ECORRUPT for a word no add
 * writes.
 */
static inline __attribute__((always_inline)) int
cx_decode_w(const struct hc__gv *v, uint64_t s, uint64_t e, struct hc__ent *out,
	    uint64_t *n, unsigned W)
{
	struct nstart st = NSTART_NONE;
	uint64_t k = 0;

	for (uint64_t i = s; i < e; i++) {
		/* Key part and count are one word (G1, G2). */
		uint64_t w = nload_w(v, i, W), home, mk, c;

		if (!nclaimed(v, w))
			continue;
		if (nlocate(v, i, w, &mk, &home, &st))
			return HC_ECORRUPT;
		c = word_count(v, w, mk);
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

static int narrow_cx_decode(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t s, uint64_t e, struct hc__ent *out,
			    uint64_t *n)
{
	/* A copy: no store to @out can change it, so its fields stay in
	 * registers. */
	const struct hc__gv lv = *v;

	(void)t;
	return lv.ssize == 4 ? cx_decode_w(&lv, s, e, out, n, 4)
			     : cx_decode_w(&lv, s, e, out, n, 8);
}

/* ---- migration -------------------------------------------------------- */

/*
 * Freeze the overflow count of mk in @o into *@count: the slot's word is
 * frozen and saturated.  Every add and copy that saturates a word claims
 * its overflow slot first, but a copier on a weakly ordered CPU may see
 * the word before that claim, so it claims the slot itself (its CAS sees
 * the claim if there is one); frozen, the count refuses every later add
 * (M3) and does not change again.
 */
static int ovf_freeze(const struct hc__gv *o, uint64_t mk, uint64_t *count)
{
	hc_aword *oc;
	uint64_t x;
	int rc = ovf_locate(o, mk, 1, o->ovf_cap, &oc);

	if (rc)
		return rc; /* a full area: not reached (the add claimed) */
	/* ORDER: relaxed. A first guess for the freeze CAS. */
	x = hc_atomic_load_relaxed(oc);
	while (!(x & HC_FROZEN)) {
		/* ORDER: relaxed CAS. Freezes the overflow count: an add
		 * before it is in the value read, one after it fails and
		 * adds in the next generation (M3). Killed after it: the
		 * next copier reads the same frozen value. */
		uint64_t seen = hc_atomic_cas_relaxed(oc, x, x | HC_FROZEN);

		if (seen == x)
			break;
		x = seen;
	}
	*count = x & HC_COUNT_MASK;
	return HC_OK;
}

/*
 * Freeze slot @i of @o and copy it into @n (design.md M3, "Narrow
 * slots"): a CAS sets F, which fixes the word; a saturated word's
 * overflow count is frozen next.  The sum is split for @n's field: the
 * part above its cmask goes to @n's overflow area first (a CAS from 0,
 * so a second copier leaves it), then key and field are claimed in one
 * CAS, and a second copier finds the key and stops.
 */
static inline __attribute__((always_inline)) int
narrow_migrate_slot(const struct hc__gv *o, const struct hc__gv *n, uint64_t i,
		    uint64_t *copied, struct nstart *st, unsigned WO,
		    unsigned WN)
{
	uint64_t w = nload_w(o, i, WO), seen, mk, home, c, first, p, nb, b;
	int rc;

	while (!(w & o->fbit)) {
		/* Freezes the word: from here no add or claim changes it
		 * (they CAS and refuse F), so its field is the key's last
		 * in this generation. Killed after it: the block's next
		 * migrator copies it (M5). */
		seen = ncas_w(o, i, w, w | o->fbit, WO);
		if (seen == w) {
			w |= o->fbit;
			break;
		}
		w = seen;
	}
	if (w == o->fbit)
		return HC_OK; /* frozen empty */
	rc = nlocate(o, i, w, &mk, &home, st);
	if (rc)
		return rc;
	c = w & o->cmask;
	if (c == o->cmask) {
		uint64_t more;

		rc = ovf_freeze(o, mk, &more);
		if (rc)
			return rc;
		c += more;
	}
	first = c < n->cmask ? c : n->cmask;
	if (c >= n->cmask) {
		hc_aword *oc;

		rc = ovf_locate(n, mk, 1, n->ovf_cap, &oc);
		if (rc)
			return rc;
		/* ORDER: relaxed CAS. Only copies write the new overflow
		 * area until the migration ends, and every copier of this
		 * key writes the same sum (from the same frozen words); from
		 * 0, so the second leaves the first's. The adds that come
		 * after the migration see it through cur's release and
		 * acquire (M4); a read during the copy may see the claim
		 * below first on a weakly ordered CPU, and an earlier count
		 * (design.md, "Narrow slots"). */
		(void)hc_atomic_cas_relaxed(oc, 0, c - n->cmask);
	}
	b = nhome(n, mk);
	p = prefix0(n, mk);
	nb = nprobe(n);
	for (uint64_t d = 0; d < nb; d++, p += n->pstep, b = nnext(n, b)) {
		struct nkey k;

		nkey_set(n, p, &k);
		for (uint64_t g = b; g < b + HC_NARROW_BUCKET; g += NSCAN)
			for (uint32_t m = nscan(n, g, &k, WN); m; m &= m - 1) {
				uint64_t j = g + (unsigned)__builtin_ctz(m);
				/* Only copies claim in the new generation while it
			 * is filled, each with one CAS (M3). */
				uint64_t x = nload_w(n, j, WN);

				if (x == 0) {
					/* Copies key and field in one word: all or
				 * nothing, so a copier killed anywhere loses
				 * nothing and a second one finds the key and
				 * stops (M3). */
					x = ncas_w(n, j, 0, p | first, WN);
					if (x == 0) {
						(*copied)++;
						return HC_OK;
					}
				}
				if ((x & n->kpmask) == p) {
					(*copied)++;
					return HC_OK;
				}
			}
	}
	return HC_EFULL;
}

/* Slots [lo, hi) of @o, of @WO bytes, into @n, of @WN: each pair of
 * widths its own code, as the adds' probe. */
static inline __attribute__((always_inline)) int
migrate_w(const struct hc__gv *o, const struct hc__gv *n, uint64_t lo,
	  uint64_t hi, uint64_t *copied, unsigned WO, unsigned WN)
{
	struct nstart st = NSTART_NONE;

	for (uint64_t i = lo; i < hi; i++) {
		int rc;

		hc__migrate_visit(i);
		rc = narrow_migrate_slot(o, n, i, copied, &st, WO, WN);
		if (rc)
			return rc;
	}
	return HC_OK;
}

static int narrow_migrate(struct hc_table *t, const struct hc__gv *o,
			  const struct hc__gv *n, uint64_t lo, uint64_t hi,
			  uint64_t *copied)
{
	/* Copies, and a count of their own: no store through @copied can
	 * change them, so their fields stay in registers (as in
	 * narrow_cx_decode). */
	const struct hc__gv ov = *o, nv = *n;
	uint64_t c = 0;
	int rc;

	(void)t;
	if (ov.ssize == 4)
		rc = nv.ssize == 4 ? migrate_w(&ov, &nv, lo, hi, &c, 4, 4)
				   : migrate_w(&ov, &nv, lo, hi, &c, 4, 8);
	else
		rc = nv.ssize == 4 ? migrate_w(&ov, &nv, lo, hi, &c, 8, 4)
				   : migrate_w(&ov, &nv, lo, hi, &c, 8, 8);
	*copied += c;
	return rc;
}

/* ---- iteration and export --------------------------------------------- */

static int narrow_next(const struct hc_table *t, const struct hc__gv *v,
		       const struct hc__gv *older, uint64_t *pos, uint64_t end,
		       hc_entry *e)
{
	while (*pos < end) {
		uint64_t i = (*pos)++, c, mk, home, x, j;
		/* Key part and count are one word, published by one CAS
		 * (design.md G1, G2). */
		uint64_t w = nload(v, i);
		int rc;

		if (!nclaimed(v, w))
			continue;
		rc = nlocate(v, i, w, &mk, &home, NULL);
		if (rc)
			return rc;
		/* Pass 2 reports only keys the older generation does not
		 * hold: those were reported (or added behind the cursor) in
		 * pass 1 (M4). */
		if (older && narrow_find(older, mk, &j, &x))
			continue;
		c = word_count(v, w, mk);
		if (c) {
			hc__entry_set(e, hc__unmixk(t, mk), NULL, 0, c);
			return 1;
		}
	}
	return 0;
}

static int narrow_scan(const struct hc_table *t, const struct hc__gv *v,
		       const struct hc__gv *older, hc__count_fn fn, void *ctx,
		       uint64_t *claimed)
{
	struct nstart st = NSTART_NONE;

	(void)t;
	for (uint64_t i = 0; i < v->capacity; i++) {
		/* Key part and count are one word (design.md G1, G2). */
		uint64_t w = nload(v, i), c, mk = 0, home, x, j;

		if (!nclaimed(v, w))
			continue;
		c = w & v->cmask;
		if ((older || c == v->cmask) &&
		    nlocate(v, i, w, &mk, &home, &st))
			continue;
		if (older && narrow_find(older, mk, &j, &x))
			continue;
		/* A saturated count continues in the overflow area. */
		if (c == v->cmask)
			c = word_count(v, w, mk);
		(*claimed)++;
		fn(c, ctx);
	}
	return HC_OK;
}

/* The current generation's overflow area (seal.c). */
static int narrow_regions(struct hc_table *t, uint64_t arena_used,
			  struct hc__region *r, unsigned *n)
{
	struct hc__gv v;
	int rc;

	(void)arena_used;
	rc = hc__view_now(t, &v, 0, 0);
	if (rc)
		return rc;
	r[(*n)++] = (struct hc__region){ HC_REGION_OVERFLOW, v.g,
					 (const unsigned char *)v.ovf,
					 v.ovf_cap * HC_SLOT_SIZE };
	return HC_OK;
}

/* ---- layout ----------------------------------------------------------- */

static int narrow_layout(const hc_options *opt, int grows, uint64_t *cap,
			 struct hc__header *h)
{
	unsigned K = opt->key_bits;
	uint64_t c = *cap, least;
	struct ngeom g;

	if (K < HC_NARROW_KEY_BITS_MIN || K > HC_NARROW_KEY_BITS_MAX ||
	    c == 0 || c > HC_CAPACITY_MAX)
		return HC_EINVAL;
	/* Whole buckets, one at least. */
	if (c < HC_NARROW_BUCKET)
		c = HC_NARROW_BUCKET;
	c = (c + HC_NARROW_BUCKET - 1) / HC_NARROW_BUCKET * HC_NARROW_BUCKET;
	/* A growing table starts where its count field fits: 8-byte
	 * slots leave 64 - 9 - q bits (2^18 slots for 62-bit keys). */
	least = K > 48u ? UINT64_C(1) << (K - 48u + HC_NARROW_BUCKET_LG)
			: HC_NARROW_BUCKET;
	if (grows && c < least)
		c = least;
	if (c > HC_CAPACITY_MAX || narrow_geom(K, c, 0, &g))
		return HC_EINVAL;
	*cap = c;
	h->key_bits = K;
	/* The count rule of 8-byte slots, kept by saved copies. */
	h->count_bits = grows && switches(K) ? HC_NARROW_COUNT_BITS_MIN : 0;
	return HC_OK;
}

static int narrow_area(const hc_options *opt, int grows, uint64_t cap,
		       const struct hc__header *h, uint64_t *bytes)
{
	(void)opt;
	(void)grows;
	(void)h;
	*bytes = ovf_slots(cap) * HC_SLOT_SIZE;
	return HC_OK;
}

static int narrow_validate(const struct hc__header *h)
{
	uint64_t end = HC_HEADER_SIZE + h->slots_bytes;
	struct ngeom g;

	if ((h->count_bits && (h->count_bits != HC_NARROW_COUNT_BITS_MIN ||
			       !switches(h->key_bits))) ||
	    narrow_geom(h->key_bits, h->capacity, h->count_bits, &g))
		return HC_ECORRUPT;
	if (h->arena_offset != (end + 63) / 64 * 64 ||
	    h->arena_bytes != ovf_slots(h->capacity) * HC_SLOT_SIZE)
		return HC_ECORRUPT;
	return HC_OK;
}

static void narrow_tgeom(struct hc_table *t, const struct hc__header *h)
{
	t->key_bits = h->key_bits;
	t->kmask = (UINT64_C(1) << h->key_bits) - 1;
	t->cbits = h->count_bits; /* the count rule of 8-byte slots */
}

/* The narrow part of a generation's view (grow.c): its geometry, the
 * masks of its words and its overflow area. */
static int narrow_view(const struct hc_table *t, struct hc__gv *v)
{
	struct ngeom g;

	if (narrow_geom(t->key_bits, v->capacity, t->cbits, &g) ||
	    g.w / 8u != v->ssize)
		return HC_ECORRUPT;
	v->qbits = g.q;
	v->qmask = g.q ? ~UINT64_C(0) >> (64 - g.q) : 0;
	v->cbits = g.c;
	v->dbits = g.d;
	v->cmask = (UINT64_C(1) << g.c) - 1;
	v->fbit = UINT64_C(1) << g.c;
	v->pstep = UINT64_C(1) << (g.c + 1);
	v->kpmask = ~(v->cmask | v->fbit);
	v->dshift = g.c + 1;
	v->qshift = g.c + 1 + g.d;
	v->dmask = (UINT64_C(1) << g.d) - 1;
	v->nbk = v->capacity >> HC_NARROW_BUCKET_LG;
	v->lbk = log2_floor(v->nbk);
	v->npow2 = v->nbk == UINT64_C(1) << v->lbk;
	v->nrcp = UINT64_MAX / v->nbk;
	v->nprobe = (UINT64_C(1) << g.d) - 1u;
	if (v->nprobe > v->nbk)
		v->nprobe = v->nbk;
	if (v->g == 0) {
		v->ovf = t->ovf;
		v->ovf_cap = t->ovf_capacity;
	} else {
		v->ovf_cap = ovf_slots(v->capacity);
	}
	return HC_OK;
}

/* ---- compact files ---------------------------------------------------- */

static unsigned narrow_cx_bits(const struct hc_table *t)
{
	return t->key_bits;
}

/* The home slot of hash @h in @v: monotone in it. */
static uint64_t narrow_cx_home(const struct hc_table *t, const struct hc__gv *v,
			       uint64_t h)
{
	(void)t;
	return nhome(v, h);
}

static inline __attribute__((always_inline)) int
cx_census_w(const struct hc_table *t, const struct hc__gv *v, uint64_t lo,
	    uint64_t hi, struct hc__census *cs, unsigned W)
{
	struct nstart st = NSTART_NONE;
	uint64_t maxd = cs->maxd;

	for (uint64_t i = lo; i < hi; i++) {
		/* Key part and count are one word (G1). */
		uint64_t w = nload_w(v, i, W), c, mk, home, d;

		if (!nclaimed(v, w))
			continue;
		if (nlocate(v, i, w, &mk, &home, &st))
			return HC_ECORRUPT;
		d = hc__disp(v, i, home);
		maxd = d > maxd ? d : maxd;
		c = word_count(v, w, mk);
		if (c)
			hc__census_put(cs, mk, t->key_bits, c);
	}
	cs->maxd = maxd;
	return HC_OK;
}

/* The census of slots [lo, hi) (hc__census_put). */
static int narrow_cx_census(const struct hc_table *t, const struct hc__gv *v,
			    uint64_t lo, uint64_t hi, struct hc__census *cs)
{
	/* A copy, as in narrow_cx_decode. */
	const struct hc__gv lv = *v;

	return lv.ssize == 4 ? cx_census_w(t, &lv, lo, hi, cs, 4)
			     : cx_census_w(t, &lv, lo, hi, cs, 8);
}

const struct hc__kind hc__kind_narrow = {
	.slot_size = 8u,
	.probe_limit = HC_NARROW_PROBE * HC_NARROW_BUCKET,
	.flags = HC_KIND_GROWS,
	.slot_bytes = narrow_slot_bytes,
	.gen_area = narrow_gen_area,
	.layout = narrow_layout,
	.area = narrow_area,
	.validate = narrow_validate,
	.geom = narrow_tgeom,
	.bind = hc__packed_bind,
	.options = hc__packed_options,
	.key_max = hc__packed_key_max,
	.view = narrow_view,
	.add = narrow_add,
	.add_batch = narrow_add_batch,
	.get = narrow_get,
	.migrate = narrow_migrate,
	.next = narrow_next,
	.scan = narrow_scan,
	.regions = narrow_regions,
	.cx_check = hc__packed_cx_check,
	.cx_geom = hc__packed_cx_geom,
	.cx_bits = narrow_cx_bits,
	.cx_hash = hc__packed_mixk,
	.cx_key = hc__packed_cx_key,
	.cx_home = narrow_cx_home,
	.cx_decode = narrow_cx_decode,
	.cx_census = narrow_cx_census,
};
