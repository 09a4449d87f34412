/* SPDX-License-Identifier: MIT */
/*
 * fuzz_keytext.c - libFuzzer harness: the text of keys that `query`
 * and `model prob` read (hck_unescape, hck_key_parse), and the round
 * trips that must hold:
 * - hck_unescape(hck_escape(b)) == b for any bytes b;
 * - a key parsed from text prints back (hck_entry_text, then
 *   hck_escape) as text that parses to the same key.
 *
 * Input: byte 0 picks the record (tokens, order, canonical); the rest
 * is the text.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *in = data + 1;
	size_t n = size - 1, klen = 0, tlen = 0, elen;
	char *buf, *esc;
	const unsigned char *text;
	unsigned char dec[HCK_INT_TEXT_MAX];
	const char *why = NULL;
	uint64_t key = 0, key2 = 0;
	hck_meta m = { 0 };
	hc_entry e;
	long u;
	int rc;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
	case 3:
		m.tokens = HCK_DNA;
		m.k = 1 + (data[0] >> 2 & 31);
		m.canonical = data[0] >> 7;
		break;
	case 1:
		m.tokens = HCK_BYTES;
		m.k = 1 + (data[0] >> 2 & 15);
		break;
	case 2:
		m.tokens = HCK_WORDS;
		m.k = 1 + (data[0] >> 2 & 7);
		break;
	}
	FUZZ_CHECK(hck_meta_check(&m) == HC_OK, "record");
	buf = malloc(n + 1);
	esc = malloc(4 * n + 4);
	FUZZ_CHECK(buf && esc, "out of memory");

	/* Escapes: any bytes survive a round trip. */
	elen = hck_escape(in, n, esc);
	FUZZ_CHECK(elen <= 4 * n, "escape wrote %zu of %zu", elen, 4 * n);
	for (size_t i = 0; i < elen; i++)
		FUZZ_CHECK(esc[i] != '\n' && esc[i] != '\t' && esc[i] != '\r',
			   "escaped text holds a separator");
	u = hck_unescape(esc, elen);
	FUZZ_CHECK(u == (long)n && !memcmp(esc, in, n), "escape round trip");

	/* Unescaping arbitrary text: shorter, or refused. */
	memcpy(buf, in, n);
	u = hck_unescape(buf, n);
	FUZZ_CHECK(u >= -1 && u <= (long)n, "unescape gave %ld of %zu", u, n);

	/* A key parsed from arbitrary text. */
	memcpy(buf, in, n);
	rc = hck_key_parse(&m, buf, n, &key, &klen, &why);
	if (rc != HC_OK) {
		FUZZ_CHECK(rc == HC_ERANGE && why && *why, "parse: %d", rc);
		goto out;
	}
	FUZZ_CHECK(klen <= n, "key of %zu bytes from %zu", klen, n);
	memset(&e, 0, sizeof(e));
	if (hck_int_keys(&m)) {
		FUZZ_CHECK(hck_key_bits(&m) >= 64 ||
				   key >> hck_key_bits(&m) == 0,
			   "key %llx wider than %u bits",
			   (unsigned long long)key, hck_key_bits(&m));
		if (m.canonical)
			FUZZ_CHECK(key <= hck_kmer_revcomp(key, m.k),
				   "not canonical");
		e.key = key;
	} else {
		FUZZ_CHECK(klen >= m.k, "byte key of %zu bytes", klen);
		e.bytes = buf;
		e.len = klen;
	}
	e.count = 1;
	rc = hck_entry_text(&m, &e, dec, &text, &tlen);
	FUZZ_CHECK(rc == HC_OK, "entry text: %d", rc);
	if (m.tokens == HCK_DNA) {
		/* dump writes k-mers as they are. */
		FUZZ_CHECK(tlen == m.k, "k-mer text of %zu", tlen);
		memcpy(esc, text, tlen);
		elen = tlen;
	} else {
		elen = hck_escape(text, tlen, esc);
	}
	rc = hck_key_parse(&m, esc, elen, &key2, &klen, &why);
	FUZZ_CHECK(rc == HC_OK, "printed key does not parse: %s", why);
	if (hck_int_keys(&m))
		FUZZ_CHECK(key2 == key, "key %llx printed and parsed as %llx",
			   (unsigned long long)key, (unsigned long long)key2);
	else
		FUZZ_CHECK(klen == e.len && !memcmp(esc, buf, klen),
			   "byte key printed and parsed differs");
	if (hck_int_keys(&m)) {
		rc = hck_key_encode(&m, text, tlen, &key2);
		FUZZ_CHECK(rc == HC_OK && key2 == key, "encode: %d", rc);
	}
out:
	free(buf);
	free(esc);
	return 0;
}
