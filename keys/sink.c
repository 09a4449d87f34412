/* SPDX-License-Identifier: MIT */
/*
 * sink.c - batches of keys into the table through the kernel's batched
 * adds (hc_add_batch, hc_add_bytes_batch), which hash a batch and
 * prefetch its slots before updating them.
 *
 * With HCK_SINK_COMBINE, a batch of integer keys is first combined:
 * repeats are summed in a small private hash, and each distinct key is
 * added once with its sum.  Zipfian text repeats its top keys many times
 * a batch, and every add of a hot key pulls its cache line from core to
 * core; a sum added once costs one.  Where batches do not collapse
 * (k-mers of reads, long n-grams), the private hash is pure cost, so a
 * batch that keeps more than 3/4 of its keys turns combining off for the
 * next HCK_SINK_COMBINE_SKIP batches, after which one batch tries again.
 * Counts still reach the shared table batch by batch, exactly.
 *
 * A sink into a function (hck_sink_create_fn) hands each batch to the
 * caller instead, which routes it (hogcount-mpi).
 */
#include <stdlib.h>
#include <string.h>

#include "hck_internal.h"

int hck_sink_create(hck_sink **out, hc_table *t, const hck_meta *m,
		    unsigned flags)
{
	struct hck_sink *s;
	int bytes;

	if (!out || !t || hck_meta_check(m) || (flags & ~HCK_SINK_COMBINE))
		return HC_EINVAL;
	*out = NULL;
	bytes = !hck_int_keys(m);
	s = calloc(1, sizeof(*s));
	if (!s)
		return HC_ENOMEM;
	s->t = t;
	s->bytes = bytes;
	s->combine = (flags & HCK_SINK_COMBINE) && !bytes;
	if (bytes && !(s->arena = malloc(HCK_SINK_ARENA))) {
		free(s);
		return HC_ENOMEM;
	}
	*out = s;
	return HC_OK;
}

int hck_sink_create_fn(hck_sink **out, const hck_meta *m, hck_sink_fn fn,
		       void *arg)
{
	struct hck_sink *s;
	int bytes;

	if (!out || !fn || hck_meta_check(m))
		return HC_EINVAL;
	*out = NULL;
	bytes = !hck_int_keys(m);
	s = calloc(1, sizeof(*s));
	if (!s)
		return HC_ENOMEM;
	s->fn = fn;
	s->fn_arg = arg;
	s->bytes = bytes;
	if (bytes && !(s->arena = malloc(HCK_SINK_ARENA))) {
		free(s);
		return HC_ENOMEM;
	}
	*out = s;
	return HC_OK;
}

void hck_sink_destroy(hck_sink *s)
{
	if (!s)
		return;
	free(s->arena);
	free(s);
}

uint64_t hck_sink_added(const hck_sink *s)
{
	return s->added;
}

hc_table *hck_sink_table(const hck_sink *s)
{
	return s->t;
}

/* Sum the repeats of s->keys[0..n) into s->keys and s->deltas [0..u);
 * returns u.  Keys keep the order of their first appearance. */
static size_t combine(struct hck_sink *s)
{
	const unsigned shift = 64 - 13; /* log2(HCK_SINK_COMBINE_SLOTS) */
	size_t i, u = 0;

	_Static_assert(HCK_SINK_COMBINE_SLOTS == 1u << 13, "combine shift");
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
			h = (h + 1) & (HCK_SINK_COMBINE_SLOTS - 1);
		}
	}
	for (i = 0; i < u; i++)
		s->cidx[s->cused[i]] = 0;
	return u;
}

int hck_sink_flush(hck_sink *s)
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
	if (s->fn) {
		rc = s->bytes ? s->fn(s->fn_arg, NULL, s->ptrs, s->lens, s->n)
			      : s->fn(s->fn_arg, s->keys, NULL, NULL, s->n);
		if (!rc)
			done = s->n;
	} else if (s->bytes) {
		rc = hc_add_bytes_batch(s->t, s->ptrs, s->lens, NULL, s->n,
					&done);
	} else if (s->combine && s->combine_skip == 0) {
		size_t u = combine(s), i;

		/* Combining pays while a batch collapses; one that keeps
		 * more than 3/4 of its keys turns it off for a while. */
		if (4 * u > 3 * s->n)
			s->combine_skip = HCK_SINK_COMBINE_SKIP;
		rc = hc_add_batch(s->t, s->keys, s->deltas, u, &done);
		for (i = 0; i < done; i++)
			s->added += s->deltas[i];
		done = 0;
	} else {
		if (s->combine_skip)
			s->combine_skip--;
		rc = hc_add_batch(s->t, s->keys, NULL, s->n, &done);
	}
	s->added += done;
	s->n = 0;
	s->arena_used = 0;
	if (rc)
		s->err = rc;
	return rc;
}

unsigned char *hck__sink_reserve(struct hck_sink *s, size_t len)
{
	if (s->arena_used + len > HCK_SINK_ARENA)
		hck_sink_flush(s);
	return s->arena + s->arena_used;
}

int hck__sink_commit(struct hck_sink *s, unsigned char *p, size_t len)
{
	s->arena_used += len;
	return hck__sink_ref(s, p, len);
}
