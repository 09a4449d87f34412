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
 *   | quotient: qbits | d + 1: HC_PACK_DISP_BITS | count: cbits |
 *
 * where d is the slot's distance from the home and the quotient is the
 * low qbits of mk: home, d and quotient give back mk, and unmixk the key.
 * The word is 0 when empty and never 0 once claimed (d + 1 > 0); its key
 * part never changes after the claim.  A count that reaches the largest
 * value of its field (cmask) stays there, saturated, and the rest of it
 * is kept in the overflow area: 16-byte slots {mk << 1 | 1, count}.
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

/* ---- the key_bits-bit bijection -------------------------------------- */

static inline uint64_t bits_mask(unsigned b)
{
	return b == 64 ? ~UINT64_C(0) : (UINT64_C(1) << b) - 1;
}

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

static inline uint64_t home_of(const struct hc_table *t, uint64_t mk)
{
	return (uint64_t)(((unsigned __int128)mk * t->capacity) >> t->key_bits);
}

/* The key part of the word of mk at distance d from its home. */
static inline uint64_t prefix(const struct hc_table *t, uint64_t mk, uint64_t d)
{
	uint64_t q = mk & bits_mask(t->qbits);

	return (q << HC_PACK_DISP_BITS | (d + 1)) << t->cbits;
}

/*
 * mk back from its home and quotient.  The keys with home h are the
 * interval [ceil(h 2^b / cap), ceil((h + 1) 2^b / cap)), no longer than
 * 2^qbits because cap >= 2^(b - qbits); so its low qbits pick one.
 */
static uint64_t recover(const struct hc_table *t, uint64_t home, uint64_t q)
{
	unsigned __int128 top = (unsigned __int128)home << t->key_bits;
	uint64_t lo = (uint64_t)((top + t->capacity - 1) / t->capacity);

	return lo + ((q - lo) & bits_mask(t->qbits));
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
			/* ORDER: release CAS; as probe_u64() in slots.c:
			 * one process moves a word from 0, so mk has one
			 * overflow slot (design.md G1). */
			w = hc_atomic_cas_release(&t->ovf[i].word, 0, k);
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

/* ---- adds ----------------------------------------------------------- */

/*
 * Add @delta to the slot @s, whose word @w (as last read) holds mk.
 * Exact: a CAS loop, so that a count never carries into the key part;
 * every failed CAS means another process's succeeded (lock-free).  A
 * count about to pass cmask saturates at cmask and the rest goes to the
 * overflow area, whose slot is claimed first so that a full overflow
 * area refuses the add before anything changed.
 */
static int add_word(struct hc_table *t, hc_aword *s, uint64_t w, uint64_t mk,
		    uint64_t delta, int mode)
{
	uint64_t cm = t->cmask;

	for (;;) {
		uint64_t c = w & cm, old;
		hc_aword *oc;
		int rc;

		if (c != cm && delta < cm - c) {
			if (mode == HC_MODE_HOGWILD) {
				/* ORDER: relaxed store of a word read relaxed,
				 * no locked instruction (design.md H1). Its
				 * key part is the one already there, so a
				 * race loses counts, never keys. */
				hc_atomic_store_relaxed(s, w + delta);
				return HC_OK;
			}
			/* ORDER: release CAS (a locked cmpxchg at any
			 * order). Atomicity makes the sum exact (design.md
			 * G3); release costs nothing more on x86-64. Killed
			 * before it: this delta is lost; after: kept (P1). */
			old = hc_atomic_cas_release(s, w, w + delta);
			if (old == w)
				return HC_OK;
			w = old;
			continue;
		}
		rc = ovf_locate(t, mk, 1, &oc);
		if (rc)
			return rc;
		if (c != cm) {
			/* ORDER: release CAS; saturates the field. Killed
			 * after it and before the overflow add: the part of
			 * this delta above cmask - c is lost (P1). */
			old = hc_atomic_cas_release(s, w, w | cm);
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
 * Find or claim mk's slot from @home and add @delta.  A claim stores the
 * key part and the first delta (or cmask, the rest going to overflow) in
 * one CAS.
 */
static inline __attribute__((always_inline)) int
probe_add(struct hc_table *t, uint64_t mk, uint64_t home, uint64_t delta,
	  int mode)
{
	hc_aword *s = t->packed;
	uint64_t i = home, cm = t->cmask;

	for (uint64_t d = 0; d < t->max_probe; d++) {
		uint64_t p = prefix(t, mk, d);
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
			/* ORDER: release CAS. Claims the empty slot with the
			 * key part and first count in one word: one process
			 * can, so a key has one slot (design.md G1). Killed
			 * before it: nothing; after it and before the
			 * overflow add: the rest of this delta (P1). */
			w = hc_atomic_cas_release(&s[i], 0, p | first);
			if (w == 0) {
				if (oc)
					/* ORDER: relaxed; a count (G3). */
					hc_atomic_fetch_add_relaxed(oc,
								    delta - cm);
				return HC_OK;
			}
		}
		if ((w & ~cm) == p)
			return add_word(t, &s[i], w, mk, delta, mode);
		if (++i == t->capacity)
			i = 0;
	}
	return HC_EFULL;
}

int hc__packed_add(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	uint64_t mk;

	if (key > t->kmask)
		return HC_ERANGE;
	mk = mixk(t, key);
	return probe_add(t, mk, home_of(t, mk), delta, mode);
}

/* Batched adds, staged as hc_add_batch_mode() in slots.c does. */
int hc__packed_add_batch(struct hc_table *t, const uint64_t *keys,
			 const uint64_t *deltas, size_t n, size_t *done,
			 int mode)
{
	uint64_t mk[HC_BATCH], home[HC_BATCH];
	size_t base, i;
	int rc;

	for (base = 0; base < n; base += HC_BATCH) {
		size_t m = n - base < HC_BATCH ? n - base : HC_BATCH;
		const uint64_t *k = keys + base;

		for (i = 0; i < m; i++) {
			mk[i] = mixk(t, k[i] & t->kmask);
			home[i] = home_of(t, mk[i]);
		}
		for (i = 0; i < m && i < HC_PREFETCH_DIST; i++)
			__builtin_prefetch((const void *)&t->packed[home[i]], 1,
					   3);
		for (i = 0; i < m; i++) {
			if (i + HC_PREFETCH_DIST < m)
				__builtin_prefetch(
					(const void *)&t->packed
						[home[i + HC_PREFETCH_DIST]],
					1, 3);
			rc = k[i] > t->kmask
				     ? HC_ERANGE
				     : probe_add(t, mk[i], home[i],
						 deltas ? deltas[base + i] : 1,
						 mode);
			if (rc) {
				if (done)
					*done = base + i;
				return rc;
			}
		}
	}
	if (done)
		*done = n;
	return HC_OK;
}

/* ---- reads ---------------------------------------------------------- */

int hc__packed_get(const struct hc_table *t, uint64_t key, uint64_t *count)
{
	uint64_t mk, i;

	*count = 0;
	if (key > t->kmask)
		return HC_ERANGE;
	mk = mixk(t, key);
	i = home_of(t, mk);
	for (uint64_t d = 0; d < t->max_probe; d++) {
		/* ORDER: relaxed. Key part and count are one word (G1). */
		uint64_t w = hc_atomic_load_relaxed(&t->packed[i]);

		if (w == 0)
			return HC_OK; /* keys are never deleted: absent */
		if ((w & ~t->cmask) == prefix(t, mk, d)) {
			*count = word_count(t, w, mk);
			return HC_OK;
		}
		if (++i == t->capacity)
			i = 0;
	}
	return HC_OK;
}

/*
 * The entry in slot @i, whose word @w is non-zero: its key and count.
 * HC_ECORRUPT for a word no add can write (a displacement past the probe
 * limit): the walk stops rather than report a wrong key.
 */
int hc__packed_entry(const struct hc_table *t, uint64_t i, uint64_t w,
		     uint64_t *key, uint64_t *count)
{
	uint64_t d = ((w >> t->cbits) & bits_mask(HC_PACK_DISP_BITS)) - 1;
	uint64_t q = t->qbits ? w >> (t->cbits + HC_PACK_DISP_BITS) : 0;
	uint64_t home, mk;

	if (d >= t->max_probe)
		return HC_ECORRUPT;
	home = i >= d ? i - d : i + t->capacity - d;
	mk = recover(t, home, q);
	*key = unmixk(t, mk);
	*count = word_count(t, w, mk);
	return HC_OK;
}
