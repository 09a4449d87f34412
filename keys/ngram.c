/* SPDX-License-Identifier: MIT */
/*
 * ngram.c - text tokens: byte fragments of order k (every run of k
 * consecutive bytes of a file, newlines included) and word n-grams (k
 * consecutive words; a word is a maximal run of bytes other than space,
 * \t, \n, \v, \f, \r; the key is the words joined by one space).
 * Fragments and n-grams never span two files.
 *
 * Order k <= 8 byte fragments roll into a 64-bit key (first byte
 * highest); longer ones are byte keys pointing into the block being fed,
 * plus copies for the few that straddle two blocks of a stream.
 *
 * Cutting a big file: the chunk [s, e) owns the fragments and n-grams
 * whose first byte lies in [s, e); it reads on past e to finish them.
 */
#include <stdlib.h>
#include <string.h>

#include "hck_internal.h"

static int bytes_feed_u64(struct hck_tok *tk, const unsigned char *buf,
			  size_t n, size_t end)
{
	uint64_t roll = tk->roll, run = tk->run;
	const uint64_t mask = tk->mask, k = tk->m.k;
	struct hck_sink *s = tk->sink;
	int rc = 0;

	(void)n;
	for (size_t i = 0; i < end; i++) {
		roll = ((roll << 8) | buf[i]) & mask;
		if (++run >= k) {
			rc = hck__sink_u64(s, roll);
			if (rc)
				break;
		}
	}
	tk->roll = roll;
	tk->run = run;
	return rc;
}

int hck__bytes_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		    size_t limit)
{
	const size_t k = tk->m.k;
	struct hck_sink *s = tk->sink;
	size_t i, end = n;
	int rc = 0;

	/* Fragments start below limit, so bytes past limit + k - 1 are
	 * never needed. */
	if (limit < n && n - limit > k - 1) {
		end = limit + k - 1;
		tk->limit_hit = 1;
	}
	if (k <= 8)
		return bytes_feed_u64(tk, buf, n, end);

	/* Fragments that start in the tail of the previous block. */
	for (i = 0; i < tk->tail_len; i++) {
		size_t have = tk->tail_len - i;
		unsigned char *p;

		if (have + n < k)
			break;
		p = hck__sink_reserve(s, k);
		memcpy(p, tk->tail + i, have);
		memcpy(p + have, buf, k - have);
		rc = hck__sink_commit(s, p, k);
		if (rc)
			return rc;
	}
	/* Fragments inside this block. */
	for (i = 0; i + k <= end && i < limit; i++) {
		rc = hck__sink_ref(s, buf + i, k);
		if (rc)
			return rc;
	}
	rc = hck__sink_drain(s);
	/* Keep the last k - 1 bytes for the next block. */
	if (n >= k - 1) {
		memcpy(tk->tail, buf + n - (k - 1), k - 1);
		tk->tail_len = k - 1;
	} else {
		size_t keep =
			tk->tail_len + n > k - 1 ? k - 1 - n : tk->tail_len;

		memmove(tk->tail, tk->tail + tk->tail_len - keep, keep);
		memcpy(tk->tail + keep, buf, n);
		tk->tail_len = keep + n;
	}
	return rc;
}

/* The n-gram of the k words in the ring, oldest first. */
static int words_emit(struct hck_tok *tk)
{
	const size_t k = tk->m.k;
	size_t len = k - 1, i;
	unsigned char *p, *o;

	for (i = 0; i < k; i++)
		len += tk->wlen[(tk->whead + i) % k];
	if (len > HC_KEY_BYTES_MAX) {
		tk->skipped++;
		return 0;
	}
	o = p = hck__sink_reserve(tk->sink, len);
	for (i = 0; i < k; i++) {
		size_t w = (tk->whead + i) % k;

		if (i)
			*o++ = ' ';
		memcpy(o, tk->wbuf[w], tk->wlen[w]);
		o += tk->wlen[w];
	}
	return hck__sink_commit(tk->sink, p, len);
}

/* The word being read has ended. */
int hck__words_end(struct hck_tok *tk)
{
	const size_t k = tk->m.k;
	int rc;

	tk->in_word = 0;
	if (tk->wcount < k)
		return 0;
	if (!tk->wpre[tk->whead]) {
		/* This n-gram and all later ones belong to the next chunk. */
		tk->limit_hit = 1;
		return 0;
	}
	tk->pending--;
	rc = words_emit(tk);
	return rc;
}

static void word_append(struct hck_tok *tk, const unsigned char *p, size_t len)
{
	size_t w = (tk->whead + tk->wcount - 1) % tk->m.k;
	size_t need = tk->wlen[w] + len;

	if (need > HC_KEY_BYTES_MAX) {
		/* Too long to key: every n-gram holding it is skipped. */
		tk->wlen[w] = HC_KEY_BYTES_MAX + 1;
		return;
	}
	if (need > tk->wcap[w]) {
		size_t cap = tk->wcap[w] * 2;
		unsigned char *p2;

		if (cap < need)
			cap = need;
		p2 = realloc(tk->wbuf[w], cap);
		if (!p2) {
			tk->err = HC_ENOMEM;
			return;
		}
		tk->wbuf[w] = p2;
		tk->wcap[w] = cap;
	}
	memcpy(tk->wbuf[w] + tk->wlen[w], p, len);
	tk->wlen[w] = need;
}

int hck__words_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		    size_t limit)
{
	const size_t k = tk->m.k;
	size_t i = 0;
	int rc;

	while (i < n && !tk->limit_hit) {
		if (!tk->in_word) {
			size_t w;

			while (i < n && hck_is_space(buf[i]))
				i++;
			if (i == n)
				break;
			if (i >= limit && tk->pending == 0) {
				tk->limit_hit = 1;
				break;
			}
			/* A word starts: push it, dropping the oldest. */
			if (tk->wcount == k) {
				tk->whead = (tk->whead + 1) % k;
				tk->wcount--;
			}
			w = (tk->whead + tk->wcount) % k;
			tk->wlen[w] = 0;
			tk->wpre[w] = i < limit;
			tk->pending += i < limit;
			tk->wcount++;
			tk->in_word = 1;
		}
		{
			size_t j = i;

			while (j < n && !hck_is_space(buf[j]))
				j++;
			word_append(tk, buf + i, j - i);
			if (tk->err)
				return tk->err;
			i = j;
			if (i < n) {
				rc = hck__words_end(tk);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

size_t hck__words_align(const unsigned char *buf, size_t n, size_t s)
{
	if (s == 0 || hck_is_space(buf[s - 1]))
		return s;
	while (s < n && !hck_is_space(buf[s]))
		s++;
	return s;
}
