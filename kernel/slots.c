/* SPDX-License-Identifier: MIT */
/*
 * slots.c - the hot path's entry points: each checks its arguments and
 * calls the kind's add, batch or lookup once (t->ops; design.md,
 * "Kinds"), which probes, claims and adds in kind_<name>.c.  Also the
 * retry after a failed add (help a migration, or grow).  Layout in
 * hc_internal.h; the argument in docs/design.md.
 */
#define _GNU_SOURCE
#include <string.h>

#include "hc_internal.h"

#ifdef HC_DEBUG_YIELD
#include <sched.h>
void hc__debug_yield(void)
{
	static _Thread_local unsigned x = 12345;

	x = x * 1103515245u + 12345u;
	if ((x >> 16) % 8 == 0)
		sched_yield();
}
#endif

/*
 * After a failed add in generation @g: HC__EMIGRATE helps the migration
 * in flight, HC_EFULL starts a growth (M1); both then retry.  Any other
 * status, or a growth refused (limit, memory), goes back to the caller.
 * The caller's @pin is raised to helping first: it retries from a new
 * view (hc__view_now), never in @g again (M9).
 */
int hc__after_fail(struct hc_table *t, unsigned g, int rc, int pin)
{
	if (rc == HC__EMIGRATE) {
		hc__pin_helping(t, pin, g);
		return hc__help(t, g);
	}
	if (rc == HC_EFULL && t->grows) {
		int r;

		hc__pin_helping(t, pin, g);
		r = hc__grow(t, g);
		return r == HC_ENOMEM ? HC_EFULL : r;
	}
	return rc;
}

/* ---- integer keys --------------------------------------------------- */

int hc__add_u64(struct hc_table *t, uint64_t key, uint64_t delta, int mode)
{
	int rc = hc__check_write(t, t && t->ops->add);

	if (rc)
		return rc;
	return t->ops->add(t, key, delta, mode);
}

int hc_add(hc_table *t, uint64_t key, uint64_t delta)
{
	return hc__add_u64(t, key, delta, t ? t->mode : HC_MODE_EXACT);
}

int hc_add_batch_mode(hc_table *t, const uint64_t *keys, const uint64_t *deltas,
		      size_t n, size_t *done, int mode)
{
	int rc;

	if (done)
		*done = 0;
	rc = hc__check_write(t, t && t->ops->add_batch);
	if (rc)
		return rc;
	if ((!keys && n) || !hc__valid_mode(mode))
		return HC_EINVAL;
	return t->ops->add_batch(t, keys, deltas, n, done, mode);
}

int hc_add_batch(hc_table *t, const uint64_t *keys, const uint64_t *deltas,
		 size_t n, size_t *done)
{
	return hc_add_batch_mode(t, keys, deltas, n, done,
				 t ? t->mode : HC_MODE_EXACT);
}

int hc_get(const hc_table *ct, uint64_t key, uint64_t *count)
{
	/* The handle may map a newly published generation (grow.c); the
	 * table itself is only read. */
	struct hc_table *t = (struct hc_table *)ct;

	if (!t || !count)
		return HC_EINVAL;
	*count = 0;
	if (!t->ops->get)
		return HC_EMISUSE;
	if (t->cx)
		return hc__compact_get(t, key, count);
	return t->ops->get(t, key, count);
}

/* ---- byte-string keys ----------------------------------------------- */

static inline int check_bytes_key(const void *key, size_t len)
{
	if (!key && len)
		return HC_EINVAL;
	if (!hc__bytes_len_ok(len))
		return HC_ERANGE;
	return HC_OK;
}

int hc__add_bytes(struct hc_table *t, const void *key, size_t len,
		  uint64_t delta, int mode)
{
	int rc = hc__check_write(t, t && t->ops->add_bytes);

	if (!rc)
		rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	if (!hc__valid_mode(mode))
		return HC_EINVAL;
	return t->ops->add_bytes(t, key, len, delta, mode);
}

int hc_add_bytes(hc_table *t, const void *key, size_t len, uint64_t delta)
{
	return hc__add_bytes(t, key, len, delta, t ? t->mode : HC_MODE_EXACT);
}

int hc_put_bytes(hc_table *t, const void *key, size_t len, uint64_t value,
		 uint64_t *found)
{
	int rc = hc__check_write(t, t && t->ops->put_bytes);

	if (found)
		*found = 0;
	if (!rc)
		rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	if (!found || value == 0 || value > t->count_mask)
		return HC_EINVAL;
	return t->ops->put_bytes(t, key, len, value, found);
}

int hc_add_bytes_batch_mode(hc_table *t, const void *const *keys,
			    const size_t *lens, const uint64_t *deltas,
			    size_t n, size_t *done, int mode)
{
	size_t i;
	int rc, bad = HC_OK;

	if (done)
		*done = 0;
	rc = hc__check_write(t, t && t->ops->add_bytes_batch);
	if (rc)
		return rc;
	if (((!keys || !lens) && n) || !hc__valid_mode(mode))
		return HC_EINVAL;
	for (i = 0; i < n; i++) {
		bad = check_bytes_key(keys[i], lens[i]);
		if (bad) {
			n = i; /* add the valid prefix, then report */
			break;
		}
	}
	rc = t->ops->add_bytes_batch(t, keys, lens, deltas, n, done, mode);
	return rc ? rc : bad;
}

int hc_add_bytes_batch(hc_table *t, const void *const *keys, const size_t *lens,
		       const uint64_t *deltas, size_t n, size_t *done)
{
	return hc_add_bytes_batch_mode(t, keys, lens, deltas, n, done,
				       t ? t->mode : HC_MODE_EXACT);
}

int hc_get_bytes(const hc_table *ct, const void *key, size_t len,
		 uint64_t *count)
{
	struct hc_table *t = (struct hc_table *)ct; /* may map more */
	int rc;

	if (!t || !count)
		return HC_EINVAL;
	*count = 0;
	if (!t->ops->get_bytes)
		return HC_EMISUSE;
	rc = check_bytes_key(key, len);
	if (rc)
		return rc;
	if (t->cx)
		return hc__cbytes_get(t, key, len, count);
	return t->ops->get_bytes(t, key, len, count);
}
