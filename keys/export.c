/* SPDX-License-Identifier: MIT */
/*
 * export.c - a table's entries copied into caller-provided arrays, in
 * one pass of the public iterator: the documented way for numpy to
 * read every key kind, packed slots included, without knowing the slot
 * layout.
 */
#include <string.h>

#include "hck_internal.h"

static int kind_of(const hc_table *t, int *kind)
{
	hc_options opt;
	int rc;

	hc_options_init(&opt);
	rc = hc_table_options(t, &opt);
	*kind = opt.key_kind;
	return rc;
}

int hck_export(const hc_table *t, uint64_t *keys, uint64_t *counts, size_t cap,
	       size_t *n)
{
	hc_iter *it;
	hc_entry e;
	size_t i = 0;
	int rc, kind;

	if (!t || !n || (cap && (!keys || !counts)))
		return HC_EINVAL;
	*n = 0;
	rc = kind_of(t, &kind);
	if (rc)
		return rc;
	if (kind == HC_KEY_BYTES)
		return HC_EMISUSE;
	rc = hc_iter_create(t, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		if (i == cap) {
			rc = HC_ERANGE;
			break;
		}
		keys[i] = e.key;
		counts[i++] = e.count;
	}
	hc_iter_destroy(it);
	*n = i;
	return rc < 0 ? rc : HC_OK;
}

int hck_export_bytes(const hc_table *t, unsigned char *data, size_t data_cap,
		     uint64_t *ends, uint64_t *counts, size_t cap, size_t *n,
		     size_t *data_len)
{
	hc_iter *it;
	hc_entry e;
	size_t i = 0, d = 0;
	int rc, kind;

	if (!t || !n || !data_len || (cap && (!ends || !counts)) ||
	    (data_cap && !data))
		return HC_EINVAL;
	*n = *data_len = 0;
	rc = kind_of(t, &kind);
	if (rc)
		return rc;
	if (kind != HC_KEY_BYTES)
		return HC_EMISUSE;
	rc = hc_iter_create(t, &it);
	if (rc)
		return rc;
	while ((rc = hc_iter_next(it, &e)) == 1) {
		if (i == cap || e.len > data_cap - d) {
			rc = HC_ERANGE;
			break;
		}
		memcpy(data + d, e.bytes, e.len);
		d += e.len;
		ends[i] = d;
		counts[i++] = e.count;
	}
	hc_iter_destroy(it);
	*n = i;
	*data_len = d;
	return rc < 0 ? rc : HC_OK;
}
