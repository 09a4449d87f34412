/* SPDX-License-Identifier: MIT */
/*
 * arena.c - the key area of a byte-string table: lock-free append by a
 * compare-and-swap on a bump pointer (a key that does not fit takes no
 * space), or, in a table that grows, on a handle's own block of it
 * (block_take), and bounds-checked reads of an entry.
 *
 * Entry at an 8-aligned offset:  u32 len | u32 hash low bits | bytes,
 * padded to 8.  Offset 0 is reserved so that a slot ref of 0 means empty.
 * Bytes appended by a process that dies before its CAS publishes them, or
 * that loses the CAS to a process adding the same key, stay unreachable:
 * wasted space, never a wrong key (design.md G1, P1).
 *
 * Offsets are logical.  Chunk 0 is the key area in the header's layout
 * (A = arena_bytes); a table that grows adds chunk i >= 1 of A x 2^i
 * bytes, covering logical [A (2^i - 1), A (2^(i+1) - 1)), as a region of
 * the object published in gens[i].arena_off (design.md M10).  Key bytes
 * never move; an entry never spans two chunks.
 */
#include <string.h>

#include "hc_internal.h"

unsigned hc__arena_chunk(const struct hc_table *t, uint64_t off,
			 uint64_t *start, uint64_t *size)
{
	uint64_t a = t->arena_bytes, q = off / a + 1;
	unsigned i = 63u - (unsigned)__builtin_clzll(q);

	*start = a * ((UINT64_C(1) << i) - 1);
	*size = a << i;
	return i;
}

/* hc__arena_chunk_ptr() for a chunk i >= 1 this handle has not found
 * yet. */
int hc__arena_chunk_map(const struct hc_table *ct, unsigned i,
			unsigned char **p)
{
	struct hc_table *t = (struct hc_table *)ct; /* may map more */
	uint64_t off, size = t->arena_bytes << i;
	int rc;

	if (i == 0 || i >= HC_GEN_MAX || !t->grows)
		return HC_ECORRUPT;
	/* ORDER: acquire. Pairs with the release CAS that published the
	 * chunk in new_chunk(): the object reaches its end (M10). */
	off = hc_atomic_load_acquire(&t->hdr->gens[i].arena_off);
	if (off == 0)
		return HC_ENOENT;
	if (off % HC_PAGE || off > t->reserve || size > t->reserve - off)
		return HC_ECORRUPT;
	rc = hc__map_upto(t, off + size);
	if (rc)
		return rc;
	*p = t->base + off;
	/* ORDER: release. Pairs with the acquire load in
	 * hc__arena_chunk_ptr() (hc_internal.h): a chunk is
	 * published once and never moves (M10), so the address found here
	 * stays right for the life of the handle. */
	hc_atomic_store_release(&t->arena_at[i], (uint64_t)(uintptr_t)*p);
	return HC_OK;
}

/* Publish chunk @i if no process has (M10). */
static int new_chunk(struct hc_table *t, unsigned i)
{
	uint64_t size = t->arena_bytes << i, bytes, off;
	unsigned char *p;
	unsigned tag;
	int rc;

	if (i >= HC_GEN_MAX || (size >> i) != t->arena_bytes)
		return HC_EFULL;
	rc = hc__arena_chunk_ptr(t, i, &p);
	if (rc != HC_ENOENT)
		return rc;
	bytes = (size + HC_PAGE - 1) / HC_PAGE * HC_PAGE;
	/* Claimed, backed, then published by any process (M2, M10). */
	rc = hc__region_publish(t, &t->hdr->gens[i].arena_claim,
				&t->hdr->gens[i].arena_off, bytes, 0, 1, &tag);
	if (rc == HC__ERETRY) /* a chunk's claim has no rung */
		rc = HC_ECORRUPT;
	if (rc != HC__ENOTSUP) /* HC_ENOSPC: counts so far are intact */
		return rc == HC_ENOMEM ? HC_EFULL : rc;
	off = hc__region_alloc(t, bytes, &rc); /* no fallocate() here */
	if (rc)
		return rc == HC_ENOMEM ? HC_EFULL : rc;
	/* ORDER: release CAS. Publishes chunk @i at @off; pairs with the
	 * acquire load in hc__arena_chunk_ptr(). The region is fresh (zero),
	 * backed, and the object reaches its end (M2, M10). The loser gives
	 * its range back. Killed after it: the chunk is there for the next
	 * key. */
	if (hc_atomic_cas_release(&t->hdr->gens[i].arena_off, 0, off) != 0)
		hc__region_free(t, off, bytes);
	return HC_OK;
}

/* A handle's block of the key area (block_take): BLOCK_BYTES, or an
 * eighth of its chunk where that is less. */
#define BLOCK_BYTES (UINT64_C(64) << 10)

/*
 * Take [*at, *at + *got) of the key area from the shared bump pointer
 * in the first chunk that has @need bytes: @need, or with @block a
 * block of that chunk (the rest of the chunk if less, @need if more).
 */
static int claim_shared(struct hc_table *t, uint64_t need, int block,
			uint64_t *at_out, uint64_t *got)
{
	uint64_t off, at, start, size, take;
	unsigned i;
	int rc;

	/* ORDER: relaxed. Only a first guess for the CAS below, which
	 * checks it; nothing is read on the strength of this value. */
	off = hc_atomic_load_relaxed(&t->hdr->arena_used);
	for (;;) {
		uint64_t seen;

		/* The bump pointer is shared and may be hostile: check both
		 * ends before trusting it.  A key that does not fit changes
		 * nothing, so a smaller key may still fit after it. */
		if (off < HC_ARENA_ENTRY_HDR || off % 8 || off >= HC_ARENA_MAX)
			return HC_EFULL;
		at = off;
		i = hc__arena_chunk(t, off, &start, &size);
		if (!t->grows && i > 0)
			return HC_EFULL;
		while (need > start + size - at) {
			/* Not in this chunk: the entry starts the first
			 * later chunk it fits in (M10). */
			if (!t->grows)
				return HC_EFULL;
			i++;
			start += size;
			size <<= 1;
			at = start;
		}
		if (at + need > HC_ARENA_MAX)
			return HC_EFULL;
		take = need;
		if (block) {
			uint64_t want = (size / 8 < BLOCK_BYTES ? size / 8
								: BLOCK_BYTES) &
					~UINT64_C(7);

			if (want > start + size - at)
				want = start + size - at;
			if (want > take && at + want <= HC_ARENA_MAX)
				take = want;
		}
		if (i) {
			rc = new_chunk(t, i);
			if (rc)
				return rc;
		}
		/* ORDER: relaxed CAS. Hands out [at, at + take) to this
		 * process alone (and skips the end of a chunk too short for
		 * @need); the bytes are published later by the release CAS
		 * of the slot in probe_bytes() (kind_bytes.c), not by this
		 * one, and that release also orders this CAS before a
		 * saver's read of the bound (design.md G2); for a block
		 * (block_take) through the full CAS that hands it on. It
		 * fails only when another process took space first, so some
		 * process always progresses (design.md P1). Killed after
		 * it: the range is unreachable garbage. */
		seen = hc_atomic_cas_relaxed(&t->hdr->arena_used, off,
					     at + take);
		if (seen == off)
			break;
		off = seen;
	}
	*at_out = at;
	*got = take;
	return HC_OK;
}

/*
 * A growing table's handle appends into a block of the key area of its
 * own, so that processes adding new keys do not all write the one shared
 * bump pointer: t->arena_blk = next offset << HC_ARENA_BLK_SHIFT | bytes
 * left.  What a handle leaves of its block when it closes (or is killed)
 * is never used, as a range whose key was never published (P1).
 *
 * The block is this process's alone: a child forked with the handle
 * inherits a copy of arena_blk, and so does each of its siblings, so it
 * is used only by the process named in arena_blk_pid; any other takes a
 * block of its own first (design.md G1).
 */
#define BLK_LEFT ((UINT64_C(1) << HC_ARENA_BLK_SHIFT) - 1)

static int block_take(struct hc_table *t, uint64_t need, uint64_t *at)
{
	uint64_t self = hc__pid(), b, got;
	int rc;

	/* ORDER: relaxed. A first guess for the CAS below, which checks
	 * it. */
	b = hc_atomic_load_relaxed(&t->arena_blk);
	/* ORDER: acquire. Pairs with the release store below in the
	 * thread of this process that put its first block in arena_blk:
	 * seeing our pid, the CAS below sees that block or a later one,
	 * never the parent's copy. A word of this handle; killed here:
	 * nothing shared changes. */
	if (hc_atomic_load_acquire(&t->arena_blk_pid) != self)
		goto fresh;
	for (;;) {
		uint64_t pos = b >> HC_ARENA_BLK_SHIFT, left = b & BLK_LEFT,
			 seen;

		if (need > left)
			break;
		/* ORDER: full CAS, on a word of this handle. Hands [pos,
		 * pos + need) to this thread alone; as an acquire it pairs
		 * with the CAS below in the thread that took the block, so
		 * that thread's CAS of the shared bump pointer happens
		 * before the release CAS that will publish this key, as
		 * G2 needs. */
		seen = hc_atomic_cas_full(&t->arena_blk, b,
					  (pos + need) << HC_ARENA_BLK_SHIFT |
						  (left - need));
		if (seen == b) {
			*at = pos;
			return HC_OK;
		}
		b = seen;
	}
fresh:
	/* A new block: this key first, the rest for the next ones. */
	rc = claim_shared(t, need, 1, at, &got);
	if (rc)
		return rc;
	/* ORDER: full CAS. As a release, hands the block on to the CAS
	 * above in other threads of this process, with the shared CAS
	 * that claimed it before. If another thread put a block there
	 * first, the rest of this one is left unused. Killed around it:
	 * that much is unused. */
	if (got > need &&
	    hc_atomic_cas_full(&t->arena_blk, b,
			       (*at + need) << HC_ARENA_BLK_SHIFT |
				       (got - need)) == b) {
		/* ORDER: relaxed load. Only this process stores its own
		 * pid here; a stale other value just costs a store. */
		if (hc_atomic_load_relaxed(&t->arena_blk_pid) != self) {
			/* ORDER: release. Pairs with the acquire load
			 * above: a thread that sees our pid sees arena_blk
			 * at this block or later, never a value inherited
			 * across fork. Killed here: the next add of this
			 * process takes a block of its own again. */
			hc_atomic_store_release(&t->arena_blk_pid, self);
		}
	}
	return HC_OK;
}

int hc__arena_append(struct hc_table *t, const void *key, size_t len,
		     uint32_t hash_lo, uint64_t *ref_off)
{
	uint64_t need = HC_ARENA_ENTRY_HDR + ((len + 7) & ~(uint64_t)7);
	uint32_t len32 = (uint32_t)len;
	unsigned char *e;
	uint64_t at, start, size, got;
	unsigned i;
	int rc;

	rc = t->grows ? block_take(t, need, &at)
		      : claim_shared(t, need, 0, &at, &got);
	if (rc)
		return rc;
	i = hc__arena_chunk(t, at, &start, &size);
	rc = hc__arena_chunk_ptr(t, i, &e);
	if (rc)
		return rc;
	e += at - start;
	memcpy(e, &len32, sizeof(len32));
	memcpy(e + 4, &hash_lo, sizeof(hash_lo));
	memcpy(e + HC_ARENA_ENTRY_HDR, key, len);
	*ref_off = at;
	return HC_OK;
}

int hc__arena_key(const struct hc_table *t, uint64_t off, const void **key,
		  size_t *len)
{
	uint64_t start, size, in;
	unsigned char *c;
	uint32_t len32;
	unsigned i;

	if (off < HC_ARENA_ENTRY_HDR || off % 8 || off >= HC_ARENA_MAX)
		return HC_ECORRUPT;
	i = hc__arena_chunk(t, off, &start, &size);
	in = off - start;
	if (in > size - HC_ARENA_ENTRY_HDR ||
	    hc__arena_chunk_ptr(t, i, &c) != HC_OK)
		return HC_ECORRUPT;
	memcpy(&len32, c + in, sizeof(len32));
	if (!hc__bytes_len_ok(len32) || len32 > size - in - HC_ARENA_ENTRY_HDR)
		return HC_ECORRUPT;
	*key = c + in + HC_ARENA_ENTRY_HDR;
	*len = len32;
	return HC_OK;
}
