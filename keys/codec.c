/* SPDX-License-Identifier: MIT */
/*
 * codec.c - text to key and key to text, whatever the slot kind: k-mers
 * (2 bits a base, first base highest), byte fragments of k <= 8 (bytes
 * big-endian) as integer keys; longer fragments and word n-grams (words
 * joined by one space) as byte keys.  Also the escapes that byte and
 * word keys use in text output (docs/cli.md, "Key text").
 */
#include <string.h>

#include "hck_internal.h"

int hck_key_encode(const hck_meta *m, const void *text, size_t len,
		   uint64_t *key)
{
	const unsigned char *p = text;
	uint64_t v = 0;

	if (!m || !key || (len && !text))
		return HC_EINVAL;
	if (!hck_int_keys(m))
		return HC_EMISUSE;
	if (len != m->k)
		return HC_ERANGE;
	if (m->tokens == HCK_BYTES) {
		*key = hck__pack(p, len);
		return HC_OK;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned c = hck_dna_code[p[i]];

		if (c > 3)
			return HC_ERANGE;
		v = v << 2 | c;
	}
	if (m->canonical) {
		uint64_t r = hck_kmer_revcomp(v, m->k);

		v = r < v ? r : v;
	}
	*key = v;
	return HC_OK;
}

int hck_key_decode(const hck_meta *m, uint64_t key, unsigned char *out,
		   size_t *len)
{
	static const char base[4] = { 'A', 'C', 'G', 'T' };
	const unsigned k = m->k;

	if (!hck_int_keys(m))
		return HC_EMISUSE;
	if (m->tokens == HCK_DNA)
		for (unsigned i = 0; i < k; i++)
			out[i] = (unsigned char)
				base[(key >> (2 * (k - 1 - i))) & 3];
	else
		for (unsigned i = 0; i < k; i++)
			out[i] = (unsigned char)(key >> (8 * (k - 1 - i)));
	*len = k;
	return HC_OK;
}

int hck_key_decode_array(const hck_meta *m, const uint64_t *keys, size_t n,
			 unsigned char *out)
{
	size_t len;

	if (!m || (n && (!keys || !out)))
		return HC_EINVAL;
	if (!hck_int_keys(m))
		return HC_EMISUSE;
	for (size_t i = 0; i < n; i++)
		hck_key_decode(m, keys[i], out + i * m->k, &len);
	return HC_OK;
}

int hck_entry_text(const hck_meta *m, const hc_entry *e, unsigned char *buf,
		   const unsigned char **text, size_t *len)
{
	if (e->bytes) {
		if (hck_int_keys(m))
			return HC_EKIND;
		*text = e->bytes;
		*len = e->len;
		return HC_OK;
	}
	if (!hck_int_keys(m))
		return HC_EKIND;
	*text = buf;
	return hck_key_decode(m, e->key, buf, len);
}

int hck_get_text(const hc_table *t, const hck_meta *m, const void *text,
		 size_t len, uint64_t *count)
{
	uint64_t key;
	int rc;

	if (!hck_int_keys(m))
		return hc_get_bytes(t, text, len, count);
	rc = hck_key_encode(m, text, len, &key);
	if (rc)
		return rc;
	return hc_get(t, key, count);
}

size_t hck_escape(const void *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = in;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c != 0x7f && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		switch (c) {
		case '\\':
			out[o++] = '\\';
			break;
		case '\t':
			out[o++] = 't';
			break;
		case '\n':
			out[o++] = 'n';
			break;
		case '\r':
			out[o++] = 'r';
			break;
		default:
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	return o;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long hck_unescape(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c != '\\') {
			s[o++] = c;
			continue;
		}
		if (++i == len)
			return -1;
		switch (s[i]) {
		case '\\':
			s[o++] = '\\';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case 'x': {
			int h, l;

			if (i + 2 >= len)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			s[o++] = (char)(h << 4 | l);
			i += 2;
			break;
		}
		default:
			return -1;
		}
	}
	return (long)o;
}

int hck_key_parse(const hck_meta *m, char *buf, size_t len, uint64_t *key,
		  size_t *klen, const char **why)
{
	long n;

	if (m->tokens == HCK_DNA) {
		if (len != m->k) {
			*why = "not a k-mer of the table's length";
			return HC_ERANGE;
		}
		if (hck_key_encode(m, buf, len, key)) {
			*why = "not a k-mer: bases are A, C, G, T";
			return HC_ERANGE;
		}
		*klen = m->k;
		return HC_OK;
	}
	n = hck_unescape(buf, len);
	if (n < 0) {
		*why = "bad escape (use \\\\, \\t, \\n, \\r or \\xHH)";
		return HC_ERANGE;
	}
	if (m->tokens == HCK_WORDS) {
		/* Words are joined by one space: normalise the spacing. */
		size_t o = 0, words = 0;
		int in = 0;

		for (long i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (hck_is_space(c)) {
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
			return HC_ERANGE;
		}
	} else if ((size_t)n != m->k) {
		*why = "not a fragment of the table's order";
		return HC_ERANGE;
	}
	*klen = (size_t)n;
	if (hck_int_keys(m))
		*key = hck__pack((const unsigned char *)buf, (size_t)n);
	return HC_OK;
}
