/* SPDX-License-Identifier: MIT */
/*
 * hash.c - the hash functions and the seed.
 *
 * Integer keys go through mix64, a bijection on 64-bit words (the
 * MurmurHash3 finaliser applied to key ^ seed).  Because it is invertible
 * the slot stores the mixed word and iteration recovers the key with
 * unmix64: the key needs no second word, and a key is published by one
 * atomic compare-and-swap.  Byte strings use a multiply-mix hash over
 * 8-byte words; its top 24 bits double as the tag kept in the slot.
 */
#include <string.h>

#include "hc_internal.h"

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t fold(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hc__hash_bytes(const void *key, size_t len, uint64_t seed)
{
	const unsigned char *p = key;
	uint64_t h = seed ^ (len * HC_MIX_C1);
	size_t i = 0;

	for (; i + 16 <= len; i += 16)
		h = fold(load64(p + i) ^ HC_MIX_C1 ^ h,
			 load64(p + i + 8) ^ HC_MIX_C2);
	if (i + 8 <= len) {
		h = fold(load64(p + i) ^ HC_MIX_C1 ^ h, HC_MIX_C2);
		i += 8;
	}
	if (i < len) {
		uint64_t tail = 0;

		memcpy(&tail, p + i, len - i);
		h = fold(tail ^ HC_MIX_C2 ^ h, HC_MIX_C1 ^ (uint64_t)(len - i));
	}
	return hc__mix64(h, 0);
}
