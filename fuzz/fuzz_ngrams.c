/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ngrams.c - libFuzzer harness, differential: byte fragments and
 * word n-grams of an arbitrary text, fed whole, as a stream cut into
 * random blocks, as random mapped byte ranges (hck_tok_align() and a
 * limit, as `count` cuts a file), and as those ranges read through
 * small windows (hck_tok_align_part(), hck_tok_feed_part(), as `count`
 * reads a plain file), must each give exactly the keys of
 * a naive reference computed here from the definition in
 * hogcount_keys.h.
 *
 * Input: byte 0 picks the tokens and the order, bytes 1..4 pick the
 * way of feeding and seed the cuts, the rest is the text.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* Every run of k bytes; integer keys for k <= 8 (first byte highest). */
static void ref_bytes(const unsigned char *t, size_t n, unsigned k,
		      struct fz_keys *ref)
{
	for (size_t i = 0; i + k <= n; i++) {
		if (k <= 8) {
			uint64_t v = 0;

			for (unsigned j = 0; j < k; j++)
				v = v << 8 | t[i + j];
			fz_keys_add_u64(ref, v, 1);
		} else {
			fz_keys_add(ref, t + i, k, 1);
		}
	}
}

/* Every k consecutive words, joined by one space. */
static void ref_words(const unsigned char *t, size_t n, unsigned k,
		      struct fz_keys *ref)
{
	size_t *ws = malloc((n + 1) * sizeof(*ws)), *we, nw = 0;
	unsigned char *key = malloc(n + k + 1);

	we = malloc((n + 1) * sizeof(*we));
	FUZZ_CHECK(ws && we && key, "out of memory");
	for (size_t i = 0; i < n;) {
		if (is_space(t[i])) {
			i++;
			continue;
		}
		ws[nw] = i;
		while (i < n && !is_space(t[i]))
			i++;
		we[nw++] = i;
	}
	for (size_t i = 0; i + k <= nw; i++) {
		size_t len = 0;

		for (size_t j = i; j < i + k; j++) {
			if (j > i)
				key[len++] = ' ';
			memcpy(key + len, t + ws[j], we[j] - ws[j]);
			len += we[j] - ws[j];
		}
		if (len <= HC_KEY_BYTES_MAX)
			fz_keys_add(ref, key, len, 1);
	}
	free(ws);
	free(we);
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const how_name[] = { "whole", "blocks", "ranges",
						"parts" };
	struct fz_keys ref = { 0 };
	hck_meta m = { 0 };
	uint64_t seed = 0, arena;
	const unsigned char *text;
	size_t n;

	if (size < 5)
		return 0;
	/* Bytes: k 1..16 (integer keys up to 8, byte keys above); words:
	 * k 1..8. */
	m.tokens = data[0] & 0x80 ? HCK_WORDS : HCK_BYTES;
	m.k = m.tokens == HCK_BYTES ? 1 + (data[0] & 15) : 1 + (data[0] & 7);
	memcpy(&seed, data + 1, 4);
	text = data + 5;
	n = size - 5;

	if (m.tokens == HCK_BYTES)
		ref_bytes(text, n, m.k, &ref);
	else
		ref_words(text, n, m.k, &ref);
	fz_keys_norm(&ref);
	/* Room for every key; byte keys: their bytes plus 16 a key. */
	arena = 4096;
	for (size_t i = 0; i < ref.n; i++)
		arena += ref.len[i] + 16;

	/* One way of feeding an input (a table and a sink cost more than
	 * the tokenizing): the reference is independent of all three. */
	{
		int how = (int)(seed % 4);
		hc_table *t = fz_tokenize(&m, text, n, how, HCK_FMT_UNKNOWN,
					  seed >> 2, 2 * ref.n + 64, arena);
		char what[64];

		snprintf(what, sizeof(what), "%s k=%u %s",
			 hck_tokens_name(m.tokens), m.k, how_name[how]);
		fz_expect(t, &ref, what);
		hc_table_close(t);
	}
	fz_keys_free(&ref);
	return 0;
}
