/* SPDX-License-Identifier: MIT */
/*
 * sink.c - batches of keys into the table through the kernel's batched
 * adds (hc_add_batch, hc_add_bytes_batch), which hash a batch and
 * prefetch its slots before updating them.
 */
#include <stdlib.h>

#include "cli.h"

void sink_init(struct sink *s, hc_table *t, int bytes)
{
	s->t = t;
	s->bytes = bytes;
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
	if (s->bytes)
		rc = hc_add_bytes_batch(s->t, s->ptrs, s->lens, NULL, s->n,
					&done);
	else
		rc = hc_add_batch(s->t, s->keys, NULL, s->n, &done);
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
