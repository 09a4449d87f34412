/* SPDX-License-Identifier: MIT */
/*
 * add_cost.c - a fixed run of adds for counting instructions per add
 * under callgrind (scripts/bench_kinds.sh): one process, one table of
 * KIND, 200,000 adds of keys drawn from 100,000 values, one at a time
 * (hc_add, hc_add_bytes) or in one batch (hc_add_batch,
 * hc_add_bytes_batch), into a fixed table of 2^20 slots or a growing
 * one that starts at 1024.  It uses the public API only, so the same
 * source builds against older versions of the library.
 *
 *   add_cost u64|packed|bytes|dense single|batch [grow]
 *
 * Exits 0, or 1 with one line on a failure.  Timing it means nothing:
 * run it under callgrind with --toggle-collect on the add function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hogcount.h"

#define N 200000

static uint64_t keys[N];
static const void *bkeys[N];
static size_t blens[N];
static char bbuf[N][16];

static int kind_of(const char *s, hc_options *o)
{
	if (!strcmp(s, "u64")) {
		o->key_kind = HC_KEY_U64;
	} else if (!strcmp(s, "packed")) {
		o->key_kind = HC_KEY_PACKED;
		o->key_bits = 40;
	} else if (!strcmp(s, "bytes")) {
		o->key_kind = HC_KEY_BYTES;
	} else if (!strcmp(s, "dense")) {
		o->key_kind = HC_KEY_DENSE;
		o->dense_bits = 20;
		o->capacity = 0;
		o->grow = HC_GROW_OFF;
	} else {
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t x = UINT64_C(88172645463325252);
	int batch, grow, rc;
	size_t i, done;
	hc_options o;
	hc_table *t;

	if (argc < 3 ||
	    (strcmp(argv[2], "single") && strcmp(argv[2], "batch"))) {
		fprintf(stderr, "usage: add_cost u64|packed|bytes|dense "
				"single|batch [grow]\n");
		return 1;
	}
	batch = !strcmp(argv[2], "batch");
	grow = argc > 3 && !strcmp(argv[3], "grow");
	hc_options_init(&o);
	o.capacity = grow ? 1024 : UINT64_C(1) << 20;
	o.grow = grow ? HC_GROW_ON : HC_GROW_OFF;
	if (kind_of(argv[1], &o)) {
		fprintf(stderr, "add_cost: %s: not a key kind\n", argv[1]);
		return 1;
	}
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		keys[i] = x % 100000;
		snprintf(bbuf[i], sizeof(bbuf[i]), "k%llu",
			 (unsigned long long)keys[i]);
		bkeys[i] = bbuf[i];
		blens[i] = strlen(bbuf[i]);
	}
	rc = hc_table_create(&t, &o);
	if (rc) {
		fprintf(stderr, "add_cost: create: %s\n", hc_strerror(rc));
		return 1;
	}
	if (o.key_kind == HC_KEY_BYTES && batch)
		rc = hc_add_bytes_batch(t, bkeys, blens, NULL, N, &done);
	else if (batch)
		rc = hc_add_batch(t, keys, NULL, N, &done);
	else if (o.key_kind == HC_KEY_BYTES)
		for (i = 0; i < N && !rc; i++)
			rc = hc_add_bytes(t, bkeys[i], blens[i], 1);
	else
		for (i = 0; i < N && !rc; i++)
			rc = hc_add(t, keys[i], 1);
	if (rc) {
		fprintf(stderr, "add_cost: add: %s\n", hc_strerror(rc));
		return 1;
	}
	return hc_table_close(t) ? 1 : 0;
}
