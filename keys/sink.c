/* SPDX-License-Identifier: MIT */
/*
 * sink.c - batches of keys into the table through the kernel's batched
 * adds (hc_add_batch, hc_add_bytes_batch), which hash a batch and
 * prefetch its slots before updating them.
 *
 * With HCK_SINK_COMBINE, batches go through the kernel's delta cache
 * (hc_cache_*, kernel/cache.c): repeats are summed in private memory
 * across batches and each distinct key reaches the shared table once a
 * flush, with its sum.  The cache passes batches straight through where
 * they do not collapse (k-mers of reads, long n-grams).  Counts reach
 * the table exactly, at the latest on hck_sink_flush().
 *
 * A sink into a function (hck_sink_create_fn) hands each batch to the
 * caller instead, which routes it (hogcount-mpi).
 */
#include <stdlib.h>
#include <string.h>

#include "hck_internal.h"

int hck__sink_new(struct hck_sink **out, hc_table *t, int bytes, unsigned flags)
{
	struct hck_sink *s;

	if (!out || !t || (flags & ~HCK_SINK_COMBINE))
		return HC_EINVAL;
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return HC_ENOMEM;
	s->t = t;
	s->bytes = bytes;
	if (bytes && !(s->arena = malloc(HCK_SINK_ARENA))) {
		free(s);
		return HC_ENOMEM;
	}
	if (flags & HCK_SINK_COMBINE) {
		int rc = hc_cache_create(&s->cache, t, 0, 0);

		if (rc) {
			free(s->arena);
			free(s);
			return rc;
		}
	}
	*out = s;
	return HC_OK;
}

int hck_sink_create(hck_sink **out, hc_table *t, const hck_meta *m,
		    unsigned flags)
{
	if (!out || hck_meta_check(m))
		return HC_EINVAL;
	return hck__sink_new(out, t, !hck_int_keys(m), flags);
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
	(void)hc_cache_destroy(s->cache); /* flushed by hck_sink_flush() */
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

int hck__sink_drain(hck_sink *s)
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
	} else if (s->cache) {
		rc = s->bytes ? hc_cache_add_bytes_batch(s->cache, s->ptrs,
							 s->lens, NULL, s->n,
							 &done)
			      : hc_cache_add_batch(s->cache, s->keys, NULL,
						   s->n, &done);
	} else if (s->bytes) {
		rc = hc_add_bytes_batch(s->t, s->ptrs, s->lens, NULL, s->n,
					&done);
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

int hck_sink_flush(hck_sink *s)
{
	int rc = hck__sink_drain(s);

	if (!rc && s->cache && (rc = hc_cache_flush(s->cache)))
		s->err = rc;
	return rc;
}

unsigned char *hck__sink_reserve(struct hck_sink *s, size_t len)
{
	if (s->arena_used + len > HCK_SINK_ARENA)
		hck__sink_drain(s);
	return s->arena + s->arena_used;
}

int hck__sink_commit(struct hck_sink *s, unsigned char *p, size_t len)
{
	s->arena_used += len;
	return hck__sink_ref(s, p, len);
}
