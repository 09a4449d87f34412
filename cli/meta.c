/* SPDX-License-Identifier: MIT */
/*
 * meta.c - what a table's keys mean (token kind, order, canonical), kept
 * in the table header's user record, and the text form of keys.
 *
 * The record is one line of ASCII, such as
 *	hogcount-cli 1 tokens=dna k=21 canonical=1
 * Integer keys: a k-mer is 2 bits per base, first base highest (A=0,
 * C=1, G=2, T=3); a byte fragment of order k <= 8 is its bytes
 * big-endian.  Longer byte fragments and word n-grams are byte keys.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define META_TAG "hogcount-cli 1"

const char *tok_name(int tokens)
{
	switch (tokens) {
	case TOK_DNA:
		return "dna";
	case TOK_BYTES:
		return "bytes";
	case TOK_WORDS:
		return "words";
	}
	return "?";
}

int meta_store(hc_table *t, const struct meta *m)
{
	char buf[HC_USER_MAX];
	int n;

	n = snprintf(buf, sizeof(buf), META_TAG " tokens=%s k=%u canonical=%d",
		     tok_name(m->tokens), m->k, m->canonical);
	return hc_table_set_user(t, buf, (size_t)n);
}

int meta_load(const hc_table *t, struct meta *m)
{
	char buf[HC_USER_MAX + 1], name[16];
	size_t len = 0;
	int rc, canon, used = 0;
	unsigned k;

	rc = hc_table_get_user(t, buf, HC_USER_MAX, &len);
	if (rc)
		return rc;
	buf[len] = 0;
	if (sscanf(buf, META_TAG " tokens=%15[a-z] k=%u canonical=%d%n", name,
		   &k, &canon, &used) != 3 ||
	    (size_t)used != len)
		return HC_ECORRUPT;
	memset(m, 0, sizeof(*m));
	if (!strcmp(name, "dna"))
		m->tokens = TOK_DNA;
	else if (!strcmp(name, "bytes"))
		m->tokens = TOK_BYTES;
	else if (!strcmp(name, "words"))
		m->tokens = TOK_WORDS;
	else
		return HC_ECORRUPT;
	if (k < 1 || (m->tokens == TOK_DNA && k > 32) || k > HC_KEY_BYTES_MAX ||
	    (canon != 0 && canon != 1))
		return HC_ECORRUPT;
	m->k = k;
	m->canonical = canon;
	return 0;
}

int table_open_meta(const char *path, hc_table **t, struct meta *m)
{
	int rc = hc_table_open(t, path, HC_OPEN_RDONLY);

	if (rc) {
		if (rc == HC_EIO || rc == HC_ENOENT)
			cli_error(path, "%s", strerror(errno ? errno : ENOENT));
		else
			cli_error(path, "%s", hc_strerror(rc));
		return -1;
	}
	rc = meta_load(*t, m);
	if (rc) {
		cli_error(path, "not a table written by hogcount count (%s)",
			  hc_strerror(rc));
		hc_table_close(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

void key_write(FILE *f, const struct meta *m, const hc_entry *e)
{
	char s[33];

	if (e->bytes) {
		escape_write(f, e->bytes, e->len);
	} else if (m->tokens == TOK_DNA) {
		kmer_string(e->key, m->k, s);
		fwrite(s, 1, m->k, f);
	} else {
		unsigned char b[8];

		for (unsigned i = 0; i < m->k; i++)
			b[i] = (unsigned char)(e->key >> (8 * (m->k - 1 - i)));
		escape_write(f, b, m->k);
	}
}

int key_parse(const struct meta *m, char *buf, size_t len, uint64_t *key,
	      size_t *klen, const char **why)
{
	long n;

	if (m->tokens == TOK_DNA) {
		uint64_t v = 0;

		if (len != m->k) {
			*why = "not a k-mer of the table's length";
			return -1;
		}
		for (size_t i = 0; i < len; i++) {
			unsigned c = dna_code[(unsigned char)buf[i]];

			if (c > 3) {
				*why = "not a k-mer: bases are A, C, G, T";
				return -1;
			}
			v = v << 2 | c;
		}
		if (m->canonical) {
			uint64_t r = kmer_revcomp(v, m->k);

			v = r < v ? r : v;
		}
		*key = v;
		*klen = m->k;
		return 0;
	}
	n = unescape(buf, len);
	if (n < 0) {
		*why = "bad escape (use \\\\, \\t, \\n, \\r or \\xHH)";
		return -1;
	}
	if (m->tokens == TOK_WORDS) {
		/* Words are joined by one space: normalise the spacing. */
		size_t o = 0, words = 0;
		int in = 0;

		for (long i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];
			int sp = c == ' ' || (c >= '\t' && c <= '\r');

			if (sp) {
				in = 0;
				continue;
			}
			if (!in) {
				if (o)
					buf[o++] = ' ';
				words++;
				in = 1;
			}
			buf[o++] = (char)c;
		}
		n = (long)o;
		if (words != m->k) {
			*why = "not an n-gram of the table's order";
			return -1;
		}
	} else if ((size_t)n != m->k) {
		*why = "not a fragment of the table's order";
		return -1;
	}
	*klen = (size_t)n;
	if (m->tokens == TOK_BYTES && m->k <= 8) {
		uint64_t v = 0;

		for (long i = 0; i < n; i++)
			v = v << 8 | (unsigned char)buf[i];
		*key = v;
	}
	return 0;
}
