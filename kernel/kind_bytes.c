/* SPDX-License-Identifier: MIT */
/*
 * kind_bytes.c - the bytes kind: byte-string keys (hc_add_bytes),
 * copied once into the key area (arena.c), in 16-byte slots
 * {tag << 40 | offset / 8, count} (hc_internal.h, "Hashed slot").  Its
 * table of operations is hc__kind_bytes (design.md, "Kinds").
 *
 * A slot's word publishes the key bytes behind it: it is claimed with a
 * release CAS and read with acquire loads (design.md G1).
 */
#include <string.h>

#include "hc_internal.h"

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

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
			 * hc_get_bytes() and bytes_next(). Claims {ref,
			 * delta} in one instruction, as probe_u64() does
			 * (kind_u64.c), so a frozen empty slot {0, FROZEN}
			 * refuses it (M3). Killed
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
			 * bytes_next(). No growth on this path (M8). Killed before
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
static int bytes_find(const struct hc_table *t, const struct hc__gv *v,
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

/* The hash of the key behind ref word @w (to find its home). */
static int ref_hash(const struct hc_table *t, uint64_t w, uint64_t *h)
{
	const void *k;
	size_t len;
	int rc = hc__arena_key(t, (w & HC_REF_OFFSET_MASK) << 3, &k, &len);

	if (!rc)
		*h = hc__hash_bytes(k, len, t->seed);
	return rc;
}

/*
 * Whether generation @v holds the ref word @w (a byte key copied there
 * keeps its ref): 1, 0, or an error from reading the key.
 */
static int ref_find(const struct hc_table *t, const struct hc__gv *v,
		    uint64_t w)
{
	uint64_t h, i;
	int rc = ref_hash(t, w, &h);

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

/*
 * Set the count word @c of a claimed slot to @value if it is 0; *found
 * the count it holds after (design.md I1).  A frozen count is
 * HC__EMIGRATE, as in hc__count_add(): the caller helps the migration
 * and puts again in the new generation, where the copy carries the
 * count the freeze fixed, 0 or a value (M3).
 */
static int count_put(const struct hc_table *t, hc_aword *c, uint64_t value,
		     uint64_t *found)
{
	/* ORDER: relaxed. A count publishes nothing (G3): the value is
	 * all a put hands back, and the key bytes were acquired with the
	 * slot's word in probe_bytes(). Modification order of this one
	 * word makes every reader see the first value set (I1). A first
	 * guess for the CAS below, which checks a 0. */
	uint64_t v = hc_atomic_load_relaxed(c), seen;

	if (v == 0) {
		/* ORDER: relaxed CAS from 0. Of all puts to this word one
		 * moves it from 0 (I1); it fails on a frozen count, so no
		 * value lands in a slot after its count was copied (M3).
		 * Killed before it: the key stays at count 0, for the next
		 * put; after: set (P1). */
		seen = hc_atomic_cas_relaxed(c, 0, value);
		if (seen == 0) {
			*found = value;
			return HC_OK;
		}
		v = seen; /* another put or add, or a freeze */
	}
	if (t->grows && (v & HC_FROZEN))
		return HC__EMIGRATE;
	*found = v & t->count_mask;
	return HC_OK;
}

/*
 * hc_add_bytes() (@found NULL: add @delta in @mode) or hc_put_bytes()
 * (@found: set the count to @delta if it is 0, design.md I1): find or
 * claim the key's slot, then update its count, again in the newer
 * generation while a growth moves it (M3).
 */
static int bytes_one(struct hc_table *t, const void *key, size_t len,
		     uint64_t delta, int mode, uint64_t *found)
{
	struct hc__gv v;
	hc_aword *count;
	uint64_t h = hc__hash_bytes(key, len, t->seed);
	int rc, pin = hc__pin(t);

	for (;;) {
		rc = hc__view_now(t, &v, 1, pin);
		if (rc)
			break;
		/* A claim stores {ref, delta}: a put that claims set it. */
		rc = probe_bytes(t, &v, key, len, h, delta, &count);
		if (!rc && count)
			rc = found ? count_put(t, count, delta, found)
				   : hc__count_add(t, count, delta, mode);
		else if (!rc && found)
			*found = delta;
		if (rc == HC_OK)
			break;
		rc = hc__after_fail(t, v.g, rc, pin);
		if (rc)
			break;
	}
	hc__unpin(t, pin);
	return rc;
}

static int bytes_add(struct hc_table *t, const void *key, size_t len,
		     uint64_t delta, int mode)
{
	return bytes_one(t, key, len, delta, mode, NULL);
}

static int bytes_put(struct hc_table *t, const void *key, size_t len,
		     uint64_t value, uint64_t *found)
{
	return bytes_one(t, key, len, value, HC_MODE_EXACT, found);
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
	return hc__count_add(b->t, count, delta, b->mode);
}

static int bytes_add_batch(struct hc_table *t, const void *const *keys,
			   const size_t *lens, const uint64_t *deltas, size_t n,
			   size_t *done, int mode)
{
	static const struct hc__stage stage = { bytes_hash, bytes_addr,
						bytes_update, 1, NULL };
	struct bytes_batch b;

	b.t = t;
	b.keys = keys;
	b.lens = lens;
	b.deltas = deltas;
	b.mode = mode;
	return hc__staged(t, &b, n, done, &stage);
}

static int bytes_get(struct hc_table *t, const void *key, size_t len,
		     uint64_t *count)
{
	struct hc__gv v;
	unsigned cur, top;
	uint64_t h, w, c = 0;
	int rc, pin;

	h = hc__hash_bytes(key, len, t->seed);
	/* The newer generation first, then the older one (M4). */
	pin = hc__pin(t);
	rc = hc__gen_bounds(t, &cur, &top);
	for (unsigned g = top + 1; !rc && g-- > cur;) {
		rc = hc__gen_view(t, g, &v);
		if (!rc)
			rc = bytes_find(t, &v, key, len, h, &w, &c);
		if (rc == 1) {
			*count = c & t->count_mask;
			rc = HC_OK;
			break;
		}
	}
	hc__unpin(t, pin);
	return rc;
}

static int bytes_migrate(struct hc_table *t, const struct hc__gv *o,
			 const struct hc__gv *n, uint64_t lo, uint64_t hi,
			 uint64_t *copied)
{
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t c, w, h;
		int rc;

		hc__migrate_visit(i);
		w = hc__slot_freeze(&o->slots[i], &c);
		if (w == 0)
			continue; /* frozen empty: no late claim lands here */
		/* A byte key's home comes from its bytes; the ref word is
		 * copied as it is, so a copy is found by the word (M10). */
		rc = ref_hash(t, w, &h);
		if (!rc)
			rc = hc__slot_copy(n, hc__home(h, n->capacity), w, c,
					   copied);
		if (rc)
			return rc;
	}
	return HC_OK;
}

/* ---- iteration and export ------------------------------------------- */

/* How many slots ahead bytes_next() fetches the key bytes. */
#define NEXT_AHEAD 8u

/* Start loading the key bytes of slot @i of @v, if any: a hint. */
static inline void key_prefetch(const struct hc_table *t,
				const struct hc__gv *v, uint64_t i)
{
	uint64_t w, off, start, size;
	unsigned char *c;

	if (i >= v->capacity)
		return;
	/* ORDER: relaxed. A hint: nothing is read through this value (the
	 * key is read after the acquire load in bytes_next()). */
	w = hc_atomic_load_relaxed(&v->slots[i].word);
	off = (w & HC_REF_OFFSET_MASK) << 3;
	if (w == 0 || off >= HC_ARENA_MAX)
		return;
	if (hc__arena_chunk_ptr(t, hc__arena_chunk(t, off, &start, &size),
				&c) == HC_OK &&
	    off - start < size)
		__builtin_prefetch(c + (off - start));
}

static int bytes_next(const struct hc_table *t, const struct hc__gv *v,
		      const struct hc__gv *older, uint64_t *pos, uint64_t end,
		      hc_entry *e)
{
	while (*pos < end) {
		const struct hc__slot *s = &v->slots[*pos];

		key_prefetch(t, v, *pos + NEXT_AHEAD);
		(*pos)++;
		/* ORDER: acquire. Pairs with the release CAS in probe_u64()
		 * (kind_u64.c) and probe_bytes() (kind_bytes.c): a byte
		 * key's bytes are visible before we read them (design.md
		 * G1, G2). */
		uint64_t w = hc_atomic_load_acquire(&s->word), c;
		const void *k;
		size_t len;
		int rc = 0;

		if (w == 0)
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&s->count) & t->count_mask;
		if (c == 0)
			continue; /* claimed, nothing added yet (P1) */
		/* Pass 2 reports only keys the older generation does not
		 * hold: those were reported (or added behind the cursor) in
		 * pass 1 (M4). */
		if (older)
			rc = ref_find(t, older, w);
		if (rc == 1)
			continue;
		if (!rc)
			rc = hc__arena_key(t, (w & HC_REF_OFFSET_MASK) << 3, &k,
					   &len);
		if (rc)
			return rc;
		hc__entry_set(e, 0, k, len, c);
		return 1;
	}
	return 0;
}

static int bytes_scan(const struct hc_table *t, const struct hc__gv *v,
		      const struct hc__gv *older, hc__count_fn fn, void *ctx,
		      uint64_t *claimed)
{
	for (uint64_t i = 0; i < v->capacity; i++) {
		/* ORDER: acquire. Pairs with the release claim of a byte key
		 * (probe_bytes()): the second pass reads the key bytes
		 * behind the ref to find it in the older generation (M10).
		 * For u64 the word is the key (design.md G2). */
		uint64_t w = hc_atomic_load_acquire(&v->slots[i].word), c;

		if (w == 0)
			continue;
		if (older && ref_find(t, older, w) != 0)
			continue;
		/* ORDER: relaxed. A count publishes nothing (G3). */
		c = hc_atomic_load_relaxed(&v->slots[i].count) & t->count_mask;
		(*claimed)++;
		fn(c, ctx);
	}
	return HC_OK;
}

/* The used part of each key-area chunk below @arena_used (seal.c). */
static int bytes_regions(struct hc_table *t, uint64_t arena_used,
			 struct hc__region *r, unsigned *n)
{
	uint64_t start = 0, size = t->arena_bytes, au = arena_used;
	unsigned k = *n;
	int rc;

	/* As hc_table_save() bounds it (region.c: save_gen). */
	if (!t->grows && au > t->arena_bytes)
		au = t->arena_bytes;
	if (au > HC_ARENA_MAX)
		au = HC_ARENA_MAX;
	for (unsigned i = 0; i < HC_GEN_MAX && start < au; i++) {
		unsigned char *c;

		rc = hc__arena_chunk_ptr(t, i, &c);
		if (rc)
			return rc == HC_ENOENT ? HC_ECORRUPT : rc;
		r[k++] = (struct hc__region){ HC_REGION_KEYS, i, c,
					      au - start < size ? au - start
								: size };
		start += size;
		size <<= 1;
	}
	*n = k;
	return HC_OK;
}

/* ---- layout --------------------------------------------------------- */

static int bytes_area(const hc_options *opt, int grows, uint64_t cap,
		      const struct hc__header *h, uint64_t *bytes)
{
	uint64_t arena = opt->arena_bytes ? opt->arena_bytes
					  : cap * HC_DEFAULT_ARENA_PER_SLOT;

	(void)grows;
	(void)h;
	/* Room for at least one entry past the reserved offset 0. */
	if (arena < 2 * HC_ARENA_ENTRY_HDR || arena > HC_ARENA_MAX)
		return HC_EINVAL;
	*bytes = round_up(arena, 8);
	return HC_OK;
}

static int bytes_validate(const struct hc__header *h)
{
	if (h->key_bits != 0 || h->count_bits != 0 ||
	    h->arena_offset != round_up(HC_HEADER_SIZE + h->slots_bytes, 64) ||
	    h->arena_bytes < 2 * HC_ARENA_ENTRY_HDR ||
	    h->arena_bytes > HC_ARENA_MAX || h->arena_bytes % 8)
		return HC_ECORRUPT;
	return HC_OK;
}

static void bytes_bind(struct hc_table *t, unsigned char *base,
		       const struct hc__header *h)
{
	t->arena = base + h->arena_offset;
	t->arena_bytes = h->arena_bytes;
	t->slots = (struct hc__slot *)(base + h->slots_offset);
}

const struct hc__kind hc__kind_bytes = {
	.slot_size = HC_SLOT_SIZE,
	.probe_limit = HC_PROBE_LIMIT,
	.flags = HC_KIND_BYTES | HC_KIND_GROWS | HC_KIND_GROWS_PAIR |
		 HC_KIND_ARENA | HC_KIND_REFS,
	.area = bytes_area,
	.validate = bytes_validate,
	.bind = bytes_bind,
	.add_bytes = bytes_add,
	.add_bytes_batch = bytes_add_batch,
	.get_bytes = bytes_get,
	.put_bytes = bytes_put,
	.migrate = bytes_migrate,
	.next = bytes_next,
	.scan = bytes_scan,
	.regions = bytes_regions,
	.cx_check = hc__cbytes_check, /* compact_bytes.c */
};
