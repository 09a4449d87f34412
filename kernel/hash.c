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

#define MIX_C1 UINT64_C(0xff51afd7ed558ccd)
#define MIX_C2 UINT64_C(0xc4ceb9fe1a85ec53)
#define MIX_C1_INV UINT64_C(0x4f74430c22a54005)
#define MIX_C2_INV UINT64_C(0x9cb4b2f8129337db)

uint64_t hc__mix64(uint64_t key, uint64_t seed)
{
	uint64_t x = key ^ seed;

	x ^= x >> 33;
	x *= MIX_C1;
	x ^= x >> 33;
	x *= MIX_C2;
	x ^= x >> 33;
	return x;
}

uint64_t hc__unmix64(uint64_t mixed, uint64_t seed)
{
	uint64_t x = mixed;

	/* x ^= x >> 33 is its own inverse: 2 * 33 >= 64. */
	x ^= x >> 33;
	x *= MIX_C2_INV;
	x ^= x >> 33;
	x *= MIX_C1_INV;
	x ^= x >> 33;
	return x ^ seed;
}

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
	uint64_t h = seed ^ (len * MIX_C1);
	size_t i = 0;

	for (; i + 16 <= len; i += 16)
		h = fold(load64(p + i) ^ MIX_C1 ^ h,
			 load64(p + i + 8) ^ MIX_C2);
	if (i + 8 <= len) {
		h = fold(load64(p + i) ^ MIX_C1 ^ h, MIX_C2);
		i += 8;
	}
	if (i < len) {
		uint64_t tail = 0;

		memcpy(&tail, p + i, len - i);
		h = fold(tail ^ MIX_C2 ^ h, MIX_C1 ^ (uint64_t)(len - i));
	}
	return hc__mix64(h, 0);
}
