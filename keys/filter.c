/* SPDX-License-Identifier: MIT */
/*
 * filter.c - a copy of a table that keeps only the keys whose count is
 * in a range, sized for them: the count-time filters of `count -L/-U`
 * and `merge -L/-U` (as `jellyfish count -L/-U`, `kmc -ci/-cx`), for
 * library users too.  One walk counts the keys kept and their bytes,
 * the plan (plan.c) sizes the new table for exactly those, and a second
 * walk adds them in batches: the copy never grows, and its saved file
 * holds the kept keys at the plan's load, not the source's slots.
 */
#include <stdlib.h>

#include "hck_internal.h"

#define BATCH 4096

static int keep(const hc_entry *e, uint64_t lower, uint64_t upper)
{
	return e->count >= lower && e->count <= upper;
}

/* Walk 1: the keys kept, and the key-area bytes they take (a byte key
 * costs its bytes rounded to 8 and a header; 16 bounds the header). */
static int measure(const hc_table *src, uint64_t lower, uint64_t upper,
		   uint64_t *keys, uint64_t *bytes)
{
	hc_iter *it;
	hc_entry e;
	int rc;

	*keys = *bytes = 0;
	rc = hc_iter_create(src, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1)
		if (keep(&e, lower, upper)) {
			(*keys)++;
			*bytes += 16 + ((e.len + 7) & ~(uint64_t)7);
		}
	hc_iter_destroy(it);
	return rc < 0 ? rc : HC_OK;
}

/* Walk 2: the kept entries into @dst, BATCH at a time. */
static int copy(hc_table *dst, const hc_table *src, int bytes, uint64_t lower,
		uint64_t upper)
{
	struct batch {
		uint64_t keys[BATCH], counts[BATCH];
		const void *ptrs[BATCH];
		size_t lens[BATCH];
	} *b = malloc(sizeof(*b));
	size_t n = 0, done;
	hc_iter *it;
	hc_entry e;
	int rc, more;

	if (!b)
		return HC_ENOMEM;
	rc = hc_iter_create(src, &it);
	if (rc) {
		free(b);
		return rc;
	}
	do {
		more = (rc = hc_iter_next(it, &e)) == 1;
		if (more && keep(&e, lower, upper)) {
			b->keys[n] = e.key;
			b->ptrs[n] = e.bytes;
			b->lens[n] = e.len;
			b->counts[n++] = e.count;
		}
		if (n && (n == BATCH || !more)) {
			int r = bytes ? hc_add_bytes_batch(dst, b->ptrs,
							   b->lens, b->counts,
							   n, &done)
				      : hc_add_batch(dst, b->keys, b->counts, n,
						     &done);

			if (r) {
				rc = r;
				break;
			}
			n = 0;
		}
	} while (more);
	hc_iter_destroy(it);
	free(b);
	return rc < 0 ? rc : HC_OK;
}

int hck_table_filter(hc_table **out, const hc_table *src, uint64_t lower,
		     uint64_t upper)
{
	unsigned char user[HC_USER_MAX];
	hck_plan plan = { .size = sizeof(plan) };
	uint64_t kept, bytes;
	size_t ulen = 0;
	hck_plan_in in;
	hc_options o;
	hck_meta m;
	hc_table *t = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !src || !lower || upper < lower)
		return HC_EINVAL;
	rc = hck_meta_load(src, &m);
	if (!rc)
		rc = hc_table_get_user(src, user, sizeof(user), &ulen);
	if (rc)
		return rc;
	hc_options_init(&o);
	rc = hc_table_options(src, &o);
	if (!rc)
		rc = measure(src, lower, upper, &kept, &bytes);
	if (rc)
		return rc;
	hck_plan_in_init(&in);
	in.mode = o.mode;
	in.keys = kept;
	in.wide = o.key_kind == HC_KEY_U64; /* a --wide table stays wide */
	if (o.key_kind == HC_KEY_BYTES)
		in.arena_bytes = bytes + 4096;
	rc = hck_plan_table(&m, &in, &plan);
	if (!rc)
		rc = hck_table_create(&t, &m, &plan);
	/* The whole record, byte for byte, not only what hck_meta reads. */
	if (!rc)
		rc = hc_table_set_user(t, user, ulen);
	if (!rc)
		rc = copy(t, src, o.key_kind == HC_KEY_BYTES, lower, upper);
	if (rc) {
		hc_table_close(t);
		return rc;
	}
	*out = t;
	return HC_OK;
}
