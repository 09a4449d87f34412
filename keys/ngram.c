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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/*
 * Word n-grams.  The ring holds the last k words, oldest at whead.  A
 * word read in the block being fed is a pointer into it (wptr); the
 * words still in the ring when the block ends are copied into wbuf,
 * and a word that runs past the end of a block is completed there.
 * When the newest k words lie in this block one space apart (chain >=
 * k), the n-gram is those bytes as they are: a key pointing into the
 * block, as byte fragments are, with nothing copied.
 */

static inline size_t ring_next(size_t i, size_t k)
{
	return i + 1 == k ? 0 : i + 1;
}

static inline const unsigned char *word_at(const struct hck_tok *tk, size_t w)
{
	return tk->wptr[w] ? tk->wptr[w] : tk->wbuf[w];
}

/* The n-gram of the k words in the ring, oldest first. */
static int words_emit(struct hck_tok *tk)
{
	const size_t k = tk->m.k;
	size_t len = k - 1, i, w;
	unsigned char *p, *o;

	for (i = 0, w = tk->whead; i < k; i++, w = ring_next(w, k))
		len += tk->wlen[w];
	if (len > HC_KEY_BYTES_MAX) {
		tk->skipped++;
		return 0;
	}
	if (tk->chain >= k)
		return hck__sink_ref(tk->sink, tk->wptr[tk->whead], len);
	o = p = hck__sink_reserve(tk->sink, len);
	for (i = 0, w = tk->whead; i < k; i++, w = ring_next(w, k)) {
		if (i)
			*o++ = ' ';
		memcpy(o, word_at(tk, w), tk->wlen[w]);
		o += tk->wlen[w];
	}
	return hck__sink_commit(tk->sink, p, len);
}

/*
 * Counting by ids (words.c): the n-gram of the k ids in the ring, first
 * word highest, when every word has one below the limit; else its text,
 * to the spill table.  An n-gram whose text would be too long to key is
 * skipped either way.
 */
static int ids_emit(struct hck_tok *tk)
{
	const size_t k = tk->m.k;
	size_t len = k - 1, i, w;
	uint64_t key = 0;

	for (i = 0, w = tk->whead; i < k; i++, w = ring_next(w, k)) {
		uint64_t id = tk->wid[w];

		if (id >> tk->id_bits)
			return words_emit(tk);
		key = key << tk->id_bits | id;
		len += tk->wlen[w];
	}
	if (len > HC_KEY_BYTES_MAX) {
		tk->skipped++;
		return 0;
	}
	return hck__sink_u64(tk->idsink, key);
}

/*
 * The first byte of @buf[@j..@n) that is white space (hck_is_space()), or
 * @n.  Words are a few bytes long, and a loop that tests one byte at a
 * time mispredicts its exit once a word: with SSE2, 16 bytes a step.
 */
static inline size_t word_end(const unsigned char *buf, size_t j, size_t n)
{
#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'),
		      span = _mm_set1_epi8('\r' - '\t');

	for (; j + 16 <= n; j += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(buf + j)),
			/* \t..\r: x - '\t' is 0..4, unsigned */
			y = _mm_sub_epi8(x, tab),
			in = _mm_cmpeq_epi8(_mm_min_epu8(y, span), y);
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(in, _mm_cmpeq_epi8(x, sp)));

		if (m)
			return j + (unsigned)__builtin_ctz(m);
	}
#endif
	while (j < n && !hck_is_space(buf[j]))
		j++;
	return j;
}

/* The word being read has ended. */
int hck__words_end(struct hck_tok *tk)
{
	tk->in_word = 0;
	if (tk->ids) {
		int rc = hck__word_id(tk, word_at(tk, tk->wtail),
				      tk->wlen[tk->wtail], &tk->wid[tk->wtail]);

		if (rc)
			return rc;
	}
	if (tk->wcount < tk->m.k)
		return 0;
	if (!tk->wpre[tk->whead]) {
		/* This n-gram and all later ones belong to the next chunk. */
		tk->limit_hit = 1;
		return 0;
	}
	tk->pending--;
	return tk->ids ? ids_emit(tk) : words_emit(tk);
}

/* Make ring word @w hold @len more bytes at @p in its own buffer. */
static void word_append(struct hck_tok *tk, size_t w, const unsigned char *p,
			size_t len)
{
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

/* The block ends: copy the ring's words that point into it. */
static int words_keep(struct hck_tok *tk)
{
	const size_t k = tk->m.k;

	for (size_t i = 0, w = tk->whead; i < tk->wcount;
	     i++, w = ring_next(w, k)) {
		const unsigned char *p = tk->wptr[w];
		size_t len = tk->wlen[w];

		if (!p)
			continue;
		tk->wptr[w] = NULL;
		tk->wlen[w] = 0;
		word_append(tk, w, p, len);
	}
	tk->chain = 0;
	return tk->err;
}

int hck__words_feed(struct hck_tok *tk, const unsigned char *buf, size_t n,
		    size_t limit)
{
	const size_t k = tk->m.k;
	size_t i = 0, j, w;
	int rc = 0;

	if (tk->in_word) {
		/* The newest word began in an earlier block. */
		j = word_end(buf, 0, n);
		word_append(tk, tk->wtail, buf, j);
		if (tk->err)
			return tk->err;
		i = j;
		if (i < n)
			rc = hck__words_end(tk);
	}
	while (!rc && i < n && !tk->limit_hit) {
		size_t s = i;

		while (i < n && hck_is_space(buf[i]))
			i++;
		if (i == n)
			break;
		if (i >= limit && tk->pending == 0) {
			tk->limit_hit = 1;
			break;
		}
		j = word_end(buf, i + 1, n);
		/* A word starts: push it, dropping the oldest. */
		if (tk->wcount == k) {
			tk->whead = ring_next(tk->whead, k);
			tk->wcount--;
		}
		/* One space after the previous word of this block: the
		 * chain of words that read as the key goes on. */
		tk->chain = tk->chain && s + 1 == i && buf[s] == ' '
				    ? tk->chain + 1
				    : 1;
		w = tk->wcount ? ring_next(tk->wtail, k) : tk->whead;
		tk->wtail = w;
		tk->wptr[w] = buf + i;
		tk->wlen[w] = j - i;
		tk->wpre[w] = i < limit;
		tk->pending += i < limit;
		tk->wcount++;
		tk->in_word = 1;
		i = j;
		if (i < n)
			rc = hck__words_end(tk);
	}
	/* Whatever stopped the loop, nothing may point into the block
	 * after it: neither a word of the ring nor a key of the sink, which
	 * is drained (or, after an error, emptied) while the block is
	 * still the caller's. */
	if (words_keep(tk) && !rc)
		rc = tk->err;
	{
		int drained = hck__sink_drain(tk->sink);

		if (!rc)
			rc = drained;
	}
	return rc;
}

size_t hck__words_align(const unsigned char *buf, size_t n, size_t s)
{
	if (s == 0 || hck_is_space(buf[s - 1]))
		return s;
	while (s < n && !hck_is_space(buf[s]))
		s++;
	return s;
}
