/* SPDX-License-Identifier: MIT */
/*
 * sink.c - batches of keys into the table through the kernel's batched
 * adds (hc_add_batch, hc_add_bytes_batch), which hash a batch and
 * prefetch its slots before updating them.
 *
 * For a table small enough to live in the caches, a batch of integer
 * keys is first combined: repeats are summed in a small private hash, and
 * each distinct key is added once with its sum.  There the cost is not
 * memory but the hot cache lines that every worker's atomic adds pull
 * from core to core; Zipfian text repeats its top keys many times a
 * batch.  Counts still reach the shared table batch by batch.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void sink_init(struct sink *s, hc_table *t, int bytes, int combine)
{
	memset(s->cidx, 0, sizeof(s->cidx));
	s->t = t;
	s->bytes = bytes;
	s->combine = combine && !bytes;
	s->err = 0;
	s->n = 0;
	s->added = 0;
	s->arena_used = 0;
	s->arena = bytes ? xmalloc(SINK_ARENA) : NULL;
}

void sink_free(struct sink *s)
{
	free(s->arena);
	s->arena = NULL;
}

/* Sum the repeats of s->keys[0..n) into s->keys and s->deltas [0..u);
 * returns u.  Keys keep the order of their first appearance. */
static size_t combine(struct sink *s)
{
	const unsigned shift = 64 - 13; /* log2(SINK_COMBINE_SLOTS) */
	size_t i, u = 0;

	_Static_assert(SINK_COMBINE_SLOTS == 1u << 13, "combine shift");
	for (i = 0; i < s->n; i++) {
		uint64_t k = s->keys[i];
		size_t h =
			(size_t)((k * UINT64_C(0x9e3779b97f4a7c15)) >> shift);

		for (;;) {
			unsigned idx = s->cidx[h];

			if (idx == 0) {
				/* u <= i: keys[u] was already read. */
				s->keys[u] = k;
				s->deltas[u] = 1;
				s->cused[u] = (uint16_t)h;
				s->cidx[h] = (uint16_t)++u;
				break;
			}
			if (s->keys[idx - 1] == k) {
				s->deltas[idx - 1]++;
				break;
			}
			h = (h + 1) & (SINK_COMBINE_SLOTS - 1);
		}
	}
	for (i = 0; i < u; i++)
		s->cidx[s->cused[i]] = 0;
	return u;
}

int sink_flush(struct sink *s)
{
	size_t done = 0;
	int rc;

	if (s->err) {
		/* Counting stops at the first error: drop the batch. */
		s->n = 0;
		s->arena_used = 0;
		return s->err;
	}
	if (!s->n)
		return 0;
	if (s->bytes) {
		rc = hc_add_bytes_batch(s->t, s->ptrs, s->lens, NULL, s->n,
					&done);
	} else if (s->combine) {
		size_t u = combine(s), i;

		rc = hc_add_batch(s->t, s->keys, s->deltas, u, &done);
		for (i = 0; i < done; i++)
			s->added += s->deltas[i];
		done = 0;
	} else {
		rc = hc_add_batch(s->t, s->keys, NULL, s->n, &done);
	}
	s->added += done;
	s->n = 0;
	s->arena_used = 0;
	if (rc)
		s->err = rc;
	return rc;
}

unsigned char *sink_reserve(struct sink *s, size_t len)
{
	if (s->arena_used + len > SINK_ARENA)
		sink_flush(s);
	return s->arena + s->arena_used;
}

int sink_commit(struct sink *s, unsigned char *p, size_t len)
{
	s->arena_used += len;
	return sink_ref(s, p, len);
}
