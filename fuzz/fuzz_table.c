/* SPDX-License-Identifier: MIT */
/*
 * fuzz_table.c - libFuzzer harness: arbitrary bytes opened as a table
 * file (live or compact layout: the seeds have both), then every read
 * the tools make on it: options, metadata,
 * iteration, stats, histogram, point gets, and a merge into a small
 * anonymous table; and hc_table_verify() first, as the tools do.  The
 * library must answer each with a status code, never a crash, a read
 * out of bounds or a hang.
 *
 * An input whose seal word says SEALED gets its header sum made right
 * here (docs/format.md, "Seal": XXH3-64 of the header page with the sum
 * read as 0), so that the fuzzer reaches the region sums of
 * hc_table_verify() with any geometry rather than stopping at the
 * header sum, which it cannot forge.  A compact file's header check
 * (docs/format.md, "Compact files": XXH3-64 of bytes 0..1015) is made
 * right alike, so that its body (buckets and remainders, or a byte-key
 * table's block index and front-coded keys) is reached.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xxhash.h>

#include "hogcount.h"

#define SEAL_OFF 664 /* u64 seal word: tag in bits 48..63 */
#define HEADER_SUM_OFF 672 /* u64 header sum */
#define SEAL_TAG_SEALED 0x5a96u
#define HEADER_BYTES 4096
#define CMAGIC 0x54504d4f43474f48ull /* "HOGCOMPT" */
#define CHECK_OFF 1016 /* compact: u64 check of bytes 0..1015 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every read a consumer makes of an opened table. */
static void read_all(hc_table *t, const uint8_t *data, size_t size)
{
	hc_options opt;
	hc_stats st = { .size = sizeof(st) };
	uint64_t hist[64], c;
	unsigned char user[HC_USER_MAX];
	size_t ulen;
	hc_iter *it;
	hc_entry e;
	hc_table *dst;

	hc_verdict v = { .size = sizeof(v) };

	(void)hc_table_verify(t, &v);
	(void)hc_table_verify(t, NULL);
	(void)hc_table_options(t, &opt);
	(void)hc_table_get_user(t, user, sizeof(user), &ulen);
	(void)hc_table_stats(t, &st);
	(void)hc_histo(t, hist, 64);
	if (hc_iter_create(t, &it) == HC_OK) {
		/* A table file of a few MiB has at most this many slots. */
		for (unsigned n = 0;
		     n < (1u << 22) && hc_iter_next(it, &e) == 1; n++)
			if (e.bytes && e.len)
				(void)((const volatile unsigned char *)
					       e.bytes)[e.len - 1];
		hc_iter_destroy(it);
	}
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t k;

		memcpy(&k, data + i, 8);
		(void)hc_get(t, k, &c);
		(void)hc_get_bytes(t, data + i, 8, &c);
	}
	for (size_t i = 0; i < size && i < 64; i++)
		(void)hc_get_bytes(t, data + size - i - 1, i + 1, &c);
	(void)hc_get(t, 0, &c);
	(void)hc_get(t, UINT64_MAX, &c);

	/* Merge into a small table of the same kind, where that is valid. */
	if (hc_table_options(t, &opt) != HC_OK)
		return;
	if (opt.key_kind == HC_KEY_DENSE && opt.dense_bits > 16)
		opt.key_kind = HC_KEY_U64;
	if (opt.key_kind != HC_KEY_DENSE)
		opt.capacity = 1024;
	opt.arena_bytes = 0;
	if (hc_table_create(&dst, &opt) != HC_OK)
		return;
	(void)hc_table_merge(dst, t);
	(void)hc_table_close(dst);
}

/* Make the header sum of a sealed input right (see the top). */
static void fix_header_sum(uint8_t *buf, size_t size)
{
	uint64_t seal, sum = 0;
	uint8_t page[HEADER_BYTES];

	if (size >= CHECK_OFF + 8) {
		memcpy(&seal, buf, 8);
		if (seal == CMAGIC) {
			sum = XXH3_64bits(buf, CHECK_OFF);
			memcpy(buf + CHECK_OFF, &sum, 8);
			return;
		}
	}
	if (size < HEADER_BYTES)
		return;
	memcpy(&seal, buf + SEAL_OFF, 8);
	if (seal >> 48 != SEAL_TAG_SEALED)
		return;
	memcpy(page, buf, HEADER_BYTES);
	memcpy(page + HEADER_SUM_OFF, &sum, 8);
	sum = XXH3_64bits(page, HEADER_BYTES);
	memcpy(buf + HEADER_SUM_OFF, &sum, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	hc_table *t;
	uint8_t *buf;
	ssize_t n;
	int fd = memfd_create("fuzz-table", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf) {
		close(fd);
		return 0;
	}
	memcpy(buf, data, size);
	fix_header_sum(buf, size);
	n = write(fd, buf, size);
	free(buf);
	if (n != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (hc_table_open(&t, path, HC_OPEN_RDONLY) == HC_OK) {
		read_all(t, data, size);
		(void)hc_table_close(t);
	}
	close(fd);
	return 0;
}
