/* SPDX-License-Identifier: MIT */
/*
 * make_seeds.c - writes the seed corpus of fuzz_table: one small saved
 * table of each key kind, with keys 0 and UINT64_MAX, a long byte key
 * and a count large enough to reach the packed overflow area; and the
 * u64, packed and byte-key ones again in the compact layout
 * (hc_table_save_compact).
 * Usage: make_seeds DIR
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "hogcount.h"
#include "hogcount_keys.h"

static int save(hc_table *t, const char *dir, const char *name,
		const char *compact)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	remove(path);
	rc = hc_table_save(t, path);
	if (!rc && compact) {
		snprintf(path, sizeof(path), "%s/%s", dir, compact);
		remove(path);
		rc = hc_table_save_compact(t, path);
	}
	hc_table_close(t);
	if (rc) {
		fprintf(stderr, "make_seeds: %s: %s\n", path, hc_strerror(rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	hc_options o;
	hc_table *t;
	unsigned char big[300];
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	hc_options_init(&o);
	o.capacity = 64;
	if (hc_table_create(&t, &o))
		return 1;
	for (uint64_t k = 0; k < 40; k++)
		hc_add(t, k * 0x9e3779b97f4a7c15u, k + 1);
	hc_add(t, 0, 3);
	hc_add(t, UINT64_MAX, 5);
	if (hck_meta_store(t, &(hck_meta){ .tokens = HCK_BYTES, .k = 8 }))
		return 1;
	bad |= save(t, argv[1], "u64.hc", "u64-compact.hc");

	hc_options_init(&o);
	o.key_kind = HC_KEY_BYTES;
	o.capacity = 64;
	if (hc_table_create(&t, &o))
		return 1;
	memset(big, 'x', sizeof(big));
	for (unsigned i = 1; i < 30; i++)
		hc_add_bytes(t, big + i, i, i);
	hc_add_bytes(t, big, sizeof(big), 2);
	bad |= save(t, argv[1], "bytes.hc", "bytes-compact.hc");

	hc_options_init(&o);
	o.key_kind = HC_KEY_PACKED;
	o.key_bits = 42;
	o.capacity = 64;
	if (hc_table_create(&t, &o))
		return 1;
	for (uint64_t k = 0; k < 40; k++)
		hc_add(t, (k * 0x9e3779b97f4a7c15u) >> 22, 1);
	hc_add(t, 7, UINT64_C(1) << 40);
	bad |= save(t, argv[1], "packed.hc", "packed-compact.hc");

	hc_options_init(&o);
	o.key_kind = HC_KEY_DENSE;
	o.dense_bits = 6;
	if (hc_table_create(&t, &o))
		return 1;
	for (uint64_t k = 0; k < 64; k += 3)
		hc_add(t, k, k);
	bad |= save(t, argv[1], "dense.hc", NULL);
	return bad;
}
