/* SPDX-License-Identifier: MIT */
/*
 * record.c - the record of what a table's keys mean (token kind, order,
 * canonical), kept in the table header's user record: one encoder
 * (hck_meta_store) and one decoder (hck_meta_load).  The record is one
 * line of ASCII, such as
 *	hogcount-cli 1 tokens=dna k=21 canonical=1
 * written and read here only (hck_meta_format, hck_meta_parse): the
 * table's user record and the "record" line of a sharded table's
 * manifest (manifest.c) are this line.  The names of the token kinds
 * are listed here once, too.
 * Also the facts every user of the record derives from it: whether the
 * keys are integers, how wide, and which key kinds can hold them.
 */
#include <stdio.h>
#include <string.h>

#include "hck_internal.h"

#define META_TAG "hogcount-cli 1"

/* The names of enum hck_tokens, by value: the one list of token kinds
 * (the CLI's options, the model and Python's hogcount.TOKENS read it
 * through hck_tokens_name() and hck_tokens_parse()). */
static const char *const tokens_names[] = {
	[HCK_DNA] = "dna",
	[HCK_BYTES] = "bytes",
	[HCK_WORDS] = "words",
};
#define TOKENS_END (sizeof(tokens_names) / sizeof(tokens_names[0]))
_Static_assert(TOKENS_END == HCK_TOKENS_END, "a token kind has no name");

const char *hck_tokens_name(int tokens)
{
	if (tokens < 1 || (size_t)tokens >= TOKENS_END)
		return "?";
	return tokens_names[tokens];
}

int hck_tokens_parse(const char *name, int *tokens)
{
	if (!name || !tokens)
		return HC_EINVAL;
	for (size_t i = 1; i < TOKENS_END; i++)
		if (!strcmp(name, tokens_names[i])) {
			*tokens = (int)i;
			return HC_OK;
		}
	return HC_EINVAL;
}

int hck_meta_check(const hck_meta *m)
{
	if (!m || m->k < 1 || m->k > HC_KEY_BYTES_MAX ||
	    (m->canonical != 0 && m->canonical != 1))
		return HC_EINVAL;
	switch (m->tokens) {
	case HCK_DNA:
		return m->k <= HCK_DNA_K_MAX ? HC_OK : HC_EINVAL;
	case HCK_BYTES:
	case HCK_WORDS:
		return m->canonical ? HC_EINVAL : HC_OK;
	}
	return HC_EINVAL;
}

int hck_int_keys(const hck_meta *m)
{
	return m->tokens == HCK_DNA || (m->tokens == HCK_BYTES && m->k <= 8);
}

unsigned hck_key_bits(const hck_meta *m)
{
	if (m->tokens == HCK_DNA)
		return 2 * m->k;
	if (m->tokens == HCK_BYTES && m->k <= 8)
		return 8 * m->k;
	return 0;
}

const char *hck_kind_name(int key_kind)
{
	switch (key_kind) {
	case HC_KEY_U64:
		return "u64";
	case HC_KEY_BYTES:
		return "bytes";
	case HC_KEY_DENSE:
		return "dense";
	case HC_KEY_PACKED:
		return "packed";
	case HC_KEY_NARROW:
		return "narrow";
	}
	return "?";
}

int hck_kind_fits(const hck_meta *m, int key_kind)
{
	if (!hck_int_keys(m))
		return key_kind == HC_KEY_BYTES;
	return key_kind == HC_KEY_U64 || key_kind == HC_KEY_DENSE ||
	       key_kind == HC_KEY_PACKED || key_kind == HC_KEY_NARROW;
}

int hck_meta_format(const hck_meta *m, char *buf, size_t cap, size_t *len)
{
	int n;

	if (!buf || hck_meta_check(m))
		return HC_EINVAL;
	n = snprintf(buf, cap, META_TAG " tokens=%s k=%u canonical=%d",
		     hck_tokens_name(m->tokens), m->k, m->canonical);
	if (n < 0 || (size_t)n >= cap)
		return HC_ERANGE;
	if (len)
		*len = (size_t)n;
	return HC_OK;
}

int hck_meta_parse(const char *text, size_t len, hck_meta *m)
{
	char buf[HCK_META_TEXT_MAX + 1], name[16];
	int canon, used = 0;
	unsigned k;
	hck_meta r;

	if (!text || !m)
		return HC_EINVAL;
	if (len > HCK_META_TEXT_MAX)
		return HC_ECORRUPT;
	memcpy(buf, text, len);
	buf[len] = 0;
	if (sscanf(buf, META_TAG " tokens=%15[a-z] k=%u canonical=%d%n", name,
		   &k, &canon, &used) != 3 ||
	    (size_t)used != len)
		return HC_ECORRUPT;
	memset(&r, 0, sizeof(r));
	if (hck_tokens_parse(name, &r.tokens))
		return HC_ECORRUPT;
	r.k = k;
	r.canonical = canon;
	if (hck_meta_check(&r))
		return HC_ECORRUPT;
	*m = r;
	return HC_OK;
}

int hck_meta_store(hc_table *t, const hck_meta *m)
{
	char buf[HCK_META_TEXT_MAX + 1];
	size_t n;
	int rc;

	if (!t)
		return HC_EINVAL;
	rc = hck_meta_format(m, buf, sizeof(buf), &n);
	if (rc)
		return HC_EINVAL;
	return hc_table_set_user(t, buf, n);
}

int hck_meta_load(const hc_table *t, hck_meta *m)
{
	char buf[HC_USER_MAX];
	size_t len = 0;
	int rc;
	hck_meta r;
	hc_options opt;

	if (!t || !m)
		return HC_EINVAL;
	rc = hc_table_get_user(t, buf, sizeof(buf), &len);
	if (rc)
		return rc == HC_EINVAL ? HC_ECORRUPT : rc;
	rc = hck_meta_parse(buf, len, &r);
	if (rc)
		return rc;
	hc_options_init(&opt);
	rc = hc_table_options(t, &opt);
	if (rc)
		return rc;
	if (!hck_kind_fits(&r, opt.key_kind))
		return HC_EKIND;
	*m = r;
	return HC_OK;
}
