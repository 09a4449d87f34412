/* SPDX-License-Identifier: MIT */
/*
 * arena.c - the key area of a byte-string table: lock-free append by a
 * compare-and-swap on a bump pointer (a key that does not fit takes no
 * space), and bounds-checked reads of an entry.
 *
 * Entry at an 8-aligned offset:  u32 len | u32 hash low bits | bytes,
 * padded to 8.  Offset 0 is reserved so that a slot ref of 0 means empty.
 * Bytes appended by a process that dies before its CAS publishes them, or
 * that loses the CAS to a process adding the same key, stay unreachable:
 * wasted space, never a wrong key (design.md G1, P1).
 */
#include <string.h>

#include "hc_internal.h"

int hc__arena_append(struct hc_table *t, const void *key, size_t len,
		     uint32_t hash_lo, uint64_t *ref_off)
{
	uint64_t need = HC_ARENA_ENTRY_HDR + ((len + 7) & ~(uint64_t)7);
	uint32_t len32 = (uint32_t)len;
	unsigned char *e;
	uint64_t off;

	/* ORDER: relaxed. Only a first guess for the CAS below, which
	 * checks it; nothing is read on the strength of this value. */
	off = hc_atomic_load_relaxed(&t->hdr->arena_used);
	for (;;) {
		uint64_t seen;

		/* The bump pointer is shared and may be hostile: check both
		 * ends before trusting it.  A key that does not fit changes
		 * nothing, so a smaller key may still fit after it. */
		if (off < HC_ARENA_ENTRY_HDR || off > t->arena_bytes ||
		    need > t->arena_bytes - off || off % 8)
			return HC_EFULL;
		/* ORDER: relaxed CAS. Hands out [off, off + need) to this
		 * process alone; the bytes are published later by the release
		 * CAS of the slot in probe_bytes() (slots.c), not by this
		 * one, and that release also orders this CAS before a saver's
		 * read of the bound (design.md G2). It fails only when
		 * another process took space first, so some process always
		 * progresses (design.md P1). Killed after it: the range is
		 * unreachable garbage. */
		seen = hc_atomic_cas_relaxed(&t->hdr->arena_used, off,
					     off + need);
		if (seen == off)
			break;
		off = seen;
	}
	e = t->arena + off;
	memcpy(e, &len32, sizeof(len32));
	memcpy(e + 4, &hash_lo, sizeof(hash_lo));
	memcpy(e + HC_ARENA_ENTRY_HDR, key, len);
	*ref_off = off;
	return HC_OK;
}

int hc__arena_key(const struct hc_table *t, uint64_t off, const void **key,
		  size_t *len)
{
	uint32_t len32;

	if (off < HC_ARENA_ENTRY_HDR || off % 8 ||
	    off > t->arena_bytes - HC_ARENA_ENTRY_HDR)
		return HC_ECORRUPT;
	memcpy(&len32, t->arena + off, sizeof(len32));
	if (len32 == 0 || len32 > HC_KEY_BYTES_MAX ||
	    len32 > t->arena_bytes - off - HC_ARENA_ENTRY_HDR)
		return HC_ECORRUPT;
	*key = t->arena + off + HC_ARENA_ENTRY_HDR;
	*len = len32;
	return HC_OK;
}
