/* SPDX-License-Identifier: MIT */
/*
 * part.c - the partition of keys among the shards of a sharded table
 * ("hck-part-1", hogcount_keys.h): the writer (hogcount-mpi) and every
 * reader (the CLI's manifest reader) call these, so the function is
 * written once.  It must never change meaning: a new function gets a
 * new name, and manifests say which one they used.
 */
#include "hck_internal.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

uint32_t hck_part_key(uint64_t key, uint32_t n)
{
	return n > 1 ? (uint32_t)(mix(key) % n) : 0;
}

int hck_part_keys(const uint64_t *keys, size_t n, uint32_t nparts,
		  uint32_t *out)
{
	if (!nparts || (n && (!keys || !out)))
		return HC_EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = hck_part_key(keys[i], nparts);
	return HC_OK;
}

uint32_t hck_part_bytes(const void *p, size_t len, uint32_t n)
{
	const unsigned char *b = p;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	if (n <= 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return (uint32_t)(mix(h) % n);
}
