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

/* Add @delta to the count word @c in @mode. */
static inline void count_add(hc_aword *c, uint64_t delta, int mode)
{
	if (mode == HC_MODE_HOGWILD) {
		/* ORDER: relaxed load and relaxed store, no locked
		 * instruction. Lost updates are accepted and measured
		 * (design.md H1); nothing else is derived from this word.
		 * Killed between the two: this one update is lost (P1). */
		uint64_t v = hc_atomic_load_relaxed(c);

		/* ORDER: relaxed; see the load just above (design.md H1). */
		hc_atomic_store_relaxed(c, v + delta);
	} else {
		/* ORDER: relaxed fetch-and-add. Atomicity alone makes the sum
		 * of counts the sum of deltas (design.md G3); no other memory
		 * is published by a count, so no ordering is needed. Killed
		 * before it: this one delta is lost; after: it is kept (P1). */
		hc_atomic_fetch_add_relaxed(c, delta);
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
 * Find or claim the slot of the mixed key @m (never 0), starting at
 * @home.  On return *count is the slot's count word, to which the caller
 * adds @delta; or NULL when the claim itself stored @delta (one locked
 * instruction for a new key instead of two).
 */
static inline int probe_u64(struct hc_table *t, uint64_t m, uint64_t home,
			    uint64_t delta, hc_aword **count)
{
	struct hc__slot *s = t->slots;
	uint64_t i = home;
	uint32_t n;

	for (n = 0; n < t->max_probe; n++) {
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
			 * word, so an empty word means an empty pair. Killed
			 * before it: the slot stays empty (design.md G1, P1). */
			if (hc_atomic_claim_pair_release(&s[i].word, m,
							 delta)) {
				*count = NULL;
				return HC_OK;
			}
			/* ORDER: relaxed; the key of the winner (G1). */
			w = hc_atomic_load_relaxed(&s[i].word);
#else
			/* ORDER: release CAS (a locked cmpxchg on x86-64 at
			 * any order). Claims the empty slot for @m; only one
			 * process can move a word from 0, so a key has one
			 * slot. Release is not needed for integer keys.
			 * Killed after it: the key is present with count 0
			 * and is not reported (design.md G1, P1). */
			w = hc_atomic_cas_release(&s[i].word, 0, m);
			if (w == 0)
				w = m;
#endif
		}
		if (w == m) {
			*count = &s[i].count;
			return HC_OK;
		}
		if (++i == t->capacity)
			i = 0;
	}
	(void)delta;
	return HC_EFULL;
}

/* Count word for integer @key in a hashed or dense table. */
static inline int locate_u64(struct hc_table *t, uint64_t key, uint64_t m,
			     uint64_t home, uint64_t delta, hc_aword **count)
{
	if (t->kind == HC_KEY_DENSE) {
		if (key >= t->capacity)
			return HC_ERANGE;
		*count = &t->dense[key];
		return HC_OK;
	}
	if (m == 0) {
		*count = &t->hdr->zero_count;
		return HC_OK;
	}
	return probe_u64(t, m, home, delta, count);
}

int hc__add_u64(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	hc_aword *count;
	uint64_t m = 0;
	int rc;

	rc = check_write(t, t && t->kind != HC_KEY_BYTES);
	if (rc)
		return rc;
	if (t->kind == HC_KEY_PACKED)
		return valid_mode(mode) ? hc__packed_add(t, key, delta, mode)
					: HC_EINVAL;
	if (t->kind != HC_KEY_DENSE)
		m = hc__mix64(key, t->seed);
	rc = locate_u64(t, key, m, hc__home(m, t->capacity), delta, &count);
	if (rc)
		return rc;
	if (count)
		count_add(count, delta, mode);
	return HC_OK;
}

int hc_add(hc_table *t, uint64_t key, uint64_t delta)
{
	return hc__add_u64(t, key, delta, t ? t->mode : HC_MODE_EXACT);
}

int hc_add_exact(hc_table *t, uint64_t key, uint64_t delta)
{
	return hc__add_u64(t, key, delta, HC_MODE_EXACT);
}

int hc_add_hogwild(hc_table *t, uint64_t key, uint64_t delta)
{
	return hc__add_u64(t, key, delta, HC_MODE_HOGWILD);
}

/*
 * Batched adds, in chunks of HC_BATCH keys: all of a chunk's keys are
 * hashed first, then updated in order while the home slot of key
 * i + HC_PREFETCH_DIST is prefetched, so that many cache misses are in
 * flight at once instead of one.  Hashing apart keeps the arithmetic off
 * the path between a prefetch and its use: on a VM this was worth 10-40%.
 */

/* The address to prefetch for the key hashed to (@m, @home). */
static inline const void *slot_addr(const struct hc_table *t, uint64_t home)
{
	if (t->kind == HC_KEY_DENSE)
		return home < t->capacity ? (const void *)&t->dense[home]
					  : (const void *)t->dense;
	return (const void *)&t->slots[home];
}

int hc_add_batch_mode(hc_table *t, const uint64_t *keys, const uint64_t *deltas,
		      size_t n, size_t *done, int mode)
{
	uint64_t ms[HC_BATCH], homes[HC_BATCH];
	size_t base, i;
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
	/* Per chunk: hash every key, then update them in order while the
	 * slot of the key HC_PREFETCH_DIST ahead is prefetched. */
	for (base = 0; base < n; base += HC_BATCH) {
		size_t m = n - base < HC_BATCH ? n - base : HC_BATCH;
		const uint64_t *k = keys + base;

		for (i = 0; i < m; i++) {
			if (t->kind == HC_KEY_DENSE) {
				ms[i] = homes[i] = k[i];
				continue;
			}
			ms[i] = hc__mix64(k[i], t->seed);
			homes[i] = hc__home(ms[i], t->capacity);
		}
		for (i = 0; i < m && i < HC_PREFETCH_DIST; i++)
			__builtin_prefetch(slot_addr(t, homes[i]), 1, 3);
		for (i = 0; i < m; i++) {
			uint64_t delta = deltas ? deltas[base + i] : 1;
			hc_aword *count;

			if (i + HC_PREFETCH_DIST < m)
				__builtin_prefetch(
					slot_addr(t,
						  homes[i + HC_PREFETCH_DIST]),
					1, 3);
			rc = locate_u64(t, k[i], ms[i], homes[i], delta,
					&count);
			if (rc) {
				if (done)
					*done = base + i;
				return rc;
			}
			if (count)
				count_add(count, delta, mode);
		}
	}
	if (done)
		*done = n;
	return HC_OK;
}

int hc_add_batch(hc_table *t, const uint64_t *keys, const uint64_t *deltas,
		 size_t n, size_t *done)
{
	return hc_add_batch_mode(t, keys, deltas, n, done,
				 t ? t->mode : HC_MODE_EXACT);
}

int hc_get(const hc_table *t, uint64_t key, uint64_t *count)
{
	uint64_t m, i;
	uint32_t n;

	if (!t || !count)
		return HC_EINVAL;
	*count = 0;
	if (t->kind == HC_KEY_BYTES)
		return HC_EMISUSE;
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
		*count = hc_atomic_load_relaxed(&t->hdr->zero_count);
		return HC_OK;
	}
	i = hc__home(m, t->capacity);
	for (n = 0; n < t->max_probe; n++) {
		/* ORDER: relaxed. The word is the whole key (design.md G1). */
		uint64_t w = hc_atomic_load_relaxed(&t->slots[i].word);

		if (w == 0)
			return HC_OK; /* keys are never deleted: absent */
		if (w == m) {
			/* ORDER: relaxed. A count publishes nothing (G3). */
			*count = hc_atomic_load_relaxed(&t->slots[i].count);
			return HC_OK;
		}
		if (++i == t->capacity)
			i = 0;
	}
	return HC_OK;
}

/* ---- byte-string keys ----------------------------------------------- */

static inline uint64_t ref_tag(uint64_t h)
{
	return h >> HC_REF_OFFSET_BITS;
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

static int probe_bytes(struct hc_table *t, const void *key, size_t len,
		       uint64_t h, hc_aword **count)
{
	struct hc__slot *s = t->slots;
	uint64_t tag = ref_tag(h), ref = 0, off, i = hc__home(h, t->capacity);
	uint32_t n;
	int rc;

	for (n = 0; n < t->max_probe; n++) {
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
			/* ORDER: release CAS. Publishes the key bytes copied
			 * into the key area by hc__arena_append(); pairs with
			 * the acquire load above and in hc_get_bytes() and
			 * iter.c. Killed before it: the bytes are unreachable
			 * and the slot stays empty (design.md G1, P1). */
			w = hc_atomic_cas_release(&s[i].word, 0, ref);
			if (w == 0) {
				*count = &s[i].count;
				return HC_OK;
			}
			/* ORDER: acquire. The failed CAS was relaxed; reload
			 * to see the winner's key bytes (design.md G1). Our
			 * own appended bytes stay unreachable. */
			w = hc_atomic_load_acquire(&s[i].word);
		}
		rc = ref_matches(t, w, tag, key, len);
		if (rc < 0)
			return rc;
		if (rc) {
			*count = &s[i].count;
			return HC_OK;
		}
		if (++i == t->capacity)
			i = 0;
	}
	return HC_EFULL;
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
	hc_aword *count;
	int rc;

	rc = check_write(t, t && t->kind == HC_KEY_BYTES);
	if (!rc)
		rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	if (!valid_mode(mode))
		return HC_EINVAL;
	rc = probe_bytes(t, key, len, hc__hash_bytes(key, len, t->seed),
			 &count);
	if (rc)
		return rc;
	count_add(count, delta, mode);
	return HC_OK;
}

int hc_add_bytes(hc_table *t, const void *key, size_t len, uint64_t delta)
{
	return hc__add_bytes(t, key, len, delta, t ? t->mode : HC_MODE_EXACT);
}

int hc_add_bytes_mode(hc_table *t, const void *key, size_t len, uint64_t delta,
		      int mode)
{
	return hc__add_bytes(t, key, len, delta, mode);
}

int hc_add_bytes_batch_mode(hc_table *t, const void *const *keys,
			    const size_t *lens, const uint64_t *deltas,
			    size_t n, size_t *done, int mode)
{
	uint64_t hs[HC_BATCH], homes[HC_BATCH];
	size_t base, i;
	int rc;

	if (done)
		*done = 0;
	rc = check_write(t, t && t->kind == HC_KEY_BYTES);
	if (rc)
		return rc;
	if (((!keys || !lens) && n) || !valid_mode(mode))
		return HC_EINVAL;
	for (i = 0; i < n; i++) {
		rc = check_bytes_key(keys[i], lens[i]);
		if (rc) {
			n = i; /* add the valid prefix, then report */
			break;
		}
	}
	/* Staged per chunk as hc_add_batch_mode(): hash, then update while
	 * prefetching HC_PREFETCH_DIST ahead. */
	for (base = 0; base < n; base += HC_BATCH) {
		size_t m = n - base < HC_BATCH ? n - base : HC_BATCH;

		for (i = 0; i < m; i++) {
			hs[i] = hc__hash_bytes(keys[base + i], lens[base + i],
					       t->seed);
			homes[i] = hc__home(hs[i], t->capacity);
		}
		for (i = 0; i < m && i < HC_PREFETCH_DIST; i++)
			__builtin_prefetch((const void *)&t->slots[homes[i]], 1,
					   3);
		for (i = 0; i < m; i++) {
			hc_aword *count;
			int r;

			if (i + HC_PREFETCH_DIST < m)
				__builtin_prefetch(
					(const void *)&t->slots
						[homes[i + HC_PREFETCH_DIST]],
					1, 3);
			r = probe_bytes(t, keys[base + i], lens[base + i],
					hs[i], &count);
			if (r) {
				if (done)
					*done = base + i;
				return r;
			}
			count_add(count, deltas ? deltas[base + i] : 1, mode);
		}
	}
	if (done)
		*done = n;
	return rc;
}

int hc_add_bytes_batch(hc_table *t, const void *const *keys, const size_t *lens,
		       const uint64_t *deltas, size_t n, size_t *done)
{
	return hc_add_bytes_batch_mode(t, keys, lens, deltas, n, done,
				       t ? t->mode : HC_MODE_EXACT);
}

int hc_get_bytes(const hc_table *t, const void *key, size_t len,
		 uint64_t *count)
{
	uint64_t h, tag, i;
	uint32_t n;
	int rc;

	if (!t || !count)
		return HC_EINVAL;
	*count = 0;
	if (t->kind != HC_KEY_BYTES)
		return HC_EMISUSE;
	rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	h = hc__hash_bytes(key, len, t->seed);
	tag = ref_tag(h);
	i = hc__home(h, t->capacity);
	for (n = 0; n < t->max_probe; n++) {
		/* ORDER: acquire. Pairs with the release CAS in
		 * probe_bytes(): the key bytes are visible (design.md G1). */
		uint64_t w = hc_atomic_load_acquire(&t->slots[i].word);

		if (w == 0)
			return HC_OK;
		rc = ref_matches(t, w, tag, key, len);
		if (rc < 0)
			return rc;
		if (rc) {
			/* ORDER: relaxed. A count publishes nothing (G3). */
			*count = hc_atomic_load_relaxed(&t->slots[i].count);
			return HC_OK;
		}
		if (++i == t->capacity)
			i = 0;
	}
	return HC_OK;
}
